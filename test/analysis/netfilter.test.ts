// Netfilter simulator tests: formats.md §4.2/§5 semantics on small rulesets, a kube-proxy fixture, and the lab's truth.json.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave, ruleTraceText } from '../../src/main/context/iptables-save';
import { inPrefix, simulate } from '../../src/main/analysis/netfilter';
import type { SimKind, SimPacket } from '../../src/main/analysis/netfilter';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const shared = process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared');
const labDir = path.join(shared, 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'truth.json')))
  : [];
const kube = parseIptablesSave(
  readFileSync(path.join(repoRoot, 'test/context/fixtures/kube-proxy-iptables-save.txt'), 'utf8'),
).ruleset;

const base: SimPacket = {
  family: 'ipv4',
  kind: 'forward',
  iif: 'eth0',
  oif: 'eth1',
  src: '10.0.0.1',
  dst: '10.0.0.2',
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  tcpFlags: ['SYN'],
  ctState: 'NEW',
  ctDir: 'ORIGINAL',
  ctStatus: [],
  ctNat: [],
};

function rs(text: string) {
  const r = parseIptablesSave(text);
  expect(r.warnings).toEqual([]);
  return r.ruleset;
}

describe('simulate: chain semantics (formats.md 4.2)', () => {
  const ruleset = rs(`*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
:G - [0:0]
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -p tcp -m tcp --dport 81 -j A
-A FORWARD -p tcp -m tcp --dport 82 -g G
-A FORWARD -p udp -m udp --dport 83 -j REJECT --reject-with icmp-port-unreachable
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth0 -o eth+ -p tcp -m multiport --dports 80,85:86 -j ACCEPT
-A FORWARD -m foo --bar 1 -j ACCEPT
-A A -j B
-A A -j MARK --set-xmark 0x4000/0x4000
-A A -m mark --mark 0x4000/0x4000 -j ACCEPT
-A B -s 10.0.0.0/8 -j RETURN
-A B -j DROP
-A G -j B
COMMIT
`);

  it('accepts by rule, and the trace-like chain list records it', () => {
    const r = simulate(ruleset, base);
    expect(r.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(r.chains).toEqual(['filter:FORWARD']);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.verdictRule).toBe('-A FORWARD -i eth0 -o eth+ -p tcp -m multiport --dports 80,85:86 -j ACCEPT');
  });

  it('-j pushes a return point, RETURN pops, MARK continues, mark match sees it', () => {
    const r = simulate(ruleset, { ...base, dport: 81 });
    expect(r.chains).toEqual(['filter:FORWARD', 'filter:A', 'filter:B', 'filter:A']);
    expect(r.rules.map((x) => x.verdict)).toEqual(['JUMP:A', 'JUMP:B', 'RETURN', 'CONTINUE', 'ACCEPT']);
    expect(r.markChanges).toEqual([
      { chain: 'filter:A', rule: '-A A -j MARK --set-xmark 0x4000/0x4000', from: 0, to: 0x4000 },
    ]);
    expect(r.verdict).toBe('ACCEPT');
  });

  it('-g pushes nothing: RETURN from the chain reached by goto ends at the policy', () => {
    const r = simulate(ruleset, { ...base, dport: 82 });
    // B returns into G (no event there: G has no rule left), G ends, and -g left no return point: FORWARD's policy.
    expect(r.chains).toEqual(['filter:FORWARD', 'filter:G', 'filter:B', 'filter:FORWARD']);
    expect(r.verdict).toBe('DROP');
    expect(r.verdictChain).toBe('filter:FORWARD');
    expect(r.verdictRule).toBeNull();
  });

  it('REJECT is a final DROP, and DROP in a user chain ends everything', () => {
    const r = simulate(ruleset, { ...base, proto: 'udp', dport: 83, tcpFlags: undefined });
    expect(r.verdict).toBe('DROP');
    expect(r.rejected).toBe(true);
    const d = simulate(ruleset, { ...base, src: '192.168.1.1', dport: 81 });
    expect(d.verdict).toBe('DROP');
    expect(d.verdictChain).toBe('filter:B');
  });

  it('an unknown match is uncertain, never silently true', () => {
    const r = simulate(ruleset, { ...base, dport: 9999 });
    expect(r.certain).toBe(false);
    expect(r.uncertain[0]!.reason).toContain('unknown match foo');
    expect(r.verdict).toBe('DROP');
  });

  it('ctstate INVALID drops; ESTABLISHED accepts', () => {
    expect(simulate(ruleset, { ...base, ctState: 'INVALID' }).verdictRule).toBe(
      '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
    );
    expect(simulate(ruleset, { ...base, dport: 7, ctState: 'ESTABLISHED' }).verdict).toBe('ACCEPT');
  });

  it('prefix and negation helpers', () => {
    expect(inPrefix('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inPrefix('fd00:10:1::2', 'fd00:10:1::/64')).toBe(true);
    expect(inPrefix('fd00:10:2::2', 'fd00:10:1::/64')).toBe(false);
    expect(inPrefix('10.1.2.3', 'fd00::/8')).toBe(false);
  });
});

describe('simulate: kube-proxy ClusterIP and NodePort (formats.md 4.4)', () => {
  const svc: SimPacket = {
    family: 'ipv4',
    kind: 'output',
    oif: 'eth0',
    src: '10.0.0.10',
    dst: '10.96.0.20',
    proto: 'tcp',
    sport: 50000,
    dport: 80,
    ctState: 'NEW',
    ctDir: 'ORIGINAL',
    ctStatus: [],
    ctNat: [],
    localAddresses: ['10.0.0.10', '127.0.0.1'],
  };

  it('picks the endpoint the evidence shows, and DNATs for later hooks', () => {
    const r = simulate(kube, svc, { observedDnatTo: '10.244.2.7:8080' });
    expect(r.chains).toEqual([
      'raw:OUTPUT',
      'mangle:OUTPUT',
      'nat:OUTPUT',
      'nat:KUBE-SERVICES',
      'nat:KUBE-SVC-ABCDEFGHIJKLMNOP',
      'nat:KUBE-MARK-MASQ',
      'nat:KUBE-SVC-ABCDEFGHIJKLMNOP',
      'nat:KUBE-SEP-SECONDENDPOINT00',
      'filter:OUTPUT',
      'filter:KUBE-PROXY-FIREWALL',
      'filter:OUTPUT',
      'filter:KUBE-SERVICES',
      'filter:OUTPUT',
      'filter:KUBE-FIREWALL',
      'filter:OUTPUT',
      'mangle:POSTROUTING',
      'nat:POSTROUTING',
      'nat:KUBE-POSTROUTING',
    ]);
    expect(r.rewrites[0]).toMatchObject({ hook: 'OUTPUT', kind: 'DNAT', to: '10.244.2.7:8080' });
    expect(r.packetAfter.dst).toBe('10.244.2.7');
    expect(r.probabilistic).toEqual([]);
    expect(r.verdict).toBe('ACCEPT');
  });

  it('without evidence reports each statistic candidate with its probability', () => {
    const r = simulate(kube, svc);
    expect(r.probabilistic).toHaveLength(1);
    expect(r.probabilistic[0]!.probability).toBeCloseTo(0.5, 6);
    expect(r.rewrites[0]!.to).toBe('10.244.2.7:8080');
  });

  it('NodePort: KUBE-MARK-MASQ marks, KUBE-POSTROUTING masquerades with the out address', () => {
    const r = simulate(
      kube,
      {
        family: 'ipv4',
        kind: 'forward',
        iif: 'eth0',
        oif: 'cni0',
        src: '192.168.1.50',
        dst: '10.0.0.10',
        proto: 'tcp',
        sport: 50001,
        dport: 30080,
        ctState: 'NEW',
        ctDir: 'ORIGINAL',
        ctStatus: [],
        ctNat: [],
        localAddresses: ['10.0.0.10'],
      },
      { observedDnatTo: '10.244.1.5', addressOf: (i) => (i === 'cni0' ? '10.244.0.1' : undefined) },
    );
    expect(r.chains).toContain('nat:KUBE-NODEPORTS');
    expect(r.chains).toContain('nat:KUBE-EXT-ABCDEFGHIJKLMNOP');
    expect(r.markChanges.map((m) => m.to)).toEqual([0x4000, 0]);
    expect(r.rewrites.map((w) => `${w.kind} ${w.to}`)).toEqual(['DNAT 10.244.1.5:8080', 'SNAT 10.244.0.1']);
    expect(r.verdict).toBe('ACCEPT');
  });

  it('an ESTABLISHED packet skips nat and is accepted by KUBE-FORWARD', () => {
    const r = simulate(kube, {
      family: 'ipv4',
      kind: 'forward',
      iif: 'cni0',
      oif: 'eth0',
      src: '10.244.1.5',
      dst: '192.168.1.50',
      proto: 'tcp',
      sport: 8080,
      dport: 50001,
      ctState: 'ESTABLISHED',
      ctDir: 'REPLY',
      ctStatus: ['CONFIRMED', 'SEEN_REPLY'],
      ctNat: ['SNAT', 'DNAT'],
    });
    expect(r.chains.some((c) => c.startsWith('nat:'))).toBe(false);
    expect(r.rules.find((x) => x.chain === 'filter:KUBE-FORWARD')).toMatchObject({
      verdict: 'ACCEPT',
      rule: expect.stringContaining('RELATED,ESTABLISHED'),
    });
    expect(r.verdict).toBe('ACCEPT');
  });
});

interface TruthPacket {
  index: number;
  kind: string;
  proto: string;
  iif: string | null;
  oif: string | null;
  header_first: { src: string; dst: string; sport?: number; dport?: number; tcpflags?: string[] };
  header_last: { dst: string; dport?: number };
  nat_rules?: { rule: string }[];
  l4?: { icmp_type?: string; icmp_code?: string };
  path: string[];
  chains: string[];
  verdict: string;
  verdict_chain: string;
  ct_state: string | null;
  ct_dir: string | null;
  ct_status: string[];
  ct_nat: string[];
  family: string;
}

describe.skipIf(scenarios.length === 0)('simulate against the lab truth', () => {
  let total = 0;
  let agree = 0;
  for (const scenario of scenarios) {
    it(`${scenario}: chains and verdict of every traced packet`, () => {
      const dir = path.join(labDir, scenario);
      const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as {
        packets: TruthPacket[];
      };
      const v4 = parseIptablesSave(readFileSync(path.join(dir, 'iptables-save.txt'), 'utf8'));
      const v6 = parseIptablesSave(readFileSync(path.join(dir, 'ip6tables-save.txt'), 'utf8'), {
        family: 'ipv6',
      });
      const links = JSON.parse(readFileSync(path.join(dir, 'ip-addr.json'), 'utf8')) as {
        ifname: string;
        addr_info?: { local: string }[];
      }[];
      const local = links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
      const addressOf = (iface: string): string | undefined =>
        links.find((l) => l.ifname === iface)?.addr_info?.[0]?.local;
      let ok = 0;
      const bad: string[] = [];
      for (const p of truth.packets) {
        const kind = p.kind as SimKind;
        const output = kind === 'output';
        const h = p.header_first;
        const pkt: SimPacket = {
          family: p.family === 'ipv6' ? 'ipv6' : 'ipv4',
          kind,
          iif: output ? null : p.iif,
          oif: p.oif,
          src: h.src,
          dst: h.dst,
          proto: p.proto === 'ip' ? undefined : p.proto,
          sport: h.sport,
          dport: h.dport,
          tcpFlags: h.tcpflags ?? (p.proto === 'tcp' ? [] : undefined),
          icmpType: p.l4?.icmp_type,
          ctState: p.ct_state ?? undefined,
          ctDir: p.ct_dir,
          ctStatus: p.ct_status,
          ctNat: p.ct_nat,
          isFirstPacketOfConnection: p.path.some((c) => c.startsWith('nat:')),
          localAddresses: local,
        };
        // The DNAT seen in the trace's later headers is the evidence that picks a statistic branch.
        const dnatSeen = p.header_last.dst !== h.dst || p.header_last.dport !== h.dport;
        const observed = dnatSeen
          ? (pkt.family === 'ipv6' ? `[${p.header_last.dst}]` : p.header_last.dst) +
            (p.header_last.dport !== undefined ? `:${p.header_last.dport}` : '')
          : undefined;
        const ruleset = pkt.family === 'ipv6' ? v6.ruleset : v4.ruleset;
        const r = simulate(ruleset, pkt, {
          addressOf,
          ...(observed && pkt.isFirstPacketOfConnection ? { observedDnatTo: observed } : {}),
        });
        const wantNat = (p.nat_rules ?? []).map((x) => x.rule).filter((x) => x.startsWith('-'));
        const rulesByText = new Map(
          ruleset.tables.flatMap((t) => t.chains.flatMap((c) => c.rules)).map((x) => [x.text, x]),
        );
        const gotNat = r.rewrites.map((w) => ruleTraceText(rulesByText.get(w.rule)!));
        const natOk = wantNat.length === 0 || JSON.stringify(gotNat) === JSON.stringify(wantNat);
        const same =
          natOk &&
          JSON.stringify(r.chains) === JSON.stringify(p.chains) &&
          r.verdict === p.verdict &&
          r.verdictChain === p.verdict_chain;
        if (same) ok++;
        else
          bad.push(
            `#${p.index}: got ${r.chains.join('>')} ${r.verdict}@${r.verdictChain}, want ${p.chains.join('>')} ${p.verdict}@${p.verdict_chain}`,
          );
      }
      total += truth.packets.length;
      agree += ok;
      console.log(
        `[netfilter] ${scenario}: ${ok}/${truth.packets.length} packets agree (${((100 * ok) / truth.packets.length).toFixed(1)}%)${bad.length ? '\n  ' + bad.slice(0, 5).join('\n  ') : ''}`,
      );
      expect(bad).toEqual([]);
    });
  }
  it('overall agreement', () => {
    console.log(
      `[netfilter] overall: ${agree}/${total} = ${total ? ((100 * agree) / total).toFixed(1) : '0'}%`,
    );
    expect(agree).toBe(total);
  });
});
