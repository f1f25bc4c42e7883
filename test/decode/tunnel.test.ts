// Encapsulations: VXLAN (RFC 7348), Geneve (RFC 8926), GRE (RFC 2784/2890), IP-in-IP (RFC 2003), sit (RFC 4213).
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/main/decode/decode-frame';
import { MAX_TUNNEL_DEPTH } from '../../src/main/decode/tunnel';
import type { DecodedPacket } from '../../src/main/decode/types';
import * as fx from './fixtures';

const INNER_SYN = {
  l3: 'ipv4',
  src: '10.244.0.1',
  dst: '10.244.1.2',
  proto: 6,
  sport: 40000,
  dport: 80,
  tcp: { flags: 2, seq: 1000, mss: 1460, wscale: 10 },
  anomalies: [],
};

describe('UDP tunnels', () => {
  it.each([
    ['4789 (IANA)', fx.ethVxlan4789, 4789, 42],
    ['8472 (Linux, Flannel)', fx.ethVxlan8472, 8472, 1],
  ])('VXLAN on %s: outer stays on top, inner Ethernet frame in inner', (_n, frame, port, vni) => {
    const p = decodeFrame(1, frame);
    expect(p).toMatchObject({
      src: '192.168.0.1',
      dst: '192.168.0.2',
      proto: 17,
      dport: port,
      anomalies: [],
    });
    expect(p.tunnel).toEqual({ kind: 'vxlan', vni });
    expect(p.inner).toMatchObject({ link: 'ethernet', macSrc: '02:00:0a:f4:00:01', ...INNER_SYN });
    expect(p.inner?.inner).toBeNull();
  });

  it('VXLAN without the I flag is not decoded further', () => {
    const b = fx.ethVxlan4789.slice();
    b[42] = 0;
    expect(decodeFrame(1, b)).toMatchObject({ inner: null, anomalies: ['vxlan.bad-flags'] });
  });

  it('Geneve with an option, protocol 0x6558', () => {
    const p = decodeFrame(1, fx.ethGeneve);
    expect(p.tunnel).toEqual({ kind: 'geneve', vni: 0x123456 });
    expect(p.inner).toMatchObject({ link: 'ethernet', ...INNER_SYN });
    expect(p.anomalies).toEqual([]);
  });
});

describe('IP tunnels', () => {
  it('GRE with checksum, key and sequence: key is the vni', () => {
    const p = decodeFrame(1, fx.ethGreKey);
    expect(p).toMatchObject({ proto: 47, tunnel: { kind: 'gre', vni: 0x01020304 }, anomalies: [] });
    expect(p.inner).toMatchObject({ link: 'raw', etherType: 0x0800, ...INNER_SYN });
  });

  it('GRE version 1 (PPTP) is opaque; source routing is unsupported', () => {
    const v1 = fx.ethGreKey.slice();
    v1[34 + 1] = 0x01;
    expect(decodeFrame(1, v1)).toMatchObject({
      tunnel: { kind: 'gre', vni: null },
      inner: null,
      anomalies: [],
    });
    const routed = fx.ethGreKey.slice();
    routed[34] = routed[34]! | 0x40;
    expect(decodeFrame(1, routed)).toMatchObject({ inner: null, anomalies: ['gre.unsupported'] });
  });

  it('IPIP', () => {
    const p = decodeFrame(1, fx.ethIpip);
    expect(p).toMatchObject({ proto: 4, tunnel: { kind: 'ipip', vni: null }, sport: null, anomalies: [] });
    expect(p.inner).toMatchObject({ link: 'raw', ...INNER_SYN });
  });

  it('IPv6 in IPv4 (sit)', () => {
    const p = decodeFrame(1, fx.ethSit);
    expect(p).toMatchObject({ tunnel: { kind: 'sit', vni: null }, anomalies: [] });
    expect(p.inner).toMatchObject({ l3: 'ipv6', src: 'fd00:10:1::2', icmp: { type: 128, id: 7, seq: 1 } });
  });

  it('IPv4 in IPv6 and IPv6 in IPv6', () => {
    // synthetic: the IPv6 header of fx.rawIcmpv6Echo carrying fx.rawTcp (next header 4) or itself (41)
    const v4in6 = new Uint8Array(40 + fx.rawTcp.length);
    v4in6.set(fx.rawIcmpv6Echo.subarray(0, 40));
    v4in6.set(fx.rawTcp, 40);
    v4in6[5] = fx.rawTcp.length;
    v4in6[6] = 4;
    expect(decodeFrame(229, v4in6)).toMatchObject({
      tunnel: { kind: 'ip6ip' },
      inner: { dport: 8080 },
      anomalies: [],
    });
    const v6in6 = new Uint8Array(40 + fx.rawIcmpv6Echo.length);
    v6in6.set(fx.rawIcmpv6Echo.subarray(0, 40));
    v6in6.set(fx.rawIcmpv6Echo, 40);
    v6in6[5] = fx.rawIcmpv6Echo.length;
    v6in6[6] = 41;
    expect(decodeFrame(229, v6in6)).toMatchObject({
      tunnel: { kind: 'ip6ip6' },
      inner: { icmp: { id: 4097 } },
    });
  });

  it(`nesting deeper than ${MAX_TUNNEL_DEPTH} stops with tunnel.too-deep`, () => {
    const levels = 10;
    const b = new Uint8Array(20 * levels + fx.rawTcp.length);
    for (let i = 0; i < levels; i++) {
      b.set(fx.rawTcp.subarray(0, 20), 20 * i);
      b[20 * i + 9] = 4;
      const total = b.length - 20 * i;
      b[20 * i + 2] = total >> 8;
      b[20 * i + 3] = total & 255;
    }
    b.set(fx.rawTcp, 20 * levels);
    const p = decodeFrame(101, b);
    let depth = 0;
    let q: DecodedPacket | null = p;
    while (q.inner !== null) {
      q = q.inner;
      depth++;
    }
    expect(depth).toBe(MAX_TUNNEL_DEPTH);
    expect(p.anomalies).toEqual(['tunnel.too-deep']);
  });

  it('inner anomalies are also reported on the outer packet', () => {
    const b = fx.ethVxlan4789.subarray(0, fx.ethVxlan4789.length - 10);
    const p = decodeFrame(1, b);
    expect(p.inner?.anomalies).toEqual(['tcp.truncated']);
    expect(p.anomalies).toEqual(['tcp.truncated']);
  });
});
