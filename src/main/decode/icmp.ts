// ICMP (RFC 792, RFC 1191 frag-needed MTU) and ICMPv6 (RFC 4443): echo id/seq, errors with their quoted tuple.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket, IcmpInfo, QuotedTuple } from './types';
import type { AnomalyName } from './packet';
import { formatIPv4, formatIPv6 } from './address';
import { walkIpv6Extensions } from './ipv6';
import { fail, stopAt } from './packet';

function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

// Echo, timestamp and their replies carry identifier/sequence (conntrack keys ICMP on them).
function hasIcmpId(type: number): boolean {
  return type === 8 || type === 0 || type === 13 || type === 14;
}

function hasIcmpv6Id(type: number): boolean {
  return type === 128 || type === 129;
}

// Ports (TCP, UDP, SCTP, DCCP, UDP-Lite all start with them) or the echo identifier of the quoted
// upper-layer header at off; whatever of it the quote still holds.
function quoteUpper(r: ByteReader, off: number, end: number, q: QuotedTuple): void {
  const proto = q.proto;
  if (proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136) {
    if (r.has(off, 4, end)) {
      q.sport = r.u16(off);
      q.dport = r.u16(off + 2);
    }
  } else if (proto === 1 || proto === 58) {
    if (r.has(off, 6, end)) {
      const type = r.u8(off);
      if (proto === 1 ? hasIcmpId(type) : hasIcmpv6Id(type)) q.icmpId = r.u16(off + 4);
    }
  }
}

/**
 * The header of the datagram an ICMP error quotes. Routers may quote as little as the IP header
 * plus 8 bytes (RFC 792) and captures may cut it further, so every field is read only if present;
 * null (with an anomaly) only when the addresses themselves are missing.
 */
function decodeQuote(
  r: ByteReader,
  off: number,
  end: number,
  v6: boolean,
  p: DecodedPacket,
): QuotedTuple | null {
  const short: AnomalyName = v6 ? 'icmpv6.quote-truncated' : 'icmp.quote-truncated';
  if (!r.has(off, 1, end)) {
    p.anomalies.push(short);
    return null;
  }
  const version = r.u8(off) >> 4;
  if (version === 4) {
    if (!r.has(off, 20, end)) {
      p.anomalies.push(short);
      return null;
    }
    const hl = (r.u8(off) & 15) << 2;
    const q: QuotedTuple = {
      l3: 'ipv4',
      src: formatIPv4(r.bytes, off + 12),
      dst: formatIPv4(r.bytes, off + 16),
      proto: r.u8(off + 9),
      sport: null,
      dport: null,
      icmpId: null,
      ipId: r.u16(off + 4),
    };
    if (hl >= 20 && (r.u16(off + 6) & 0x1fff) === 0) quoteUpper(r, off + hl, end, q);
    return q;
  }
  if (version === 6) {
    if (!r.has(off, 40, end)) {
      p.anomalies.push(short);
      return null;
    }
    const w = walkIpv6Extensions(r, off + 40, r.u8(off + 6), end);
    const q: QuotedTuple = {
      l3: 'ipv6',
      src: formatIPv6(r.bytes, off + 8),
      dst: formatIPv6(r.bytes, off + 24),
      proto: w.nh,
      sport: null,
      dport: null,
      icmpId: null,
      ipId: w.fragmented ? w.fragId : null,
    };
    // an extension header cut off by the quote: nh names that header, which is all we know
    if (w.complete && w.fragOffset === 0) quoteUpper(r, w.off, end, q);
    return q;
  }
  p.anomalies.push(v6 ? 'icmpv6.bad-quote' : 'icmp.bad-quote');
  return null;
}

function decodeMessage(r: ByteReader, off: number, end: number, p: DecodedPacket, v6: boolean): void {
  if (!r.has(off, 4, end)) {
    fail(p, v6 ? 'icmpv6.truncated' : 'icmp.truncated', off);
    return;
  }
  const type = r.u8(off);
  const code = r.u8(off + 1);
  const info: IcmpInfo = {
    type,
    code,
    id: null,
    seq: null,
    isError: v6 ? type < 128 : isIcmpError(type),
    mtu: null,
    quoted: null,
  };
  p.icmp = info;
  if (!r.has(off, 8, end)) {
    fail(p, v6 ? 'icmpv6.truncated' : 'icmp.truncated', off);
    return;
  }
  if (v6 ? hasIcmpv6Id(type) : hasIcmpId(type)) {
    info.id = r.u16(off + 4);
    info.seq = r.u16(off + 6);
  } else if (info.isError) {
    if (v6 && type === 2) info.mtu = r.u32(off + 4);
    else if (!v6 && type === 3 && code === 4) info.mtu = r.u16(off + 6);
    // ICMPv6 error types are 1..127, but only 1-4 are defined to quote the invoking packet
    if (!v6 || type <= 4) info.quoted = decodeQuote(r, off + 8, end, v6, p);
  }
  stopAt(p, off + 8, end);
}

/** Decode an ICMP message at off (IP protocol 1). */
export function decodeIcmp(
  r: ByteReader,
  off: number,
  end: number,
  _wireEnd: number,
  p: DecodedPacket,
  _depth: number,
): void {
  decodeMessage(r, off, end, p, false);
}

/** Decode an ICMPv6 message at off (next header 58). */
export function decodeIcmpv6(
  r: ByteReader,
  off: number,
  end: number,
  _wireEnd: number,
  p: DecodedPacket,
  _depth: number,
): void {
  decodeMessage(r, off, end, p, true);
}
