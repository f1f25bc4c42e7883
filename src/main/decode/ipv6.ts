// IPv6 header and extension headers (RFC 8200; AH RFC 4302): walk to the upper-layer header.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { formatIPv6 } from './address';
import { decodeIpProtocol } from './dispatch';
import { fail, stopAt } from './packet';

/** Result of walking extension headers (module scratch: one walk at a time, no allocation). */
export interface Ipv6ExtWalk {
  /** offset of the upper-layer header (or of the header that could not be read) */
  off: number;
  /** upper-layer protocol (or the unreadable extension header's type) */
  nh: number;
  /** false when an extension header ran past end */
  complete: boolean;
  fragmented: boolean;
  fragOffset: number;
  moreFragments: boolean;
  fragId: number;
}

const walk: Ipv6ExtWalk = {
  off: 0,
  nh: 0,
  complete: true,
  fragmented: false,
  fragOffset: 0,
  moreFragments: false,
  fragId: 0,
};

/**
 * Skip hop-by-hop (0), routing (43), fragment (44), destination options (60), AH (51), mobility
 * (135), HIP (139) and shim6 (140) starting at off with next header nh. Stops at a non-first
 * fragment (its payload has no upper-layer header). ESP (50) and no-next-header (59) end the walk.
 * The returned object is reused by the next call.
 */
export function walkIpv6Extensions(r: ByteReader, off: number, nh: number, end: number): Ipv6ExtWalk {
  walk.complete = true;
  walk.fragmented = false;
  walk.fragOffset = 0;
  walk.moreFragments = false;
  walk.fragId = 0;
  while (true) {
    let len: number;
    if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140) {
      if (!r.has(off, 2, end)) break;
      len = (r.u8(off + 1) + 1) << 3;
    } else if (nh === 51) {
      if (!r.has(off, 2, end)) break;
      len = (r.u8(off + 1) + 2) << 2;
    } else if (nh === 44) {
      if (!r.has(off, 8, end)) break;
      const fo = r.u16(off + 2);
      walk.fragmented = true;
      walk.fragOffset = fo & 0xfff8;
      walk.moreFragments = (fo & 1) !== 0;
      walk.fragId = r.u32(off + 4);
      len = 8;
    } else {
      walk.off = off;
      walk.nh = nh;
      return walk;
    }
    if (!r.has(off, len, end)) break;
    nh = r.u8(off);
    off += len;
    if (walk.fragOffset !== 0) {
      walk.off = off;
      walk.nh = nh;
      return walk;
    }
  }
  walk.off = off;
  walk.nh = nh;
  walk.complete = false;
  return walk;
}

/** Decode an IPv6 packet at off; the payload length bounds the datagram (0 with hop-by-hop = jumbogram). */
export function decodeIpv6(r: ByteReader, off: number, end: number, p: DecodedPacket, depth: number): void {
  p.l3 = 'ipv6';
  if (!r.has(off, 40, end)) {
    fail(p, 'ipv6.truncated', off);
    return;
  }
  const w0 = r.u32(off);
  if (w0 >>> 28 !== 6) {
    fail(p, 'ipv6.bad-version', off);
    return;
  }
  const plen = r.u16(off + 4);
  const nh = r.u8(off + 6);
  p.tos = (w0 >>> 20) & 0xff;
  p.ipLen = plen + 40;
  p.ttl = r.u8(off + 7);
  p.src = formatIPv6(r.bytes, off + 8);
  p.dst = formatIPv6(r.bytes, off + 24);
  const wireEnd = plen === 0 && nh === 0 ? end : off + 40 + plen;
  const l4End = wireEnd < end ? wireEnd : end;
  const w = walkIpv6Extensions(r, off + 40, nh, l4End);
  if (w.fragmented) {
    p.ipId = w.fragId;
    p.fragOffset = w.fragOffset;
    p.moreFragments = w.moreFragments;
  }
  if (!w.complete) {
    fail(p, 'ipv6.ext-truncated', w.off);
    return;
  }
  p.proto = w.nh;
  if (w.fragOffset !== 0) stopAt(p, w.off, l4End);
  else decodeIpProtocol(w.nh, r, w.off, l4End, wireEnd, p, depth);
}
