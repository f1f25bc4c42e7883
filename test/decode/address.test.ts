// RFC 5952 text forms, the parse side the conntrack/iproute2 parsers rely on, and MAC formatting.
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, formatMac, normalizeIp, parseIp } from '../../src/main/decode/address';

function v6(text: string): Uint8Array {
  const ip = parseIp(text);
  if (ip === null || ip.l3 !== 'ipv6') throw new Error(`not IPv6: ${text}`);
  return ip.bytes;
}

describe('formatIPv6 (RFC 5952)', () => {
  it.each([
    // RFC 5952 4.1: leading zeros suppressed
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1'],
    // 4.2.2: a single 16-bit zero field is not shortened
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    // 4.2.3: the longest run is shortened; on a tie the first one
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    // 4.3: lower case
    ['2001:DB8::AbCd', '2001:db8::abcd'],
    // 5: IPv4-mapped keeps the dotted quad
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
    ['::ffff:0:0', '::ffff:0.0.0.0'],
    // edges
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:1:0:0:0:0', '0:0:0:1::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['fe80:0:0:0:0aff:fe0a:0101:0', 'fe80::aff:fe0a:101:0'],
    ['ff02::1:ff00:1', 'ff02::1:ff00:1'],
    // IPv4-compatible (deprecated) and NAT64 addresses are plain hex: only ::ffff:0:0/96 is mixed
    ['::102:304', '::102:304'],
    ['64:ff9b::c000:201', '64:ff9b::c000:201'],
  ])('%s → %s', (input, want) => {
    expect(formatIPv6(v6(input), 0)).toBe(want);
  });

  it('reads at an offset', () => {
    const b = new Uint8Array(20);
    b.set(v6('fd00:10:1::2'), 4);
    expect(formatIPv6(b, 4)).toBe('fd00:10:1::2');
  });

  it('round-trips random addresses with zero runs', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        if (rnd() < 0.5) continue; // leave zero groups often
        b[2 * g] = rnd() < 0.5 ? 0 : Math.floor(rnd() * 256);
        b[2 * g + 1] = Math.floor(rnd() * 256);
      }
      const text = formatIPv6(b, 0);
      expect(Array.from(v6(text))).toEqual(Array.from(b));
      expect(normalizeIp(text)).toBe(text);
    }
  });
});

describe('formatIPv4 / formatMac', () => {
  it('formats dotted quads', () => {
    expect(formatIPv4(new Uint8Array([0, 10, 10, 1, 2]), 1)).toBe('10.10.1.2');
    expect(formatIPv4(new Uint8Array([255, 0, 9, 100]), 0)).toBe('255.0.9.100');
  });
  it('formats MACs lower-case and zero-padded', () => {
    expect(formatMac(new Uint8Array([0x02, 0x00, 0x0a, 0x0a, 0x01, 0x02]), 0)).toBe('02:00:0a:0a:01:02');
    expect(formatMac(new Uint8Array([0xff, 0xab, 0xcd, 0xef, 0x00, 0x01, 0x02, 0x03]), 1, 7)).toBe(
      'ab:cd:ef:00:01:02:03',
    );
  });
});

describe('parseIp / normalizeIp', () => {
  it.each([
    ['fd00:0001:0000:0000:0000:0000:0000:0002', 'fd00:1::2'], // /proc/net/nf_conntrack, %pI6
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // kernel LOG
    ['FD00:10:1::2', 'fd00:10:1::2'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['::ffff:10.10.1.2', '::ffff:10.10.1.2'],
    ['0:0:0:0:0:ffff:10.10.1.2', '::ffff:10.10.1.2'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['10.10.1.2', '10.10.1.2'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
  ])('%s → %s', (input, want) => {
    expect(normalizeIp(input)).toBe(want);
  });

  it.each([
    '',
    ':',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    '12345::',
    'g::1',
    ':1::',
    '1:',
    '1::2:',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1..2.3',
    '1.2.3.4 ',
    'fe80::1%eth0',
    'localhost',
  ])('rejects %j', (input) => {
    expect(parseIp(input)).toBeNull();
    expect(normalizeIp(input)).toBeNull();
  });

  it('returns family and network-order bytes', () => {
    expect(parseIp('10.10.1.2')).toEqual({ l3: 'ipv4', bytes: new Uint8Array([10, 10, 1, 2]) });
    const ip = parseIp('fd00::1');
    expect(ip?.l3).toBe('ipv6');
    expect(Array.from(ip?.bytes ?? [])).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });
});
