// Conntrack log → connections: events grouped by kernel id (or tuple), ids reused after DESTROY
// become new connections, duplicate listeners' copies of one event are merged.
import type { Tuple } from '../../shared/report';

/** The fields of a parsed conntrack record that joining needs (src/main/context/conntrack.ts). */
export interface CtTupleLike {
  src: string;
  dst: string;
  sport?: number | null;
  dport?: number | null;
  icmpType?: number | null;
  icmpCode?: number | null;
  icmpId?: number | null;
}
export interface CtRecordLike {
  line: number;
  ts: number | null;
  type: 'NEW' | 'UPDATE' | 'DESTROY' | null;
  l3: 'ipv4' | 'ipv6';
  proto: string;
  protonum: number;
  state: string | null;
  timeout: number | null;
  status: string[];
  id: number | null;
  orig: CtTupleLike;
  reply: CtTupleLike;
  counters?: { orig: { packets: number; bytes: number }; reply: { packets: number; bytes: number } } | null;
  mark?: number | null;
}

/** One conntrack event with its source. */
export interface CtEvent {
  rec: CtRecordLike;
  input: number;
  /** case-wide ct_events row id */
  rowId: number;
}

/** One connection as conntrack reported it. */
export interface CtConnection {
  key: string;
  id: number | null;
  l3: 4 | 6;
  protonum: number;
  proto: string;
  orig: Tuple;
  reply: Tuple;
  events: CtEvent[];
  firstTs: number | null;
  lastTs: number | null;
  destroyTs: number | null;
  destroyed: boolean;
  /** the flow it was joined to */
  flowId: number | null;
  /** for a log without timestamps: the time of the first packet joined to it (aligned by tuple) */
  aligned: number | null;
}

/** A conntrack tuple in the report's form. */
export function ctTuple(t: CtTupleLike, protonum: number): Tuple {
  const out: Tuple = { src: t.src, dst: t.dst };
  if (protonum === 1 || protonum === 58) {
    if (t.icmpType != null) out.icmp_type = t.icmpType;
    if (t.icmpCode != null) out.icmp_code = t.icmpCode;
    if (t.icmpId != null) out.icmp_id = t.icmpId;
  } else {
    if (t.sport != null) out.sport = t.sport;
    if (t.dport != null) out.dport = t.dport;
  }
  return out;
}

function tupleText(t: CtTupleLike): string {
  return `${t.src}|${t.dst}|${t.sport ?? ''}|${t.dport ?? ''}|${t.icmpId ?? ''}`;
}

/** Groups conntrack records (from every conntrack input, each in file order) into connections. */
export function groupConntrack(events: CtEvent[]): CtConnection[] {
  const open = new Map<string, CtConnection>();
  const all: CtConnection[] = [];
  const seq = new Map<string, number>();
  // Merge inputs by time where there is one, so two listeners' logs interleave correctly.
  const sorted = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const ta = a.e.rec.ts;
      const tb = b.e.rec.ts;
      if (ta !== null && tb !== null && ta !== tb) return ta - tb;
      if (a.e.input !== b.e.input) return a.e.input - b.e.input;
      return a.i - b.i;
    })
    .map((x) => x.e);
  for (const ev of sorted) {
    const r = ev.rec;
    const base = `${r.l3}|${r.protonum}|${r.id !== null ? `id:${r.id}` : tupleText(r.orig)}|${tupleText(r.orig)}`;
    let c = open.get(base);
    // another listener's copy of an event already grouped (also after that group's DESTROY)
    if (c && isDuplicate(c, ev)) continue;
    if (c && c.destroyed) c = undefined;
    if (c && r.type === 'NEW' && c.events.some((e) => e.rec.type === 'NEW')) c = undefined;
    if (!c) {
      const n = (seq.get(base) ?? 0) + 1;
      seq.set(base, n);
      c = {
        key: r.id !== null ? (n > 1 ? `${r.id}#${n}` : String(r.id)) : `${tupleText(r.orig)}#${n}`,
        id: r.id,
        l3: r.l3 === 'ipv6' ? 6 : 4,
        protonum: r.protonum,
        proto: r.proto,
        orig: ctTuple(r.orig, r.protonum),
        reply: ctTuple(r.reply, r.protonum),
        events: [],
        firstTs: r.ts,
        lastTs: r.ts,
        destroyTs: null,
        destroyed: false,
        flowId: null,
        aligned: null,
      };
      open.set(base, c);
      all.push(c);
    }
    c.events.push(ev);
    if (r.ts !== null) {
      if (c.firstTs === null || r.ts < c.firstTs) c.firstTs = r.ts;
      if (c.lastTs === null || r.ts > c.lastTs) c.lastTs = r.ts;
    }
    if (r.type === 'DESTROY') {
      c.destroyed = true;
      c.destroyTs = r.ts;
    }
  }
  return all;
}

// Two listeners (e.g. `-o timestamp,id` and `-o timestamp,extended,id`) report the same event; keep one.
function isDuplicate(c: CtConnection, ev: CtEvent): boolean {
  const r = ev.rec;
  for (const e of c.events) {
    if (e.input === ev.input) continue;
    const q = e.rec;
    if (q.type !== r.type || q.state !== r.state || q.timeout !== r.timeout) continue;
    if (q.status.join(',') !== r.status.join(',')) continue;
    if (q.ts !== null && r.ts !== null && Math.abs(q.ts - r.ts) > 0.5) continue;
    // keep the richer copy's counters
    if (!q.counters && r.counters) e.rec = r;
    return true;
  }
  return false;
}
