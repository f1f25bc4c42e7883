// Connections the way conntrack sees them: both directions, every interface, both sides of a NAT.
// Tuples seen in the capture are keyed per direction; a journey that shows one packet with two
// tuples (before and after NAT), or a conntrack entry, binds all those tuples to one flow.
import type { NatEvidence, Tuple } from '../../shared/report';
import type { CtConnection } from './conntrack-join';
import type { Journey } from './journeys';
import type { Observation } from './observation';
import { TCP } from './observation';
import { TCP_TIMEOUTS, TcpTracker } from './tcp-state';

/** IP protocol numbers → conntrack's names. */
export const PROTO_NAMES: Record<number, string> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  33: 'dccp',
  47: 'gre',
  50: 'esp',
  58: 'icmpv6',
  132: 'sctp',
  136: 'udplite',
};

/** Protocol name as conntrack prints it, or the number. */
export function protoName(p: number): string {
  return PROTO_NAMES[p] ?? String(p);
}

const PORT_PROTOS = new Set([6, 17, 33, 132, 136]);

function isLoopbackIp(ip: string | null): boolean {
  if (ip === null) return false;
  // first character first: this runs for every packet
  const c = ip.charCodeAt(0);
  return (c === 0x31 && ip.startsWith('127.')) || (c === 0x3a && ip === '::1');
}

/** Echo request/reply types of ICMP and ICMPv6. */
function echoKind(proto: number, type: number | null): 'q' | 'r' | null {
  if (proto === 1) return type === 8 ? 'q' : type === 0 ? 'r' : null;
  if (proto === 58) return type === 128 ? 'q' : type === 129 ? 'r' : null;
  return null;
}

/** A directed tuple: what a packet carries, in the form conntrack tuples are written. */
export interface DTuple {
  readonly l3: 4 | 6;
  readonly proto: number;
  readonly src: string;
  readonly dst: string;
  /** ports; ICMP echo: a = id, b = 'q' (request) | 'r' (reply); ICMP other: type/code */
  readonly a: number | string;
  readonly b: number | string;
}

/** The key of a directed tuple. */
export function dkey(t: DTuple): string {
  return `${t.l3}|${t.proto}|${t.src}|${t.dst}|${t.a}|${t.b}`;
}

/** True when two directed tuples are the same. */
export function sameTuple(x: DTuple, y: DTuple): boolean {
  return (
    x === y ||
    (x.src === y.src && x.dst === y.dst && x.a === y.a && x.b === y.b && x.proto === y.proto && x.l3 === y.l3)
  );
}

/** The tuple a reply to `t` carries. */
export function inverse(t: DTuple): DTuple {
  if (t.b === 'q' || t.b === 'r') return { ...t, src: t.dst, dst: t.src, b: t.b === 'q' ? 'r' : 'q' };
  if (PORT_PROTOS.has(t.proto)) return { ...t, src: t.dst, dst: t.src, a: t.b, b: t.a };
  return { ...t, src: t.dst, dst: t.src };
}

/** True when `y` is the tuple a reply to `x` carries (inverse(x), without making it). */
export function isInverse(x: DTuple, y: DTuple): boolean {
  if (x.l3 !== y.l3 || x.proto !== y.proto || x.src !== y.dst || x.dst !== y.src) return false;
  if (x.b === 'q' || x.b === 'r') return y.a === x.a && y.b === (x.b === 'q' ? 'r' : 'q');
  if (PORT_PROTOS.has(x.proto)) return y.a === x.b && y.b === x.a;
  return y.a === x.a && y.b === x.b;
}

/** The directed tuple of an observation, or null when it is not IP. */
export function obsTuple(o: Observation): DTuple | null {
  if (o.l3 === null || o.src === null || o.dst === null || o.proto === null) return null;
  const proto = o.proto;
  if (PORT_PROTOS.has(proto) && o.sport !== null && o.dport !== null)
    return { l3: o.l3, proto, src: o.src, dst: o.dst, a: o.sport, b: o.dport };
  if (proto === 1 || proto === 58) {
    const k = echoKind(proto, o.icmpType);
    if (k && o.icmpId !== null) return { l3: o.l3, proto, src: o.src, dst: o.dst, a: o.icmpId, b: k };
    return { l3: o.l3, proto, src: o.src, dst: o.dst, a: `t${o.icmpType ?? ''}`, b: `c${o.icmpCode ?? ''}` };
  }
  return { l3: o.l3, proto, src: o.src, dst: o.dst, a: '', b: '' };
}

// FNV-1a over a short string (an address): a slot number, not an identity
function textHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

// a number from a tuple part: ports and ids as they are, ICMP type/code and echo letters hashed
function partHash(v: number | string): number {
  return typeof v === 'number' ? v : textHash(v);
}

/** Hash of a directed tuple's values, 30 bits (a small-integer Map key: hashed by V8 at no cost). */
export function tupleHash(t: DTuple): number {
  return mixTuple(textHash(t.src), textHash(t.dst), partHash(t.a), partHash(t.b), t.proto);
}

function mixTuple(src: number, dst: number, a: number, b: number, proto: number): number {
  const h = Math.imul(src ^ Math.imul(dst, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(a, 0x10001) ^ (proto << 8);
  return (Math.imul(h ^ (h >>> 15) ^ Math.imul(b, 0x2c1b3c6d), 0x297a2d39) ^ (h >>> 13)) & 0x3fffffff;
}

const TUPLE_SLOTS = 8192;

/**
 * Directed tuples of recent packets with their hash and flow-table entry, direct-mapped: most
 * packets carry a tuple seen a moment before, so neither a tuple nor a lookup is made for them.
 * Tuples are never mutated, so sharing them is safe.
 */
class TupleCache {
  private readonly tuples: Array<DTuple | undefined> = new Array<DTuple | undefined>(TUPLE_SLOTS).fill(
    undefined,
  );
  private readonly keys: string[] = new Array<string>(TUPLE_SLOTS).fill('');
  /** the flow-table entry last found for the slot's key (checked for `dead` before use) */
  readonly entries: Array<KeyEntry | undefined> = new Array<KeyEntry | undefined>(TUPLE_SLOTS).fill(
    undefined,
  );
  /** the tupleHash() of the tuple last returned by get() */
  hash = 0;
  private last: DTuple | null = null;
  /** its slot, or -1 when it was not cached */
  slot = -1;

  /**
   * The string key of the tuple last returned by get(), built when first asked for (only conntrack
   * joins use string keys).
   */
  key(): string {
    if (this.slot < 0) return dkey(this.last!);
    return (this.keys[this.slot] ||= dkey(this.last!));
  }

  /** The directed tuple of an observation (null when not IP); its hash is left in `hash`. */
  get(o: Observation): DTuple | null {
    const { l3, src, dst, proto, sport, dport } = o;
    if (l3 === null || src === null || dst === null || proto === null) return null;
    let a: number | string;
    let b: number | string;
    if (PORT_PROTOS.has(proto) && sport !== null && dport !== null) {
      a = sport;
      b = dport;
    } else if ((proto === 1 || proto === 58) && o.icmpId !== null && echoKind(proto, o.icmpType)) {
      a = o.icmpId;
      b = echoKind(proto, o.icmpType)!;
    } else {
      const t = obsTuple(o)!;
      this.hash = tupleHash(t);
      this.slot = -1;
      this.last = t;
      return t;
    }
    const h = mixTuple(textHash(src), textHash(dst), a, partHash(b), proto);
    const slot = h & (TUPLE_SLOTS - 1);
    const hit = this.tuples[slot];
    if (
      hit !== undefined &&
      hit.a === a &&
      hit.b === b &&
      hit.src === src &&
      hit.dst === dst &&
      hit.proto === proto &&
      hit.l3 === l3
    ) {
      this.hash = h;
      this.slot = slot;
      this.last = hit;
      return hit;
    }
    const t: DTuple = { l3, proto, src, dst, a, b };
    this.hash = h;
    this.tuples[slot] = t;
    this.keys[slot] = '';
    this.entries[slot] = undefined;
    this.slot = slot;
    this.last = t;
    return t;
  }
}

/** A report tuple → directed tuple. */
export function fromTuple(l3: 4 | 6, proto: number, t: Tuple): DTuple {
  if (proto === 1 || proto === 58) {
    const k = echoKind(proto, t.icmp_type ?? null);
    if (k && t.icmp_id !== undefined) return { l3, proto, src: t.src, dst: t.dst, a: t.icmp_id, b: k };
    return { l3, proto, src: t.src, dst: t.dst, a: `t${t.icmp_type ?? ''}`, b: `c${t.icmp_code ?? ''}` };
  }
  if (PORT_PROTOS.has(proto))
    return { l3, proto, src: t.src, dst: t.dst, a: t.sport ?? '', b: t.dport ?? '' };
  return { l3, proto, src: t.src, dst: t.dst, a: '', b: '' };
}

/** Directed tuple → report tuple. */
export function toTuple(t: DTuple, icmpCode: number | null = null): Tuple {
  const out: Tuple = { src: t.src, dst: t.dst };
  if (t.b === 'q' || t.b === 'r') {
    out.icmp_type = t.proto === 1 ? (t.b === 'q' ? 8 : 0) : t.b === 'q' ? 128 : 129;
    out.icmp_code = icmpCode ?? 0;
    out.icmp_id = Number(t.a);
  } else if (typeof t.a === 'number' && typeof t.b === 'number') {
    out.sport = t.a;
    out.dport = t.b;
  } else if (typeof t.a === 'string' && t.a.startsWith('t') && t.a.length > 1) {
    out.icmp_type = Number(t.a.slice(1));
    if (typeof t.b === 'string' && t.b.length > 1) out.icmp_code = Number(t.b.slice(1));
  }
  return out;
}

/** One connection in the making. */
export interface Flow {
  id: number;
  l3: 4 | 6;
  proto: number;
  orig: DTuple;
  /** the reply tuple once known (conntrack, or a reply seen, or a NATed copy seen) */
  reply: DTuple | null;
  replySource: 'conntrack' | 'capture' | 'ruleset' | null;
  /** (small lists kept distinct with addOnce: a Set per flow weighs more than the flow's own fields) */
  natEvidence: NatEvidence[];
  natRules: string[];
  firstT: number;
  firstSec: number;
  firstNsec: number;
  lastT: number;
  lastSec: number;
  lastNsec: number;
  pkts: [number, number];
  bytes: [number, number];
  nObs: number;
  ifaces: string[];
  /** the interface last added to `ifaces` (most packets repeat it: skips the Set) */
  lastIface: string | null;
  tcp: TcpTracker | null;
  ct: CtConnection[];
  outerId: number | null;
  /** ICMP errors (RELATED) seen about this flow */
  related: number;
  /** their ICMP type/code, e.g. '3/3' port unreachable, '3/4' frag needed */
  relatedIcmp: string[];
  /** first interface an original-direction packet arrived on / left by */
  iif: string | null;
  oif: string | null;
  /** time of the last reply packet, and original packets since (a backend that went quiet) */
  lastReplyT: number | null;
  origSinceReply: number;
  /** retransmitted segments larger than 1280 bytes, and how many of them never left the host */
  bigRetrans: number;
  bigRetransLen: number;
  /** the flow it raced with: the same UDP tuple sent within ms and NATed differently (clash) */
  raceWith: number | null;
  raceGap: number;
  /** changed since the last takeDirty() */
  dirty: boolean;
  /** byKey entries made for it (removed on eviction) */
  keys: KeyEntry[];
  /** its entry in synWaiting (source address, then sport·2³² + seq+1 of its SYN), while there */
  synSrc: string | null;
  synKey: number;
  /** when a packet of it was seen leaving the host, or answered: conntrack confirmed the entry then */
  confirmedAt: number | null;
  /** 127.0.0.0/8 or ::1 seen on a non-loopback interface */
  martian: string | null;
  /** packets per ctstate */
  ctstates: Record<string, number>;
}

/** Adds `v` to a short list of distinct values. */
export function addOnce<T>(list: T[], v: T): void {
  if (!list.includes(v)) list.push(v);
}

/** True when the flow's reply tuple shows a destination rewrite. */
export function dnatOf(f: Flow): boolean {
  if (!f.reply) return false;
  const inv = inverse(f.reply);
  return inv.dst !== f.orig.dst || (inv.b !== f.orig.b && !(f.orig.b === 'q' || f.orig.b === 'r'));
}

/** True when the flow's reply tuple shows a source rewrite (for ICMP echo: the id). */
export function snatOf(f: Flow): boolean {
  if (!f.reply) return false;
  const inv = inverse(f.reply);
  return inv.src !== f.orig.src || inv.a !== f.orig.a;
}

/**
 * Which flow a directed tuple belongs to, in which direction; `dead` once replaced or evicted.
 * Entries are chained per tupleHash (a number key: no key string to build and hash per packet).
 */
interface KeyEntry {
  t: DTuple;
  hash: number;
  flow: Flow;
  dir: 0 | 1;
  dead: boolean;
  next: KeyEntry | null;
}

/** A flow with every field empty, in the order newFlow() sets them (one hidden class for all). */
function blankFlow(): Flow {
  const none: DTuple = { l3: 4, proto: 0, src: '', dst: '', a: 0, b: 0 };
  return {
    id: 0,
    l3: 4,
    proto: 0,
    orig: none,
    reply: null,
    replySource: null,
    natEvidence: [],
    natRules: [],
    firstT: 0.5,
    firstSec: 0,
    firstNsec: 0,
    lastT: 0.5,
    lastSec: 0,
    lastNsec: 0,
    pkts: [0, 0],
    bytes: [0, 0],
    nObs: 0,
    ifaces: [],
    lastIface: null,
    tcp: null,
    ct: [],
    outerId: null,
    related: 0,
    relatedIcmp: [],
    confirmedAt: null,
    raceWith: null,
    raceGap: 0,
    dirty: false,
    keys: [],
    synSrc: null,
    synKey: 0,
    iif: null,
    oif: null,
    lastReplyT: null,
    origSinceReply: 0,
    bigRetrans: 0,
    bigRetransLen: 0,
    martian: null,
    ctstates: {},
  };
}

/** What assign() decided for one journey. */
export interface Assignment {
  flow: Flow;
  dir: 0 | 1;
  /** the journey's packet is an ICMP error about this flow (ctstate RELATED) */
  related: boolean;
  /** the journey's first packet created the flow */
  created: boolean;
  /** its first and last IP copies carry different tuples (a NAT rewrite seen) */
  rewritten: boolean;
}

function idleTimeout(f: Flow): number {
  if (f.tcp) return TCP_TIMEOUTS[f.tcp.stateName];
  if (f.proto === 17 || f.proto === 136) return f.pkts[1] > 0 ? 120 : 30;
  if (f.proto === 1 || f.proto === 58) return 30;
  return 600;
}

/** The NAT-aware flow table. */
export class FlowTable {
  /** flows in memory (finished ones are evicted once written) */
  readonly flows = new Map<number, Flow>();
  /** flows changed since the last takeDirty() (for live views during ingest), each once */
  private dirty: Flow[] = [];
  /** tuple → flow, by tupleHash(), chained */
  private readonly byKey = new Map<number, KeyEntry>();
  private readonly ctByKey = new Map<string, Array<{ ct: CtConnection; dir: 0 | 1 }>>();
  private nextId = 1;
  /**
   * flows opened by a SYN, by source address, then sport·2³² + seq+1 (exact, no key string built
   * per connection): a SYN/ACK acknowledging it belongs to them
   */
  private readonly synWaiting = new Map<string, Map<number, Flow>>();
  /** evicted flows to reuse (recycle()) */
  private readonly spare: Flow[] = [];

  private synGet(src: string, key: number): Flow | undefined {
    return this.synWaiting.get(src)?.get(key);
  }

  private synForget(src: string, key: number): void {
    const m = this.synWaiting.get(src);
    if (!m) return;
    m.delete(key);
    if (m.size === 0) this.synWaiting.delete(src);
  }

  /** Makes conntrack's connections known, so packets join them (and their NAT) by any of their four tuples. */
  addConntrack(conns: CtConnection[]): void {
    for (const ct of conns) {
      const o = fromTuple(ct.l3, ct.protonum, ct.orig);
      const r = fromTuple(ct.l3, ct.protonum, ct.reply);
      for (const [t, dir] of [
        [o, 0],
        [inverse(o), 1],
        [r, 1],
        [inverse(r), 0],
      ] as const) {
        const k = dkey(t);
        let list = this.ctByKey.get(k);
        if (!list) this.ctByKey.set(k, (list = []));
        if (!list.some((x) => x.ct === ct)) list.push({ ct, dir });
      }
    }
  }

  private ctFor(k: string, t: number, all: string[]): { ct: CtConnection; dir: 0 | 1 } | null {
    const list = this.ctByKey.get(k);
    if (!list) return null;
    let best: { ct: CtConnection; dir: 0 | 1 } | null = null;
    let later: { ct: CtConnection; dir: 0 | 1 } | null = null;
    for (const c of list) {
      // every tuple the packet was seen with must be one of this entry's (same NAT as observed)
      if (
        all.length > 1 &&
        ![all[0]!, all[all.length - 1]!].every((x) => this.ctByKey.get(x)?.some((y) => y.ct === c.ct))
      )
        continue;
      const first = c.ct.firstTs ?? c.ct.aligned;
      const end = c.ct.destroyTs;
      if (first === null) {
        // a log without timestamps: entries in log order, each taken by the first packets that match
        // it (and then aligned to their time), so a reused tuple's later entries go to later packets
        if (c.ct.flowId === null) return c;
        continue;
      }
      // conntrack -E stamps the receive time, just after the packet that caused the event: an entry
      // is a candidate from shortly before its first event until shortly after its DESTROY
      if (first !== null && t < first - 0.5) continue;
      if (end !== null && t > end + 0.5) continue;
      // the entry created last before the packet (a few ms of receive lag allowed) …
      if ((first ?? -Infinity) <= t + 0.05) {
        if (!best || (first ?? -Infinity) > (best.ct.firstTs ?? -Infinity)) best = c;
      } else if (!later || first! < later.ct.firstTs!) later = c;
    }
    // … else one whose first event came a little later (a slow listener)
    if (best || later) return best ?? later;
    // every untimed entry of this tuple is taken: the last one goes on (its flow may still be alive)
    return list.filter((c) => c.ct.firstTs === null).at(-1) ?? null;
  }

  /** A journey belongs to a flow only if none of its tuples is another flow's, nor outside the flow's conntrack entry. */
  private consistent(f: Flow, keys: string[], entries: Array<KeyEntry | undefined>): boolean {
    for (let i = 0; i < keys.length; i++) {
      const h = entries[i];
      // race siblings share their pre-NAT tuple: that key says nothing about which of them it is
      if (h && h.flow !== f && h.flow.raceWith !== f.id && f.raceWith !== h.flow.id) return false;
    }
    const ct = f.ct[f.ct.length - 1];
    // the packet's ends (as it arrived, as it left) must be the entry's tuples; copies in between
    // may carry a half-rewritten tuple (bridged traffic: de-SNAT at PREROUTING, un-DNAT at POSTROUTING)
    if (ct && keys.length > 1)
      return [keys[0]!, keys[keys.length - 1]!].every((k) => this.ctByKey.get(k)?.some((x) => x.ct === ct));
    return true;
  }

  private alive(f: Flow, o: Observation, dir: 0 | 1): boolean {
    if (o.t - f.lastT > idleTimeout(f)) return false;
    if (f.tcp && o.tcpFlags !== null && dir === 0) {
      const synOnly = (o.tcpFlags & (TCP.SYN | TCP.ACK)) === TCP.SYN;
      if (synOnly && f.tcp.reusable()) return false;
    }
    const ct = f.ct[f.ct.length - 1];
    if (ct && ct.destroyTs !== null && o.t > ct.destroyTs + 1) return false;
    return true;
  }

  private newFlow(o: Observation, orig: DTuple): Flow {
    const f = this.spare.pop() ?? blankFlow();
    // every field set again: a recycled flow keeps nothing of its last connection
    f.id = this.nextId++;
    f.l3 = orig.l3;
    f.proto = orig.proto;
    f.orig = orig;
    f.reply = null;
    f.replySource = null;
    f.natEvidence.length = 0;
    f.natRules.length = 0;
    f.firstT = o.t;
    f.firstSec = o.tsSec;
    f.firstNsec = o.tsNsec;
    f.lastT = o.t;
    f.lastSec = o.tsSec;
    f.lastNsec = o.tsNsec;
    f.pkts[0] = f.pkts[1] = 0;
    f.bytes[0] = f.bytes[1] = 0;
    f.nObs = 0;
    f.ifaces.length = 0;
    f.lastIface = null;
    f.tcp = orig.proto === 6 ? (f.tcp?.reset() ?? new TcpTracker()) : null;
    f.ct.length = 0;
    f.outerId = null;
    f.related = 0;
    f.relatedIcmp.length = 0;
    f.confirmedAt = null;
    f.raceWith = null;
    f.raceGap = 0;
    f.dirty = false;
    f.keys.length = 0;
    f.synSrc = null;
    f.synKey = 0;
    f.iif = null;
    f.oif = null;
    f.lastReplyT = null;
    f.origSinceReply = 0;
    f.bigRetrans = 0;
    f.bigRetransLen = 0;
    f.martian = null;
    f.ctstates = {};
    this.flows.set(f.id, f);
    return f;
  }

  /**
   * Takes back evicted flows once their rows are encoded and their findings taken: a flow lives
   * for seconds (its idle timeout), so each new one would be promoted to the old generation and
   * die there; reused, flows cost no garbage. Nothing may hold an evicted flow after this.
   */
  recycle(flows: Flow[]): void {
    for (const f of flows) if (this.spare.length < 8192) this.spare.push(f);
  }

  /** The live entry of a tuple. */
  private lookup(t: DTuple, hash: number): KeyEntry | undefined {
    for (let e: KeyEntry | null | undefined = this.byKey.get(hash); e; e = e.next)
      if (sameTuple(e.t, t)) return e;
    return undefined;
  }

  private register(t: DTuple, f: Flow, dir: 0 | 1, hash = tupleHash(t), known?: KeyEntry): void {
    // the hot path: a packet of a known flow on a known tuple changes nothing
    if (known && !known.dead && known.flow === f && known.dir === dir) return;
    const cur = this.lookup(t, hash);
    if (cur && cur.flow === f && cur.dir === dir) return;
    const inv = inverse(t);
    f.keys.push(this.bind(t, hash, f, dir), this.bind(inv, tupleHash(inv), f, dir === 0 ? 1 : 0));
  }

  // every change of byKey goes through bind/unbind: the entry replaced is marked dead for cached lookups
  private bind(t: DTuple, hash: number, flow: Flow, dir: 0 | 1): KeyEntry {
    const old = this.lookup(t, hash);
    if (old) this.unbind(old);
    const e: KeyEntry = { t, hash, flow, dir, dead: false, next: this.byKey.get(hash) ?? null };
    this.byKey.set(hash, e);
    return e;
  }

  private unbind(e: KeyEntry): void {
    if (e.dead) return;
    e.dead = true;
    const head = this.byKey.get(e.hash);
    if (head === e) {
      if (e.next) this.byKey.set(e.hash, e.next);
      else this.byKey.delete(e.hash);
      return;
    }
    for (let p: KeyEntry | null | undefined = head; p; p = p.next)
      if (p.next === e) {
        p.next = e.next;
        return;
      }
  }

  /** The live flow a directed tuple belongs to, if any. */
  ownerOf(t: DTuple): Flow | null {
    return this.lookup(t, tupleHash(t))?.flow ?? null;
  }

  /** Total flows made so far (also those evicted). */
  get count(): number {
    return this.nextId - 1;
  }

  /**
   * Hands over and forgets flows that can no longer get packets at capture time `now`: idle beyond
   * conntrack's timeout for their state, or closed (TIME_WAIT, CLOSE) for a few seconds. Memory then
   * follows the number of live connections, not the size of the capture.
   */
  evict(now: number, onEvict: (f: Flow) => void): number {
    let n = 0;
    for (const f of this.flows.values()) {
      const idle = now - f.lastT;
      // a closed TCP connection only sees stray retransmissions after a second; others keep their
      // conntrack timeout (never under a second)
      if (idle <= 1 || !(f.tcp?.reusable() || idle > idleTimeout(f))) continue;
      onEvict(f);
      for (const e of f.keys) this.unbind(e);
      if (f.synSrc !== null && this.synGet(f.synSrc, f.synKey) === f) this.synForget(f.synSrc, f.synKey);
      this.flows.delete(f.id);
      f.dirty = false;
      n++;
    }
    // evicted flows leave the dirty list too (it is only emptied by takeDirty, in live ingests)
    if (n) this.dirty = this.dirty.filter((f) => f.dirty);
    return n;
  }

  private bindCt(f: Flow, ct: CtConnection): void {
    if (f.ct.includes(ct)) return;
    if (ct.firstTs === null && ct.aligned === null) ct.aligned = f.firstT;
    f.ct.push(ct);
    ct.flowId = f.id;
    const o = fromTuple(ct.l3, ct.protonum, ct.orig);
    const r = fromTuple(ct.l3, ct.protonum, ct.reply);
    f.orig = o;
    f.reply = r;
    f.replySource = 'conntrack';
    addOnce(f.natEvidence, 'conntrack');
    this.register(o, f, 0);
    this.register(r, f, 1);
  }

  // scratch for assign(): the journey's IP copies, their tuples and keys (reused: no garbage per packet)
  private readonly tObs: Observation[] = [];
  private readonly tTup: DTuple[] = [];
  private readonly tKey: string[] = [];
  private readonly tEnt: Array<KeyEntry | undefined> = [];
  private readonly tHash: number[] = [];
  private readonly tupleCache = new TupleCache();

  /** Finds or creates the flow of one journey and updates its counters. */
  assign(j: Journey): Assignment | null {
    const tObs = this.tObs;
    const tTup = this.tTup;
    const keys = this.tKey;
    const ents = this.tEnt;
    const hashes = this.tHash;
    const cache = this.tupleCache;
    let n = 0;
    for (const o of j.obs) {
      const t = cache.get(o);
      if (!t) continue;
      const slot = cache.slot;
      let e = slot >= 0 ? cache.entries[slot] : undefined;
      if (e === undefined || e.dead) {
        e = this.lookup(t, cache.hash);
        if (slot >= 0) cache.entries[slot] = e;
      }
      tObs[n] = o;
      tTup[n] = t;
      // string keys only for conntrack joins
      keys[n] = this.ctByKey.size ? cache.key() : '';
      ents[n] = e;
      hashes[n] = cache.hash;
      n++;
    }
    if (n === 0) return null;
    // (only when the count changes: setting an array's length is a runtime call)
    if (tObs.length !== n) {
      tObs.length = n;
      tTup.length = n;
      keys.length = n;
      ents.length = n;
      hashes.length = n;
    }
    const firstO = tObs[0]!;
    const firstT = tTup[0]!;
    const lastT = tTup[n - 1]!;
    let flow: Flow | null = null;
    let dir: 0 | 1 = 0;
    let related = false;
    let created = false;

    for (let i = 0; i < n; i++) {
      const hit = ents[i];
      if (hit && this.alive(hit.flow, tObs[i]!, hit.dir) && this.consistent(hit.flow, keys, ents)) {
        flow = hit.flow;
        dir = hit.dir;
        break;
      }
    }
    if (flow && dir === 0 && flow.replySource === 'capture' && flow.reply && n > 1) {
      // Same original tuple, another NAT: a second conntrack entry (the UDP insert race resolved
      // with a clash, or a reused tuple after expiry), not the same connection.
      if (!isInverse(lastT, flow.reply) && !sameTuple(lastT, firstT)) {
        const sibling = flow;
        flow = this.newFlow(firstO, firstT);
        created = true;
        // two datagrams of one tuple NATed two ways within milliseconds: the conntrack insert race
        if (flow.proto === 17 && firstO.t - sibling.firstT < 0.05) {
          flow.raceWith = sibling.id;
          flow.raceGap = firstO.t - sibling.firstT;
        }
      }
    }
    if (!flow && this.ctByKey.size > 0) {
      for (let i = 0; i < n; i++) {
        const o = tObs[i]!;
        const hit = this.ctFor(keys[i]!, o.t, keys);
        if (hit) {
          flow = hit.ct.flowId !== null ? (this.flows.get(hit.ct.flowId) ?? null) : null;
          if (!flow || !this.alive(flow, o, hit.dir)) {
            flow = this.newFlow(firstO, fromTuple(hit.ct.l3, hit.ct.protonum, hit.ct.orig));
            created = true;
          }
          this.bindCt(flow, hit.ct);
          dir = hit.dir;
          break;
        }
      }
    }
    if (!flow && firstO.icmpError && firstO.quoted) {
      // An ICMP error travels back toward the sender of the datagram it quotes: RELATED to that flow.
      const q = firstO.quoted;
      const qt: DTuple | null =
        q.sport !== null && q.dport !== null
          ? { l3: firstT.l3, proto: q.proto, src: q.src, dst: q.dst, a: q.sport, b: q.dport }
          : q.icmpId !== null
            ? { l3: firstT.l3, proto: q.proto, src: q.src, dst: q.dst, a: q.icmpId, b: 'q' }
            : null;
      if (qt) {
        const hit = this.lookup(qt, tupleHash(qt));
        if (hit) {
          flow = hit.flow;
          dir = hit.dir === 0 ? 1 : 0;
          related = true;
        }
      }
    }
    const synAck =
      firstO.tcpFlags !== null && (firstO.tcpFlags & (TCP.SYN | TCP.ACK)) === (TCP.SYN | TCP.ACK);
    if (!flow && synAck) {
      // The handshake ties a SYN/ACK to its SYN whatever NAT did in between (ack = seq + 1): seen on
      // `lo`, a REDIRECT in nat OUTPUT shows the SYN after DNAT and the SYN/ACK after de-NAT.
      const k = typeof firstT.b === 'number' ? firstT.b * 4294967296 + (firstO.ack ?? 0) : -1;
      const f = k >= 0 ? this.synGet(firstT.dst, k) : undefined;
      if (f && this.alive(f, firstO, 1)) {
        this.synForget(firstT.dst, k);
        f.synSrc = null;
        flow = f;
        dir = 1;
        const seenOrig = f.orig;
        if (!sameTuple(firstT, inverse(seenOrig))) {
          f.orig = inverse(firstT);
          f.reply = inverse(seenOrig);
          f.replySource = 'capture';
          addOnce(f.natEvidence, 'capture');
          this.register(f.orig, f, 0);
          this.register(f.reply, f, 1);
        }
      }
    }
    if (!flow) {
      let orig = firstT;
      // A SYN/ACK seen first means we missed the SYN: the receiver is still the originator.
      if (synAck || firstT.b === 'r') {
        orig = inverse(firstT);
        dir = 1;
      }
      flow = this.newFlow(firstO, orig);
      created = dir === 0;
      if (
        created &&
        firstO.tcpFlags !== null &&
        (firstO.tcpFlags & (TCP.SYN | TCP.ACK)) === TCP.SYN &&
        firstO.seq !== null &&
        typeof firstT.a === 'number'
      ) {
        flow.synSrc = firstT.src;
        flow.synKey = firstT.a * 4294967296 + ((firstO.seq + 1) >>> 0);
        let m = this.synWaiting.get(flow.synSrc);
        if (!m) this.synWaiting.set(flow.synSrc, (m = new Map()));
        m.set(flow.synKey, flow);
      }
    }

    if (!related) {
      // Every tuple this packet carried belongs to the flow in this direction (NAT legs).
      let rewritten = false;
      for (let i = 0; i < n; i++) {
        this.register(tTup[i]!, flow, dir, hashes[i], ents[i]);
        if (!sameTuple(tTup[i]!, firstT)) rewritten = true;
      }
      if (rewritten) {
        addOnce(flow.natEvidence, 'capture');
        if (flow.replySource !== 'conntrack') {
          // orig packets: the last copy is after NAT, its inverse is the reply tuple;
          // reply packets: the first copy is before de-NAT, it is the reply tuple.
          flow.reply = dir === 0 ? inverse(lastT) : firstT;
          flow.replySource = 'capture';
        }
      } else if (dir === 1 && flow.replySource === null && firstO.dir === 0) {
        // a reply seen arriving is still as the server sent it: conntrack's reply tuple. One seen
        // leaving (or of unknown direction) may already be de-NATed and says nothing.
        flow.reply = firstT;
        flow.replySource = 'capture';
      }
    } else {
      flow.related++;
      addOnce(flow.relatedIcmp, `${firstO.icmpType}/${firstO.icmpCode}`);
    }
    const orig = dir === 0 && !related;
    for (let i = 0; i < n; i++) {
      const o = tObs[i]!;
      if (
        flow.martian === null &&
        o.iface !== null &&
        o.iface !== 'lo' &&
        (isLoopbackIp(o.src) || isLoopbackIp(o.dst))
      )
        flow.martian = `${o.src} → ${o.dst} on ${o.iface} (frame ${o.frame})`;
      if (orig) {
        if (o.dir === 0 && flow.iif === null) flow.iif = o.iface;
        if (o.dir === 1 && flow.oif === null) flow.oif = o.iface;
      }
      if (o.iface && flow.lastIface !== o.iface) {
        addOnce(flow.ifaces, o.iface);
        flow.lastIface = o.iface;
      }
    }

    if (!flow.dirty) {
      flow.dirty = true;
      this.dirty.push(flow);
    }
    flow.pkts[dir]++;
    if (dir === 1) {
      flow.lastReplyT = firstO.t;
      flow.origSinceReply = 0;
    } else if (!related) flow.origSinceReply++;
    flow.bytes[dir] += firstO.ipLen ?? firstO.origLen;
    flow.nObs += j.obs.length;
    for (const o of j.obs) {
      o.flowId = flow.id;
      o.flowDir = dir;
    }
    const last = j.obs[j.obs.length - 1]!;
    if (last.t >= flow.lastT) {
      flow.lastT = last.t;
      flow.lastSec = last.tsSec;
      flow.lastNsec = last.tsNsec;
    }
    const asg = this.asg;
    asg.flow = flow;
    asg.dir = dir;
    asg.related = related;
    asg.created = created;
    asg.rewritten = !sameTuple(firstT, lastT);
    return asg;
  }

  // assign()'s answer, reused: callers read it before the next journey
  private readonly asg: Assignment = {
    flow: null!,
    dir: 0,
    related: false,
    created: false,
    rewritten: false,
  };

  /** The flows changed since the last call. */
  takeDirty(): Flow[] {
    const out = this.dirty.filter((f) => f.dirty);
    for (const f of out) f.dirty = false;
    this.dirty = [];
    return out;
  }

  /** Conntrack connections never matched by a captured packet become flows of their own. */
  addUnseenConntrack(conns: CtConnection[]): Flow[] {
    // (an evicted flow keeps its conntrack entries' flowId: they were seen)
    const out: Flow[] = [];
    for (const ct of conns) {
      if (ct.flowId !== null) continue;
      const ts = ct.firstTs ?? 0;
      const sec = Math.floor(ts);
      const fake = { t: ts, tsSec: sec, tsNsec: Math.round((ts - sec) * 1e9) } as Observation;
      const f = this.newFlow(fake, fromTuple(ct.l3, ct.protonum, ct.orig));
      const end = ct.lastTs ?? ts;
      f.lastT = end;
      f.lastSec = Math.floor(end);
      f.lastNsec = Math.round((end - f.lastSec) * 1e9);
      this.bindCt(f, ct);
      out.push(f);
    }
    return out;
  }
}
