// Entry point: one captured frame → DecodedPacket. Link types per libpcap pcap-linktype(7) and formats.md 6.3.
import type { DecodedPacket } from './types';
import type { L4Decoder, LinkDecoder, NetDecoder } from './dispatch';
import { ByteReader } from './byte-reader';
import { etherTypes, ipProtocols, linkTypes, udpPorts } from './dispatch';
import { decodeArp } from './arp';
import { decodeEthernetLink } from './ethernet';
import { decodeGeneve } from './geneve';
import { decodeGre } from './gre';
import { decodeIcmp, decodeIcmpv6 } from './icmp';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { decodeNflogLink } from './nflog';
import { decodeLoopLink, decodeNullLink } from './null-loop';
import { newPacket } from './packet';
import { decodeIpv4Link, decodeIpv6Link, decodeRawLink } from './raw-ip';
import { decodeSll2Link, decodeSllLink } from './sll';
import { decodeTcp } from './tcp';
import { decodeIp6InIp, decodeIpInIp } from './tunnel';
import { decodeSctp, decodeUdp } from './udp';
import { decodeVxlan } from './vxlan';

const LINK_TYPES: Array<[number, LinkDecoder]> = [
  [0, decodeNullLink], // LINKTYPE_NULL
  [1, decodeEthernetLink], // LINKTYPE_ETHERNET (EN10MB)
  [12, decodeRawLink], // DLT_RAW on most BSDs
  [14, decodeRawLink], // DLT_RAW on OpenBSD
  [101, decodeRawLink], // LINKTYPE_RAW
  [108, decodeLoopLink], // LINKTYPE_LOOP
  [113, decodeSllLink], // LINKTYPE_LINUX_SLL
  [228, decodeIpv4Link], // LINKTYPE_IPV4
  [229, decodeIpv6Link], // LINKTYPE_IPV6
  [239, decodeNflogLink], // LINKTYPE_NFLOG
  [276, decodeSll2Link], // LINKTYPE_LINUX_SLL2
];

const ETHER_TYPES: Array<[number, NetDecoder]> = [
  [0x0800, decodeIpv4],
  [0x86dd, decodeIpv6],
  [0x0806, decodeArp],
];

const IP_PROTOCOLS: Array<[number, L4Decoder]> = [
  [1, decodeIcmp],
  [4, decodeIpInIp],
  [6, decodeTcp],
  [17, decodeUdp],
  [41, decodeIp6InIp],
  [47, decodeGre],
  [58, decodeIcmpv6],
  [132, decodeSctp],
];

const UDP_PORTS: Array<[number, NetDecoder]> = [
  [4789, decodeVxlan], // IANA VXLAN
  [8472, decodeVxlan], // Linux vxlan default, Flannel, Cilium (tcpdump calls it OTV)
  [6081, decodeGeneve],
];

for (const [k, d] of LINK_TYPES) linkTypes.set(k, d);
for (const [k, d] of ETHER_TYPES) etherTypes.set(k, d);
for (const [k, d] of IP_PROTOCOLS) ipProtocols[k] = d;
for (const [k, d] of UDP_PORTS) udpPorts.set(k, d);

/** What the capture file knows about the interface/record, beyond the link type. */
export interface FrameHint {
  /** pcapng epb_flags direction; a cooked header's packet type takes precedence */
  direction?: 'in' | 'out' | null;
  /** FCS bytes at the end of the frame (pcap FCS bits, if_fcslen), stripped before decoding */
  fcsLen?: number;
}

// One reader for every frame: decoding is synchronous and nothing keeps the reader afterwards.
const reader = new ByteReader(new Uint8Array(0));

/** Decode one captured frame of the given LINKTYPE; never throws on bad bytes (see `anomalies`). */
export function decodeFrame(linkType: number, data: Uint8Array, ifaceHint?: FrameHint): DecodedPacket {
  const p = newPacket('other');
  let end = data.byteLength;
  if (ifaceHint !== undefined) {
    if (ifaceHint.direction) p.direction = ifaceHint.direction;
    if (ifaceHint.fcsLen) end = end > ifaceHint.fcsLen ? end - ifaceHint.fcsLen : 0;
  }
  const d = linkTypes.get(linkType);
  if (d === undefined) {
    p.anomalies.push('link.unsupported');
    p.payloadCaptured = end;
    return p;
  }
  d(reader.reset(data), end, p);
  return p;
}
