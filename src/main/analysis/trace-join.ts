// Joins traced traversals (xtables-monitor / nft monitor trace / kernel TRACE) to captured packets:
// a trace id is not a packet id (lab README item 1), so the match is on header fields and order.
import type { NetfilterJson, Hook } from '../../shared/report';
import type { TraceTraversal } from '../context/trace';
import type { Journey } from './journeys';
import type { Observation } from './observation';
import { tcpFlagNames } from './observation';

/** One traversal with its row in the case file. */
export interface TraceRef {
  t: TraceTraversal;
  rowId: number;
}

function flagSet(flags: number): string {
  return tcpFlagNames(flags).sort().join(',');
}

function compatible(t: TraceTraversal, o: Observation): boolean {
  const h = t.headerFirst;
  if (h.len !== undefined && o.ipLen !== null && h.len !== o.ipLen) return false;
  if (h.ipid !== undefined && o.ipId !== null && o.l3 === 4 && h.ipid !== o.ipId) return false;
  if (h.src === undefined || h.dst === undefined) return false;
  // NAT may have rewritten one side between the trace's first hook and the capture point
  if (h.src !== o.src && h.dst !== o.dst) return false;
  if (h.sport !== undefined && o.sport !== null && h.sport !== o.sport && h.dport !== o.dport) return false;
  if (h.tcpflags && o.tcpFlags !== null) {
    const want = [...h.tcpflags]
      .map((f) => f.toUpperCase())
      .filter((f) => f !== 'ECE' && f !== 'CWR')
      .sort()
      .join(',');
    if (want !== flagSet(o.tcpFlags)) return false;
  }
  if (t.seenAt !== undefined && Math.abs(t.seenAt - o.t) > 2) return false;
  return true;
}

// what an untraced packet gets (callers only read it)
const NO_TRACES: TraceRef[] = [];

/** Consumes traversals in trace order as journeys arrive in time order. */
export class TraceJoiner {
  private readonly byKey = new Map<string, TraceRef[]>();
  readonly joined: Array<{ rowId: number; journey: number }> = [];

  constructor(refs: TraceRef[]) {
    for (const r of refs) {
      const k = String(r.t.headerFirst.len ?? '');
      const l = this.byKey.get(k);
      if (l) l.push(r);
      else this.byKey.set(k, [r]);
    }
  }

  /** The traversals of one journey (two for local→local traffic: the output half and the looped-back input half). */
  match(j: Journey): TraceRef[] {
    if (this.byKey.size === 0) return NO_TRACES;
    const out: TraceRef[] = [];
    const lens = new Set(j.obs.map((o) => String(o.ipLen ?? '')));
    for (const len of lens) {
      const list = this.byKey.get(len);
      if (!list) continue;
      for (let i = 0; i < list.length && out.length < 2; i++) {
        const r = list[i]!;
        if (!j.obs.some((o) => compatible(r.t, o))) continue;
        if (out.length === 1 && !(out[0]!.t.kind === 'output' && r.t.kind !== 'output')) continue;
        out.push(r);
        list.splice(i, 1);
        i--;
        if (r.t.kind !== 'output') break;
      }
    }
    for (const r of out) this.joined.push({ rowId: r.rowId, journey: j.id });
    return out;
  }
}

const HOOK_OF: Record<string, Hook> = {
  PREROUTING: 'PREROUTING',
  INPUT: 'INPUT',
  FORWARD: 'FORWARD',
  OUTPUT: 'OUTPUT',
  POSTROUTING: 'POSTROUTING',
};

/** A traced packet's Netfilter path in the report's form. */
export function traceNetfilter(ts: TraceTraversal[]): NetfilterJson {
  const hooks: Hook[] = [];
  const chains: string[] = [];
  const rules: NonNullable<NetfilterJson['rules']> = [];
  let verdict: string | null = null;
  let rule: string | null = null;
  for (const t of ts) {
    for (const c of t.path) {
      const h = HOOK_OF[c.split(':')[1] ?? ''];
      if (h && hooks[hooks.length - 1] !== h) hooks.push(h);
    }
    chains.push(...t.chains);
    for (const r of t.rulesMatched) rules.push({ chain: r.chain, rule: r.rule, verdict: r.verdict });
    verdict = t.verdict ?? verdict;
    rule = t.verdictRule ?? (t.verdict ? null : rule);
  }
  return { hooks, chains, verdict, source: 'trace', rule, rules };
}
