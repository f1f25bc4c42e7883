// Trace parser tests: formats.md §2.1–2.3 lines, lab README quirks 1, 5, 6, and the lab's truth.json packets.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  canonicalIPv6,
  canonicalMac,
  decodeSignExtendedHex,
  parseTrace,
  sniffTrace,
} from '../../src/main/context/trace';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared');
const labDir = path.join(shared, 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'truth.json')))
  : [];

interface TruthPacket {
  index: number;
  trace_line: number;
  kind: string;
  iif: string | null;
  oif: string | null;
  path: string[];
  chains: string[];
  verdict: string;
  verdict_chain: string;
  ct_state: string | null;
  ct_dir: string | null;
  ct_status: string[];
  ct_nat: string[];
  seen_at?: number;
}

/** truth.json keeps one packet per line: parse only the packets array. */
function truthOf(scenario: string): { source: string; packets: TruthPacket[] } {
  const j = JSON.parse(readFileSync(path.join(labDir, scenario, 'truth.json'), 'utf8')) as {
    sources: { packets: { source: string } };
    packets: TruthPacket[];
  };
  return { source: j.sources.packets.source, packets: j.packets };
}

describe('xtables-monitor --trace (formats.md 2.1)', () => {
  const sample = [
    'PACKET: 2 8d857994 IN=r0 OUT=r1 MACSRC=46:ca:77:4b:27:97 MACDST=5e:ae:a6:c3:85:43 MACPROTO=0800 SRC=10.10.1.2 DST=10.10.2.2 LEN=84 TOS=0x0 TTL=63 ID=48900 DF ',
    ' TRACE: 2 8d857994 filter:FORWARD:rule:0x6:JUMP:CHK  -4 -t filter -A FORWARD -p icmp -j CHK',
    ' TRACE: 2 8d857994 filter:CHK:rule:0x5:0xfffffffb  -4 -t filter -A CHK -p icmp -m icmp --icmp-type 8 -m comment --comment "count pings" -j RETURN',
    ' TRACE: 2 8d857994 filter:FORWARD:policy:ACCEPT ',
    'PACKET: 2 8d857994 IN=r0 OUT=r1 MACSRC=46:ca:77:4b:27:97 MACDST=5e:ae:a6:c3:85:43 MACPROTO=0800 SRC=10.10.1.2 DST=10.10.2.2 LEN=84 TOS=0x0 TTL=63 ID=48900 DF ',
    ' TRACE: 2 8d857994 nat:POSTROUTING:rule:0x4:ACCEPT  -4 -t nat -A POSTROUTING -o r1 -j MASQUERADE',
  ].join('\n');

  it('maps RETURN 0xfffffffb, hex handles, jumps and the call stack', () => {
    const r = parseTrace(sample);
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(1);
    const t = r.records[0]!;
    expect(t.path).toEqual(['filter:FORWARD', 'nat:POSTROUTING']);
    expect(t.chains).toEqual(['filter:FORWARD', 'filter:CHK', 'filter:FORWARD', 'nat:POSTROUTING']);
    const ev = t.steps[0]!.events;
    expect(ev[0]).toMatchObject({ handle: 6, verdict: 'JUMP:CHK' });
    expect(ev[1]).toMatchObject({ handle: 5, verdict: 'RETURN', chain: 'filter:CHK' });
    expect(t.verdict).toBe('ACCEPT');
    expect(t.verdictChain).toBe('nat:POSTROUTING');
    expect(t.natRules.map((x) => x.rule)).toEqual(['-4 -t nat -A POSTROUTING -o r1 -j MASQUERADE']);
    expect(t.headerFirst).toMatchObject({
      in: 'r0',
      out: 'r1',
      macsrc: '46:ca:77:4b:27:97',
      len: 84,
      ttl: 63,
      ipid: 48900,
      df: true,
    });
    expect(t.kind).toBe('forward');
  });

  it('infers an implicit return (no event) from the call stack', () => {
    const r = parseTrace(
      [
        'PACKET: 2 00000001 IN=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 TOS=0x0 TTL=64 ID=1 SPORT=1 DPORT=2 SYN ',
        ' TRACE: 2 00000001 filter:INPUT:rule:0x2:JUMP:A  -4 -t filter -A INPUT -j A',
        ' TRACE: 2 00000001 filter:A:rule:0x3:CONTINUE  -4 -t filter -A A -j LOG',
        ' TRACE: 2 00000001 filter:INPUT:rule:0x4:DROP  -4 -t filter -A INPUT -p tcp -j DROP',
      ].join('\n'),
    );
    const t = r.records[0]!;
    expect(t.chains).toEqual(['filter:INPUT', 'filter:A', 'filter:INPUT']);
    expect(t.implicitReturns).toEqual([{ from: 'filter:A', to: 'filter:INPUT', line: 4 }]);
    expect(t.verdict).toBe('DROP');
    expect(t.headerFirst.proto).toBe('tcp');
  });

  it('reads LOOPBACK, LL= with sign-extended bytes and unpadded MACs', () => {
    const r = parseTrace(
      [
        'PACKET: 2 0000000a IN=lo LOOPBACK SRC=127.0.0.1 DST=127.0.0.1 LEN=60 TOS=0x0 TTL=64 ID=5 DF SPORT=1 DPORT=2 SYN ',
        ' TRACE: 2 0000000a raw:PREROUTING:policy:ACCEPT ',
        'PACKET: 2 0000000b IN=br0 OUT=br0 LL=0x0 02000a0affffff80fffffff4 SRC=10.1.1.2 DST=10.1.1.3 LEN=60 TOS=0x0 TTL=63 ID=7 ',
        ' TRACE: 2 0000000b mangle:POSTROUTING:policy:ACCEPT ',
      ].join('\n'),
    );
    expect(r.warnings).toEqual([]);
    expect(r.records[0]!.headerFirst.loopback).toBe(true);
    expect(r.records[1]!.headerFirst.llBytes).toBe('02000a0a80f4');
    expect(r.records[1]!.kind).toBe('postrouting-only');
    expect(decodeSignExtendedHex('fffffff4')).toBe('f4');
    expect(canonicalMac('2:0:a:a:1:2')).toBe('02:00:0a:0a:01:02');
  });

  it('takes the receive time from the [sec.nsec] prefix', () => {
    const r = parseTrace(
      [
        '[1795667558.221680751] PACKET: 2 88f9cc1f IN=eth0 SRC=10.10.1.2 DST=10.10.1.1 LEN=60 TOS=0x0 TTL=64 ID=53397 DF SPORT=41001 DPORT=8080 SYN ',
        '[1795667558.222811593]  TRACE: 2 88f9cc1f raw:PREROUTING:rule:0x3:CONTINUE  -4 -t raw -A PREROUTING -m comment --comment gt-trace -j TRACE',
        '[1795667558.223025511]  TRACE: 2 88f9cc1f raw:PREROUTING:policy:ACCEPT ',
      ].join('\n'),
    );
    expect(r.warnings).toEqual([]);
    expect(r.records[0]!.seenAt).toBeCloseTo(1795667558.22281, 4);
    expect(r.records[0]!.firstLine).toBe(2);
    expect(r.records[0]!.rulesMatched).toEqual([]);
  });

  it('splits a reused trace id into packets on hook order', () => {
    const pkt =
      'PACKET: 2 25ae612f IN=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 TOS=0x0 TTL=64 ID=1 SPORT=1 DPORT=2 SYN ';
    const r = parseTrace(
      [
        pkt,
        ' TRACE: 2 25ae612f raw:PREROUTING:policy:ACCEPT ',
        pkt,
        ' TRACE: 2 25ae612f filter:INPUT:policy:ACCEPT ',
        pkt,
        ' TRACE: 2 25ae612f raw:PREROUTING:policy:ACCEPT ',
      ].join('\n'),
    );
    expect(r.records.map((t) => t.path)).toEqual([['raw:PREROUTING', 'filter:INPUT'], ['raw:PREROUTING']]);
    expect(r.records.map((t) => t.kind)).toEqual(['input', 'prerouting-only']);
  });

  it('re-links a br_netfilter continuation whose trace id changed', () => {
    const r = parseTrace(
      [
        'PACKET: 2 0000aaaa IN=br0 SRC=10.1.1.2 DST=10.1.1.3 LEN=60 TOS=0x0 TTL=64 ID=9 DF SPORT=5 DPORT=80 SYN ',
        ' TRACE: 2 0000aaaa raw:PREROUTING:policy:ACCEPT ',
        'PACKET: 2 0000bbbb IN=br0 OUT=br0 SRC=10.1.1.2 DST=10.1.1.3 LEN=60 TOS=0x0 TTL=64 ID=9 DF SPORT=5 DPORT=80 SYN ',
        ' TRACE: 2 0000bbbb filter:FORWARD:policy:ACCEPT ',
      ].join('\n'),
    );
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.traceIds).toEqual(['0000aaaa', '0000bbbb']);
    expect(r.records[0]!.kind).toBe('forward');
  });

  it('warns with line numbers on garbage and keeps the rest', () => {
    const r = parseTrace(
      [
        'PACKET: 2 0000000a IN=eth0 SRC=1.1.1.1 DST=2.2.2.2 LEN=1 TOS=0x0 TTL=1 ID=1 ',
        'garbage here',
        ' TRACE: 2 0000000a raw:PREROUTING:policy:ACCEPT ',
        'PACKET: 2 0000000c IN=eth0',
      ].join('\n'),
    );
    expect(r.warnings.map((w) => w.line)).toEqual([2, 4]);
    expect(r.records).toHaveLength(1);
  });
});

describe('nft monitor trace (formats.md 2.3)', () => {
  it('reads packet, rule, policy lines and decoding noise', () => {
    const r = parseTrace(
      [
        'trace id 8d857994 ip raw PREROUTING packet: iif "r0" ether saddr 46:ca:77:4b:27:97 ether daddr 5e:ae:a6:c3:85:43 ip saddr 10.10.1.2 ip daddr 10.10.2.2 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 48900 ip length 84 icmp type echo-request icmp code net-unreachable icmp id 32204 icmp sequence 1 @th,64,96 0x95b3',
        'trace id 8d857994 ip raw PREROUTING policy accept ',
        'trace id 8d857994 ip filter FORWARD packet: iif "r0" oif "r1" ip saddr 10.10.1.2 ip daddr 10.10.2.2 ip ttl 63 ip id 48900 ip length 84 icmp type echo-request',
        'trace id 8d857994 ip filter FORWARD rule meta l4proto icmp counter packets 0 bytes 0 jump CHK (verdict jump CHK)',
        'trace id 8d857994 ip filter CHK verdict continue ',
        'trace id 8d857994 ip filter FORWARD policy accept ',
        'trace id e7e61866 inet dbg fw packet: iif "eth0" ip saddr 10.0.0.1 ip daddr 10.0.0.2 udp sport 5 udp dport 9',
        'trace id e7e61866 inet dbg fw rule udp dport 9 drop (verdict drop)',
      ].join('\n'),
      { baseChains: { 'dbg:fw': { hook: 'input', priority: 0 } } },
    );
    expect(r.warnings).toEqual([]);
    expect(r.format).toBe('nft-monitor');
    const [a, b] = r.records;
    expect(a!.headerFirst).toMatchObject({
      in: 'r0',
      proto: 'icmp',
      icmpType: 'echo-request',
      icmpCode: 0,
      icmpId: 32204,
      icmpSeq: 1,
      ttl: 64,
      ipid: 48900,
      len: 84,
      macsrc: '46:ca:77:4b:27:97',
    });
    expect(a!.chains).toEqual(['raw:PREROUTING', 'filter:FORWARD', 'filter:CHK', 'filter:FORWARD']);
    expect(a!.verdict).toBe('ACCEPT');
    expect(b!.family).toBe('ipv4');
    expect(b!.verdict).toBe('DROP');
    expect(b!.headerFirst).toMatchObject({ proto: 'udp', sport: 5, dport: 9 });
  });

  it('decodes the ICMPv6 echo id/seq printed as parameter-problem and code no-route', () => {
    const n = (4097 << 16) | 3;
    const r = parseTrace(
      `trace id 11112222 ip6 raw PREROUTING packet: iif "eth0" ip6 saddr fd00:10:1::2 ip6 daddr fd00:10:1::1 ip6 hoplimit 64 ip6 length 64 icmpv6 type echo-request icmpv6 code no-route icmpv6 parameter-problem ${n} @th,64,96 0x1\ntrace id 11112222 ip6 raw PREROUTING policy accept `,
    );
    expect(r.records[0]!.headerFirst).toMatchObject({
      icmpType: 'echo-request',
      icmpCode: 0,
      icmpId: 4097,
      icmpSeq: 3,
      len: 104,
      proto: 'icmpv6',
    });
  });

  it('survives a stderr warning spliced into the middle of a line', () => {
    const r = parseTrace(
      [
        'trace id 8d857994 ip raw PREROUTING packet: iif "r0" ether saddr 46:ca:77:4b:27:97 ip saddr 10.10.1.2 ip daddr 10.10.2.2 ip ttl 64 ip iWarning: cannot open /etc/xtables/connlabel.conf',
        'd 48900 ip length 84',
        'trace id 8d857994 ip raw PREROUTING policy accept Warning: cannot open /etc/xtables/connlabel.conf',
        'trace id 8d857994 ip mangle PREROUTING packet: iif "r0" ip saddr 10.10.1.2 ip daddr 10.10.2.2',
        'trace id 8d857994 ip mangle PREROUTING rule ct state new  counter packets 1 bytes 1 (verdict continue)',
        'trace id 8d857994 ip mangle PREROUTING policy accept ',
      ].join('\n'),
    );
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.headerFirst.ipid).toBe(48900);
    expect(r.records[0]!.path).toEqual(['raw:PREROUTING', 'mangle:PREROUTING']);
    expect(r.records[0]!.ctState).toBe('NEW');
  });

  it('reads nft >= 1.1.4 conntrack lines', () => {
    const r = parseTrace(
      [
        'trace id 0000abcd ip filter INPUT packet: iif "eth0" ip saddr 10.0.0.1 ip daddr 10.0.0.2 tcp sport 1 tcp dport 22 tcp flags == syn',
        'trace id 0000abcd ip filter INPUT conntrack: ct direction original ct state new ct status confirmed,dnat ct id 12345',
        'trace id 0000abcd ip filter INPUT policy accept ',
      ].join('\n'),
    );
    const t = r.records[0]!;
    expect(r.warnings).toEqual([]);
    expect(t.ctState).toBe('NEW');
    expect(t.ctDir).toBe('ORIGINAL');
    expect(t.ctStatus).toEqual(['CONFIRMED']);
    expect(t.ctNat).toEqual(['DNAT']);
    expect(t.headerFirst.tcpflags).toEqual(['SYN']);
  });
});

describe('legacy TRACE in the kernel log (formats.md 2.2)', () => {
  it('reads dmesg and syslog framing, positions and expanded IPv6', () => {
    const r = parseTrace(
      [
        '[12345.678901] TRACE: raw:PREROUTING:policy:2 IN=enp0s3 OUT= MAC=08:00:27:63:c4:b1:f0:18:98:36:f6:c4:08:00 SRC=192.168.199.132 DST=192.168.199.119 LEN=64 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=50995 DPT=32741 SEQ=1677343889 ACK=0 WINDOW=65535 RES=0x00 SYN URGP=0 ',
        'Mar 20 11:03:24 node kernel: TRACE: nat:KUBE-NODEPORTS:rule:1 IN=enp0s3 OUT= MAC=08:00:27:63:c4:b1:f0:18:98:36:f6:c4:08:00 SRC=192.168.199.132 DST=192.168.199.119 LEN=64 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=50995 DPT=32741 SEQ=1677343889 ACK=0 WINDOW=65535 RES=0x00 SYN URGP=0 ',
        '[1.5] TRACE: filter:INPUT:policy:1 IN=eth0 OUT= MAC= SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=5 PROTO=UDP SPT=1 DPT=53 LEN=40 ',
      ].join('\n'),
    );
    expect(r.warnings).toEqual([]);
    expect(r.format).toBe('kernel-log');
    expect(r.records).toHaveLength(2);
    const [a, b] = r.records;
    expect(a!.chains).toEqual(['raw:PREROUTING', 'nat:KUBE-NODEPORTS']);
    expect(a!.headerFirst).toMatchObject({
      macsrc: 'f0:18:98:36:f6:c4',
      macdst: '08:00:27:63:c4:b1',
      proto: 'tcp',
      sport: 50995,
      tcpflags: ['SYN'],
    });
    expect(a!.steps[0]!.events[0]!.position).toBe(2);
    expect(a!.kernelTime).toBe('12345.678901');
    expect(b!.headerFirst.src).toBe('2001:db8::1');
    expect(b!.headerFirst.len).toBe(80);
    expect(canonicalIPv6('fe80:0000:0000:0000:0aff:fe0a:0101:0000')).toBe('fe80::aff:fe0a:101:0');
  });
});

describe('sniffTrace', () => {
  it('recognises the three formats and rejects others', () => {
    expect(sniffTrace('PACKET: 2 8d857994 IN=r0 SRC=1.1.1.1\n')).toBe(true);
    expect(sniffTrace('trace id 8d857994 ip raw PREROUTING policy accept\n')).toBe(true);
    expect(sniffTrace('[1.2] TRACE: raw:PREROUTING:policy:2 IN=eth0 OUT=\n')).toBe(true);
    expect(sniffTrace('*filter\n:INPUT ACCEPT [0:0]\n')).toBe(false);
  });
});

describe.skipIf(scenarios.length === 0)('lab traces against truth.json', () => {
  for (const scenario of scenarios) {
    const dir = path.join(labDir, scenario);
    it(`${scenario}: every trace file parses with zero warnings and counts every event`, () => {
      for (const f of ['trace.log', 'trace-ts.log', 'trace-nft.log']) {
        const text = readFileSync(path.join(dir, f), 'utf8');
        const r = parseTrace(text);
        expect(r.warnings, f).toEqual([]);
        const lines = text.split('\n').filter((l) => l.trim() !== '');
        const packetLines = lines.filter((l) => /PACKET: | packet: /.test(l)).length;
        expect(r.packetLines, f).toBe(packetLines);
        expect(r.events, f).toBe(lines.length - packetLines);
      }
    });

    it(`${scenario}: packets reproduce truth (path, chains, verdict, kind, iif/oif, ct state)`, () => {
      const truth = truthOf(scenario);
      const r = parseTrace(readFileSync(path.join(dir, truth.source), 'utf8'));
      const ts =
        truth.source === 'trace.log'
          ? parseTrace(readFileSync(path.join(dir, 'trace-ts.log'), 'utf8'))
          : null;
      expect(r.records.length).toBe(truth.packets.length);
      let mismatches = 0;
      truth.packets.forEach((p, i) => {
        const t = r.records[i]!;
        const got = {
          line: t.firstLine,
          path: t.path,
          chains: t.chains,
          verdict: t.verdict,
          verdictChain: t.verdictChain,
          kind: t.kind,
          iif: t.iif,
          oif: t.oif,
          ct: t.ctState,
          dir: t.ctDir,
          status: t.ctStatus,
          nat: t.ctNat,
        };
        const want = {
          line: p.trace_line,
          path: p.path,
          chains: p.chains,
          verdict: p.verdict,
          verdictChain: p.verdict_chain,
          kind: p.kind,
          iif: p.iif,
          oif: p.oif,
          ct: p.ct_state,
          dir: p.ct_dir,
          status: p.ct_status,
          nat: p.ct_nat,
        };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches++;
        expect(got, `${scenario} packet ${i}`).toEqual(want);
        if (ts && p.seen_at !== undefined) expect(ts.records[i]!.seenAt).toBeCloseTo(p.seen_at, 5);
      });
      console.log(
        `[trace] ${scenario}: ${truth.packets.length - mismatches}/${truth.packets.length} packets agree with truth (${truth.source})`,
      );
    });
  }
});
