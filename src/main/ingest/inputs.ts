// Expands the inputs a user gives (files, directories, .tar.gz bundles) into the list of files to read.
import { createReadStream, mkdirSync, readdirSync, statSync, createWriteStream, existsSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { readSync, openSync, closeSync } from 'node:fs';

/** One file to read. */
export interface InputFile {
  /** path as shown to the user (bundle members: `bundle.tar.gz!member`) */
  display: string;
  /** where the bytes are on disk */
  path: string;
  size: number;
  mtimeMs: number;
  /** a bundle that could not be read (whole or in part): shown as an input with this warning */
  error?: string;
}

const GZIP = [0x1f, 0x8b];

/** True when the file starts with the gzip magic. */
export function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === GZIP[0] && b[1] === GZIP[1];
  } finally {
    closeSync(fd);
  }
}

function walk(dir: string, out: string[]): void {
  const names = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of names) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/**
 * Extracts a .tar.gz bundle into `dest` (members keep their relative paths). Packet bytes are
 * re-read by offset later, so members must live on disk, not in memory.
 */
export async function extractTarGz(path: string, dest: string): Promise<string[]> {
  mkdirSync(dest, { recursive: true });
  const files: string[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let current: { remaining: number; pad: number; out: ReturnType<typeof createWriteStream> | null } | null =
    null;
  let longName: string | null = null;
  let paxPath: string | null = null;
  let collecting: { kind: 'L' | 'x'; remaining: number; pad: number; chunks: Buffer[] } | null = null;
  const gunzip = createReadStream(path).pipe(createGunzip());
  const pending: Promise<void>[] = [];
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let off = 0;
    while (true) {
      if (collecting) {
        const take = Math.min(collecting.remaining, buf.length - off);
        collecting.chunks.push(buf.subarray(off, off + take));
        collecting.remaining -= take;
        off += take;
        if (collecting.remaining > 0) break;
        if (buf.length - off < collecting.pad) break;
        off += collecting.pad;
        const text = Buffer.concat(collecting.chunks).toString('utf8');
        if (collecting.kind === 'L') longName = text.replace(/\0.*$/s, '');
        else {
          const m = /\d+ path=([^\n]*)\n/.exec(text);
          if (m) paxPath = m[1]!;
        }
        collecting = null;
        continue;
      }
      if (current) {
        const take = Math.min(current.remaining, buf.length - off);
        if (current.out && take > 0) current.out.write(Buffer.from(buf.subarray(off, off + take)));
        current.remaining -= take;
        off += take;
        if (current.remaining > 0) break;
        if (buf.length - off < current.pad) break;
        off += current.pad;
        if (current.out) {
          const out = current.out;
          pending.push(new Promise((res) => out.end(res)));
        }
        current = null;
        continue;
      }
      if (buf.length - off < 512) break;
      const h = buf.subarray(off, off + 512);
      off += 512;
      if (h.every((b) => b === 0)) continue;
      const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const prefix = h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
      const size = parseInt(h.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
      const type = String.fromCharCode(h[156] ?? 48);
      const pad = (512 - (size % 512)) % 512;
      if (type === 'L' || type === 'x') {
        collecting = { kind: type, remaining: size, pad, chunks: [] };
        continue;
      }
      const full = paxPath ?? longName ?? (prefix ? `${prefix}/${name}` : name);
      longName = null;
      paxPath = null;
      let out: ReturnType<typeof createWriteStream> | null = null;
      if (type === '0' || type === '\0' || type === '7') {
        const target = resolve(dest, full);
        // never write outside the extraction directory
        if (target.startsWith(resolve(dest) + sep)) {
          mkdirSync(dirname(target), { recursive: true });
          out = createWriteStream(target);
          files.push(target);
        }
      }
      current = { remaining: size, pad, out };
    }
    buf = buf.subarray(off);
  }
  await Promise.all(pending);
  return files.sort();
}

/** Expands files, directories and bundles into readable files, in a stable order. */
export async function expandInputs(paths: string[], extractRoot: string): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    const st = statSync(p);
    const files: string[] = [];
    if (st.isDirectory()) walk(p, files);
    else files.push(p);
    for (const f of files) {
      const fst = statSync(f);
      if (/\.(tar\.gz|tgz)$/i.test(f) && isGzip(f)) {
        const dest = join(extractRoot, basename(f).replace(/\.(tar\.gz|tgz)$/i, ''));
        let error: string | null = null;
        if (!existsSync(dest)) {
          try {
            await extractTarGz(f, dest);
          } catch (e) {
            // a damaged bundle keeps the members read before the damage
            error = `not a readable .tar.gz bundle (${e instanceof Error ? e.message : String(e)}); members read before the damage are kept`;
          }
        }
        const listed: string[] = [];
        if (existsSync(dest)) walk(dest, listed);
        if (error) out.push({ display: f, path: f, size: fst.size, mtimeMs: fst.mtimeMs, error });
        for (const m of listed) {
          const mst = statSync(m);
          out.push({
            display: `${f}!${m.slice(dest.length + 1)}`,
            path: m,
            size: mst.size,
            mtimeMs: mst.mtimeMs,
          });
        }
      } else out.push({ display: f, path: f, size: fst.size, mtimeMs: fst.mtimeMs });
    }
  }
  return out;
}
