// Shared helpers for the report tests: the CLI as a child process, a hostile report document, and a
// tiny hand-made pcapng whose interface name and TCP payload are HTML.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { ReportJson } from '../../src/shared/report';
import { epbBlock, idbBlock, shbBlock } from '../../src/main/report/pcapng-writer';
import { REPO } from '../paths';

/** Payloads that would run or load something if any of them reached the page unescaped. */
export const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</style><script>alert(2)</script>',
  'javascript:alert(3)',
  '<a href="https://evil.example/">x</a>',
  '<link rel=stylesheet href=http://evil.example/s.css>',
] as const;

/** Runs `node bin/pathlens.mjs ARGS`; resolves with the exit code and output. */
export function runCli(
  args: string[],
  cwd = REPO,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, 'bin/pathlens.mjs'), ...args],
      { cwd, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A report document in which every string from an input carries a payload. */
export function hostileReport(): ReportJson {
  const [s1, s2, s3, s4, s5, s6, s7] = HOSTILE;
  const orig = { src: '10.0.0.1', dst: '10.0.0.2', sport: 1234, dport: 80 };
  const reply = { src: '10.9.9.9', dst: '10.0.0.100', sport: 8080, dport: 1234 };
  const ts = 1700000000.123456;
  return {
    schema: 'pathlens.report/1',
    tool: { name: 'pathlens', version: s1 },
    inputs: [
      {
        path: `/cases/${s2}.pcap`,
        kind: 'pcap',
        records: 2,
        warnings: [{ message: s1, offset: 24 }],
        size: 100,
      },
      { path: `/cases/${s4}.log`, kind: s3, records: 1, warnings: [{ message: s6, line: 3 }] },
    ],
    host: {
      name: s1,
      interfaces: [{ index: 2, name: s2, addresses: [`${s5}/24`], mac: s4 }],
      source: 'ip-addr',
    },
    summary: {
      packets: 2,
      flows: 1,
      first_ts: ts,
      last_ts: ts + 0.001,
      conntrack_events: 1,
      flows_by_proto: { [s1]: 1 },
      anomalies: { [s2]: 1 },
    },
    flows: [
      {
        id: `7${s2}`,
        l3: 'ipv4',
        proto: 'tcp',
        orig,
        reply,
        nat: {
          snat: true,
          dnat: true,
          evidence: ['ruleset'],
          rules: [s3, `-A PREROUTING -j DNAT --comment ${s7}`],
        },
        first_ts: ts,
        last_ts: ts + 0.001,
        packets: { orig: 1, reply: 1 },
        interfaces: [s1, s2],
        tcp: { state: s4, transitions: [{ ts, state: s1 }], conn_state: s2, history: s3 },
        conntrack: {
          ids: [1],
          events: [{ ts, type: 'NEW', state: s1, status: [s2, 'label=' + s3], source: s4 }],
        },
        findings: [s1],
      },
    ],
    findings: [
      { kind: s1, severity: 'error', summary: `${s2} ${s5}`, flows: [`7${s2}`], ts, evidence: [s3, s6, s7] },
    ],
    packets: [
      {
        id: 1,
        ts,
        flow: `7${s2}`,
        dir: 'orig',
        len: 60,
        tcp_flags: s1,
        observations: [
          { capture: 0, frame: 1, ts, iface: s2, direction: 'in', ...orig },
          {
            capture: 0,
            frame: 2,
            ts: ts + 0.0001,
            iface: s4,
            direction: 'out',
            ...orig,
            src: '10.0.0.100',
            dst: '10.9.9.9',
            dport: 8080,
          },
        ],
        ctstate: 'INVALID',
        ctstate_reason: s1,
        route: {
          decision: 'forward',
          table: s2,
          prefix: '10.9.9.0/24',
          gateway: null,
          dev: s4,
          pref_src: null,
          matches_observed: false,
          source: s5,
        },
        nat: [
          {
            hook: 'PREROUTING',
            kind: 'DNAT',
            from: orig,
            to: { ...orig, dst: '10.9.9.9', dport: 8080 },
            rule: s7,
          },
        ],
        netfilter: {
          hooks: ['PREROUTING', 'FORWARD', 'POSTROUTING'],
          chains: [s1, s3],
          verdict: s2,
          source: 'trace',
          rule: s5,
          rules: [{ chain: s4, rule: s6, verdict: s2 }],
        },
      },
    ],
  };
}

function ipv4Checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Ethernet + IPv4 + TCP frame (TCP checksum left 0: pathlens does not verify it). */
export function tcpFrame(
  src: number[],
  dst: number[],
  sport: number,
  dport: number,
  flags: number,
  seq: number,
  payload: Uint8Array,
): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20 + payload.length);
  const dv = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  dv.setUint16(12, 0x0800);
  const ip = 14;
  f[ip] = 0x45;
  dv.setUint16(ip + 2, 40 + payload.length);
  dv.setUint16(ip + 4, 1);
  f[ip + 8] = 64;
  f[ip + 9] = 6;
  f.set(src, ip + 12);
  f.set(dst, ip + 16);
  dv.setUint16(ip + 10, ipv4Checksum(f.subarray(ip, ip + 20)));
  const tcp = ip + 20;
  dv.setUint16(tcp, sport);
  dv.setUint16(tcp + 2, dport);
  dv.setUint32(tcp + 4, seq);
  f[tcp + 12] = 5 << 4;
  f[tcp + 13] = flags;
  dv.setUint16(tcp + 14, 64240);
  f.set(payload, tcp + 20);
  return f;
}

/** A pcapng with one Ethernet interface named `ifName`: a handshake and a segment carrying `payload`. */
export function hostilePcapng(ifName: string, payload: string): Uint8Array {
  const a = [192, 0, 2, 1];
  const b = [192, 0, 2, 2];
  const t0 = 1_700_000_000_000_000_000n;
  const body = new TextEncoder().encode(payload);
  const frames = [
    tcpFrame(a, b, 40000, 80, 0x02, 1000, new Uint8Array(0)),
    tcpFrame(b, a, 80, 40000, 0x12, 5000, new Uint8Array(0)),
    tcpFrame(a, b, 40000, 80, 0x10, 1001, new Uint8Array(0)),
    tcpFrame(a, b, 40000, 80, 0x18, 1001, body),
  ];
  const parts = [
    shbBlock(payload),
    idbBlock({ linkType: 1, snaplen: 65535, name: ifName, description: payload }),
  ];
  frames.forEach((data, i) =>
    parts.push(
      epbBlock({
        iface: 0,
        tsNs: t0 + BigInt(i) * 1000n,
        data,
        origLen: data.length,
        direction: i === 1 ? 'out' : 'in',
        comment: payload,
      }),
    ),
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
