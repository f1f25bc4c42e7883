// Decoder throughput: `npx tsx bench/decode.ts [FILE.pcap]` prints frames/s (target: ingest ≥ 250k records/s/core).
import { readFileSync } from 'node:fs';
import { decodeFrame } from '../src/main/decode/decode-frame';

interface Frame {
  linkType: number;
  data: Uint8Array;
}

// SLL2 + IPv4 + TCP with timestamps (a typical `tcpdump -i any` data segment), ports and seq varied.
function synthesize(count: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const payload = (i * 37) % 1400;
    const b = new Uint8Array(20 + 20 + 32 + payload);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, 0x0800); // protocol
    dv.setUint32(4, 2 + (i % 3)); // ifindex
    dv.setUint16(8, 1); // hatype Ethernet
    b[10] = i % 2 === 0 ? 0 : 4; // pkttype HOST / OUTGOING
    b[11] = 6;
    b.set([0x02, 0x00, 0x0a, 0x0a, 0x01, i & 255], 12);
    const ip = 20;
    b[ip] = 0x45;
    dv.setUint16(ip + 2, 20 + 32 + payload);
    dv.setUint16(ip + 4, i & 0xffff);
    dv.setUint16(ip + 6, 0x4000);
    b[ip + 8] = 64;
    b[ip + 9] = 6;
    b.set([10, 10, 1, 2 + (i % 200)], ip + 12);
    b.set([10, 10, 2, 2], ip + 16);
    const tcp = ip + 20;
    dv.setUint16(tcp, 30000 + (i % 20000));
    dv.setUint16(tcp + 2, 80);
    dv.setUint32(tcp + 4, (i * 2654435761) >>> 0);
    dv.setUint32(tcp + 8, (i * 40503) >>> 0);
    b[tcp + 12] = 8 << 4;
    b[tcp + 13] = 0x18;
    dv.setUint16(tcp + 14, 502);
    b.set([1, 1, 8, 10], tcp + 20);
    dv.setUint32(tcp + 24, i);
    dv.setUint32(tcp + 28, i + 1);
    frames.push({ linkType: 276, data: b });
  }
  return frames;
}

// Minimal classic pcap reader (µs/ns, either byte order); pcapng is the capture layer's business.
function readPcap(file: string): Frame[] {
  const buf = readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const m = dv.getUint32(0, true);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const be = dv.getUint32(0, false);
  if (!le && be !== 0xa1b2c3d4 && be !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap file`);
  const linkType = dv.getUint32(20, le) & 0xffff;
  const frames: Frame[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const caplen = dv.getUint32(off + 8, le);
    if (off + 16 + caplen > buf.length) break;
    frames.push({ linkType, data: buf.subarray(off + 16, off + 16 + caplen) });
    off += 16 + caplen;
  }
  return frames;
}

const file = process.argv[2];
const frames = file ? readPcap(file) : synthesize(10_000);
if (frames.length === 0) throw new Error('no frames');
let bytes = 0;
for (const f of frames) bytes += f.data.length;

function run(ms: number): { n: number; secs: number; anomalies: number } {
  let n = 0;
  let anomalies = 0;
  const t0 = process.hrtime.bigint();
  let t = t0;
  while (Number(t - t0) < ms * 1e6) {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      anomalies += decodeFrame(f.linkType, f.data).anomalies.length;
    }
    n += frames.length;
    t = process.hrtime.bigint();
  }
  return { n, secs: Number(t - t0) / 1e9, anomalies };
}

run(500); // warm-up: let the JIT settle
const { n, secs, anomalies } = run(3000);
const passes = n / frames.length;
console.log(`source: ${file ?? 'synthetic SLL2/IPv4/TCP'} (${frames.length} frames, ${bytes} bytes)`);
console.log(
  `decoded ${n} frames in ${secs.toFixed(2)} s: ${Math.round(n / secs).toLocaleString('en')} frames/s`,
);
console.log(`${((bytes * passes) / secs / 1e6).toFixed(0)} MB/s; anomalies per pass: ${anomalies / passes}`);
