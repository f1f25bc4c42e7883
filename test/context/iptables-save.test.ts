// iptables-save(8) parser tests: formats.md §4.1/§4.4 lines, the kube-proxy fixture, every lab dump, and damaged copies.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findChain,
  parseIptablesSave,
  parseRuleText,
  ruleTraceText,
  sniffIptablesSave,
  tokenizeShell,
} from '../../src/main/context/iptables-save';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const shared = process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared');
const labDir = path.join(shared, 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'iptables-save.txt')))
  : [];
const kubeText = readFileSync(path.join(here, 'fixtures/kube-proxy-iptables-save.txt'), 'utf8');

describe('parseIptablesSave', () => {
  it('reads tables, policies, chain counters, rule counters and user chains (kube-proxy fixture)', () => {
    const r = parseIptablesSave(kubeText);
    expect(r.warnings).toEqual([]);
    expect(r.ruleset.backend).toBe('nf_tables');
    expect(r.ruleset.tables.map((t) => t.name)).toEqual(['raw', 'mangle', 'filter', 'nat']);
    const input = findChain(r.ruleset, 'filter', 'INPUT')!;
    expect(input).toMatchObject({
      builtin: true,
      policy: 'ACCEPT',
      counters: { packets: 1200, bytes: 90000 },
    });
    const svc = findChain(r.ruleset, 'nat', 'KUBE-SVC-ABCDEFGHIJKLMNOP')!;
    expect(svc).toMatchObject({ builtin: false, policy: null });
    expect(svc.rules.map((x) => x.index)).toEqual([1, 2, 3]);
    const [masq, sep1, sep2] = svc.rules;
    expect(masq!.matches).toMatchObject({
      src: { addr: '10.244.0.0/16', negate: true },
      dst: { addr: '10.96.0.20/32', negate: false },
      proto: { name: 'tcp' },
      dport: { ranges: [{ from: 80, to: 80 }] },
    });
    expect(masq!.target).toMatchObject({ kind: 'JUMP', chain: 'KUBE-MARK-MASQ' });
    expect(sep1!.matches.statistic).toEqual({ mode: 'random', probability: 0.5, negate: false });
    expect(sep1!.matches.comment).toBe('default/web:http -> 10.244.1.5:8080');
    expect(sep1!.counters).toEqual({ packets: 3, bytes: 180 });
    expect(sep2!.text).toBe(
      '-A KUBE-SVC-ABCDEFGHIJKLMNOP -m comment --comment "default/web:http -> 10.244.2.7:8080" -j KUBE-SEP-SECONDENDPOINT00',
    );
    const post = findChain(r.ruleset, 'nat', 'KUBE-POSTROUTING')!.rules;
    expect(post[0]!.matches.mark).toEqual({ value: 0x4000, mask: 0x4000, negate: true });
    expect(post[0]!.target.kind).toBe('RETURN');
    expect(post[1]!.target.setXmark).toEqual({ value: 0x4000, mask: 0 });
    expect(post[2]!.target).toMatchObject({ kind: 'MASQUERADE', randomFully: true });
    const sep = findChain(r.ruleset, 'nat', 'KUBE-SEP-FIRSTENDPOINT000')!.rules[1]!;
    expect(sep.target).toMatchObject({ kind: 'DNAT', toDestination: '10.244.1.5:8080' });
    const fw = findChain(r.ruleset, 'filter', 'KUBE-FIREWALL')!.rules[0]!;
    expect(fw.matches.ctstate).toEqual({ values: ['RELATED', 'ESTABLISHED', 'DNAT'], negate: true });
    const nodeports = findChain(r.ruleset, 'nat', 'KUBE-SERVICES')!.rules[1]!;
    expect(nodeports.matches.addrtype).toEqual([{ dstType: { values: ['LOCAL'], negate: false } }]);
    const rej = findChain(r.ruleset, 'filter', 'KUBE-SERVICES')!.rules[0]!;
    expect(rej.target).toMatchObject({ kind: 'REJECT', rejectWith: 'icmp-port-unreachable' });
    expect(ruleTraceText(sep)).toBe(
      '-4 -t nat -A KUBE-SEP-FIRSTENDPOINT000 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080',
    );
  });

  it('structures the other common matches and keeps unknown modules with their args', () => {
    const text = `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i eth+ ! -o lo -p tcp -m multiport --dports 80,443,8000:8080 -m conntrack --ctstate NEW --ctdir ORIGINAL --ctstatus ASSURED,CONFIRMED -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -m comment --comment "say \\"hi\\"" -j ACCEPT
-A INPUT -p tcp -m tcp --sport 1024:65535 --tcp-flags SYN,RST,ACK,FIN SYN -m state --state NEW -j LOG --log-prefix "in: " --log-level 4
-A INPUT -m physdev --physdev-in veth1 --physdev-is-bridged -m set --match-set allow src,dst -m recent --rcheck --seconds 10 --name x -j ACCEPT
-A INPUT -m statistic --mode nth --every 3 --packet 0 -m hashlimit --hashlimit-upto 5/sec --hashlimit-name h -j CT --notrack
-A INPUT -j MARK --set-mark 0x2a
-A INPUT -j CONNMARK --set-xmark 0x1/0xff
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
COMMIT
`;
    const r = parseIptablesSave(text);
    expect(r.warnings).toEqual([]);
    const [a, b, c, d, e, f, g, h] = r.records;
    expect(a!.matches.inIface).toEqual({ name: 'eth', negate: false, wildcard: true });
    expect(a!.matches.outIface).toEqual({ name: 'lo', negate: true, wildcard: false });
    expect(a!.matches.multiport!.dports!.ranges).toEqual([
      { from: 80, to: 80 },
      { from: 443, to: 443 },
      { from: 8000, to: 8080 },
    ]);
    expect(a!.matches.ctdir).toEqual({ dir: 'ORIGINAL', negate: false });
    expect(a!.matches.ctstatus!.values).toEqual(['ASSURED', 'CONFIRMED']);
    expect(b!.matches.icmpType).toEqual({ type: '8', negate: false });
    expect(b!.matches.comment).toBe('say "hi"');
    expect(c!.matches.sport!.ranges).toEqual([{ from: 1024, to: 65535 }]);
    expect(c!.matches.tcpFlags).toEqual({ mask: ['SYN', 'RST', 'ACK', 'FIN'], comp: ['SYN'], negate: false });
    expect(c!.matches.state!.values).toEqual(['NEW']);
    expect(c!.target).toMatchObject({ kind: 'LOG', logPrefix: 'in: ', logLevel: '4' });
    expect(d!.matches.physdev!.args).toEqual(['--physdev-in', 'veth1', '--physdev-is-bridged']);
    expect(d!.matches.set).toEqual([{ name: 'allow', flags: ['src', 'dst'], negate: false }]);
    expect(d!.matches.recent!.args).toContain('--rcheck');
    expect(e!.matches.statistic).toEqual({ mode: 'nth', every: 3, packet: 0, negate: false });
    expect(e!.matches.unknown).toEqual([
      { module: 'hashlimit', args: ['--hashlimit-upto', '5/sec', '--hashlimit-name', 'h'] },
    ]);
    expect(e!.target).toMatchObject({ kind: 'CT', notrack: true });
    expect(f!.target.setXmark).toEqual({ value: 0x2a, mask: 0xffffffff });
    expect(g!.target).toMatchObject({ kind: 'CONNMARK', setXmark: { value: 1, mask: 0xff } });
    expect(h!.target).toMatchObject({ kind: 'REJECT', rejectWith: 'tcp-reset' });
  });

  it('reads ip6tables-save, the legacy warning line and tables in any order', () => {
    const r =
      parseIptablesSave(`# Warning: iptables-legacy tables present, use iptables-legacy-save to see them
# Generated by ip6tables-save v1.8.9 (legacy) on Thu Nov 26 04:33:11 2026
*nat
:PREROUTING ACCEPT [3:288]
:POSTROUTING ACCEPT [0:0]
[3:240] -A PREROUTING -d fd00:10:1::1/128 -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:10:2::2]:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT
COMMIT
`);
    expect(r.warnings).toEqual([]);
    expect(r.ruleset).toMatchObject({ family: 'ipv6', backend: 'legacy' });
    expect(r.records[0]!.target.toDestination).toBe('[fd00:10:2::2]:80');
    expect(r.records[1]!.matches.icmpType).toEqual({ type: '128', negate: false });
    expect(r.records[1]!.family).toBe('ipv6');
  });

  it('keeps the rest and warns with line numbers on truncated and garbled input', () => {
    const lines = kubeText.split('\n');
    const garbled = [...lines];
    const a = lines.findIndex((l) => l.includes('-A INPUT -j KUBE-FIREWALL'));
    const b = lines.findIndex((l) => l.includes('-A KUBE-MARK-MASQ'));
    garbled[a] = 'this is not iptables';
    garbled[b] = '-A KUBE-MARK-MASQ -m comment --comment "unterminated -j ACCEPT';
    const g = parseIptablesSave(garbled.join('\n'));
    expect(g.warnings.map((w) => w.line)).toEqual([a + 1, b + 1]);
    const full = parseIptablesSave(kubeText).records.length;
    // The unknown line is dropped; the unterminated rule is kept with what could be read.
    expect(g.records.length).toBe(full - 1);
    expect(g.records.find((r) => r.line === b + 1)!.matches.comment).toBe('unterminated -j ACCEPT');
    const truncated = parseIptablesSave(lines.slice(0, 60).join('\n'));
    expect(truncated.warnings).toHaveLength(1);
    expect(truncated.warnings[0]!.message).toMatch(/no COMMIT/);
    expect(truncated.records.length).toBe(16);
  });

  it('parses trace rule texts and tokenizes like a shell', () => {
    const t = parseRuleText(
      '-4 -t mangle -A PREROUTING -m conntrack --ctstate NEW -m comment --comment "gt-probe ctstate=NEW"',
    );
    expect(t).toMatchObject({
      table: 'mangle',
      chain: 'PREROUTING',
      family: 'ipv4',
      target: { kind: 'NONE' },
    });
    expect(t.matches.ctstate!.values).toEqual(['NEW']);
    expect(tokenizeShell(`a "b c" 'd e' f\\" "x\\"y"`).tokens.map((x) => x.value)).toEqual([
      'a',
      'b c',
      'd e',
      'f"',
      'x"y',
    ]);
  });

  it('sniffs', () => {
    expect(sniffIptablesSave('# Generated by iptables-save v1.8.9 (nf_tables) on x\n*filter\n')).toBe(true);
    expect(sniffIptablesSave('*nat\n:PREROUTING ACCEPT [0:0]\n')).toBe(true);
    expect(sniffIptablesSave('table ip nat {\n')).toBe(false);
  });
});

describe.skipIf(scenarios.length === 0)('lab iptables-save dumps', () => {
  for (const scenario of scenarios) {
    it(`${scenario}: zero warnings, every rule read with its counters`, () => {
      for (const f of ['iptables-save.txt', 'ip6tables-save.txt']) {
        const text = readFileSync(path.join(labDir, scenario, f), 'utf8');
        const r = parseIptablesSave(text);
        expect(r.warnings, f).toEqual([]);
        const ruleLines = text.split('\n').filter((l) => /^(\[\d+:\d+\] )?-A /.test(l));
        expect(r.records.length, f).toBe(ruleLines.length);
        expect(r.records.every((x) => x.counters !== undefined)).toBe(true);
        expect(r.records.map((x) => x.text)).toEqual(ruleLines.map((l) => l.replace(/^\[\d+:\d+\] /, '')));
        const chains = text.split('\n').filter((l) => l.startsWith(':')).length;
        expect(r.ruleset.tables.flatMap((t) => t.chains).length, f).toBe(chains);
      }
    });
  }
});
