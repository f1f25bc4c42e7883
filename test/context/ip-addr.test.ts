// ip-address(8)/ip-link(8) parser: JSON and text forms, the lab's files, damaged copies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIpAddr, sniffIpAddr, splitJsonItems } from '../../src/main/context/ip-addr';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const labDir = path.join(process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared'), 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'ip-addr.json')))
  : [];
const lastIndex = (xs: string[], f: (x: string) => boolean): number => {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i]!)) return i;
  return -1;
};
const BIN = '\x00\x01\x9b\xff\x7f';

describe('ip addr', () => {
  it('text form: peer suffix, flags, master, secondary, label, peer address, lifetimes', () => {
    const text = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
      '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '    inet 127.0.0.1/8 scope host lo',
      '       valid_lft forever preferred_lft forever',
      '    inet6 ::1/128 scope host ',
      '       valid_lft forever preferred_lft forever',
      '4: veth1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP group default qlen 1000',
      '    link/ether 02:00:0a:0a:01:01 brd ff:ff:ff:ff:ff:ff link-netns gt-pf-client',
      '    inet 10.1.1.1/24 brd 10.1.1.255 scope global veth1',
      '       valid_lft forever preferred_lft forever',
      '    inet 10.1.1.2/24 scope global secondary veth1:1',
      '       valid_lft 100sec preferred_lft 50sec',
      '    inet 10.9.0.1 peer 10.9.0.2/32 scope global veth1',
      '       valid_lft forever preferred_lft forever',
      '    inet6 fe80::aff:fe0a:101/64 scope link nodad ',
      '       valid_lft forever preferred_lft forever',
    ].join('\n');
    const r = parseIpAddr(`${text}\n`);
    expect(r.warnings).toEqual([]);
    const [lo, v] = r.records;
    expect(lo).toMatchObject({
      ifindex: 1,
      ifname: 'lo',
      mtu: 65536,
      operstate: 'UNKNOWN',
      linkType: 'loopback',
    });
    expect(lo!.addrs.map((a) => `${a.local}/${a.prefixlen} ${a.scope}`)).toEqual([
      '127.0.0.1/8 host',
      '::1/128 host',
    ]);
    expect(v).toMatchObject({
      ifname: 'veth1',
      link: 'if3',
      master: 'br0',
      mac: '02:00:0a:0a:01:01',
      linkNetns: 'gt-pf-client',
    });
    expect(v!.addrs[0]).toMatchObject({ family: 'ipv4', broadcast: '10.1.1.255', label: 'veth1' });
    expect(v!.addrs[1]).toMatchObject({ secondary: true, label: 'veth1:1', validLft: 100, preferredLft: 50 });
    expect(v!.addrs[2]).toMatchObject({ local: '10.9.0.1', peer: '10.9.0.2', prefixlen: 32 });
    expect(v!.addrs[3]).toMatchObject({ family: 'ipv6', scope: 'link', flags: ['nodad'] });
    expect(sniffIpAddr(text)).toBe('ip-addr');
  });

  it('JSON with addr_info, and ip -j link without it', () => {
    const r = parseIpAddr(
      '[{"ifindex":2,"ifname":"eth0","flags":["UP"],"mtu":1500,"operstate":"UP","link_type":"ether","address":"02:00:0a:0a:01:01","master":"br0","addr_info":[{"family":"inet6","local":"fd00:0010:0001:0000:0000:0000:0000:0001","prefixlen":64,"scope":"global","nodad":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"10.0.0.1","prefixlen":24,"scope":"global","secondary":true,"label":"eth0:a","valid_life_time":30,"preferred_life_time":30}]}]',
    );
    expect(r.warnings).toEqual([]);
    expect(r.records[0]).toMatchObject({ master: 'br0', linkType: 'ether' });
    expect(r.records[0]!.addrs[0]).toMatchObject({ local: 'fd00:10:1::1', flags: ['nodad'], validLft: null });
    expect(r.records[0]!.addrs[1]).toMatchObject({ secondary: true, label: 'eth0:a', validLft: 30 });
    const l =
      '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"operstate":"UNKNOWN","link_type":"loopback","linkinfo":{"info_kind":"veth"}}]';
    expect(parseIpAddr(l).records[0]).toMatchObject({ addrs: [], kind: 'veth' });
    expect(sniffIpAddr(l)).toBe('ip-link');
    expect(sniffIpAddr('hello')).toBeNull();
  });

  it('splitJsonItems: objects one per line work too', () => {
    const r = splitJsonItems('{"a":1}\n{"a":2}\n', 'x');
    expect(r.records.map((x) => x.line)).toEqual([1, 2]);
  });
});

describe.skipIf(scenarios.length === 0)('lab ip addr/link files', () => {
  for (const s of scenarios) {
    it(`${s}: zero warnings, one record per link`, () => {
      const rd = (f: string) => readFileSync(path.join(labDir, s, f), 'utf8');
      for (const f of ['ip-addr.json', 'ip-link.json']) {
        const text = rd(f);
        const r = parseIpAddr(text);
        expect(r.warnings).toEqual([]);
        expect(r.records).toHaveLength((JSON.parse(text) as unknown[]).length);
        expect(sniffIpAddr(text)).toBe(f === 'ip-addr.json' ? 'ip-addr' : 'ip-link');
      }
      const txt = rd('ip-addr.txt');
      const rt = parseIpAddr(txt);
      expect(rt.warnings).toEqual([]);
      expect(rt.records).toHaveLength(txt.split('\n').filter((l) => /^\d+: /.test(l)).length);
      // Text and JSON agree on every address.
      const json = parseIpAddr(rd('ip-addr.json')).records;
      const key = (ls: typeof json) =>
        ls.flatMap((l) => l.addrs.map((a) => `${l.ifname} ${a.local}/${a.prefixlen} ${a.scope}`));
      expect(key(rt.records)).toEqual(key(json));
      expect(sniffIpAddr(txt)).toBe('ip-addr');
    });
  }

  it('damaged copies: JSON cut, JSON element spliced, text cut, text spliced, garbage line, empty', () => {
    const dir = path.join(labDir, scenarios[0]!);
    const json = readFileSync(path.join(dir, 'ip-addr.json'), 'utf8');
    const n = (JSON.parse(json) as unknown[]).length;
    const cut = parseIpAddr(json.slice(0, Math.floor(json.length * 0.7)));
    expect(cut.warnings.map((w) => w.line)).toEqual([1]);
    expect(cut.records.length).toBeGreaterThanOrEqual(1);
    expect(cut.records.length).toBeLessThan(n);
    const second = json.indexOf('"ifname"', json.indexOf('"ifname"') + 1);
    const spliced = parseIpAddr(json.slice(0, second + 5) + BIN + json.slice(second + 5));
    expect(spliced.warnings.map((w) => w.line)).toEqual([1]);
    expect(spliced.records).toHaveLength(n - 1);
    const garbageFirst = parseIpAddr(`${BIN}garbage\n${json}`);
    expect(garbageFirst.warnings.map((w) => w.line)).toEqual([1]);
    expect(garbageFirst.records).toHaveLength(n);

    const txt = readFileSync(path.join(dir, 'ip-addr.txt'), 'utf8');
    const lines = txt.split('\n');
    const last = lastIndex(lines, (l: string) => /^\s+inet /.test(l));
    const t1 = parseIpAddr([...lines.slice(0, last), lines[last]!.slice(0, 14)].join('\n'));
    expect(t1.warnings.map((w) => w.line)).toContain(last + 1);
    expect(t1.records).toHaveLength(parseIpAddr(txt).records.length);
    const sp = [...lines];
    sp[last] = sp[last]!.slice(0, 10) + BIN + sp[last]!.slice(10);
    const t2 = parseIpAddr(sp.join('\n'));
    expect(t2.warnings.map((w) => w.line)).toEqual([last + 1]);
    const g = [...lines];
    g.splice(2, 0, `${BIN}${BIN}`);
    const t3 = parseIpAddr(g.join('\n'));
    expect(t3.warnings.map((w) => w.line)).toEqual([3]);
    expect(t3.records).toHaveLength(parseIpAddr(txt).records.length);
    expect(parseIpAddr('')).toEqual({ records: [], warnings: [] });
  });
});
