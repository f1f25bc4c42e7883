// Tuples and IP address text (RFC 4291 input forms, RFC 5952 output).
import { describe, expect, it } from 'vitest';
import {
  invertTuple,
  normalizeIpText,
  parsePrefix,
  prefixContains,
  parseIp,
  tuplesEqual,
} from '../../src/main/context/tuple';

describe('IP text', () => {
  it('canonicalises IPv6 per RFC 5952 and rejects garbage', () => {
    expect(normalizeIpText('fd00:0001:0000:0000:0000:0000:0000:0002')).toBe('fd00:1::2');
    expect(normalizeIpText('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIpText('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(normalizeIpText('::')).toBe('::');
    expect(normalizeIpText('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(normalizeIpText('fe80::1%eth0')).toBe('fe80::1');
    // Leading zeros are octal to inet_aton: ambiguous, so rejected (decode/address).
    expect(normalizeIpText('10.010.1.2')).toBeNull();
    for (const bad of ['10.10.1', '10.10.1.256', '1::2::3', 'fd00:1:2:3:4:5:6:7:8', 'x', '']) {
      expect(normalizeIpText(bad)).toBeNull();
    }
  });
  it('prefixes', () => {
    const p = parsePrefix('10.10.1.0/24')!;
    expect(prefixContains(p, parseIp('10.10.1.200')!)).toBe(true);
    expect(prefixContains(p, parseIp('10.10.2.1')!)).toBe(false);
    expect(prefixContains(parsePrefix('default', 'ipv6')!, parseIp('fd00::1')!)).toBe(true);
    expect(parsePrefix('10.0.0.0/33')).toBeNull();
    expect(prefixContains(parsePrefix('fd00:10:1::/64')!, parseIp('fd00:10:1::2')!)).toBe(true);
  });
});

describe('tuples', () => {
  it('invertTuple swaps ports and flips the ICMP echo type', () => {
    const t = { src: '1.1.1.1', dst: '2.2.2.2', icmpType: 8, icmpCode: 0, icmpId: 7 };
    expect(invertTuple(t)).toEqual({ src: '2.2.2.2', dst: '1.1.1.1', icmpType: 0, icmpCode: 0, icmpId: 7 });
    expect(invertTuple({ src: 'a', dst: 'b', sport: 1, dport: 2 })).toEqual({
      src: 'b',
      dst: 'a',
      sport: 2,
      dport: 1,
    });
    expect(tuplesEqual(invertTuple(invertTuple(t)), t)).toBe(true);
    expect(invertTuple({ src: 'a', dst: 'b', icmpType: 128 }).icmpType).toBe(129);
  });
});
