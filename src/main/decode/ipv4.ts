// IPv4 header (RFC 791): options skipped, fragments reassembled by nobody (only the first carries L4).
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { formatIPv4 } from './address';
import { decodeIpProtocol } from './dispatch';
import { fail, stopAt } from './packet';

/** Decode an IPv4 packet at off; end bounds reads, the total length bounds the datagram. */
export function decodeIpv4(r: ByteReader, off: number, end: number, p: DecodedPacket, depth: number): void {
  p.l3 = 'ipv4';
  if (!r.has(off, 20, end)) {
    fail(p, 'ipv4.truncated', off);
    return;
  }
  const vihl = r.u8(off);
  if (vihl >> 4 !== 4) {
    fail(p, 'ipv4.bad-version', off);
    return;
  }
  const hl = (vihl & 15) << 2;
  if (hl < 20) {
    fail(p, 'ipv4.bad-ihl', off);
    return;
  }
  const total = r.u16(off + 2);
  const ff = r.u16(off + 6);
  const proto = r.u8(off + 9);
  p.tos = r.u8(off + 1);
  p.ipLen = total;
  p.ipId = r.u16(off + 4);
  p.df = (ff & 0x4000) !== 0;
  p.moreFragments = (ff & 0x2000) !== 0;
  p.fragOffset = (ff & 0x1fff) << 3;
  p.ttl = r.u8(off + 8);
  p.proto = proto;
  p.src = formatIPv4(r.bytes, off + 12);
  p.dst = formatIPv4(r.bytes, off + 16);
  if (!r.has(off, hl, end)) {
    fail(p, 'ipv4.truncated', off + 20);
    return;
  }
  let wireEnd = off + total;
  if (total < hl) {
    // 0 is also what BIG TCP / some TSO captures show; either way the capture length is all we have.
    p.anomalies.push('ipv4.bad-total-length');
    wireEnd = end;
  }
  // Ethernet padding after a short datagram is not part of it.
  const l4End = wireEnd < end ? wireEnd : end;
  if (p.fragOffset !== 0) stopAt(p, off + hl, l4End);
  else decodeIpProtocol(proto, r, off + hl, l4End, wireEnd, p, depth);
}
