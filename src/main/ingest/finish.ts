// Writes the finished flow table, conntrack joins and findings into the case file.
import type { ConntrackEventJson, FindingJson } from '../../shared/report';
import type { CtConnection } from '../analysis/conntrack-join';
import type { Flow, FlowTable } from '../analysis/flow-table';
import { dnatOf, protoName, snatOf, toTuple } from '../analysis/flow-table';
import type { Db } from '../store/db';
import { TableWriter, putValues } from '../store/writer';
import { nsText } from './pipeline';

const FLOW_COLUMNS = [
  'id',
  'l3',
  'proto',
  'proto_name',
  'orig_src',
  'orig_dst',
  'orig_sport',
  'orig_dport',
  'reply_src',
  'reply_dst',
  'reply_sport',
  'reply_dport',
  'icmp_type',
  'icmp_code',
  'icmp_id',
  'icmp_reply_id',
  'snat',
  'dnat',
  'nat_evidence',
  'nat_rules',
  'first_ns',
  'last_ns',
  'pkts_orig',
  'pkts_reply',
  'bytes_orig',
  'bytes_reply',
  'n_obs',
  'interfaces',
  'tcp_state',
  'conn_state',
  'history',
  'ct_state',
  'ct_ids',
  'findings',
  'outer_id',
  'detail',
] as const;

/** The report's view of one conntrack event. */
export function ctEventJson(c: CtConnection['events'][number]): ConntrackEventJson {
  const r = c.rec;
  return {
    ts: r.ts,
    type: r.type ?? 'SNAPSHOT',
    state: r.state,
    status: r.status,
    id: r.id,
    timeout: r.timeout,
    counters: r.counters ?? null,
    source: `input ${c.input} line ${r.line}`,
  };
}

/** TCP state transitions as JSON, times in seconds with six decimals. */
export function transitionsJson(tr: ReadonlyArray<{ ts: number; state: string }>): string {
  let s = '[';
  for (let i = 0; i < tr.length; i++) {
    const t = tr[i]!;
    const us = Math.round(t.ts * 1e6);
    let ts: string;
    if (us >= 0 && Number.isSafeInteger(us)) {
      const sec = Math.floor(us / 1e6);
      ts = `${sec}.${String(us - sec * 1e6).padStart(6, '0')}`;
    } else ts = JSON.stringify(t.ts);
    s += `${i ? ',' : ''}{"ts":${ts},"state":${JSON.stringify(t.state)}}`;
  }
  return s + ']';
}

type FlowRow = ReadonlyArray<string | number | null>;

/** The flows table's writer: a row replaces one written before for the same flow. */
export function flowWriter(db: Db): TableWriter<FlowRow> {
  return new TableWriter(db, 'flows', FLOW_COLUMNS, putValues, 'INSERT OR REPLACE');
}

/**
 * Encodes flows' rows into `w` (kept open across calls: no statement prepared per call); returns
 * the back-pressure of the batches sent, to await with the engine's other writes.
 */
export function putFlows(w: TableWriter<FlowRow>, flows: Iterable<Flow>): Array<Promise<void>> {
  const sent: Array<Promise<void>> = [];
  for (const f of flows) {
    const o = toTuple(f.orig);
    const r = f.reply ? toTuple(f.reply) : null;
    const tcp = f.tcp;
    const ctEvents = f.ct.length ? f.ct.flatMap((c) => c.events.map(ctEventJson)) : [];
    const lastCt = ctEvents.filter((e) => e.state).at(-1);
    const rest = {
      conntrack: f.ct.length
        ? {
            ids: [...new Set(f.ct.map((c) => c.id).filter((x): x is number => x !== null))],
            events: ctEvents,
          }
        : null,
      ctstates: f.ctstates,
      retransmissions: tcp?.retransmissions ?? 0,
      related: f.relatedIcmp,
    };
    const p = w.row([
      f.id,
      f.l3,
      f.proto,
      protoName(f.proto),
      o.src,
      o.dst,
      o.sport ?? null,
      o.dport ?? null,
      r?.src ?? null,
      r?.dst ?? null,
      r?.sport ?? null,
      r?.dport ?? null,
      o.icmp_type ?? null,
      o.icmp_code ?? null,
      o.icmp_id ?? null,
      r?.icmp_id ?? null,
      snatOf(f) ? 1 : 0,
      dnatOf(f) ? 1 : 0,
      f.natEvidence.length ? JSON.stringify([...f.natEvidence].sort()) : '[]',
      JSON.stringify(f.natRules),
      nsText(f.firstSec, f.firstNsec),
      nsText(f.lastSec, f.lastNsec),
      f.pkts[0],
      f.pkts[1],
      f.bytes[0],
      f.bytes[1],
      f.nObs,
      f.ifaces.join(','),
      tcp ? tcp.stateName : null,
      tcp ? tcp.connState() : null,
      tcp ? tcp.history : null,
      lastCt?.state ?? null,
      f.ct.map((c) => c.key).join(','),
      null, // filled from the findings once all are known
      f.outerId,
      // the transitions by hand: JSON.stringify's shortest form of epoch-second doubles is slow
      // (≈ 0.2 µs each); times to the microsecond, the capture clock's resolution as a double
      `{"transitions":${tcp ? transitionsJson(tcp.transitions) : '[]'},${JSON.stringify(rest).slice(1)}`,
    ]);
    if (p) sent.push(p);
  }
  return sent;
}

/**
 * Writes flows (all, or those given; a flow written before is replaced) and their rows still
 * buffered in `w`; with all of them, also the ct_events → flow join.
 */
export async function writeFlows(
  db: Db,
  table: FlowTable,
  conns: CtConnection[],
  only?: Flow[],
  w: TableWriter<FlowRow> = flowWriter(db),
): Promise<void> {
  await Promise.all(putFlows(w, only ?? table.flows.values()));
  await w.flush();
  if (only) return;
  for (const c of conns) {
    if (c.flowId === null) continue;
    const ids = c.events.map((e) => e.rowId);
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      await db.run(`UPDATE ct_events SET flow_id = ? WHERE id IN (${part.map(() => '?').join(',')})`, [
        c.flowId,
        ...part,
      ]);
    }
  }
}

/** Writes the findings, and each flow's finding kinds into its row. */
export async function writeFindings(db: Db, findings: FindingJson[]): Promise<void> {
  const byFlow = new Map<string, Set<string>>();
  for (const f of findings)
    for (const id of f.flows) {
      let set = byFlow.get(id);
      if (!set) byFlow.set(id, (set = new Set()));
      set.add(f.kind);
    }
  for (const [id, kinds] of byFlow)
    await db.run('UPDATE flows SET findings = ? WHERE id = ?', [[...kinds].join(','), Number(id)]);
  for (const f of findings) {
    await db.run('INSERT INTO findings (kind, severity, summary, ts, flows, evidence) VALUES (?,?,?,?,?,?)', [
      f.kind,
      f.severity,
      f.summary,
      f.ts ?? null,
      JSON.stringify(f.flows),
      JSON.stringify(f.evidence ?? []),
    ]);
  }
}
