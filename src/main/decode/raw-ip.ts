// Bare IP packets (LINKTYPE_RAW 101, old 12/14, IPV4 228, IPV6 229): the version nibble decides.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { decodeEtherType } from './dispatch';
import { fail } from './packet';

/** Decode an IP packet whose version is only known from its first nibble (also tunnel payloads). */
export function decodeRawIp(r: ByteReader, off: number, end: number, p: DecodedPacket, depth: number): void {
  if (!r.has(off, 1, end)) {
    fail(p, 'raw.truncated', off);
    return;
  }
  const version = r.u8(off) >> 4;
  if (version === 4) decodeEtherType(0x0800, r, off, end, p, depth);
  else if (version === 6) decodeEtherType(0x86dd, r, off, end, p, depth);
  else fail(p, 'raw.bad-version', off);
}

/** LINKTYPE_RAW (101, and the historical 12/14). */
export function decodeRawLink(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'raw';
  decodeRawIp(r, 0, end, p, 0);
}

/** LINKTYPE_IPV4 (228). */
export function decodeIpv4Link(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'raw';
  decodeEtherType(0x0800, r, 0, end, p, 0);
}

/** LINKTYPE_IPV6 (229). */
export function decodeIpv6Link(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'raw';
  decodeEtherType(0x86dd, r, 0, end, p, 0);
}
