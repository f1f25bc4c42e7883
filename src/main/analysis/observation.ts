// One capture record reduced to what the analysis needs (an observation of a packet).
import type { DecodedPacket, QuotedTuple } from '../decode/types';

/** An observation: one capture record of one packet on one interface (the outer or a tunnelled inner packet). */
export interface Observation {
  /** case-wide id, in ingest order */
  id: number;
  input: number;
  frame: number;
  /** file offset of the packet bytes */
  offset: number;
  caplen: number;
  origLen: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  /** seconds as a float (µs-exact at epoch scale); ordering and windows only */
  t: number;
  ifaceId: number | null;
  iface: string | null;
  dir: 0 | 1 | null;
  l3: 4 | 6 | null;
  src: string | null;
  dst: string | null;
  proto: number | null;
  sport: number | null;
  dport: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  icmpId: number | null;
  icmpSeq: number | null;
  icmpError: boolean;
  icmpMtu: number | null;
  quoted: QuotedTuple | null;
  ipId: number | null;
  ttl: number | null;
  ipLen: number | null;
  tcpFlags: number | null;
  seq: number | null;
  ack: number | null;
  win: number | null;
  wscale: number | null;
  payloadLen: number;
  /** NAT-invariant fingerprint of the packet (see journeys.ts): a 52-bit hash, null when not IP */
  fp: number | null;
  anomaly: string | null;
  /** for an inner (tunnelled) packet: the outer observation's id */
  tunnelOf: number | null;
  flowId: number | null;
  flowDir: 0 | 1 | null;
  journeyId: number | null;
}

/** TCP flag bits as on the wire. */
export const TCP = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

const FLAG_NAMES: Array<[number, string]> = [
  [TCP.FIN, 'FIN'],
  [TCP.SYN, 'SYN'],
  [TCP.RST, 'RST'],
  [TCP.PSH, 'PSH'],
  [TCP.ACK, 'ACK'],
  [TCP.URG, 'URG'],
  [TCP.ECE, 'ECE'],
  [TCP.CWR, 'CWR'],
];

/** Names of the TCP flags set, as iptables and traces write them (ECE/CWR only when asked). */
export function tcpFlagNames(flags: number, ecn = false): string[] {
  const out: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit && (ecn || bit < TCP.ECE)) out.push(name);
  return out;
}

/** Report letters for TCP flags, in the schema's order S F R P A U E C. */
export function tcpFlagLetters(flags: number): string {
  let s = '';
  if (flags & TCP.SYN) s += 'S';
  if (flags & TCP.FIN) s += 'F';
  if (flags & TCP.RST) s += 'R';
  if (flags & TCP.PSH) s += 'P';
  if (flags & TCP.ACK) s += 'A';
  if (flags & TCP.URG) s += 'U';
  if (flags & TCP.ECE) s += 'E';
  if (flags & TCP.CWR) s += 'C';
  return s;
}

// a 32-bit mixing step (murmur3 finaliser style), for fingerprints
function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  return Math.imul(h, 0x1b873593) ^ (v >>> 16);
}

// FNV-1a over a few payload bytes: payloads are NAT-invariant, so copies of one packet on both sides
// of a NAT share it, while distinct packets with equal headers rarely do.
function payloadHash(data: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  const end = Math.min(data.length, off + Math.min(len, 64));
  for (let i = off; i < end; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Where and when a capture record was taken. */
export interface Placement {
  input: number;
  frame: number;
  offset: number;
  caplen: number;
  origLen: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  ifaceId: number | null;
  iface: string | null;
  dir: 0 | 1 | null;
}

/** An observation with every field empty (the pool's spare, before makeObservation fills it). */
function blankObservation(): Observation {
  return {
    id: 0,
    input: 0,
    frame: 0,
    offset: 0,
    caplen: 0,
    origLen: 0,
    linkType: 0,
    tsSec: 0,
    tsNsec: 0,
    t: 0.5,
    ifaceId: null,
    iface: null,
    dir: null,
    l3: null,
    src: null,
    dst: null,
    proto: null,
    sport: null,
    dport: null,
    icmpType: null,
    icmpCode: null,
    icmpId: null,
    icmpSeq: null,
    icmpError: false,
    icmpMtu: null,
    quoted: null,
    ipId: null,
    ttl: null,
    ipLen: null,
    tcpFlags: null,
    seq: null,
    ack: null,
    win: null,
    wscale: null,
    payloadLen: 0,
    fp: null,
    anomaly: null,
    tunnelOf: null,
    flowId: null,
    flowDir: null,
    journeyId: null,
  };
}

/**
 * Observations handed back once their journey is written, and filled again for later records:
 * an observation lives for the journey window (≈ 20 ms of capture, thousands of records), long
 * enough to be copied by every young-generation collection and promoted; reused, it never is.
 */
export class ObservationPool {
  private readonly spare: Observation[] = [];

  /** A spare observation, or a new one. */
  take(): Observation {
    return this.spare.pop() ?? blankObservation();
  }

  /** Gives back an observation nothing refers to any more. */
  release(o: Observation): void {
    o.quoted = null;
    o.iface = null;
    if (this.spare.length < 65536) this.spare.push(o);
  }
}

/**
 * The observation of one decoded packet (outer, or an inner tunnelled one). With a pool, a spare
 * observation is filled (the hot path: no allocation); every field is written either way.
 */
export function makeObservation(
  id: number,
  at: Placement,
  p: DecodedPacket,
  data: Uint8Array,
  tunnelOf: number | null,
  pool?: ObservationPool,
): Observation {
  const l3 = p.l3 === 'ipv4' ? 4 : p.l3 === 'ipv6' ? 6 : null;
  const icmp = p.icmp;
  const tcp = p.tcp;
  let fp: number | null = null;
  if (l3 !== null && p.proto !== null) {
    // The fingerprint leaves out everything NAT or forwarding may change: addresses, ports, TTL,
    // checksums, the ICMP echo id. A number, not a string: this runs for every record.
    let h = mix(
      mix(mix(0x9e3779b9, p.proto), p.ipLen ?? 0),
      (l3 === 4 ? (p.ipId ?? 0) : 0) ^ (p.fragOffset << 16),
    );
    if (tcp) h = mix(mix(mix(mix(h, tcp.seq), tcp.ack), tcp.flags), tcp.window);
    else if (icmp)
      h = mix(
        mix(mix(h, (icmp.type << 8) | icmp.code), icmp.seq ?? 0),
        payloadHash(data, p.payloadOffset, p.payloadCaptured),
      );
    else h = mix(h, payloadHash(data, p.payloadOffset, p.payloadCaptured));
    // 52 bits: two 32-bit lanes folded, exact as a JS number
    fp = (h >>> 0) * 0x100000 + (mix(h, 0x85ebca6b) >>> 12);
  }
  const o = pool ? pool.take() : blankObservation();
  o.id = id;
  o.input = at.input;
  o.frame = at.frame;
  o.offset = at.offset;
  o.caplen = at.caplen;
  o.origLen = at.origLen;
  o.linkType = at.linkType;
  o.tsSec = at.tsSec;
  o.tsNsec = at.tsNsec;
  o.t = at.tsSec + at.tsNsec / 1e9;
  o.ifaceId = at.ifaceId;
  o.iface = at.iface;
  o.dir = at.dir;
  o.l3 = l3;
  o.src = p.src;
  o.dst = p.dst;
  o.proto = p.proto;
  o.sport = p.sport;
  o.dport = p.dport;
  o.icmpType = icmp ? icmp.type : null;
  o.icmpCode = icmp ? icmp.code : null;
  o.icmpId = icmp ? icmp.id : null;
  o.icmpSeq = icmp ? icmp.seq : null;
  o.icmpError = icmp ? icmp.isError : false;
  o.icmpMtu = icmp ? icmp.mtu : null;
  o.quoted = icmp ? icmp.quoted : null;
  o.ipId = p.ipId;
  o.ttl = p.ttl;
  o.ipLen = p.ipLen;
  o.tcpFlags = tcp ? tcp.flags : null;
  o.seq = tcp ? tcp.seq : null;
  o.ack = tcp ? tcp.ack : null;
  o.win = tcp ? tcp.window : null;
  o.wscale = tcp ? tcp.wscale : null;
  o.payloadLen = tcp ? tcp.payloadLen : Math.max(0, p.payloadCaptured);
  o.fp = fp;
  o.anomaly = p.anomalies[0] ?? null;
  o.tunnelOf = tunnelOf;
  o.flowId = null;
  o.flowDir = null;
  o.journeyId = null;
  return o;
}
