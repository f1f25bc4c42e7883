// Conntrack tuples (libnetfilter_conntrack __snprintf_address/__snprintf_proto) and IP address text
// (RFC 4291 §2.2 input forms, RFC 5952 canonical output) shared by the context parsers.

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
// Private to context/analysis until src/main/decode/address.ts (normalizeIp) lands; kept here so
// the conntrack, ip and routing code share one implementation.

/** A parsed IP address: family and its 4 or 16 bytes. */
export interface IpBytes {
  family: 'ipv4' | 'ipv6';
  bytes: number[];
}

/** Parse dotted-quad IPv4 or any RFC 4291 IPv6 text form (compressed, fully expanded, with embedded IPv4); null if invalid. */
export function parseIp(text: string): IpBytes | null {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes ? { family: 'ipv6', bytes } : null;
  }
  const bytes = parseIpv4(text);
  return bytes ? { family: 'ipv4', bytes } : null;
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function parseIpv6(text: string): number[] | null {
  // Zone ids (fe80::1%eth0) are not part of the address.
  const s = text.split('%')[0] ?? '';
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? '';
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return null;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let words: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== 8) return null;
    words = all;
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run compressed). */
export function formatIp(ip: IpBytes): string {
  if (ip.family === 'ipv4') return ip.bytes.join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0));
  // RFC 5952 §4.2: compress the longest run of ≥2 zero words, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (best === 0 && bestLen === 5 && words[5] === 0xffff) {
    return `::ffff:${ip.bytes.slice(12).join('.')}`;
  }
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** Canonical form of an IP text (accepts fully expanded IPv6); null when the text is not an address. */
export function normalizeIpText(text: string): string | null {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : null;
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
