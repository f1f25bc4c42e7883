// pcapng slice of a case (draft-ietf-opsawg-pcapng): every observation of some flows, re-read by
// offset from its original capture, in time order, one IDB per (input, interface, link type).
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Db } from '../store/db';
import { TOOL_VERSION } from '../version';
import type { PcapngInterface } from './pcapng-writer';
import { epbBlock, idbBlock, shbBlock } from './pcapng-writer';

/** What an export wrote. */
export interface PcapngExportResult {
  packets: number;
  interfaces: number;
  bytes: number;
}

interface Row {
  id: number;
  input_id: number;
  frame: number;
  offset: number;
  caplen: number;
  orig_len: number;
  link_type: number;
  sec: number;
  nsec: number;
  iface_id: number | null;
  direction: number | null;
  path: string;
  name: string | null;
  snaplen: number | null;
  file_snaplen: number | null;
}

/**
 * Where an input's bytes are on disk: its path as given (relative to the working directory, else to
 * the case file's folder), or for a bundle member (`b.tar.gz!m`) the extraction beside the case.
 */
export function inputDiskPath(dbPath: string, path: string): string {
  const bang = path.indexOf('!');
  if (bang > 0 && /\.(tar\.gz|tgz)$/i.test(path.slice(0, bang))) {
    const bundle = basename(path.slice(0, bang)).replace(/\.(tar\.gz|tgz)$/i, '');
    return join(`${dbPath}.inputs`, bundle, path.slice(bang + 1));
  }
  if (isAbsolute(path)) return path;
  const cwd = resolve(path);
  return existsSync(cwd) ? cwd : resolve(dirname(dbPath), path);
}

// Times are split in SQL: ns since the epoch exceed 2^53, so a JS number would lose the last digits.
const SELECT = `SELECT o.id, o.input_id, o.frame, o.offset, o.caplen, o.orig_len, o.link_type,
  o.ts_ns / 1000000000 AS sec, o.ts_ns % 1000000000 AS nsec, o.iface_id, o.direction, i.path,
  f.name, f.snaplen, (SELECT max(g.snaplen) FROM interfaces g WHERE g.input_id = o.input_id AND g.file_if IS NOT NULL) AS file_snaplen
  FROM observations o JOIN inputs i ON i.id = o.input_id LEFT JOIN interfaces f ON f.id = o.iface_id`;

/** Writes every observation of the flows `flowIds` to `out` as pcapng, bytes identical to the originals. */
export async function exportPcapng(db: Db, flowIds: string[], out: string): Promise<PcapngExportResult> {
  const ids = [...new Set(flowIds.map(Number).filter((n) => Number.isInteger(n)))];
  const rows: Row[] = [];
  // bounded IN lists: SQLite caps host parameters
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    rows.push(
      ...(await db.all<Row>(
        `${SELECT} WHERE o.journey_id IN (SELECT id FROM journeys WHERE flow_id IN (${part.map(() => '?').join(',')}))`,
        part,
      )),
    );
  }
  rows.sort((a, b) => a.sec - b.sec || a.nsec - b.nsec || a.id - b.id);

  const inputs = new Map<number, FileHandle>();
  const idbs = new Map<string, number>();
  const outFile = await open(out, 'w');
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let written = 0;
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    await outFile.writev(pending);
    written += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };
  const emit = async (b: Uint8Array): Promise<void> => {
    pending.push(b);
    pendingBytes += b.length;
    if (pendingBytes >= 1 << 20) await flush();
  };
  try {
    await emit(shbBlock(`pathlens ${TOOL_VERSION}`));
    for (const r of rows) {
      const key = `${r.input_id}|${r.iface_id ?? ''}|${r.link_type}`;
      let iface = idbs.get(key);
      if (iface === undefined) {
        iface = idbs.size;
        idbs.set(key, iface);
        const idb: PcapngInterface = {
          linkType: r.link_type,
          snaplen: r.snaplen ?? r.file_snaplen ?? 0,
          name: r.name,
          description: `${r.path}${r.name ? ` (${r.name})` : ''}`,
        };
        await emit(idbBlock(idb));
      }
      let fh = inputs.get(r.input_id);
      if (!fh) {
        fh = await open(inputDiskPath(db.path, r.path), 'r');
        inputs.set(r.input_id, fh);
      }
      const data = new Uint8Array(r.caplen);
      const { bytesRead } = await fh.read(data, 0, r.caplen, r.offset);
      if (bytesRead !== r.caplen)
        throw new Error(
          `${r.path}: frame ${r.frame}: ${bytesRead} of ${r.caplen} bytes at offset ${r.offset} (file changed since ingest?)`,
        );
      await emit(
        epbBlock({
          iface,
          tsNs: BigInt(r.sec) * 1_000_000_000n + BigInt(r.nsec),
          data,
          origLen: r.orig_len,
          direction: r.direction === 0 ? 'in' : r.direction === 1 ? 'out' : null,
          comment: `${basename(r.path)} frame ${r.frame}`,
        }),
      );
    }
    await flush();
  } finally {
    await outFile.close();
    for (const fh of inputs.values()) await fh.close();
  }
  return { packets: rows.length, interfaces: idbs.size, bytes: written };
}
