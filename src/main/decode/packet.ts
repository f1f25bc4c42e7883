// The empty DecodedPacket every decoder fills in, and the anomaly vocabulary (Zeek "weirds").
import type { DecodedPacket } from './types';

/** Every anomaly name a decoder can report; stored and counted by name. */
export const ANOMALIES = [
  'link.unsupported',
  'ethernet.truncated',
  'vlan.truncated',
  'sll.truncated',
  'sll2.truncated',
  'null.truncated',
  'null.unknown-family',
  'nflog.truncated',
  'nflog.bad-tlv',
  'nflog.no-payload',
  'raw.truncated',
  'raw.bad-version',
  'arp.truncated',
  'ipv4.truncated',
  'ipv4.bad-version',
  'ipv4.bad-ihl',
  'ipv4.bad-total-length',
  'ipv6.truncated',
  'ipv6.bad-version',
  'ipv6.ext-truncated',
  'tcp.truncated',
  'tcp.bad-data-offset',
  'tcp.bad-option',
  'udp.truncated',
  'udp.bad-length',
  'sctp.truncated',
  'icmp.truncated',
  'icmp.quote-truncated',
  'icmp.bad-quote',
  'icmpv6.truncated',
  'icmpv6.quote-truncated',
  'icmpv6.bad-quote',
  'gre.truncated',
  'gre.unsupported',
  'vxlan.truncated',
  'vxlan.bad-flags',
  'geneve.truncated',
  'geneve.bad-version',
  'tunnel.too-deep',
] as const;

/** One of ANOMALIES. */
export type AnomalyName = (typeof ANOMALIES)[number];

/** A packet with nothing decoded yet; every field is present so all packets share one shape. */
export function newPacket(link: DecodedPacket['link']): DecodedPacket {
  return {
    link,
    macSrc: null,
    macDst: null,
    vlans: [],
    ifindex: null,
    direction: null,
    pktType: null,
    etherType: null,
    l3: null,
    src: null,
    dst: null,
    ipId: null,
    ttl: null,
    ipLen: null,
    tos: null,
    df: false,
    fragOffset: 0,
    moreFragments: false,
    proto: null,
    sport: null,
    dport: null,
    tcp: null,
    icmp: null,
    tunnel: null,
    inner: null,
    payloadOffset: 0,
    payloadCaptured: 0,
    anomalies: [],
  };
}

/** Record a named anomaly and mark where decoding stopped (nothing after off is payload). */
export function fail(p: DecodedPacket, name: AnomalyName, off: number): void {
  p.anomalies.push(name);
  p.payloadOffset = off;
  p.payloadCaptured = 0;
}

/** Decoding ends normally at off: the rest up to end is opaque payload. */
export function stopAt(p: DecodedPacket, off: number, end: number): void {
  p.payloadOffset = off;
  p.payloadCaptured = end > off ? end - off : 0;
}
