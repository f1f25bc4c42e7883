// The decoded view of one captured frame: what flows, journeys and analysis need, nothing more.

/** TCP header fields. Flags are the raw 8-bit (plus NS) flag field. */
export interface TcpInfo {
  flags: number;
  seq: number;
  ack: number;
  window: number;
  /** Length of the TCP payload actually covered by the IP total length (not caplen). */
  payloadLen: number;
  /** TCP Data Offset field as on the wire: header length in 32-bit words (5..15) */
  dataOffset: number;
  mss: number | null;
  wscale: number | null;
  sackPermitted: boolean;
  /** SACK blocks [left, right] */
  sack: Array<[number, number]> | null;
  tsVal: number | null;
  tsEcr: number | null;
}

/** The tuple an ICMP/ICMPv6 error quotes (the offending datagram's header). */
export interface QuotedTuple {
  l3: 'ipv4' | 'ipv6';
  src: string;
  dst: string;
  proto: number;
  sport: number | null;
  dport: number | null;
  /** for a quoted ICMP echo */
  icmpId: number | null;
  ipId: number | null;
}

export interface IcmpInfo {
  type: number;
  code: number;
  /** echo request/reply identifier */
  id: number | null;
  seq: number | null;
  /** true for error messages (dest unreachable, time exceeded, packet too big, param problem, redirect) */
  isError: boolean;
  /** frag-needed / packet-too-big MTU */
  mtu: number | null;
  quoted: QuotedTuple | null;
}

export type TunnelKind = 'vxlan' | 'geneve' | 'gre' | 'ipip' | 'ip6ip' | 'sit' | 'ip6ip6';

/** One decoded packet (the outermost layer at top level; a tunnelled packet has `inner`). */
export interface DecodedPacket {
  /** the link layer that was stripped */
  link: 'ethernet' | 'sll' | 'sll2' | 'raw' | 'null' | 'loop' | 'nflog' | 'other';
  macSrc: string | null;
  macDst: string | null;
  /** VLAN ids outer first (802.1Q / 802.1ad) */
  vlans: number[];
  /** SLL2 interface index */
  ifindex: number | null;
  /** in/out from SLL/SLL2 packet type (OUTGOING = out, HOST/BROADCAST/MULTICAST/OTHERHOST = in) */
  direction: 'in' | 'out' | null;
  /** SLL packet type value when present */
  pktType: number | null;
  /** EtherType of the network layer (0x0800, 0x86dd, 0x0806, …) or null */
  etherType: number | null;
  l3: 'ipv4' | 'ipv6' | 'arp' | null;
  src: string | null;
  dst: string | null;
  /** IPv4 identification; IPv6 fragment identification when fragmented, else null */
  ipId: number | null;
  /** IPv4 TTL / IPv6 hop limit */
  ttl: number | null;
  /** IPv4 total length / IPv6 payload length + 40 */
  ipLen: number | null;
  tos: number | null;
  df: boolean;
  /** fragment offset in bytes; non-zero or mf => a fragment */
  fragOffset: number;
  moreFragments: boolean;
  /** final L4 protocol number (after IPv6 extension headers) */
  proto: number | null;
  sport: number | null;
  dport: number | null;
  tcp: TcpInfo | null;
  icmp: IcmpInfo | null;
  /** GRE key, VXLAN/Geneve VNI */
  tunnel: { kind: TunnelKind; vni: number | null } | null;
  /** the encapsulated packet */
  inner: DecodedPacket | null;
  /** offset within the frame where L4 payload starts (or where decoding stopped) */
  payloadOffset: number;
  /** bytes of L4 payload present in the capture */
  payloadCaptured: number;
  /** named anomalies, e.g. 'ipv4.bad-ihl', 'tcp.truncated', 'link.unsupported' */
  anomalies: string[];
}
