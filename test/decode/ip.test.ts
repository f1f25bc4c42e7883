// IPv4 (RFC 791) and IPv6 with extension headers (RFC 8200).
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/main/decode/decode-frame';
import * as fx from './fixtures';

const ETH = 14;

describe('IPv4', () => {
  it('header fields of a real SYN', () => {
    const p = decodeFrame(276, fx.sll2SynIn);
    expect(p).toMatchObject({
      ipId: 53397,
      ttl: 64,
      ipLen: 60,
      tos: 0,
      df: true,
      moreFragments: false,
      fragOffset: 0,
    });
  });

  it('options are skipped (IHL 9: record route with 3 slots)', () => {
    const p = decodeFrame(1, fx.ethIpv4Options);
    expect(p).toMatchObject({ ipLen: 48, proto: 17, sport: 40000, dport: 7777, anomalies: [] });
    expect(p.payloadOffset).toBe(ETH + 36 + 8);
    expect(p.payloadCaptured).toBe(4);
  });

  it('first fragment (MF, offset 0) carries the UDP header; its UDP length exceeds the fragment', () => {
    const p = decodeFrame(1, fx.ethFragFirst);
    expect(p).toMatchObject({
      ipId: 0x4242,
      df: false,
      moreFragments: true,
      fragOffset: 0,
      sport: 40000,
      dport: 7777,
    });
    expect(p.anomalies).toEqual([]);
  });

  it('a later fragment has no transport header', () => {
    const p = decodeFrame(1, fx.ethFragSecond);
    expect(p).toMatchObject({
      ipId: 0x4242,
      moreFragments: false,
      fragOffset: 24,
      proto: 17,
      sport: null,
      dport: null,
    });
    expect(p).toMatchObject({ payloadOffset: ETH + 20, payloadCaptured: 24, anomalies: [] });
  });

  it('Ethernet padding beyond the total length is not payload', () => {
    const b = new Uint8Array(fx.ethSyn.length + 6);
    b.set(fx.ethSyn);
    const p = decodeFrame(1, b);
    expect(p.payloadCaptured).toBe(0);
    expect(p.tcp?.payloadLen).toBe(0);
  });

  it.each([
    ['IHL below 5', (b: Uint8Array) => (b[ETH] = 0x44), 'ipv4.bad-ihl'],
    ['version not 4', (b: Uint8Array) => (b[ETH] = 0x65), 'ipv4.bad-version'],
    [
      'total length below the header',
      (b: Uint8Array) => ((b[ETH + 2] = 0), (b[ETH + 3] = 10)),
      'ipv4.bad-total-length',
    ],
    ['IHL beyond the capture', (b: Uint8Array) => (b[ETH] = 0x4f), 'ipv4.truncated'],
  ])('%s', (_name, mutate, anomaly) => {
    const b = fx.ethFragSecond.slice(); // 28-byte datagram: IHL 15 cannot fit
    mutate(b);
    expect(decodeFrame(1, b).anomalies).toEqual([anomaly]);
  });

  it('a bad total length still decodes the transport from the captured bytes', () => {
    const b = fx.ethSyn.slice();
    b[ETH + 2] = 0;
    b[ETH + 3] = 0; // as BIG TCP writes it
    expect(decodeFrame(1, b)).toMatchObject({
      sport: 41001,
      tcp: { mss: 1460 },
      anomalies: ['ipv4.bad-total-length'],
    });
  });
});

describe('IPv6', () => {
  it('walks hop-by-hop, routing, fragment (first) and destination options to UDP', () => {
    const p = decodeFrame(1, fx.ethIpv6ExtHeaders);
    expect(p).toMatchObject({
      l3: 'ipv6',
      src: 'fd00:10:1::2',
      dst: 'fd00:10:1::1',
      ttl: 64,
      ipLen: 104,
      proto: 17,
      ipId: 0xcafef00d,
      fragOffset: 0,
      moreFragments: true,
      sport: 5353,
      dport: 5353,
      anomalies: [],
    });
    expect(p.payloadOffset).toBe(ETH + 40 + 8 + 24 + 8 + 8 + 8);
  });

  it('a later fragment stops at the fragment header with the fragment id', () => {
    const p = decodeFrame(1, fx.ethIpv6FragSecond);
    expect(p).toMatchObject({
      proto: 17,
      ipId: 0xcafef00d,
      fragOffset: 1448,
      moreFragments: false,
      sport: null,
    });
    expect(p).toMatchObject({ payloadOffset: ETH + 48, payloadCaptured: 16, anomalies: [] });
  });

  it('unfragmented packets have no ipId; hop-by-hop (MLD report) is skipped', () => {
    const p = decodeFrame(276, fx.sll2MldReportHbh);
    expect(p).toMatchObject({ ipId: null, ttl: 1, proto: 58, icmp: { type: 143 }, anomalies: [] });
  });

  it('AH is skipped ((len + 2) × 4 bytes); ESP ends the walk', () => {
    // fd00:10:1::2 → fd00:10:1::1, AH (payload len 4 → 24 bytes) then UDP 1000 → 2000
    const ah = [17, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, ...new Array<number>(12).fill(0)];
    const udp = [0x03, 0xe8, 0x07, 0xd0, 0, 8, 0, 0];
    const b = new Uint8Array(40 + ah.length + udp.length);
    b.set(fx.rawIcmpv6Echo.subarray(0, 40));
    b[4] = 0;
    b[5] = ah.length + udp.length;
    b[6] = 51;
    b.set(ah, 40);
    b.set(udp, 40 + ah.length);
    expect(decodeFrame(229, b)).toMatchObject({ proto: 17, sport: 1000, dport: 2000, anomalies: [] });
    b[6] = 50; // ESP: opaque
    expect(decodeFrame(229, b)).toMatchObject({ proto: 50, sport: null, payloadOffset: 40, anomalies: [] });
  });

  it('version and truncated extension headers are anomalies', () => {
    const b = fx.ethIpv6ExtHeaders.slice();
    b[ETH] = 0x40;
    expect(decodeFrame(1, b).anomalies).toEqual(['ipv6.bad-version']);
    const cut = fx.ethIpv6ExtHeaders.subarray(0, ETH + 40 + 8 + 10);
    expect(decodeFrame(1, cut)).toMatchObject({ proto: null, anomalies: ['ipv6.ext-truncated'] });
  });
});
