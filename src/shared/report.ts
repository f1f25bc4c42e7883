// The JSON report contract (shared/spec/report.schema.json, `pathlens.report/1`) as TypeScript types.
// The API returns these same shapes, so the app shows exactly what the report exports.

/** A located problem in one input. */
export interface ReportWarning {
  message: string;
  offset?: number;
  line?: number;
}

/** One input file, as detected and read. */
export interface ReportInput {
  path: string;
  kind: string;
  records: number;
  warnings: ReportWarning[];
  /** extra: bytes in the file */
  size?: number;
}

/** A connection endpoint pair in one direction. */
export interface Tuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmp_type?: number;
  icmp_code?: number;
  icmp_id?: number;
}

export interface HostInterface {
  index: number | null;
  name: string;
  addresses: string[];
  mac?: string | null;
}

export interface ReportHost {
  name: string | null;
  interfaces: HostInterface[];
  source: 'ip-addr' | 'inferred' | 'none';
}

export interface ReportSummary {
  packets: number;
  flows: number;
  first_ts: number | null;
  last_ts: number | null;
  conntrack_events?: number;
  /** extra: journeys (distinct packets) */
  journeys?: number;
  flows_by_proto?: Record<string, number>;
  /** extra: flows per last TCP or conntrack state */
  flows_by_state?: Record<string, number>;
  findings_by_kind?: Record<string, number>;
  anomalies?: Record<string, number>;
}

export type NatEvidence = 'conntrack' | 'capture' | 'ruleset' | 'trace';

export interface ConntrackEventJson {
  ts: number | null;
  type: 'NEW' | 'UPDATE' | 'DESTROY' | 'SNAPSHOT';
  state: string | null;
  status?: string[];
  /** extra */
  id?: number | null;
  timeout?: number | null;
  counters?: { orig: { packets: number; bytes: number }; reply: { packets: number; bytes: number } } | null;
  /** extra: where it came from, e.g. "conntrack.log:12" */
  source?: string;
}

export interface FlowJson {
  id: string;
  l3: 'ipv4' | 'ipv6';
  proto: string;
  orig: Tuple;
  reply: Tuple | null;
  nat: { snat: boolean; dnat: boolean; evidence: NatEvidence[]; rules?: string[] };
  first_ts: number;
  last_ts: number;
  packets: { orig: number; reply: number };
  bytes?: { orig: number; reply: number };
  interfaces?: string[];
  tcp?: {
    state?: string;
    transitions?: Array<{ ts: number; state: string }>;
    conn_state?: string;
    history?: string;
  } | null;
  conntrack?: { ids: number[]; events: ConntrackEventJson[] } | null;
  /** extra: finding kinds attached to this flow */
  findings?: string[];
  /** extra: the outer (tunnel) flow of an inner flow */
  outer?: string | null;
  /** extra: observations (capture records) of this flow */
  observations?: number;
}

export interface FindingJson {
  kind: string;
  severity: 'info' | 'warning' | 'error';
  summary: string;
  flows: string[];
  ts?: number | null;
  evidence?: string[];
}

export interface ObservationJson {
  capture: number;
  frame: number;
  ts: number;
  iface?: string | null;
  direction?: 'in' | 'out' | null;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** extra: TTL / hop limit at this observation */
  ttl?: number | null;
}

export interface RouteJson {
  decision: 'local' | 'forward' | 'output' | 'blackhole' | 'unreachable' | 'prohibit';
  table: string | null;
  prefix: string | null;
  gateway: string | null;
  dev: string | null;
  pref_src: string | null;
  matches_observed: boolean | null;
  /** extra: 'ip-route' when computed from the host's routing dumps, 'inferred' from the captures */
  source?: string;
}

export interface NatStepJson {
  hook: 'PREROUTING' | 'INPUT' | 'OUTPUT' | 'POSTROUTING';
  kind: 'DNAT' | 'SNAT';
  from: Tuple;
  to: Tuple;
  /** extra */
  rule?: string | null;
}

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export interface NetfilterJson {
  hooks: Hook[];
  chains?: string[];
  verdict?: string | null;
  source: 'inferred' | 'trace';
  rule?: string | null;
  rules?: Array<{ chain: string; rule: string; verdict?: string }>;
  /** extra: the inference's agreement with the trace for this packet, when both exist */
  agrees_with_trace?: boolean | null;
}

export interface PacketJson {
  /** extra: journey id in the case */
  id?: number;
  ts: number;
  flow: string;
  dir: 'orig' | 'reply';
  len?: number;
  ip_id?: number | null;
  ttl?: number | null;
  tcp_flags?: string | null;
  seq?: number | null;
  ack?: number | null;
  observations: ObservationJson[];
  ctstate: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | null;
  /** extra: why INVALID / how the state was decided */
  ctstate_reason?: string | null;
  route?: RouteJson | null;
  nat?: NatStepJson[];
  netfilter: NetfilterJson;
}

export interface ReportJson {
  schema: 'pathlens.report/1';
  tool?: { name: string; version: string };
  inputs: ReportInput[];
  host?: ReportHost;
  summary: ReportSummary;
  flows: FlowJson[];
  findings: FindingJson[];
  packets?: PacketJson[];
}
