// ip-route(8), route -n and netstat -rn parsers: formats.md 3.2/3.4, the lab's files, damaged copies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIpRoute, sniffIpRoute } from '../../src/main/context/ip-route';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const labDir = path.join(process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared'), 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'ip-route.json')))
  : [];
const BIN = '\x00\x01\x9b\xff\x7f';

describe('ip route', () => {
  it('JSON: ECMP, host route without /32, table omitted = main, type omitted = unicast, v6 mixed', () => {
    const r = parseIpRoute(
      '[{"dst":"172.16.0.0/16","flags":[],"nexthops":[{"gateway":"10.10.1.2","dev":"r0","weight":1,"flags":[]},{"gateway":"10.10.2.2","dev":"r1","weight":2,"flags":[]}]},' +
        '{"type":"local","dst":"10.10.1.1","dev":"r0","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.10.1.1","flags":[]},' +
        '{"type":"unreachable","dst":"203.0.113.0/24","flags":[]},' +
        '{"dst":"default","gateway":"fe80::1","dev":"eth0","protocol":"ra","metric":1024,"flags":[],"pref":"medium"},' +
        '{"dst":"default","via":{"family":"inet6","host":"fe80::2"},"dev":"eth1","table":"100","flags":["onlink"]}]',
    );
    expect(r.warnings).toEqual([]);
    const [ecmp, local, unr, v6, via] = r.records;
    expect(ecmp).toMatchObject({
      table: 'main',
      type: 'unicast',
      family: 'ipv4',
      dst: '172.16.0.0/16',
      metric: 0,
      scope: 'global',
      protocol: 'boot',
    });
    expect(ecmp!.nexthops).toEqual([
      { gateway: '10.10.1.2', dev: 'r0', weight: 1, flags: [] },
      { gateway: '10.10.2.2', dev: 'r1', weight: 2, flags: [] },
    ]);
    expect(local).toMatchObject({
      table: 'local',
      type: 'local',
      dst: '10.10.1.1/32',
      prefsrc: '10.10.1.1',
      scope: 'host',
    });
    expect(unr).toMatchObject({ type: 'unreachable', dst: '203.0.113.0/24' });
    expect(v6).toMatchObject({
      family: 'ipv6',
      dst: '::/0',
      gateway: 'fe80::1',
      metric: 1024,
      protocol: 'ra',
    });
    expect(v6!.extra['pref']).toBe('medium');
    expect(via).toMatchObject({ family: 'ipv6', gateway: 'fe80::2', table: '100', flags: ['onlink'] });
  });

  it('text: type prefix, keywords in any order, multipath continuation lines, IPv6 error/pref', () => {
    const text = [
      'default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 100 ',
      '172.16.0.0/16 proto static metric 20 ',
      '\tnexthop via 10.10.1.2 dev r0 weight 1 ',
      '\tnexthop via 10.10.2.2 dev r1 weight 2 ',
      'blackhole 198.51.100.0/24 ',
      'local 10.10.1.1 dev eth0 table local proto kernel scope host src 10.10.1.1 ',
      'unreachable ::/96 dev lo metric 1024 error -113 pref medium',
      '10.20.0.0/16 via 10.0.0.1 dev eth0 table 100 onlink mtu lock 1400 ',
    ].join('\n');
    const r = parseIpRoute(`${text}\n`);
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(6);
    const [d, mp, bh, loc, u6, onl] = r.records;
    expect(d).toMatchObject({
      dst: '0.0.0.0/0',
      gateway: '10.0.0.1',
      dev: 'eth0',
      prefsrc: '10.0.0.5',
      metric: 100,
      protocol: 'dhcp',
    });
    expect(mp!.nexthops.map((n) => [n.gateway, n.dev, n.weight])).toEqual([
      ['10.10.2.2', 'r1', 2].map((x, i) => (i === 0 ? '10.10.1.2' : i === 1 ? 'r0' : 1)),
      ['10.10.2.2', 'r1', 2],
    ]);
    expect(bh).toMatchObject({ type: 'blackhole', dev: null });
    expect(loc).toMatchObject({ type: 'local', table: 'local', dst: '10.10.1.1/32', scope: 'host' });
    expect(u6).toMatchObject({ type: 'unreachable', family: 'ipv6', dst: '::/96', metric: 1024 });
    expect(onl).toMatchObject({ table: '100', flags: ['onlink'] });
    expect(onl!.extra['mtu']).toBe('lock 1400');
    expect(sniffIpRoute(text)).toBe('ip-route');
  });

  it('route -n and netstat -rn (no Metric column), reject and blackhole rows', () => {
    const routeN = [
      'Kernel IP routing table',
      'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface',
      '0.0.0.0         10.0.2.2        0.0.0.0         UG    100    0        0 eth0',
      '192.0.2.0       10.10.2.2       255.255.255.0   UG    50     0        0 r1',
      '10.10.1.0       0.0.0.0         255.255.255.0   U     0      0        0 r0',
      '203.0.113.0     -               255.255.255.0   !     0      -        0 -',
      '198.51.100.0    0.0.0.0         255.255.255.0   U     0      0        0 *',
    ].join('\n');
    const r = parseIpRoute(`${routeN}\n`);
    expect(r.warnings).toEqual([]);
    expect(r.records.map((x) => [x.dst, x.gateway, x.dev, x.type, x.metric])).toEqual([
      ['0.0.0.0/0', '10.0.2.2', 'eth0', 'unicast', 100],
      ['192.0.2.0/24', '10.10.2.2', 'r1', 'unicast', 50],
      ['10.10.1.0/24', null, 'r0', 'unicast', 0],
      ['203.0.113.0/24', null, null, 'unreachable', 0],
      ['198.51.100.0/24', null, null, 'blackhole', 0],
    ]);
    const netstat = [
      'Kernel IP routing table',
      'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface',
      '0.0.0.0         10.0.2.2        0.0.0.0         UG        0 0          0 eth0',
      '10.0.2.0        0.0.0.0         255.255.255.0   U         0 0          0 eth0',
    ].join('\n');
    const n = parseIpRoute(`${netstat}\n`);
    expect(n.warnings).toEqual([]);
    expect(n.records.map((x) => [x.dst, x.dev, x.metric, x.table])).toEqual([
      ['0.0.0.0/0', 'eth0', 0, 'main'],
      ['10.0.2.0/24', 'eth0', 0, 'main'],
    ]);
    expect(sniffIpRoute(netstat)).toBe('ip-route');
  });
});

describe.skipIf(scenarios.length === 0)('lab ip route files', () => {
  for (const s of scenarios) {
    it(`${s}: zero warnings, counts, text = JSON`, () => {
      const rd = (f: string) => readFileSync(path.join(labDir, s, f), 'utf8');
      for (const [j, t, fam] of [
        ['ip-route.json', 'ip-route.txt', 'ipv4'],
        ['ip-route6.json', 'ip-route6.txt', 'ipv6'],
      ] as const) {
        const jr = parseIpRoute(rd(j), { family: fam });
        expect(jr.warnings).toEqual([]);
        expect(jr.records).toHaveLength((JSON.parse(rd(j)) as unknown[]).length);
        const tr = parseIpRoute(rd(t), { family: fam });
        expect(tr.warnings).toEqual([]);
        expect(tr.records).toHaveLength(
          rd(t)
            .split('\n')
            .filter((l) => l.trim() !== '' && !/^\s/.test(l)).length,
        );
        const key = (x: typeof jr.records) =>
          x.map(
            (r) =>
              `${r.table} ${r.type} ${r.dst} ${r.dev} ${r.gateway} ${r.prefsrc} ${r.metric} ${r.scope} ${r.protocol}`,
          );
        expect(key(tr.records)).toEqual(key(jr.records));
        if (jr.records.length > 0) expect(sniffIpRoute(rd(j))).toBe('ip-route');
      }
    });
  }

  it('damaged copies', () => {
    const dir = path.join(labDir, scenarios[0]!);
    const json = readFileSync(path.join(dir, 'ip-route.json'), 'utf8');
    const n = (JSON.parse(json) as unknown[]).length;
    const cut = parseIpRoute(json.slice(0, Math.floor(json.length / 2)));
    expect(cut.warnings.map((w) => w.line)).toEqual([1]);
    expect(cut.records.length).toBeGreaterThan(0);
    const at = json.indexOf('"dst"', json.indexOf('"dst"') + 1) + 8;
    const sp = parseIpRoute(json.slice(0, at) + BIN + json.slice(at));
    expect(sp.warnings.map((w) => w.line)).toEqual([1]);
    expect(sp.records).toHaveLength(n - 1);

    const txt = readFileSync(path.join(dir, 'ip-route.txt'), 'utf8');
    const lines = txt.split('\n').filter((l) => l !== '');
    const total = lines.length;
    const c = parseIpRoute([...lines.slice(0, total - 1), lines[total - 1]!.slice(0, 20)].join('\n'));
    expect(c.warnings.map((w) => w.line)).toContain(total);
    expect(c.records.length).toBeGreaterThanOrEqual(total - 1);
    const s2 = [...lines];
    s2[2] = s2[2]!.slice(0, 12) + BIN + s2[2]!.slice(12);
    const r2 = parseIpRoute(`${s2.join('\n')}\n`);
    expect(r2.warnings.map((w) => w.line)).toEqual([3]);
    expect(r2.records).toHaveLength(total - 1);
    const g = [...lines];
    g.splice(1, 0, BIN.repeat(8));
    const r3 = parseIpRoute(`${g.join('\n')}\n`);
    expect(r3.warnings.map((w) => w.line)).toEqual([2]);
    expect(r3.records).toHaveLength(total);
    expect(parseIpRoute('')).toEqual({ records: [], warnings: [] });
  });
});
