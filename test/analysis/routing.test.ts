// Route selection simulator (formats.md 3.5) against the kernel's own `ip route get` answers in the lab,
// and policy-routing cases built from formats.md 3.2/3.3 examples.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIpAddr } from '../../src/main/context/ip-addr';
import { parseIpRoute } from '../../src/main/context/ip-route';
import { parseIpRule } from '../../src/main/context/ip-rule';
import type { RoutingState } from '../../src/main/analysis/routing';
import { parseRouteGetArgs, routeLookup } from '../../src/main/analysis/routing';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const labDir = path.join(process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared'), 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'route-get.json')))
  : [];

interface RouteGet {
  query: string;
  rc: number;
  error?: string;
  result?: { type: string; dev: string; gateway?: string; prefsrc?: string; table: string }[];
}

describe.skipIf(scenarios.length === 0)('lab: same answer as the kernel', () => {
  for (const s of scenarios) {
    it(`${s}: every route-get.json query`, () => {
      const rd = (f: string) => readFileSync(path.join(labDir, s, f), 'utf8');
      const state: RoutingState = {
        routes: [
          ...parseIpRoute(rd('ip-route.json')).records,
          ...parseIpRoute(rd('ip-route6.json'), { family: 'ipv6' }).records,
        ],
        rules4: parseIpRule(rd('ip-rule.json')).records,
        rules6: parseIpRule(rd('ip-rule6.json'), { family: 'ipv6' }).records,
        links: parseIpAddr(rd('ip-addr.json')).records,
      };
      const queries = JSON.parse(rd('route-get.json')) as RouteGet[];
      const truth = JSON.parse(rd('truth.json')) as { routes: RouteGet[] };
      expect(truth.routes.map((r) => r.query)).toEqual(queries.map((q) => q.query));
      for (const q of queries) {
        const query = parseRouteGetArgs(q.query);
        expect(query, q.query).not.toBeNull();
        const res = routeLookup(state, query!);
        if (q.rc !== 0) {
          expect(res.error, q.query).toBeDefined();
          expect(q.error).toContain(res.error!);
          continue;
        }
        const k = q.result![0]!;
        expect(
          { type: res.type, dev: res.dev, gateway: res.gateway, prefsrc: res.prefsrc, table: res.table },
          q.query,
        ).toEqual({
          type: k.type,
          dev: k.dev,
          gateway: k.gateway ?? null,
          prefsrc: k.prefsrc ?? null,
          table: k.table,
        });
        expect(res.steps.length).toBeGreaterThan(0);
      }
    });
  }
});

describe('policy routing', () => {
  const links = parseIpAddr(
    [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
      '    inet 127.0.0.1/8 scope host lo',
      '2: r0: <BROADCAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000',
      '    inet 10.10.1.1/24 brd 10.10.1.255 scope global r0',
      '    inet 10.10.1.9/24 scope global secondary r0',
      '3: r1: <BROADCAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000',
      '    inet 10.10.2.1/24 brd 10.10.2.255 scope global r1',
      '    inet6 fd00:2::1/64 scope global ',
      '    inet6 fe80::1/64 scope link ',
      '',
    ].join('\n'),
  ).records;
  const routes = parseIpRoute(
    [
      'default via 10.10.1.254 dev r0 metric 100 ',
      'default via 10.10.2.254 dev r1 metric 50 ',
      '10.10.1.0/24 dev r0 proto kernel scope link src 10.10.1.1 ',
      '10.10.2.0/24 dev r1 proto kernel scope link src 10.10.2.1 ',
      '172.16.0.0/16 proto static ',
      '\tnexthop via 10.10.1.2 dev r0 weight 1 ',
      '\tnexthop via 10.10.2.2 dev r1 weight 2 ',
      'unreachable 203.0.113.0/24 ',
      'blackhole 198.51.100.0/24 ',
      'default via 10.10.2.99 dev r1 table 100 ',
      '192.0.2.0/24 dev r0 table 100 ',
      'throw 192.0.2.128/25 table 100 ',
      'local 10.10.1.1 dev r0 table local proto kernel scope host src 10.10.1.1 ',
      'broadcast 10.10.1.255 dev r0 table local proto kernel scope link src 10.10.1.1 ',
      'fd00:2::/64 dev r1 proto kernel metric 256 pref medium',
      'default via fe80::99 dev r1 metric 1024 pref medium',
      'local fd00:2::1 dev r1 table local proto kernel metric 0 pref medium',
      '',
    ].join('\n'),
  ).records;
  const rules = parseIpRule(
    [
      '0:\tfrom all lookup local',
      '900:\tfrom all to 203.0.113.7 iif r0 prohibit',
      '1000:\tfrom all fwmark 0x1/0x1 lookup 100',
      '1001:\tfrom 10.10.1.0/24 iif r0 lookup 100 suppress_prefixlength 0',
      '1002:\tfrom all ipproto tcp dport 8000-8999 goto 1100',
      '1003:\tnot from all fwmark 0x2 nop',
      '1100:\tfrom all dport 8080 lookup 100',
      '32766:\tfrom all lookup main',
      '32767:\tfrom all lookup default',
      '',
    ].join('\n'),
  ).records;
  const state: RoutingState = { routes, rules4: rules, links, forwarding: { ipv4: true } };

  it('main table: longest prefix, lowest metric, prefsrc from the route or the primary address', () => {
    const r = routeLookup(state, { dst: '8.8.8.8' });
    expect(r).toMatchObject({
      decision: 'output',
      table: 'main',
      gateway: '10.10.2.254',
      dev: 'r1',
      metric: 50,
      prefsrc: '10.10.2.1',
      rulePriority: 32766,
    });
    const c = routeLookup(state, { dst: '10.10.1.77' });
    expect(c).toMatchObject({ dev: 'r0', gateway: null, prefsrc: '10.10.1.1', prefix: '10.10.1.0/24' });
    const o = routeLookup(state, { dst: '8.8.8.8', oif: 'r0' });
    expect(o).toMatchObject({ dev: 'r0', gateway: '10.10.1.254', prefsrc: '10.10.1.1' });
  });

  it('custom rules: local table reported as local; local delivery via lo', () => {
    const r = routeLookup(state, { dst: '10.10.1.1' });
    expect(r).toMatchObject({
      decision: 'local',
      table: 'local',
      dev: 'lo',
      routeDev: 'r0',
      prefsrc: '10.10.1.1',
      rulePriority: 0,
    });
    expect(routeLookup(state, { dst: '10.10.1.255' }).decision).toBe('broadcast');
  });

  it('fwmark rule → table 100; throw falls through to main', () => {
    expect(routeLookup(state, { dst: '8.8.8.8', mark: 0x3 })).toMatchObject({
      table: '100',
      gateway: '10.10.2.99',
      rulePriority: 1000,
    });
    expect(routeLookup(state, { dst: '192.0.2.5', mark: 1 })).toMatchObject({
      table: '100',
      dev: 'r0',
      gateway: null,
    });
    const t = routeLookup(state, { dst: '192.0.2.200', mark: 1 });
    expect(t).toMatchObject({ table: 'main', rulePriority: 32766 });
    expect(t.steps.some((s) => s.text.includes('throw'))).toBe(true);
  });

  it('suppress_prefixlength 0 ignores the default route of table 100, keeps longer ones', () => {
    const d = routeLookup(state, { dst: '8.8.8.8', src: '10.10.1.5', iif: 'r0' });
    expect(d).toMatchObject({ decision: 'forward', table: 'main', gateway: '10.10.2.254', prefsrc: null });
    expect(d.steps.some((s) => s.text.includes('suppressed'))).toBe(true);
    expect(routeLookup(state, { dst: '192.0.2.5', src: '10.10.1.5', iif: 'r0' })).toMatchObject({
      table: '100',
      rulePriority: 1001,
    });
  });

  it('goto skips rules; ports and ipproto select', () => {
    const g = routeLookup(state, { dst: '8.8.8.8', proto: 'tcp', dport: 8080 });
    expect(g).toMatchObject({ table: '100', rulePriority: 1100 });
    expect(routeLookup(state, { dst: '8.8.8.8', proto: 'udp', dport: 8080 })).toMatchObject({
      table: '100',
      rulePriority: 1100,
    });
    expect(routeLookup(state, { dst: '8.8.8.8', proto: 'tcp', dport: 8500 }).table).toBe('main');
  });

  it('terminal actions and route types', () => {
    expect(routeLookup(state, { dst: '203.0.113.7', iif: 'r0', src: '10.10.9.9' })).toMatchObject({
      decision: 'prohibit',
      error: 'Permission denied',
      rulePriority: 900,
    });
    expect(routeLookup(state, { dst: '203.0.113.7' })).toMatchObject({
      decision: 'unreachable',
      error: 'No route to host',
      type: 'unreachable',
    });
    expect(routeLookup(state, { dst: '198.51.100.1' })).toMatchObject({
      decision: 'blackhole',
      type: 'blackhole',
    });
  });

  it('ECMP: first nexthop, flagged, all listed', () => {
    const r = routeLookup(state, { dst: '172.16.3.4' });
    expect(r).toMatchObject({ ecmp: true, gateway: '10.10.1.2', dev: 'r0', prefsrc: '10.10.1.1' });
    expect(r.nexthops).toHaveLength(2);
    expect(r.steps.some((s) => s.kind === 'note' && s.text.includes('hash'))).toBe(true);
  });

  it('no route: Network is unreachable; forwarding disabled', () => {
    const none: RoutingState = { routes: routes.filter((r) => !r.dst.endsWith('/0')) };
    expect(routeLookup(none, { dst: '8.8.8.8' })).toMatchObject({
      decision: 'unreachable',
      error: 'Network is unreachable',
    });
    const nofwd: RoutingState = { ...state, forwarding: { ipv4: false } };
    expect(routeLookup(nofwd, { dst: '10.10.2.5', iif: 'r0', src: '10.10.1.5' }).decision).toBe(
      'unreachable',
    );
  });

  it('IPv6: default rules, source selection prefers the global address on the egress device', () => {
    const r = routeLookup(state, { dst: '2001:db8::1' });
    expect(r).toMatchObject({
      family: 'ipv6',
      decision: 'output',
      gateway: 'fe80::99',
      dev: 'r1',
      prefsrc: 'fd00:2::1',
      table: 'main',
    });
    expect(routeLookup(state, { dst: 'fd00:2::1' })).toMatchObject({
      decision: 'local',
      table: 'local',
      dev: 'lo',
      prefsrc: 'fd00:2::1',
    });
    expect(routeLookup(state, { dst: 'fd00:2:0:0:0:0:0:5' }).prefix).toBe('fd00:2::/64');
  });

  it('parseRouteGetArgs', () => {
    expect(parseRouteGetArgs('-6 fd00:10:2::2 from fd00:10:1::2 iif eth0')).toEqual({
      dst: 'fd00:10:2::2',
      src: 'fd00:10:1::2',
      iif: 'eth0',
    });
    expect(parseRouteGetArgs('ip route get 1.1.1.1 mark 0x1 ipproto tcp dport 80')).toEqual({
      dst: '1.1.1.1',
      mark: 1,
      proto: 'tcp',
      dport: 80,
    });
  });
});
