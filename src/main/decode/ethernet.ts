// IEEE 802.3 Ethernet II header (dst, src, EtherType); 802.1Q/802.1ad tags are looped in dispatch.ts.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { formatMac } from './address';
import { decodeEtherType } from './dispatch';
import { fail, stopAt } from './packet';

/** Decode an Ethernet frame at off (the outer link, or the inner frame of VXLAN/Geneve/gretap). */
export function decodeEthernet(
  r: ByteReader,
  off: number,
  end: number,
  p: DecodedPacket,
  depth: number,
): void {
  if (!r.has(off, 14, end)) {
    fail(p, 'ethernet.truncated', off);
    return;
  }
  p.macDst = formatMac(r.bytes, off);
  p.macSrc = formatMac(r.bytes, off + 6);
  const type = r.u16(off + 12);
  // Values below 0x0600 are an 802.3 length (LLC: STP, CDP…): legitimate, but carries no IP.
  if (type < 0x0600) stopAt(p, off + 14, end);
  else decodeEtherType(type, r, off + 14, end, p, depth);
}

/** LINKTYPE_ETHERNET (1). */
export function decodeEthernetLink(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'ethernet';
  decodeEthernet(r, 0, end, p, 0);
}
