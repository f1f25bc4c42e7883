// Linux cooked captures: LINKTYPE_LINUX_SLL (113) and LINKTYPE_LINUX_SLL2 (276), per libpcap pcap-linktype(7).
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { formatMac } from './address';
import { decodeEtherType } from './dispatch';
import { fail, stopAt } from './packet';

const PACKET_OUTGOING = 4;
const ARPHRD_NETLINK = 824;

/** Kernel packet type → direction: OUTGOING is 'out'; HOST, BROADCAST, MULTICAST, OTHERHOST are 'in'. */
export function directionOf(pktType: number): 'in' | 'out' | null {
  if (pktType === PACKET_OUTGOING) return 'out';
  return pktType <= 3 ? 'in' : null;
}

function decodeCooked(
  r: ByteReader,
  off: number,
  end: number,
  p: DecodedPacket,
  protocol: number,
  hatype: number,
  halen: number,
  addrOff: number,
): void {
  // The address is the sender's link-layer address (ours when outgoing).
  if (halen === 6) p.macSrc = formatMac(r.bytes, addrOff);
  // Protocols below 0x0600 are Linux ETH_P_802_3/802_2/CAN…; netlink captures carry a netlink family.
  if (protocol < 0x0600 || hatype === ARPHRD_NETLINK) stopAt(p, off, end);
  else decodeEtherType(protocol, r, off, end, p, 0);
}

/** LINKTYPE_LINUX_SLL (113): pkttype, hatype, halen, addr[8], protocol — 16 bytes, big-endian. */
export function decodeSllLink(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'sll';
  if (!r.has(0, 16, end)) {
    fail(p, 'sll.truncated', 0);
    return;
  }
  const pktType = r.u16(0);
  p.pktType = pktType;
  p.direction = directionOf(pktType) ?? p.direction;
  decodeCooked(r, 16, end, p, r.u16(14), r.u16(2), r.u16(4), 6);
}

/** LINKTYPE_LINUX_SLL2 (276): protocol, reserved, ifindex u32, hatype, pkttype u8, halen u8, addr[8] — 20 bytes. */
export function decodeSll2Link(r: ByteReader, end: number, p: DecodedPacket): void {
  p.link = 'sll2';
  if (!r.has(0, 20, end)) {
    fail(p, 'sll2.truncated', 0);
    return;
  }
  p.ifindex = r.u32(4);
  const pktType = r.u8(10);
  p.pktType = pktType;
  p.direction = directionOf(pktType) ?? p.direction;
  decodeCooked(r, 20, end, p, r.u16(0), r.u16(8), r.u8(11), 12);
}
