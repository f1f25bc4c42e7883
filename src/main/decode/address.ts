// Canonical address text: IPv4 dotted quad, IPv6 per RFC 5952, MAC as lower-case colon hex.

const DEC: string[] = [];
const HEX: string[] = [];
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) {
  DEC.push(String(i));
  HEX.push(i.toString(16));
  HEX2.push(i.toString(16).padStart(2, '0'));
}

// Reused between calls (formatting is synchronous), so IPv6 formatting allocates only its string.
const groups = new Uint16Array(8);

// Direct-mapped caches of formatted addresses: a capture repeats few addresses, so most packets
// get an existing string (no allocation per packet, and Map lookups reuse the string's hash).
const V4_SLOTS = 4096;
const v4Keys = new Int32Array(V4_SLOTS);
const v4Text: Array<string | undefined> = new Array<string | undefined>(V4_SLOTS).fill(undefined);
const MAC_SLOTS = 1024;
const macHi = new Int32Array(MAC_SLOTS);
const macLo = new Int32Array(MAC_SLOTS);
const macText: Array<string | undefined> = new Array<string | undefined>(MAC_SLOTS).fill(undefined);

/** IPv4 address at bytes[off..off+4) as dotted decimal; the caller has bounds-checked. */
export function formatIPv4(bytes: Uint8Array, off: number): string {
  const v = (bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!;
  const slot = Math.imul(v, 0x9e3779b1) >>> 20;
  const hit = v4Text[slot];
  if (hit !== undefined && v4Keys[slot] === v) return hit;
  const s =
    DEC[bytes[off]!]! +
    '.' +
    DEC[bytes[off + 1]!]! +
    '.' +
    DEC[bytes[off + 2]!]! +
    '.' +
    DEC[bytes[off + 3]!]!;
  v4Keys[slot] = v;
  v4Text[slot] = s;
  return s;
}

function hexGroup(v: number): string {
  const hi = v >> 8;
  return hi === 0 ? HEX[v & 255]! : HEX[hi]! + HEX2[v & 255]!;
}

/** IPv6 address at bytes[off..off+16) in RFC 5952 form (`fd00:10:1::2`, `::ffff:1.2.3.4`). */
export function formatIPv6(bytes: Uint8Array, off: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const v = (bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!;
    groups[i] = v;
    if (v === 0) {
      if (runStart < 0) runStart = i;
      // strictly longer: the first of equally long runs wins (RFC 5952 4.2.3)
      if (i - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  // a single zero group is never shortened to "::" (RFC 5952 4.2.2)
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 5)
  if (bestStart === 0 && bestLen === 5 && groups[5] === 0xffff)
    return '::ffff:' + formatIPv4(bytes, off + 12);
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) s += ':';
    s += hexGroup(groups[i]!);
  }
  return s;
}

/** Link-layer address at bytes[off..off+len) as lower-case, zero-padded colon hex (`02:00:0a:0a:01:02`). */
export function formatMac(bytes: Uint8Array, off: number, len = 6): string {
  if (len === 6) {
    const hi = (bytes[off]! << 8) | bytes[off + 1]!;
    const lo = (bytes[off + 2]! << 24) | (bytes[off + 3]! << 16) | (bytes[off + 4]! << 8) | bytes[off + 5]!;
    const slot = Math.imul(lo ^ (hi << 7), 0x9e3779b1) >>> 22;
    const hit = macText[slot];
    if (hit !== undefined && macLo[slot] === lo && macHi[slot] === hi) return hit;
    let s = HEX2[bytes[off]!]!;
    for (let i = 1; i < 6; i++) s += ':' + HEX2[bytes[off + i]!]!;
    macHi[slot] = hi;
    macLo[slot] = lo;
    macText[slot] = s;
    return s;
  }
  let s = HEX2[bytes[off]!]!;
  for (let i = 1; i < len; i++) s += ':' + HEX2[bytes[off + i]!]!;
  return s;
}

/** A parsed address: its family and its 4 or 16 network-order bytes. */
export interface ParsedIp {
  l3: 'ipv4' | 'ipv6';
  bytes: Uint8Array;
}

// Dotted quad from s[start..end) into out[at..at+4); decimal only, no leading zeros (they would be
// octal to inet_aton, so they are ambiguous: reject rather than guess).
function parseDotted(s: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 46; // a virtual '.' closes the last part
    if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[at + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// Groups of s[start..end) separated by ':' into words; returns the count, or -1. A trailing dotted
// quad is allowed when allowV4 (it counts as two groups).
function parseGroups(s: string, start: number, end: number, words: number[], allowV4: boolean): number {
  if (start === end) return 0;
  let n = 0;
  let i = start;
  while (true) {
    let j = i;
    while (j < end && s.charCodeAt(j) !== 58) j++;
    let dot = false;
    for (let k = i; k < j; k++) if (s.charCodeAt(k) === 46) dot = true;
    if (dot) {
      if (!allowV4 || j !== end) return -1;
      const v4 = new Uint8Array(4);
      if (!parseDotted(s, i, j, v4, 0)) return -1;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      return n + 2;
    }
    if (j === i || j - i > 4) return -1;
    let v = 0;
    for (let k = i; k < j; k++) {
      const d = hexDigit(s.charCodeAt(k));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    words.push(v);
    n++;
    if (j === end) return n;
    i = j + 1;
    if (i === end) return -1; // trailing single ':'
  }
}

function parseIPv6(s: string): Uint8Array | null {
  const dc = s.indexOf('::');
  const words: number[] = [];
  let head: number;
  let tail = 0;
  if (dc < 0) {
    head = parseGroups(s, 0, s.length, words, true);
    if (head !== 8) return null;
  } else {
    if (s.indexOf('::', dc + 1) >= 0) return null;
    head = parseGroups(s, 0, dc, words, false);
    if (head < 0) return null;
    tail = parseGroups(s, dc + 2, s.length, words, true);
    if (tail < 0 || head + tail > 7) return null;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < head; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 255;
  }
  for (let i = 0; i < tail; i++) {
    const w = words[head + i]!;
    const at = 16 - 2 * (tail - i);
    out[at] = w >> 8;
    out[at + 1] = w & 255;
  }
  return out;
}

/** Parse IPv4 dotted or any valid IPv6 text (compressed, fully expanded, mixed); null when invalid. */
export function parseIp(text: string): ParsedIp | null {
  if (text.indexOf(':') >= 0) {
    const bytes = parseIPv6(text);
    return bytes === null ? null : { l3: 'ipv6', bytes };
  }
  const bytes = new Uint8Array(4);
  return parseDotted(text, 0, text.length, bytes, 0) ? { l3: 'ipv4', bytes } : null;
}

/** Canonical text of an address given in any accepted form (e.g. `fd00:0001:0000:…:0002` → `fd00:1::2`). */
export function normalizeIp(text: string): string | null {
  const ip = parseIp(text);
  if (ip === null) return null;
  return ip.l3 === 'ipv4' ? formatIPv4(ip.bytes, 0) : formatIPv6(ip.bytes, 0);
}
