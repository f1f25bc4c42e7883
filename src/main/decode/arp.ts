// ARP (RFC 826): sender and target protocol addresses become src/dst.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { formatIPv4 } from './address';
import { fail, stopAt } from './packet';

/** Decode an ARP packet at off; IPv4-over-anything ARP fills src (sender) and dst (target). */
export function decodeArp(r: ByteReader, off: number, end: number, p: DecodedPacket): void {
  p.l3 = 'arp';
  if (!r.has(off, 8, end)) {
    fail(p, 'arp.truncated', off);
    return;
  }
  const ptype = r.u16(off + 2);
  const hlen = r.u8(off + 4);
  const plen = r.u8(off + 5);
  const bodyEnd = off + 8 + 2 * hlen + 2 * plen;
  if (!r.has(off, bodyEnd - off, end)) {
    fail(p, 'arp.truncated', off);
    return;
  }
  if (ptype === 0x0800 && plen === 4) {
    p.src = formatIPv4(r.bytes, off + 8 + hlen);
    p.dst = formatIPv4(r.bytes, off + 8 + 2 * hlen + plen);
  }
  stopAt(p, bodyEnd, end);
}
