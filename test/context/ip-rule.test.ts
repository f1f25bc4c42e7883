// ip-rule(8) parser: JSON and text forms (formats.md 3.3), the lab's files, damaged copies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRules, parseIpRule, sniffIpRule } from '../../src/main/context/ip-rule';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const labDir = path.join(process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared'), 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'ip-rule.json')))
  : [];
const BIN = '\x00\x01\x9b\xff\x7f';

describe('ip rule', () => {
  it('JSON: from prefix, fwmark/mask, iif + action, goto, suppress_prefixlength, not, ports', () => {
    const r = parseIpRule(
      '[{"priority":1000,"src":"10.10.1.0","srclen":24,"table":"100"},' +
        '{"priority":1001,"src":"all","fwmark":"0x1","fwmask":"0x1","table":"100"},' +
        '{"priority":1002,"src":"all","dst":"203.0.113.0","dstlen":24,"iif":"r0","action":"prohibit"},' +
        '{"priority":1003,"src":"all","action":"goto","target":32766},' +
        '{"priority":1004,"src":"all","table":"main","suppress_prefixlen":0},' +
        '{"priority":1005,"not":true,"src":"all","fwmark":"0xca6c","table":"51820"},' +
        '{"priority":1006,"src":"all","ipproto":"tcp","dport":80,"sport":{"start":1000,"end":2000},"table":"7"}]',
    );
    expect(r.warnings).toEqual([]);
    const [a, b, c, d, e, f, g] = r.records;
    expect(a).toMatchObject({
      priority: 1000,
      src: '10.10.1.0/24',
      action: 'lookup',
      table: '100',
      family: 'ipv4',
    });
    expect(b).toMatchObject({ fwmark: 1, fwmask: 1 });
    expect(c).toMatchObject({ dst: '203.0.113.0/24', iif: 'r0', action: 'prohibit', table: null });
    expect(d).toMatchObject({ action: 'goto', target: 32766 });
    expect(e).toMatchObject({ suppressPrefixlen: 0, table: 'main' });
    expect(f).toMatchObject({ not: true, fwmark: 0xca6c, fwmask: 0xffffffff });
    expect(g).toMatchObject({ ipproto: 'tcp', dport: [80, 80], sport: [1000, 2000] });
  });

  it('text: all forms', () => {
    const text = [
      '0:\tfrom all lookup local',
      '1000:\tfrom 10.10.1.0/24 lookup 100',
      '1001:\tfrom all fwmark 0x1/0x1 lookup 100',
      '1002:\tfrom all to 203.0.113.0/24 iif r0 prohibit',
      '1003:\tnot from all fwmark 0xca6c lookup 51820',
      '1004:\tfrom all lookup main suppress_prefixlength 0',
      '1005:\tfrom all goto 32766',
      '1006:\tfrom all iif eth9 [detached] lookup 254',
      '1007:\tfrom all ipproto tcp dport 80 lookup 100',
      '1008:\tfrom all nop',
      '1009:\tfrom fd00::/8 oif eth0 blackhole',
      '32766:\tfrom all lookup main',
      '32767:\tfrom all lookup default',
    ].join('\n');
    const r = parseIpRule(`${text}\n`);
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(13);
    expect(r.records[2]).toMatchObject({ fwmark: 1, fwmask: 1, table: '100' });
    expect(r.records[3]).toMatchObject({ action: 'prohibit', iif: 'r0', dst: '203.0.113.0/24' });
    expect(r.records[4]).toMatchObject({ not: true, fwmask: 0xffffffff });
    expect(r.records[5]).toMatchObject({ suppressPrefixlen: 0 });
    expect(r.records[6]).toMatchObject({ action: 'goto', target: 32766 });
    expect(r.records[7]).toMatchObject({ detached: true, table: 'main' });
    expect(r.records[8]).toMatchObject({ ipproto: 'tcp', dport: [80, 80] });
    expect(r.records[9]).toMatchObject({ action: 'nop' });
    expect(r.records[10]).toMatchObject({ action: 'blackhole', family: 'ipv6', oif: 'eth0' });
    expect(sniffIpRule(text)).toBe('ip-rule');
    expect(sniffIpRule('[{"priority":0,"src":"all","table":"local"}]')).toBe('ip-rule');
    expect(sniffIpRule('nothing')).toBeNull();
  });

  it('kernel defaults', () => {
    expect(defaultRules('ipv4').map((r) => `${r.priority} ${r.table}`)).toEqual([
      '0 local',
      '32766 main',
      '32767 default',
    ]);
    expect(defaultRules('ipv6').map((r) => `${r.priority} ${r.table}`)).toEqual(['0 local', '32766 main']);
  });
});

describe.skipIf(scenarios.length === 0)('lab ip rule files', () => {
  for (const s of scenarios) {
    it(`${s}: zero warnings, text = JSON`, () => {
      const rd = (f: string) => readFileSync(path.join(labDir, s, f), 'utf8');
      const j = parseIpRule(rd('ip-rule.json'));
      const j6 = parseIpRule(rd('ip-rule6.json'), { family: 'ipv6' });
      const t = parseIpRule(rd('ip-rule.txt'));
      for (const r of [j, j6, t]) expect(r.warnings).toEqual([]);
      expect(j.records).toHaveLength((JSON.parse(rd('ip-rule.json')) as unknown[]).length);
      expect(j6.records).toHaveLength((JSON.parse(rd('ip-rule6.json')) as unknown[]).length);
      expect(t.records).toHaveLength(
        rd('ip-rule.txt')
          .split('\n')
          .filter((l) => l.trim() !== '').length,
      );
      const key = (x: typeof j.records) => x.map((r) => `${r.priority} ${r.src} ${r.action} ${r.table}`);
      expect(key(t.records)).toEqual(key(j.records));
    });
  }

  it('damaged copies', () => {
    const dir = path.join(labDir, scenarios[0]!);
    const txt = readFileSync(path.join(dir, 'ip-rule.txt'), 'utf8');
    const lines = txt.split('\n').filter((l) => l !== '');
    const cut = parseIpRule([...lines.slice(0, -1), lines[lines.length - 1]!.slice(0, 12)].join('\n'));
    expect(cut.warnings.map((w) => w.line)).toContain(lines.length);
    expect(cut.records).toHaveLength(lines.length - 1);
    const sp = [...lines];
    sp[1] = sp[1]!.slice(0, 9) + BIN + sp[1]!.slice(9);
    const r2 = parseIpRule(`${sp.join('\n')}\n`);
    expect(r2.warnings.map((w) => w.line)).toEqual([2]);
    expect(r2.records.map((r) => r.line)).toEqual([1, 3]);
    const g = [...lines];
    g.splice(1, 0, BIN.repeat(5));
    const r3 = parseIpRule(`${g.join('\n')}\n`);
    expect(r3.warnings.map((w) => w.line)).toEqual([2]);
    expect(r3.records).toHaveLength(lines.length);
    const json = readFileSync(path.join(dir, 'ip-rule.json'), 'utf8');
    const jc = parseIpRule(json.slice(0, json.length - 20));
    expect(jc.warnings.map((w) => w.line)).toEqual([1]);
    expect(jc.records.length).toBe((JSON.parse(json) as unknown[]).length - 1);
    expect(parseIpRule('')).toEqual({ records: [], warnings: [] });
  });
});
