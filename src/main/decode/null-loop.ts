// BSD loopback encapsulation: LINKTYPE_NULL (0, AF in host order) and LINKTYPE_LOOP (108, network order).
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { decodeEtherType } from './dispatch';
import { fail } from './packet';

// AF_INET6 differs per OS: Linux 10, FreeBSD 28, OpenBSD/NetBSD 24, macOS 30.
function etherTypeOfFamily(af: number): number | null {
  if (af === 2) return 0x0800;
  if (af === 10 || af === 24 || af === 28 || af === 30) return 0x86dd;
  return null;
}

function decodeFamily(r: ByteReader, end: number, p: DecodedPacket, af: number): void {
  const type = etherTypeOfFamily(af);
  if (type === null) fail(p, 'null.unknown-family', 4);
  else decodeEtherType(type, r, 4, end, p, 0);
}

/** LINKTYPE_NULL (0): 4-byte AF in the capturer's byte order, detected since every AF is < 256. */
export function decodeNullLink(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'null';
  if (!r.has(0, 4, end)) {
    fail(p, 'null.truncated', 0);
    return;
  }
  const le = r.u32le(0);
  decodeFamily(r, end, p, le < 256 ? le : r.u32(0));
}

/** LINKTYPE_LOOP (108): 4-byte AF in network byte order (OpenBSD). */
export function decodeLoopLink(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'loop';
  if (!r.has(0, 4, end)) {
    fail(p, 'null.truncated', 0);
    return;
  }
  decodeFamily(r, end, p, r.u32(0));
}
