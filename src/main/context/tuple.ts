// Conntrack tuples (libnetfilter_conntrack __snprintf_address/__snprintf_proto) and IP address text
// (RFC 4291 §2.2 input forms, RFC 5952 canonical output) shared by the context parsers.
import { formatIPv4, formatIPv6, normalizeIp, parseIp as parseIpBytes } from '../decode/address';

/** One direction of a conntrack entry: addresses plus the protocol's L4 identifiers. */
export interface CtTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** GRE keys as printed (`0x0`), kept as text because they are call ids, not quantities. */
  srcKey?: string;
  dstKey?: string;
}

/** The tuple a packet in the other direction carries (swaps addresses, ports and GRE keys; ICMP echo type flips). */
export function invertTuple(t: CtTuple): CtTuple {
  const out: CtTuple = { src: t.dst, dst: t.src };
  if (t.dport !== undefined) out.sport = t.dport;
  if (t.sport !== undefined) out.dport = t.sport;
  if (t.icmpType !== undefined) out.icmpType = ICMP_REPLY_TYPE[t.icmpType] ?? t.icmpType;
  if (t.icmpCode !== undefined) out.icmpCode = t.icmpCode;
  if (t.icmpId !== undefined) out.icmpId = t.icmpId;
  if (t.dstKey !== undefined) out.srcKey = t.dstKey;
  if (t.srcKey !== undefined) out.dstKey = t.srcKey;
  return out;
}

// The kernel's invmap (nf_conntrack_proto_icmp{,v6}.c): request ↔ reply pairs, both ways.
const ICMP_REPLY_TYPE: Record<number, number> = {
  8: 0,
  0: 8,
  13: 14,
  14: 13,
  15: 16,
  16: 15,
  17: 18,
  18: 17,
  128: 129,
  129: 128,
  139: 140,
  140: 139,
};

/** True when both tuples name the same addresses and L4 identifiers. */
export function tuplesEqual(a: CtTuple, b: CtTuple): boolean {
  return (
    a.src === b.src &&
    a.dst === b.dst &&
    a.sport === b.sport &&
    a.dport === b.dport &&
    a.icmpType === b.icmpType &&
    a.icmpCode === b.icmpCode &&
    a.icmpId === b.icmpId &&
    a.srcKey === b.srcKey &&
    a.dstKey === b.dstKey
  );
}

// ---- text hygiene ---------------------------------------------------------------------------

/** C0/C1 control bytes (except tab) or U+FFFD: the line holds binary garbage, not tool output. */
// eslint-disable-next-line no-control-regex -- matching control bytes is the point
export const BINARY_BYTES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]/;

/** A warning for input that does not end with a newline: its last line may have been cut. */
export function cutOffWarning(text: string, what: string): { line: number; message: string } | null {
  if (text === '' || text.endsWith('\n')) return null;
  const line = text.split(/\r?\n/).length;
  return { line, message: `${what}: no newline at end of input: last line may be cut off` };
}

/** True when the first non-empty line opens JSON (`[` or `{`); binary garbage lines before it are skipped. */
export function looksLikeJson(text: string): boolean {
  for (const line of text.split('\n', 50)) {
    const t = line.trim();
    if (t.startsWith('[') || t.startsWith('{')) return true;
    if (t === '' || BINARY_BYTES.test(t)) continue;
    return false;
  }
  return false;
}

// ---- IP address text ------------------------------------------------------------------------
// Parsing and RFC 5952 formatting come from decode/address; here they get the number[] shape and
// the prefix arithmetic the routing simulator needs.

/** A parsed IP address: family and its 4 or 16 bytes. */
export interface IpBytes {
  family: 'ipv4' | 'ipv6';
  bytes: number[];
}

/** Parse dotted-quad IPv4 or any RFC 4291 IPv6 text form (compressed, fully expanded, embedded IPv4, %zone); null if invalid. */
export function parseIp(text: string): IpBytes | null {
  // Zone ids (fe80::1%eth0) are not part of the address.
  const ip = parseIpBytes(text.includes('%') ? (text.split('%')[0] ?? '') : text);
  return ip ? { family: ip.l3, bytes: Array.from(ip.bytes) } : null;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (via decode/address). */
export function formatIp(ip: IpBytes): string {
  const b = Uint8Array.from(ip.bytes);
  return ip.family === 'ipv4' ? formatIPv4(b, 0) : formatIPv6(b, 0);
}

/** Canonical form of an IP text (accepts fully expanded IPv6, drops a %zone); null when the text is not an address. */
export function normalizeIpText(text: string): string | null {
  return normalizeIp(text.includes('%') ? (text.split('%')[0] ?? '') : text);
}

/** A parsed CIDR prefix. */
export interface IpPrefix {
  family: 'ipv4' | 'ipv6';
  bytes: number[];
  len: number;
}

/** Parse `a.b.c.d/len`, a bare address (host prefix) or `default`/`all` (needs the family); null if invalid. */
export function parsePrefix(text: string, family?: 'ipv4' | 'ipv6'): IpPrefix | null {
  if (text === 'default' || text === 'all' || text === 'any') {
    if (!family) return null;
    return { family, bytes: new Array<number>(family === 'ipv4' ? 4 : 16).fill(0), len: 0 };
  }
  const slash = text.indexOf('/');
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!ip) return null;
  const max = ip.family === 'ipv4' ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l)) return null;
    len = Number(l);
    if (len > max) return null;
  }
  return { family: ip.family, bytes: ip.bytes, len };
}

/** `addr/len` with the address canonical (host bits kept as written, as iproute2 prints them). */
export function formatPrefix(p: IpPrefix): string {
  return `${formatIp({ family: p.family, bytes: p.bytes })}/${p.len}`;
}

/** True when the address lies inside the prefix (same family, first `len` bits equal). */
export function prefixContains(p: IpPrefix, ip: IpBytes): boolean {
  if (p.family !== ip.family) return false;
  let bits = p.len;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((p.bytes[i] ?? 0) & mask) !== ((ip.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}
