// Read side of the case file: the API's and the reports' queries, returning the report's shapes.
import type { CaseInfo, FlowDetail, FlowPage, FlowQuery, Timeline } from '../../shared/api';
import type {
  ConntrackEventJson,
  FindingJson,
  FlowJson,
  Hook,
  ObservationJson,
  PacketJson,
  ReportHost,
  ReportInput,
  ReportSummary,
  Tuple,
} from '../../shared/report';
import type { Db } from './db';
import type { StoredJourneyDetail } from '../analysis/packet-infer';
import { copyTuple, natStepsOf } from '../analysis/packet-path';
import { tcpFlagLetters } from '../analysis/observation';

interface FlowRow {
  id: number;
  l3: number;
  proto: number;
  proto_name: string;
  orig_src: string;
  orig_dst: string;
  orig_sport: number | null;
  orig_dport: number | null;
  reply_src: string | null;
  reply_dst: string | null;
  reply_sport: number | null;
  reply_dport: number | null;
  icmp_type: number | null;
  icmp_code: number | null;
  icmp_id: number | null;
  icmp_reply_id: number | null;
  snat: number;
  dnat: number;
  nat_evidence: string | null;
  nat_rules: string | null;
  first_s: number;
  last_s: number;
  pkts_orig: number;
  pkts_reply: number;
  bytes_orig: number;
  bytes_reply: number;
  n_obs: number;
  interfaces: string | null;
  tcp_state: string | null;
  conn_state: string | null;
  history: string | null;
  ct_state: string | null;
  ct_ids: string | null;
  findings: string | null;
  outer_id: number | null;
  detail: string | null;
}

/** SELECT list for flows with times in seconds. */
export const FLOW_SELECT = `SELECT id, l3, proto, proto_name, orig_src, orig_dst, orig_sport, orig_dport, reply_src, reply_dst,
  reply_sport, reply_dport, icmp_type, icmp_code, icmp_id, icmp_reply_id, snat, dnat, nat_evidence, nat_rules,
  first_ns / 1e9 AS first_s, last_ns / 1e9 AS last_s, pkts_orig, pkts_reply, bytes_orig, bytes_reply, n_obs, interfaces,
  tcp_state, conn_state, history, ct_state, ct_ids, findings, outer_id, detail FROM flows`;

const ICMP = new Set([1, 58]);

function tuple(
  l3proto: number,
  src: string,
  dst: string,
  sport: number | null,
  dport: number | null,
  icmpType: number | null,
  icmpCode: number | null,
  icmpId: number | null,
): Tuple {
  const t: Tuple = { src, dst };
  if (ICMP.has(l3proto)) {
    if (icmpType !== null) t.icmp_type = icmpType;
    if (icmpCode !== null) t.icmp_code = icmpCode;
    if (icmpId !== null) t.icmp_id = icmpId;
  } else {
    if (sport !== null) t.sport = sport;
    if (dport !== null) t.dport = dport;
  }
  return t;
}

function replyIcmpType(proto: number, t: number | null): number | null {
  if (t === null) return null;
  if (proto === 1) return t === 8 ? 0 : t === 0 ? 8 : t;
  return t === 128 ? 129 : t === 129 ? 128 : t;
}

/** One flows row → the report's flow. */
export function flowJson(r: FlowRow): FlowJson {
  const detail = r.detail
    ? (JSON.parse(r.detail) as {
        transitions: Array<{ ts: number; state: string }>;
        conntrack: { ids: number[]; events: ConntrackEventJson[] } | null;
      })
    : null;
  const f: FlowJson = {
    id: String(r.id),
    l3: r.l3 === 6 ? 'ipv6' : 'ipv4',
    proto: r.proto_name,
    orig: tuple(
      r.proto,
      r.orig_src,
      r.orig_dst,
      r.orig_sport,
      r.orig_dport,
      r.icmp_type,
      r.icmp_code,
      r.icmp_id,
    ),
    reply:
      r.reply_src !== null && r.reply_dst !== null
        ? tuple(
            r.proto,
            r.reply_src,
            r.reply_dst,
            r.reply_sport,
            r.reply_dport,
            replyIcmpType(r.proto, r.icmp_type),
            r.icmp_code,
            r.icmp_reply_id,
          )
        : null,
    nat: {
      snat: r.snat === 1,
      dnat: r.dnat === 1,
      evidence: r.nat_evidence ? JSON.parse(r.nat_evidence) : [],
      rules: r.nat_rules ? JSON.parse(r.nat_rules) : [],
    },
    first_ts: round6(r.first_s),
    last_ts: round6(r.last_s),
    packets: { orig: r.pkts_orig, reply: r.pkts_reply },
    bytes: { orig: r.bytes_orig, reply: r.bytes_reply },
    interfaces: r.interfaces ? r.interfaces.split(',') : [],
    tcp:
      r.proto === 6
        ? {
            state: r.tcp_state ?? undefined,
            transitions: detail?.transitions ?? [],
            conn_state: r.conn_state ?? undefined,
            history: r.history ?? undefined,
          }
        : null,
    conntrack: detail?.conntrack ?? null,
    findings: r.findings ? r.findings.split(',') : [],
    outer: r.outer_id !== null ? String(r.outer_id) : null,
    observations: r.n_obs,
  };
  return f;
}

/** Seconds rounded to the microsecond (the report's precision). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

const SORT_SQL: Record<string, string> = {
  first_ts: 'first_ns',
  last_ts: 'last_ns',
  proto: 'proto_name',
  src: 'orig_src',
  dst: 'orig_dst',
  sport: 'orig_sport',
  dport: 'orig_dport',
  packets: '(pkts_orig + pkts_reply)',
  bytes: '(bytes_orig + bytes_reply)',
  state: 'COALESCE(tcp_state, ct_state)',
  duration: '(last_ns - first_ns)',
  nat: '(dnat * 2 + snat)',
  reply: 'reply_src',
  findings: "COALESCE(findings, '')",
};

/** A WHERE clause compiled from the display filter. */
export interface CompiledFilter {
  where: string;
  params: Array<string | number>;
}

/** One page of flows. */
export async function listFlows(db: Db, q: FlowQuery, filter: CompiledFilter | null): Promise<FlowPage> {
  const where = filter?.where ? ` WHERE ${filter.where}` : '';
  const params = filter?.params ?? [];
  const total = (await db.get<{ n: number }>(`SELECT count(*) AS n FROM flows${where}`, params))?.n ?? 0;
  const key = SORT_SQL[q.sort?.key ?? 'first_ts'] ?? 'first_ns';
  const dir = q.sort?.dir === 'desc' ? 'DESC' : 'ASC';
  const rows = await db.all<FlowRow>(`${FLOW_SELECT}${where} ORDER BY ${key} ${dir}, id LIMIT ? OFFSET ?`, [
    ...params,
    Math.max(0, Math.min(q.limit, 5000)),
    Math.max(0, q.offset),
  ]);
  return { total, rows: rows.map(flowJson) };
}

/** Every flow (for reports), optionally only some ids. */
export async function allFlows(db: Db, ids?: string[]): Promise<FlowJson[]> {
  if (ids && ids.length) {
    const rows = await db.all<FlowRow>(
      `${FLOW_SELECT} WHERE id IN (${ids.map(() => '?').join(',')}) ORDER BY first_ns, id`,
      ids.map(Number),
    );
    return rows.map(flowJson);
  }
  return (await db.all<FlowRow>(`${FLOW_SELECT} ORDER BY first_ns, id`)).map(flowJson);
}

interface JourneyRow {
  id: number;
  flow_id: number | null;
  dir: number | null;
  t: number;
  l3: number | null;
  proto: number | null;
  ip_id: number | null;
  ip_len: number | null;
  tcp_flags: number | null;
  seq: number | null;
  ack: number | null;
  icmp_type: number | null;
  icmp_code: number | null;
  path: string;
  iif: string | null;
  oif: string | null;
  first_pkt: number;
  ctstate: PacketJson['ctstate'];
  ct_reason: string | null;
  detail: string | null;
}
interface ObsRow {
  journey_id: number;
  input_id: number;
  frame: number;
  t: number;
  iface: string | null;
  direction: number | null;
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  ttl: number | null;
  tunnel_of: number | null;
}

const OBS_SELECT = `SELECT o.journey_id, o.input_id, o.frame, o.ts_ns / 1e9 AS t, i.name AS iface, o.direction, o.src, o.dst,
  o.sport, o.dport, o.ttl, o.tunnel_of FROM observations o LEFT JOIN interfaces i ON i.id = o.iface_id`;

/** Per-journey analysis the ingest stored, for on-demand inference (analysis/packet-infer.ts). */
export type JourneyDetail = StoredJourneyDetail;

const PORTS = new Set([6, 17, 33, 132, 136]);

/** A journey row and its observations → the report's packet (netfilter/route added by the caller). */
export function packetJson(j: JourneyRow, obs: ObsRow[]): PacketJson & { detail: JourneyDetail } {
  const more = j.detail ? (JSON.parse(j.detail) as Partial<JourneyDetail>) : {};
  const detail: JourneyDetail = {
    k: j.path,
    h: hooksOfPath(j.path),
    i: j.iif,
    o: j.oif,
    p: j.proto,
    ...(j.icmp_type !== null ? { it: j.icmp_type } : {}),
    ...(j.tcp_flags !== null ? { fl: j.tcp_flags } : {}),
    ...(j.first_pkt ? { f: 1 } : {}),
    ...more,
  };
  const observations: ObservationJson[] = obs.map((o) => {
    const x: ObservationJson = {
      capture: o.input_id,
      frame: o.frame,
      ts: round6(o.t),
      iface: o.iface,
      direction: o.direction === 0 ? 'in' : o.direction === 1 ? 'out' : null,
      src: o.src ?? '',
      dst: o.dst ?? '',
      ttl: o.ttl,
    };
    if (j.proto !== null && PORTS.has(j.proto)) {
      if (o.sport !== null) x.sport = o.sport;
      if (o.dport !== null) x.dport = o.dport;
    }
    return x;
  });
  const hooks = (more.nf?.hooks ?? detail.h) as Hook[];
  return {
    id: j.id,
    ts: round6(j.t),
    flow: j.flow_id !== null ? String(j.flow_id) : '',
    dir: j.dir === 1 ? 'reply' : 'orig',
    len: j.ip_len ?? undefined,
    ip_id: j.ip_id,
    ttl: obs[0]?.ttl ?? null,
    tcp_flags: j.tcp_flags !== null ? tcpFlagLetters(j.tcp_flags) : null,
    seq: j.seq,
    ack: j.ack,
    observations,
    ctstate: j.ctstate,
    ctstate_reason: j.ct_reason,
    nat:
      j.l3 !== null && j.proto !== null
        ? natStepsOf(
            obs
              .filter((o) => o.tunnel_of === null && o.src !== null && o.dst !== null)
              .map((o) =>
                copyTuple(
                  j.l3 as 4 | 6,
                  j.proto!,
                  { src: o.src!, dst: o.dst!, sport: o.sport, dport: o.dport },
                  j.icmp_type,
                  j.icmp_code,
                ),
              ),
            j.path,
          )
        : [],
    netfilter: more.nf ?? { hooks, source: 'inferred' },
    detail,
  };
}

/** The hooks a packet's path implies (background.md). */
export function hooksOfPath(path: string): Hook[] {
  switch (path) {
    case 'forward':
      return ['PREROUTING', 'FORWARD', 'POSTROUTING'];
    case 'input':
      return ['PREROUTING', 'INPUT'];
    case 'output':
      return ['OUTPUT', 'POSTROUTING'];
    case 'local':
      return ['OUTPUT', 'POSTROUTING', 'PREROUTING', 'INPUT'];
    case 'forward-dropped':
      return ['PREROUTING', 'FORWARD'];
    default:
      return [];
  }
}

const JOURNEY_SELECT = `SELECT id, flow_id, dir, ts_ns / 1e9 AS t, l3, proto, ip_id, ip_len, tcp_flags, seq, ack, icmp_type, icmp_code, path, iif, oif,
  first_pkt, ctstate, ct_reason, detail FROM journeys`;

/** Packets (journeys) of some flows, or of all, in time order. */
export async function journeys(
  db: Db,
  opts: { flowIds?: number[]; limit?: number; ids?: number[] },
): Promise<Array<PacketJson & { detail: JourneyDetail | null }>> {
  let where = '';
  const params: number[] = [];
  if (opts.ids) {
    where = ` WHERE id IN (${opts.ids.map(() => '?').join(',')})`;
    params.push(...opts.ids);
  } else if (opts.flowIds) {
    where = ` WHERE flow_id IN (${opts.flowIds.map(() => '?').join(',')})`;
    params.push(...opts.flowIds);
  }
  const limit = opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '';
  const js = await db.all<JourneyRow>(`${JOURNEY_SELECT}${where} ORDER BY ts_ns, id${limit}`, params);
  if (!js.length) return [];
  const byJourney = new Map<number, ObsRow[]>();
  for (let i = 0; i < js.length; i += 500) {
    const part = js.slice(i, i + 500).map((j) => j.id);
    const rows = await db.all<ObsRow>(
      `${OBS_SELECT} WHERE o.journey_id IN (${part.map(() => '?').join(',')}) ORDER BY o.ts_ns, o.id`,
      part,
    );
    for (const r of rows) {
      const l = byJourney.get(r.journey_id);
      if (l) l.push(r);
      else byJourney.set(r.journey_id, [r]);
    }
  }
  return js.map((j) => packetJson(j, byJourney.get(j.id) ?? []));
}

/** Raw location of a journey's first observation (to re-read its bytes). */
export async function packetLocation(
  db: Db,
  journeyId: number,
): Promise<{ path: string; offset: number; caplen: number; linkType: number } | undefined> {
  return db.get(
    `SELECT i.path AS path, o.offset AS offset, o.caplen AS caplen, o.link_type AS linkType FROM observations o
     JOIN inputs i ON i.id = o.input_id WHERE o.journey_id = ? AND o.tunnel_of IS NULL ORDER BY o.ts_ns LIMIT 1`,
    [journeyId],
  );
}

/** The flow view's data. */
export async function flowDetail(
  db: Db,
  id: number,
  limit = 2000,
  enrich: (p: PacketJson & { detail?: unknown }) => PacketJson = stripDetail,
): Promise<FlowDetail | null> {
  const row = await db.get<FlowRow>(`${FLOW_SELECT} WHERE id = ?`, [id]);
  if (!row) return null;
  const total =
    (await db.get<{ n: number }>('SELECT count(*) AS n FROM journeys WHERE flow_id = ?', [id]))?.n ?? 0;
  const packets = (await journeys(db, { flowIds: [id], limit })).map(enrich);
  // the flow row names its finding kinds: only then look for the findings themselves
  const findings = row.findings
    ? (await listFindings(db, `instr(flows, '"${id}"') > 0`)).filter((f) => f.flows.includes(String(id)))
    : [];
  return { flow: flowJson(row), packets, packetsTotal: total, findings };
}

/** Drops the internal `detail` field. */
export function stripDetail(p: PacketJson & { detail?: unknown }): PacketJson {
  const { detail: _d, ...rest } = p;
  return rest;
}

/** Every finding. */
export async function listFindings(db: Db, where?: string): Promise<FindingJson[]> {
  const rows = await db.all<{
    kind: string;
    severity: FindingJson['severity'];
    summary: string;
    ts: number | null;
    flows: string;
    evidence: string;
  }>(
    `SELECT kind, severity, summary, ts, flows, evidence FROM findings${where ? ` WHERE ${where}` : ''} ORDER BY id`,
  );
  return rows.map((r) => ({
    kind: r.kind,
    severity: r.severity,
    summary: r.summary,
    flows: JSON.parse(r.flows) as string[],
    ts: r.ts,
    evidence: JSON.parse(r.evidence) as string[],
  }));
}

/** Inputs with their warnings. */
export async function listInputs(db: Db): Promise<ReportInput[]> {
  const inputs = await db.all<{ id: number; path: string; kind: string; records: number; size: number }>(
    'SELECT id, path, kind, records, size FROM inputs ORDER BY id',
  );
  const warnings = await db.all<{
    input_id: number;
    line: number | null;
    offset: number | null;
    message: string;
  }>('SELECT input_id, line, offset, message FROM warnings ORDER BY input_id, rowid');
  return inputs.map((i) => ({
    path: i.path,
    kind: i.kind,
    records: i.records,
    size: i.size,
    warnings: warnings
      .filter((w) => w.input_id === i.id)
      .map((w) => {
        const x: { message: string; line?: number; offset?: number } = { message: w.message };
        if (w.line !== null) x.line = w.line;
        if (w.offset !== null) x.offset = w.offset;
        return x;
      }),
  }));
}

/** The host under study. */
export async function hostInfo(db: Db): Promise<ReportHost> {
  const rows = await db.all<{ ifindex: number | null; name: string; mac: string | null; addrs: string }>(
    'SELECT ifindex, name, mac, addrs FROM host_interfaces ORDER BY ifindex, name',
  );
  const seen = new Map<string, ReportHost['interfaces'][number]>();
  for (const r of rows) {
    const prev = seen.get(r.name);
    const addrs = JSON.parse(r.addrs) as string[];
    if (prev) {
      for (const a of addrs) if (!prev.addresses.includes(a)) prev.addresses.push(a);
    } else seen.set(r.name, { index: r.ifindex, name: r.name, addresses: addrs, mac: r.mac });
  }
  if (!rows.length) {
    // no `ip addr` in the case: the interfaces the captures name (their addresses are unknown)
    const seenIfaces = await db.all<{ name: string; ifindex: number | null }>(
      "SELECT name, min(ifindex) AS ifindex FROM interfaces WHERE name IS NOT NULL AND name != '' GROUP BY name ORDER BY ifindex, name",
    );
    for (const r of seenIfaces) seen.set(r.name, { index: r.ifindex, name: r.name, addresses: [] });
  }
  const name =
    (await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'host_name'"))?.value ?? null;
  const src =
    (await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'host_source'"))?.value ?? 'none';
  const source = rows.length ? (src as ReportHost['source']) : seen.size ? 'inferred' : 'none';
  return { name, interfaces: [...seen.values()], source };
}

/** Capture records and their time span: from meta once the ingest is done, counted while it runs. */
async function captureSpan(db: Db): Promise<{ n: number; a: number | null; b: number | null }> {
  const m = await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'span'");
  if (m) {
    const s = JSON.parse(m.value) as { records: number; first: number | null; last: number | null };
    return { n: s.records, a: s.first, b: s.last };
  }
  const p = await db.get<{ n: number; a: number | null; b: number | null }>(
    'SELECT count(*) AS n, min(ts_ns) / 1e9 AS a, max(ts_ns) / 1e9 AS b FROM observations WHERE tunnel_of IS NULL',
  );
  return p ?? { n: 0, a: null, b: null };
}

/** Counts for the summary. */
export async function summary(db: Db): Promise<ReportSummary> {
  const p = await captureSpan(db);
  const f = await db.get<{ n: number }>('SELECT count(*) AS n FROM flows');
  const c = await db.get<{ n: number }>("SELECT count(*) AS n FROM ct_events WHERE type != 'SNAPSHOT'");
  const j = await db.get<{ n: number }>('SELECT count(*) AS n FROM journeys');
  const byProto = await db.all<{ k: string; n: number }>(
    'SELECT proto_name AS k, count(*) AS n FROM flows GROUP BY proto_name',
  );
  const byState = await db.all<{ k: string; n: number }>(
    "SELECT COALESCE(tcp_state, ct_state, 'none') AS k, count(*) AS n FROM flows GROUP BY 1",
  );
  const byFinding = await db.all<{ k: string; n: number }>(
    'SELECT kind AS k, count(*) AS n FROM findings GROUP BY kind',
  );
  const anomalies = await db.all<{ k: string; n: number }>(
    'SELECT name AS k, sum(count) AS n FROM anomalies GROUP BY name',
  );
  const obj = (rows: Array<{ k: string; n: number }>): Record<string, number> =>
    Object.fromEntries(rows.map((r) => [r.k, r.n]));
  return {
    packets: p?.n ?? 0,
    flows: f?.n ?? 0,
    first_ts: p?.a != null ? round6(p.a) : null,
    last_ts: p?.b != null ? round6(p.b) : null,
    conntrack_events: c?.n ?? 0,
    journeys: j?.n ?? 0,
    flows_by_proto: obj(byProto),
    flows_by_state: obj(byState),
    findings_by_kind: obj(byFinding),
    anomalies: obj(anomalies),
  };
}

/** The case overview. */
export async function caseInfo(db: Db, name: string, ingesting: boolean): Promise<CaseInfo> {
  const kinds = new Set(
    (await db.all<{ kind: string }>('SELECT DISTINCT kind FROM inputs')).map((r) => r.kind),
  );
  return {
    path: db.path,
    name,
    inputs: await listInputs(db),
    summary: await summary(db),
    host: await hostInfo(db),
    ingesting,
    context: {
      conntrack: kinds.has('conntrack-events') || kinds.has('conntrack-table'),
      routes: kinds.has('ip-route'),
      ruleset: kinds.has('iptables-save') || kinds.has('nft-ruleset'),
      trace: kinds.has('trace'),
    },
  };
}

/** Packet rate and flow starts in buckets, with conntrack events. */
export async function timeline(
  db: Db,
  from: number | undefined,
  to: number | undefined,
  buckets: number,
): Promise<Timeline> {
  const range = await captureSpan(db);
  const a = from ?? range?.a ?? null;
  const b = to ?? range?.b ?? null;
  if (a === null || b === null) return { from: null, to: null, bucketSec: 0, buckets: [], events: [] };
  const n = Math.max(1, Math.min(2000, Math.floor(buckets)));
  const width = Math.max((b - a) / n, 1e-6);
  const pk = await db.all<{ k: number; n: number; bytes: number }>(
    'SELECT CAST((ts_ns / 1e9 - ?) / ? AS INTEGER) AS k, count(*) AS n, sum(ip_len) AS bytes FROM journeys WHERE ts_ns / 1e9 BETWEEN ? AND ? GROUP BY k',
    [a, width, a, b],
  );
  const fl = await db.all<{ k: number; n: number }>(
    'SELECT CAST((first_ns / 1e9 - ?) / ? AS INTEGER) AS k, count(*) AS n FROM flows WHERE first_ns / 1e9 BETWEEN ? AND ? GROUP BY k',
    [a, width, a, b],
  );
  const out: Timeline['buckets'] = Array.from({ length: n }, (_, i) => ({
    t: round6(a + i * width),
    packets: 0,
    flowsStarted: 0,
    bytes: 0,
  }));
  for (const r of pk) {
    const x = out[Math.min(n - 1, Math.max(0, r.k))];
    if (x) {
      x.packets += r.n;
      x.bytes += r.bytes ?? 0;
    }
  }
  for (const r of fl) {
    const x = out[Math.min(n - 1, Math.max(0, r.k))];
    if (x) x.flowsStarted += r.n;
  }
  const ev = await db.all<{ t: number; type: string; flow_id: number | null; state: string | null }>(
    "SELECT ts AS t, type, flow_id, state FROM ct_events WHERE ts IS NOT NULL AND type != 'SNAPSHOT' AND ts BETWEEN ? AND ? ORDER BY ts LIMIT 5000",
    [a, b],
  );
  return {
    from: round6(a),
    to: round6(b),
    bucketSec: width,
    buckets: out,
    events: ev.map((e) => ({
      t: e.t,
      type: e.type,
      flow: e.flow_id !== null ? String(e.flow_id) : null,
      state: e.state,
    })),
  };
}
