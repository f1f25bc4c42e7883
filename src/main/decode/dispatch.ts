// Dispatch tables as data (gopacket's EthernetTypeMetadata / IPProtocolMetadata): filled once by
// decode-frame.ts, read by the decoders, so no decoder imports the ones above or beside it.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { stopAt } from './packet';

/** Decodes a network-layer header at off; end = last captured byte the layer may use. */
export type NetDecoder = (r: ByteReader, off: number, end: number, p: DecodedPacket, depth: number) => void;

/**
 * Decodes a transport header at off. end bounds reads (captured and inside the IP datagram);
 * wireEnd is where the datagram ends on the wire (from the IP length), for payload lengths.
 */
export type L4Decoder = (
  r: ByteReader,
  off: number,
  end: number,
  wireEnd: number,
  p: DecodedPacket,
  depth: number,
) => void;

/** Strips a link header starting at byte 0 of the frame and hands on to the ethertype table. */
export type LinkDecoder = (r: ByteReader, end: number, p: DecodedPacket) => void;

/** LINKTYPE_* → link decoder. */
export const linkTypes = new Map<number, LinkDecoder>();
/** EtherType → network decoder (VLAN tags are handled by decodeEtherType itself). */
export const etherTypes = new Map<number, NetDecoder>();
/** IP protocol number → transport decoder. */
export const ipProtocols: Array<L4Decoder | undefined> = new Array<L4Decoder | undefined>(256).fill(
  undefined,
);
/** UDP destination port → encapsulation decoder for the UDP payload. */
export const udpPorts = new Map<number, NetDecoder>();

/** EtherTypes of 802.1Q / 802.1ad / legacy QinQ tags. */
export const VLAN_TPIDS: ReadonlySet<number> = new Set([0x8100, 0x88a8, 0x9100]);

/**
 * Decode what follows an EtherType field at off. VLAN tags are looped over here, not recursed,
 * so a frame full of tags cannot exhaust the stack.
 */
export function decodeEtherType(
  type: number,
  r: ByteReader,
  off: number,
  end: number,
  p: DecodedPacket,
  depth: number,
): void {
  while (VLAN_TPIDS.has(type)) {
    if (!r.has(off, 4, end)) {
      p.etherType = type;
      p.anomalies.push('vlan.truncated');
      p.payloadOffset = off;
      p.payloadCaptured = 0;
      return;
    }
    p.vlans.push(r.u16(off) & 0x0fff);
    type = r.u16(off + 2);
    off += 4;
  }
  p.etherType = type;
  const d = etherTypes.get(type);
  if (d === undefined) stopAt(p, off, end);
  else d(r, off, end, p, depth);
}

/** Decode the transport layer of protocol proto at off, or leave it as payload when unknown. */
export function decodeIpProtocol(
  proto: number,
  r: ByteReader,
  off: number,
  end: number,
  wireEnd: number,
  p: DecodedPacket,
  depth: number,
): void {
  const d = ipProtocols[proto];
  if (d === undefined) stopAt(p, off, end);
  else d(r, off, end, wireEnd, p, depth);
}
