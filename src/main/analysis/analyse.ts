// Per-journey analysis during ingest (state needs time order), and per-flow conclusions at the end.
import type { Assignment } from './flow-table';
import { addOnce } from './flow-table';
import type { HostContext } from './host-context';
import type { Journey } from './journeys';
import { guessPath, simpleCtState } from './packet-path';
import type { TraceRef } from './trace-join';
import { traceNetfilter } from './trace-join';

/** What is stored per journey. */
export interface JourneyAnalysis {
  ctstate: string | null;
  reason: string | null;
  path: string;
  iif: string | null;
  oif: string | null;
  /** nat chains saw this packet (first packet of a connection not yet confirmed) */
  firstPkt: boolean;
  /** JSON {nat?, nf?, rt?, zw?} when there is any of it, else null — route and rules are derived on demand */
  detail: string | null;
}

/** Conntrack state, hooks and rewrites of one packet; updates the flow's state machine. */
export function analyseJourney(
  j: Journey,
  asg: Assignment | null,
  ctx: HostContext,
  traces: TraceRef[] = [],
): JourneyAnalysis {
  const first = j.obs[0]!;
  const path = guessPath(j, ctx, traces);
  // NAT steps are derived from the stored copies when shown (store/queries.ts): only whether any
  // rewrite was seen matters here (asg.rewritten), as capture evidence of NAT.
  let d: Record<string, unknown> | null = null;
  if (traces.length) (d ??= {}).nf = traceNetfilter(traces.map((r) => r.t));
  let ctstate: string | null = null;
  let reason: string | null = null;
  let firstPkt = false;
  if (asg) {
    const f = asg.flow;
    if (f.tcp && first.tcpFlags !== null && !asg.related) {
      const v = f.tcp.packet(
        first.t,
        asg.dir,
        first.tcpFlags,
        first.seq ?? 0,
        first.ack ?? 0,
        first.win ?? 0,
        first.payloadLen,
        first.wscale,
      );
      ctstate = v.ctstate;
      reason = v.reason;
      if (v.retransmission) {
        (d ??= {}).rt = 1;
        // full-size segments sent again: the path may not carry them (MTU black hole)
        if ((first.ipLen ?? 0) > 1280) {
          f.bigRetrans++;
          f.bigRetransLen = Math.max(f.bigRetransLen, first.ipLen ?? 0);
        }
      }
      if (v.zeroWindow) (d ??= {}).zw = 1;
    } else {
      const s = simpleCtState(asg, first);
      ctstate = s.ctstate;
      reason = s.reason;
    }
    f.ctstates[ctstate] = (f.ctstates[ctstate] ?? 0) + 1;
    // nat chains see a connection's packets until its entry is confirmed (a dropped SYN is never
    // confirmed, so its retransmissions are "first packets" too); INVALID packets never see them.
    // Confirmation happens as the first packet leaves (POSTROUTING) or is delivered: a packet that
    // arrived before that moment (the UDP insert race: two datagrams at once) is a first packet too.
    if (ctstate === 'NEW' && (f.confirmedAt === null || first.t < f.confirmedAt)) firstPkt = true;
    if (
      f.confirmedAt === null &&
      (asg.dir === 1 || j.obs.some((o) => o.dir === 1) || path.kind === 'local')
    ) {
      const out = j.obs.find((o) => o.dir === 1);
      f.confirmedAt = out ? out.t : first.t;
    }
    if (asg.rewritten) addOnce(f.natEvidence, 'capture');
  }
  return {
    ctstate,
    reason,
    path: path.kind,
    iif: path.iif,
    oif: path.oif,
    firstPkt,
    detail: d ? JSON.stringify(d) : null,
  };
}
