// sysctl(8) parser and the setting helpers, the lab's files, damaged copies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  hostNetSettings,
  ipForward,
  parseSysctl,
  routeLocalnet,
  rpFilter,
  sniffSysctl,
} from '../../src/main/context/sysctl';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const labDir = path.join(process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared'), 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'sysctl.txt')))
  : [];
const BIN = '\x00\x01\x9b\xff\x7f';

describe('sysctl', () => {
  it('key = value, tabs in values, /proc/sys paths, stderr noise, helpers', () => {
    const r = parseSysctl(
      [
        'net.ipv4.ip_forward = 1',
        'net.ipv4.ip_local_port_range = 32768\t60999',
        'sysctl: permission denied on key "net.ipv6.conf.all.stable_secret"',
        'net.ipv4.conf.all.rp_filter = 1',
        'net.ipv4.conf.default.rp_filter = 0',
        'net.ipv4.conf.eth0.rp_filter = 2',
        '/proc/sys/net/ipv4/conf/eth0.100/rp_filter:0',
        'net.ipv4.conf.eth1.route_localnet = 1',
        'net.netfilter.nf_conntrack_max = 262144',
        'net.netfilter.nf_conntrack_tcp_loose = 1',
        'net.bridge.bridge-nf-call-iptables = 1',
      ].join('\n') + '\n',
    );
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(10);
    expect(r.values['net.ipv4.ip_local_port_range']).toBe('32768\t60999');
    expect(r.values['net.ipv4.conf.eth0/100.rp_filter']).toBe('0');
    expect(ipForward(r.values)).toBe(true);
    expect(rpFilter(r.values, 'eth0')).toEqual({ all: 1, default: 0, iface: 2, effective: 2 });
    expect(rpFilter(r.values, 'eth0.100').effective).toBe(1);
    expect(rpFilter(r.values, 'newif').effective).toBe(1);
    expect(routeLocalnet(r.values, 'eth1')).toBe(true);
    expect(routeLocalnet(r.values, 'eth0')).toBeNull();
    expect(hostNetSettings(r.values)).toMatchObject({
      conntrackMax: 262144,
      tcpLoose: true,
      tcpBeLiberal: null,
      bridgeNfCallIptables: true,
    });
    expect(sniffSysctl('net.ipv4.ip_forward = 1\nkernel.x = 2')).toBe('sysctl');
    expect(sniffSysctl('a b c')).toBeNull();
  });
});

describe.skipIf(scenarios.length === 0)('lab sysctl files', () => {
  for (const s of scenarios) {
    it(`${s}: zero warnings, one entry per line`, () => {
      const text = readFileSync(path.join(labDir, s, 'sysctl.txt'), 'utf8');
      const r = parseSysctl(text);
      expect(r.warnings).toEqual([]);
      expect(r.records).toHaveLength(text.split('\n').filter((l) => l.trim() !== '').length);
      expect(sniffSysctl(text)).toBe('sysctl');
      const h = hostNetSettings(r.values);
      expect(h.acct).toBe(true);
      expect(h.timestamp).toBe(true);
      expect(h.tcpLoose).toBe(true);
      expect(h.conntrackMax).toBeGreaterThan(0);
      expect(rpFilter(r.values, 'eth0').effective).toBe(0);
    });
  }
  it('portforward forwards, ipv6 forwards v6 only', () => {
    const v = (s: string) => parseSysctl(readFileSync(path.join(labDir, s, 'sysctl.txt'), 'utf8')).values;
    if (scenarios.includes('portforward')) expect(ipForward(v('portforward'))).toBe(true);
    if (scenarios.includes('ipv6')) {
      expect(ipForward(v('ipv6'))).toBe(false);
      expect(ipForward(v('ipv6'), 'ipv6')).toBe(true);
    }
  });
  it('damaged copies', () => {
    const text = readFileSync(path.join(labDir, scenarios[0]!, 'sysctl.txt'), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const n = lines.length;
    const cut = parseSysctl([...lines.slice(0, -1), lines[n - 1]!.slice(0, 10)].join('\n'));
    expect(cut.warnings.map((w) => w.line)).toEqual([n, n].slice(0, cut.warnings.length));
    expect(cut.records).toHaveLength(n - 1);
    const sp = [...lines];
    sp[4] = sp[4]!.slice(0, 8) + BIN + sp[4]!.slice(8);
    const r2 = parseSysctl(`${sp.join('\n')}\n`);
    expect(r2.warnings.map((w) => w.line)).toEqual([5]);
    expect(r2.records).toHaveLength(n - 1);
    const g = [...lines];
    g.splice(3, 0, BIN.repeat(9));
    const r3 = parseSysctl(`${g.join('\n')}\n`);
    expect(r3.warnings.map((w) => w.line)).toEqual([4]);
    expect(r3.records).toHaveLength(n);
    expect(parseSysctl('')).toEqual({ records: [], warnings: [], values: {} });
  });
});
