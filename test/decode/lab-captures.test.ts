// Real kernel captures (shared lab, tcpdump -i any → LINUX_SLL2): zero anomalies, fields agree with tshark.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/main/decode/decode-frame';
import type { DecodedPacket } from '../../src/main/decode/types';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared');
const labDir = path.join(shared, 'lab');
const captures = existsSync(labDir)
  ? readdirSync(labDir)
      .map((s) => path.join(labDir, s, 'capture.pcap'))
      .filter((f) => existsSync(f))
  : [];
const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

interface Rec {
  frame: number;
  linkType: number;
  data: Uint8Array;
}

// Minimal classic-pcap walker (draft-ietf-opsawg-pcap); the real reader lives in src/main/capture.
function readPcap(file: string): Rec[] {
  const buf = readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && dv.getUint32(0, false) !== 0xa1b2c3d4 && dv.getUint32(0, false) !== 0xa1b23c4d) {
    throw new Error(`${file}: not a classic pcap`);
  }
  const linkType = dv.getUint32(20, le) & 0xffff;
  const recs: Rec[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const caplen = dv.getUint32(off + 8, le);
    if (off + 16 + caplen > buf.length) break;
    recs.push({ frame: recs.length + 1, linkType, data: buf.subarray(off + 16, off + 16 + caplen) });
    off += 16 + caplen;
  }
  return recs;
}

const FIELDS = [
  'frame.number',
  'sll.pkttype',
  'sll.ifindex',
  'ip.src',
  'ip.dst',
  'ip.id',
  'ip.ttl',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.len',
  'tcp.options.mss_val',
  'tcp.options.timestamp.tsval',
  'udp.srcport',
  'udp.dstport',
  'icmp.type',
  'icmp.ident',
  'icmpv6.type',
  'icmpv6.echo.identifier',
] as const;
type Field = (typeof FIELDS)[number];

function tshark(file: string): Array<Record<Field, string[]>> {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-E', 'separator=/t', ...FIELDS.flatMap((f) => ['-e', f])],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 << 20,
    },
  );
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      const row = {} as Record<Field, string[]>;
      FIELDS.forEach((f, i) => (row[f] = (cols[i] ?? '') === '' ? [] : (cols[i] ?? '').split(',')));
      return row;
    });
}

const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s));

// The fields both tools see, in pathlens terms; for ICMP errors tshark's second IP header is the quote.
function expected(t: Record<Field, string[]>): Record<string, unknown> {
  const e: Record<string, unknown> = { pktType: num(t['sll.pkttype'][0]), ifindex: num(t['sll.ifindex'][0]) };
  if (t['arp.src.proto_ipv4'].length)
    Object.assign(e, { src: t['arp.src.proto_ipv4'][0], dst: t['arp.dst.proto_ipv4'][0] });
  const v4 = t['ip.src'].length > 0;
  const ip = v4 ? { src: t['ip.src'], dst: t['ip.dst'] } : { src: t['ipv6.src'], dst: t['ipv6.dst'] };
  if (ip.src.length) Object.assign(e, { src: ip.src[0], dst: ip.dst[0] });
  Object.assign(e, v4 ? { ipId: num(t['ip.id'][0]), ttl: num(t['ip.ttl'][0]) } : {});
  if (!v4 && t['ipv6.hlim'].length) e.ttl = num(t['ipv6.hlim'][0]);
  const quoting = ip.src.length > 1;
  const ports = t['tcp.srcport'].length
    ? { sport: num(t['tcp.srcport'][0]), dport: num(t['tcp.dstport'][0]) }
    : t['udp.srcport'].length
      ? { sport: num(t['udp.srcport'][0]), dport: num(t['udp.dstport'][0]) }
      : null;
  if (quoting) {
    e.quoted = {
      src: ip.src[1],
      dst: ip.dst[1],
      ...(ports ?? {}),
      ...(v4 ? { ipId: num(t['ip.id'][1]) } : {}),
    };
  } else if (ports) {
    Object.assign(e, ports);
  }
  if (t['tcp.seq_raw'].length && !quoting) {
    e.tcp = {
      seq: num(t['tcp.seq_raw'][0]),
      ack: num(t['tcp.ack_raw'][0]),
      flags: num(t['tcp.flags'][0]),
      window: num(t['tcp.window_size_value'][0]),
      payloadLen: num(t['tcp.len'][0]),
      mss: num(t['tcp.options.mss_val'][0]),
      tsVal: num(t['tcp.options.timestamp.tsval'][0]),
    };
  }
  const icmpType = t['icmp.type'].length ? t['icmp.type'] : t['icmpv6.type'];
  if (icmpType.length) {
    const id = t['icmp.ident'].length ? t['icmp.ident'] : t['icmpv6.echo.identifier'];
    e.icmpType = num(icmpType[0]);
    if (id.length && !quoting) e.icmpId = num(id[0]);
  }
  return e;
}

function actual(p: DecodedPacket, e: Record<string, unknown>): Record<string, unknown> {
  const a: Record<string, unknown> = { pktType: p.pktType, ifindex: p.ifindex };
  for (const k of ['src', 'dst', 'ipId', 'ttl', 'sport', 'dport'] as const) if (k in e) a[k] = p[k];
  if ('quoted' in e) {
    const q = p.icmp?.quoted;
    a.quoted = q
      ? Object.fromEntries(Object.keys(e.quoted as object).map((k) => [k, q[k as keyof typeof q]]))
      : null;
  }
  if ('tcp' in e) {
    const t = p.tcp;
    a.tcp = t && {
      seq: t.seq,
      ack: t.ack,
      flags: t.flags,
      window: t.window,
      payloadLen: t.payloadLen,
      mss: t.mss,
      tsVal: t.tsVal,
    };
  }
  if ('icmpType' in e) a.icmpType = p.icmp?.type ?? null;
  if ('icmpId' in e) a.icmpId = p.icmp?.id ?? null;
  return a;
}

describe.skipIf(captures.length === 0)(`lab captures in ${labDir}`, () => {
  it.each(captures.map((f) => [path.relative(shared, f), f]))(
    '%s: every record decodes with no anomaly',
    (_n, file) => {
      const recs = readPcap(file);
      expect(recs.length).toBeGreaterThan(0);
      for (const r of recs) {
        const p = decodeFrame(r.linkType, r.data);
        expect(p.anomalies, `frame ${r.frame}`).toEqual([]);
        expect(p.l3, `frame ${r.frame}`).not.toBeNull();
      }
    },
  );

  describe.skipIf(!hasTshark)('compared with tshark', () => {
    it.each(captures.map((f) => [path.relative(shared, f), f]))('%s', (_n, file) => {
      const recs = readPcap(file);
      const rows = tshark(file);
      expect(rows.length).toBe(recs.length);
      recs.forEach((r, i) => {
        const e = expected(rows[i]!);
        expect(actual(decodeFrame(r.linkType, r.data), e), `frame ${r.frame}`).toEqual(e);
      });
    });
  });

  it.runIf(!hasTshark)('tshark comparison skipped: tshark is not installed', () => {});
});
