// Capture reader (draft-ietf-opsawg-pcap, pcapng) against the shared corpus, the lab captures and pcap-parser.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CaptureContents } from '../../src/main/capture/capture-reader';
import { createCaptureReader } from '../../src/main/capture/capture-reader';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const shared = process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared');
const corpusDir = path.join(shared, 'corpus');
const labDir = path.join(shared, 'lab');

interface Row {
  file: string;
  format: string;
  packets: number | null;
  readable: boolean;
}

function manifest(): Row[] {
  const lines = readFileSync(path.join(corpusDir, 'manifest.tsv'), 'utf8').split('\n');
  const head = (lines[0] ?? '').split('\t');
  const col = (name: string): number => head.indexOf(name);
  return lines
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split('\t');
      const packets = f[col('packets')] ?? '';
      return {
        file: f[col('file')] ?? '',
        format: f[col('format')] ?? '',
        packets: packets === '' ? null : Number(packets),
        readable: f[col('readable_by_tshark')] === 'yes',
      };
    });
}

/** Stream a file through the reader in chunks of `size`, copying record bytes. */
function readChunked(bytes: Uint8Array, size: number): CaptureContents {
  const out: CaptureContents = {
    format: null,
    interfaces: [],
    records: [],
    warnings: [],
    names: [],
    stats: [],
  };
  const r = createCaptureReader({
    onRecord: (rec) => out.records.push({ ...rec, data: new Uint8Array(rec.data) }),
    onInterface: (i) => out.interfaces.push(i),
    onWarning: (w) => out.warnings.push(w),
    onNames: (n) => out.names.push(n),
    onStats: (s) => out.stats.push(s),
  });
  for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
  r.end();
  out.format = r.format;
  return out;
}

const CHUNK = 64 * 1024;

describe.skipIf(!existsSync(path.join(corpusDir, 'manifest.tsv')))(`corpus ${corpusDir}`, () => {
  const rows = existsSync(path.join(corpusDir, 'manifest.tsv')) ? manifest() : [];

  it('has the record count tshark has for every readable file', () => {
    const readable = rows.filter((r) => r.readable);
    const wrong: string[] = [];
    const slow: string[] = [];
    for (const row of readable) {
      const t0 = performance.now();
      const out = readChunked(readFileSync(path.join(corpusDir, row.file)), CHUNK);
      if (performance.now() - t0 > 10_000) slow.push(row.file);
      if (out.records.length !== row.packets)
        wrong.push(`${row.file}: ${out.records.length} != ${row.packets}`);
    }
    expect(readable.length).toBeGreaterThan(800);
    expect(wrong).toEqual([]);
    expect(slow).toEqual([]);
  });

  it('never throws on unreadable files: located warnings, or a container that is intact to the last byte', () => {
    const unreadable = rows.filter((r) => !r.readable);
    expect(unreadable.length).toBeGreaterThan(0);
    for (const row of unreadable) {
      const bytes = readFileSync(path.join(corpusDir, row.file));
      const t0 = performance.now();
      const out = readChunked(bytes, CHUNK);
      expect(performance.now() - t0).toBeLessThan(10_000);
      for (const w of out.warnings) {
        expect(w.offset).toBeGreaterThanOrEqual(0);
        expect(w.offset).toBeLessThanOrEqual(bytes.length);
      }
      if (out.warnings.length === 0) {
        // tshark refuses these for their link type, not their container: then every byte is accounted for.
        const last = out.records.at(-1);
        expect(out.format, row.file).not.toBe(null);
        expect(last ? last.dataOffset + last.caplen : 24, row.file).toBe(bytes.length);
      }
    }
  });

  it('gives the same result in 7-byte chunks as in 64 KiB chunks (every 8th file, and every pcapng)', () => {
    const sample = rows.filter((r, i) => i % 8 === 0 || r.format === 'pcapng');
    for (const row of sample) {
      const bytes = readFileSync(path.join(corpusDir, row.file));
      expect(readChunked(bytes, 7), row.file).toEqual(readChunked(bytes, CHUNK));
    }
  });

  it('reads each pcapng conformance file identically in its little- and big-endian version', () => {
    const pairs = rows.filter((r) => r.file.includes('/output_le/'));
    expect(pairs.length).toBeGreaterThan(0);
    for (const row of pairs) {
      const le = readChunked(readFileSync(path.join(corpusDir, row.file)), CHUNK);
      const be = readChunked(
        readFileSync(path.join(corpusDir, row.file.replace('/output_le/', '/output_be/'))),
        CHUNK,
      );
      expect(le.warnings, row.file).toEqual([]);
      expect(be, row.file).toEqual(le);
    }
  });

  it('agrees record for record with pcap-parser on every classic pcap it can parse', async () => {
    const require = createRequire(import.meta.url);
    const pcapParser = require('pcap-parser') as {
      parse(input: Readable): {
        on(ev: 'packet', fn: (p: { header: PcapParserHeader; data: Uint8Array }) => void): void;
        on(ev: 'error', fn: (e: Error) => void): void;
        on(ev: 'end', fn: () => void): void;
      };
    };
    interface PcapParserHeader {
      timestampSeconds: number;
      timestampMicroseconds: number;
      capturedLength: number;
      originalLength: number;
    }
    const parseWithPcapParser = (bytes: Buffer) =>
      new Promise<{ ok: boolean; packets: { header: PcapParserHeader; data: Uint8Array }[] }>((resolve) => {
        const packets: { header: PcapParserHeader; data: Uint8Array }[] = [];
        let ok = true;
        const p = pcapParser.parse(Readable.from([bytes]));
        p.on('packet', (pkt) => packets.push(pkt));
        p.on('error', () => (ok = false));
        p.on('end', () => resolve({ ok, packets }));
      });

    let compared = 0;
    let records = 0;
    const disagree: string[] = [];
    for (const row of rows) {
      const bytes = readFileSync(path.join(corpusDir, row.file));
      // pcap-parser knows only the µs magics and ignores the pre-2.3 caplen/len swap.
      const magic = bytes.subarray(0, 4).toString('hex');
      if ((magic !== 'd4c3b2a1' && magic !== 'a1b2c3d4') || bytes.readUInt16LE(6) + bytes.readUInt16BE(6) < 6)
        continue;
      const theirs = await parseWithPcapParser(bytes);
      if (!theirs.ok) continue;
      const ours = readChunked(bytes, CHUNK);
      compared++;
      if (theirs.packets.length !== ours.records.length) {
        disagree.push(`${row.file}: ${theirs.packets.length} vs ${ours.records.length} records`);
        continue;
      }
      ours.records.forEach((rec, i) => {
        const t = theirs.packets[i];
        if (!t) return;
        records++;
        // Compare total µs: we carry an out-of-range fraction into the seconds, pcap-parser does not.
        const same =
          t.header.timestampSeconds * 1e6 + t.header.timestampMicroseconds ===
            rec.tsSec * 1e6 + rec.tsNsec / 1000 &&
          t.header.capturedLength === rec.caplen &&
          t.header.originalLength === rec.origLen &&
          Buffer.compare(Buffer.from(t.data), Buffer.from(rec.data)) === 0;
        if (!same) disagree.push(`${row.file}: record ${i + 1} differs`);
      });
    }
    expect(disagree).toEqual([]);
    expect(compared).toBeGreaterThan(700);
    expect(records).toBeGreaterThan(9_000);
  });
});

// Expected counts from `tshark -r F -T fields -e frame.number | wc -l` (tshark 4.x), committed once.
const LAB_COUNTS: Record<string, number> = {
  firewall: 85,
  ipv6: 116,
  local: 68,
  portforward: 116,
  'udp-dns': 1606,
};

describe.skipIf(!existsSync(labDir))(`lab captures ${labDir}`, () => {
  const scenarios = existsSync(labDir)
    ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'capture.pcap')))
    : [];

  it('covers every scenario with a committed count', () => {
    expect(scenarios.sort()).toEqual(Object.keys(LAB_COUNTS).sort());
  });

  for (const scenario of scenarios) {
    it(`${scenario}: capture.pcap (ns, LINUX_SLL2) and capture-ifaces.pcapng read without warnings`, () => {
      const pcap = readChunked(readFileSync(path.join(labDir, scenario, 'capture.pcap')), CHUNK);
      expect(pcap.warnings).toEqual([]);
      expect(pcap.format).toBe('pcap');
      expect(pcap.interfaces.map((i) => [i.linkType, i.tsUnitsPerSec])).toEqual([[276, 1e9]]);
      expect(pcap.records.length).toBe(LAB_COUNTS[scenario]);

      const ng = readChunked(readFileSync(path.join(labDir, scenario, 'capture-ifaces.pcapng')), CHUNK);
      expect(ng.warnings).toEqual([]);
      expect(ng.format).toBe('pcapng');
      expect(ng.interfaces.length).toBeGreaterThan(1);
      expect(ng.interfaces.every((i) => i.name !== null && i.linkType === 1)).toBe(true);
      expect(ng.records.length).toBe(LAB_COUNTS[scenario]);
      // Same traffic, same time window: the two files start within a second of each other.
      expect(Math.abs((ng.records[0]?.tsSec ?? 0) - (pcap.records[0]?.tsSec ?? 0))).toBeLessThanOrEqual(1);
    });
  }
});
