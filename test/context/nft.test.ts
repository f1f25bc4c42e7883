// nft list ruleset text/JSON parser tests: formats.md §4.3 lines, every lab ruleset, and damaged copies.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  nftBaseChains,
  nftTextVerdict,
  parseNft,
  parseNftJson,
  parseNftText,
  resolveNftPriority,
  sniffNft,
} from '../../src/main/context/nft';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared');
const labDir = path.join(shared, 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'nft-ruleset.txt')))
  : [];

const sample = `# Warning: table ip nat is managed by iptables-nft, do not touch!
table ip nat { # handle 3
	chain PREROUTING { # handle 1
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.10.1.1 udp dport 53 counter packets 236 bytes 12744 jump DNS-BACKENDS # handle 6
	}

	chain DNS-BACKENDS { # handle 5
		meta l4proto udp meta random & 2147483647 < 1073741824 counter packets 124 bytes 6696 dnat to 10.10.2.2:53 # handle 7
		meta l4proto udp counter packets 112 bytes 6048 dnat to 10.10.2.3:53 # handle 8
	}
}
table inet dbg { # handle 9
	set allowed { # handle 2
		type ipv4_addr
		elements = { 10.0.0.1,
			     10.0.0.2 }
	}

	chain fw { # handle 1
		type filter hook input priority filter - 5; policy drop;
		ct state established,related accept # handle 3
		ct status dnat counter packets 0 bytes 0 # handle 4
		udp dport 9 drop # handle 8
		tcp dport { 22,
			    80 } accept # handle 10
		numgen random mod 2 vmap { 0 : goto a, 1 : goto b } # handle 11
	}
}
table bridge f {
	chain pre {
		type filter hook prerouting priority dstnat + 10; policy accept;
		reject
	}
}
`;

describe('parseNftText', () => {
  it('reads tables, base chains, priorities with offsets, handles, verdicts and sets', () => {
    const r = parseNftText(sample);
    expect(r.warnings).toEqual([]);
    expect(r.ruleset.tables.map((t) => `${t.family} ${t.name} ${t.iptablesNft}`)).toEqual([
      'ip nat true',
      'inet dbg false',
      'bridge f false',
    ]);
    const pre = r.ruleset.tables[0]!.chains[0]!;
    expect(pre).toMatchObject({
      name: 'PREROUTING',
      hook: 'prerouting',
      priority: -100,
      policy: 'accept',
      type: 'nat',
      handle: 1,
    });
    expect(pre.rules[0]).toMatchObject({
      handle: 6,
      verdict: { kind: 'jump', chain: 'DNS-BACKENDS' },
      counters: { packets: 236, bytes: 12744 },
    });
    const dns = r.ruleset.tables[0]!.chains[1]!.rules;
    expect(dns[0]!.verdict).toEqual({ kind: 'nat', nat: 'dnat', to: '10.10.2.2:53' });
    const fw = r.ruleset.tables[1]!.chains[0]!;
    expect(fw).toMatchObject({ priority: -5, priorityText: 'filter - 5', policy: 'drop' });
    expect(fw.rules.map((x) => x.verdict.kind)).toEqual(['accept', 'none', 'drop', 'accept', 'vmap']);
    expect(fw.rules[3]).toMatchObject({ handle: 10, text: 'tcp dport { 22, 80 } accept' });
    expect(r.ruleset.tables[1]!.sets.map((s) => s.name)).toEqual(['allowed']);
    expect(r.ruleset.tables[2]!.chains[0]!.priority).toBe(-290);
    expect(r.records).toHaveLength(9);
    expect(nftBaseChains(r.ruleset).map((c) => c.name)).toContain('fw');
  });

  it('resolves priority keywords per family and summarises verdicts', () => {
    expect(resolveNftPriority('mangle', 'ip')).toBe(-150);
    expect(resolveNftPriority('srcnat', 'bridge')).toBe(300);
    expect(resolveNftPriority('-300', 'ip')).toBe(-300);
    expect(resolveNftPriority('bogus', 'ip')).toBeUndefined();
    expect(nftTextVerdict('oifname "eth1" counter packets 6 bytes 357 masquerade')).toEqual({
      kind: 'nat',
      nat: 'masquerade',
    });
    expect(nftTextVerdict('ct status snat  counter packets 1 bytes 2')).toEqual({ kind: 'none' });
    expect(nftTextVerdict('tcp dport 82 counter packets 1 bytes 60 reject')).toEqual({ kind: 'reject' });
  });

  it('warns with line numbers on garbage and truncation, keeping the rest', () => {
    const lines = sample.split('\n');
    lines.splice(1, 0, 'garbage line');
    const g = parseNftText(lines.join('\n'));
    expect(g.warnings.map((w) => w.line)).toEqual([2]);
    const t = parseNftText(sample.split('\n').slice(0, 9).join('\n'));
    expect(t.warnings).toHaveLength(1);
    expect(t.records).toHaveLength(2);
  });
});

describe('parseNftJson', () => {
  it('reads chains with hook/prio/policy and marks iptables-nft xt rules opaque', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6', json_schema_version: 1 } },
        { table: { family: 'ip', name: 'nat', handle: 3 } },
        {
          chain: {
            family: 'ip',
            table: 'nat',
            name: 'POSTROUTING',
            handle: 4,
            type: 'nat',
            hook: 'postrouting',
            prio: 100,
            policy: 'accept',
          },
        },
        { chain: { family: 'ip', table: 'nat', name: 'DNS-BACKENDS', handle: 5 } },
        {
          rule: {
            family: 'ip',
            table: 'nat',
            chain: 'POSTROUTING',
            handle: 9,
            expr: [
              { match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'eth1' } },
              { counter: { packets: 236, bytes: 12744 } },
              { xt: { type: 'target', name: 'MASQUERADE' } },
            ],
          },
        },
        {
          rule: {
            family: 'ip',
            table: 'nat',
            chain: 'DNS-BACKENDS',
            handle: 7,
            expr: [{ xt: { type: 'match', name: 'statistic' } }, { xt: { type: 'target', name: 'DNAT' } }],
          },
        },
        {
          rule: {
            family: 'ip',
            table: 'nat',
            chain: 'DNS-BACKENDS',
            handle: 8,
            expr: [
              {
                match: {
                  op: '==',
                  left: { payload: { protocol: 'ip', field: 'daddr' } },
                  right: { prefix: { addr: '10.0.0.0', len: 8 } },
                },
              },
              { jump: { target: 'X' } },
            ],
          },
        },
      ],
    });
    const r = parseNftJson(json);
    expect(r.warnings).toEqual([]);
    const t = r.ruleset.tables[0]!;
    expect(t.iptablesNft).toBe(true);
    expect(t.chains[0]).toMatchObject({ hook: 'postrouting', priority: 100, policy: 'accept' });
    expect(r.records[0]).toMatchObject({
      handle: 9,
      opaque: true,
      xt: ['MASQUERADE'],
      verdict: { kind: 'nat', nat: 'masquerade' },
      text: 'meta oifname eth1 counter packets 236 bytes 12744 xt target "MASQUERADE"',
    });
    expect(r.records[1]).toMatchObject({ opaque: true, xt: ['statistic', 'DNAT'] });
    expect(r.records[2]).toMatchObject({
      opaque: false,
      text: 'ip daddr 10.0.0.0/8 jump X',
      verdict: { kind: 'jump', chain: 'X' },
    });
  });

  it('never throws on bad JSON', () => {
    expect(parseNftJson('{"nftables": [').warnings[0]!.line).toBe(1);
    expect(parseNft('{"foo": 1}').warnings).toHaveLength(1);
  });

  it('sniffs both forms', () => {
    expect(sniffNft('{"nftables": [{"metainfo": {}}]}')).toBe(true);
    expect(sniffNft('table ip filter {\n')).toBe(true);
    expect(sniffNft('*filter\n')).toBe(false);
  });
});

describe.skipIf(scenarios.length === 0)('lab nft rulesets', () => {
  for (const scenario of scenarios) {
    it(`${scenario}: text and JSON parse with zero warnings and agree`, () => {
      const dir = path.join(labDir, scenario);
      const text = readFileSync(path.join(dir, 'nft-ruleset.txt'), 'utf8');
      const json = readFileSync(path.join(dir, 'nft-ruleset.json'), 'utf8');
      const t = parseNftText(text);
      const j = parseNftJson(json);
      expect(t.warnings).toEqual([]);
      expect(j.warnings).toEqual([]);
      const doc = JSON.parse(json) as { nftables: Record<string, unknown>[] };
      const count = (k: string): number => doc.nftables.filter((o) => k in o).length;
      expect(j.records.length).toBe(count('rule'));
      expect(t.records.length).toBe(count('rule'));
      expect(j.ruleset.tables.flatMap((x) => x.chains).length).toBe(count('chain'));
      expect(t.ruleset.tables.flatMap((x) => x.chains).length).toBe(count('chain'));
      // Same base chains with the same numeric priorities in both forms, all iptables-nft managed.
      const sig = (r: typeof t): string[] =>
        nftBaseChains(r.ruleset)
          .map((c) => `${c.family} ${c.table} ${c.name} ${c.hook} ${c.priority} ${c.policy}`)
          .sort();
      expect(sig(t)).toEqual(sig(j));
      expect(t.ruleset.tables.every((x) => x.iptablesNft)).toBe(true);
      expect(j.ruleset.tables.every((x) => x.iptablesNft)).toBe(true);
    });
  }
});
