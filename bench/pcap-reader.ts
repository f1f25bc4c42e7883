// Benchmark: our classic pcap reader (draft-ietf-opsawg-pcap) against pcap-parser 0.2.1 on a µs pcap.
// Usage: npx tsx bench/pcap-reader.ts [FILE]   (without FILE, a ~200k-record pcap is synthesised)
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createCaptureReader } from '../src/main/capture/capture-reader';

const CHUNK = 1 << 20;
const RUNS = 3;

interface Result {
  records: number;
  bytes: number;
  ms: number;
}

/** A µs little-endian pcap with a realistic mix of frame sizes (ACKs to full MTU). */
function synthesise(dir: string, count: number): string {
  const sizes = [60, 66, 74, 150, 590, 1514];
  const total = 24 + sizes.reduce((a, b) => a + b, 0) * Math.ceil(count / sizes.length) + 16 * count;
  const buf = Buffer.alloc(total);
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(262144, 16);
  buf.writeUInt32LE(1, 20);
  let o = 24;
  for (let i = 0; i < count; i++) {
    const len = sizes[i % sizes.length] ?? 60;
    buf.writeUInt32LE(1700000000 + Math.floor(i / 1000), o);
    buf.writeUInt32LE((i % 1000) * 1000, o + 4);
    buf.writeUInt32LE(len, o + 8);
    buf.writeUInt32LE(len, o + 12);
    buf.fill(i & 0xff, o + 16, o + 16 + len);
    o += 16 + len;
  }
  const file = path.join(dir, 'synthetic.pcap');
  writeFileSync(file, buf.subarray(0, o));
  return file;
}

async function runOurs(file: string): Promise<Result> {
  let records = 0;
  let touched = 0;
  const t0 = performance.now();
  const reader = createCaptureReader({
    onRecord: (rec) => {
      records++;
      // Touch the bytes so the comparison includes handing them out, as pcap-parser does.
      touched += rec.data[0] ?? 0;
    },
  });
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    reader.push(chunk);
  }
  reader.end();
  const ms = performance.now() - t0;
  if (touched < 0) console.log(touched);
  return { records, bytes: statSync(file).size, ms };
}

function runPcapParser(file: string): Promise<Result> {
  const require = createRequire(import.meta.url);
  const pcapParser = require('pcap-parser') as {
    parse(input: Readable): {
      on(ev: 'packet', fn: (p: { data: Buffer }) => void): void;
      on(ev: 'error' | 'end', fn: (e?: Error) => void): void;
    };
  };
  return new Promise((resolve, reject) => {
    let records = 0;
    let touched = 0;
    const t0 = performance.now();
    const p = pcapParser.parse(createReadStream(file, { highWaterMark: CHUNK }));
    p.on('packet', (pkt) => {
      records++;
      touched += pkt.data[0] ?? 0;
    });
    p.on('error', (e) => reject(e ?? new Error('pcap-parser failed')));
    p.on('end', () => {
      if (touched < 0) console.log(touched);
      resolve({ records, bytes: statSync(file).size, ms: performance.now() - t0 });
    });
  });
}

async function best(name: string, run: () => Promise<Result>): Promise<Result> {
  let top: Result | null = null;
  for (let i = 0; i < RUNS; i++) {
    const r = await run();
    if (!top || r.ms < top.ms) top = r;
  }
  const r = top as Result;
  const rps = (r.records / r.ms) * 1000;
  const mbps = r.bytes / 1e6 / (r.ms / 1000);
  console.log(
    `${name.padEnd(12)} ${r.records} records in ${r.ms.toFixed(0)} ms: ${(rps / 1e6).toFixed(2)} M records/s, ${mbps.toFixed(0)} MB/s`,
  );
  return r;
}

async function main(): Promise<void> {
  let file = process.argv[2];
  let tmp: string | null = null;
  if (!file) {
    tmp = mkdtempSync(path.join(tmpdir(), 'pathlens-bench-'));
    file = synthesise(tmp, 200_000);
  }
  try {
    console.log(
      `${file}: ${(statSync(file).size / 1e6).toFixed(1)} MB, ${CHUNK >> 10} KiB chunks, best of ${RUNS}`,
    );
    const theirs = await best('pcap-parser', () => runPcapParser(file)).catch((e: Error) => {
      // It knows only the µs magics: ns pcap (tcpdump --time-stamp-precision=nano) and pcapng fail.
      console.log(`pcap-parser  cannot read this file: ${e.message}`);
      return null;
    });
    const ours = await best('pathlens', () => runOurs(file));
    if (theirs) {
      if (ours.records !== theirs.records)
        console.log(`record counts differ: ${ours.records} vs ${theirs.records}`);
      console.log(`ratio        pathlens is ${(theirs.ms / ours.ms).toFixed(2)}x the speed of pcap-parser`);
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
