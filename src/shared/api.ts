// The one API contract between the UI and the engine. Electron IPC (src/main/ipc.ts, src/preload),
// the loopback HTTP server (src/main/server) and the renderer client are all checked against it.
import type { FindingJson, FlowJson, PacketJson, ReportHost, ReportInput, ReportSummary } from './report';

/** What the open case is. */
export interface CaseInfo {
  /** the case file (SQLite) path, or null while nothing is open */
  path: string | null;
  name: string;
  inputs: ReportInput[];
  summary: ReportSummary;
  host: ReportHost;
  /** an ingest is running into this case */
  ingesting: boolean;
  /** inference inputs present, so the UI can say what is inferred vs known */
  context: {
    conntrack: boolean;
    routes: boolean;
    ruleset: boolean;
    trace: boolean;
  };
}

export type SortKey =
  | 'first_ts'
  | 'last_ts'
  | 'proto'
  | 'src'
  | 'dst'
  | 'sport'
  | 'dport'
  | 'packets'
  | 'bytes'
  | 'state'
  | 'duration'
  | 'nat'
  | 'reply'
  | 'findings';

/** A page of the flow table, filtered with the display-filter language (src/shared/filter.ts). */
export interface FlowQuery {
  filter?: string;
  sort?: { key: SortKey; dir: 'asc' | 'desc' };
  offset: number;
  limit: number;
}

export interface FlowPage {
  total: number;
  rows: FlowJson[];
  /** set when the filter did not parse; rows are then unfiltered */
  filterError?: string | null;
}

/** One flow with everything the flow view draws. */
export interface FlowDetail {
  flow: FlowJson;
  /** the flow's packets (journeys) in time order, capped at `limit` */
  packets: PacketJson[];
  packetsTotal: number;
  findings: FindingJson[];
}

/** One packet with its bytes. */
export interface PacketDetail {
  packet: PacketJson;
  /** the first observation's captured bytes, as lower-case hex */
  hex: string;
  /** link type of those bytes */
  linkType: number | null;
  /** decoded layers for display, outermost first */
  layers: Array<{ name: string; fields: Array<[string, string]> }>;
  /** the matching trace traversal(s), when the case has trace input */
  trace: Array<{ line: number; chain: string; verdict: string; rule: string | null }> | null;
}

/** Packet rate and flow starts over time, with conntrack events as marks. */
export interface Timeline {
  from: number | null;
  to: number | null;
  bucketSec: number;
  buckets: Array<{ t: number; packets: number; flowsStarted: number; bytes: number }>;
  events: Array<{ t: number; type: string; flow: string | null; state: string | null }>;
}

/** Report documents, plus `pcapng`: the selected flows' packets from their original captures. */
export type ReportFormat = 'json' | 'html' | 'csv' | 'md' | 'pcapng';

export interface ExportResult {
  filename: string;
  mime: string;
  /** text, or base64 when `encoding` says so (pcapng) */
  content: string;
  encoding?: 'base64';
}

export interface IngestProgress {
  job: string;
  phase: 'detect' | 'context' | 'capture' | 'analyse' | 'done' | 'error' | 'cancelled';
  file: string | null;
  bytesDone: number;
  bytesTotal: number;
  records: number;
  recordsPerSec: number;
  etaSec: number | null;
  flows: number;
  message?: string;
}

/** Every request channel: name → request and response types. */
export interface ApiChannels {
  'case.info': { req: Record<string, never>; res: CaseInfo };
  'case.open': { req: { path: string }; res: CaseInfo };
  'flows.list': { req: FlowQuery; res: FlowPage };
  'flows.get': { req: { id: string; limit?: number }; res: FlowDetail };
  'packets.get': { req: { id: number }; res: PacketDetail };
  'findings.list': { req: Record<string, never>; res: FindingJson[] };
  'timeline.get': { req: { from?: number; to?: number; buckets: number }; res: Timeline };
  'report.export': {
    req: { format: ReportFormat; flows?: string[]; filter?: string; packets?: boolean };
    res: ExportResult;
  };
  'ingest.start': { req: { paths: string[] }; res: { job: string } };
  'ingest.cancel': { req: { job: string }; res: { cancelled: boolean } };
}

export type Channel = keyof ApiChannels;
export type Req<C extends Channel> = ApiChannels[C]['req'];
export type Res<C extends Channel> = ApiChannels[C]['res'];

/** Runtime list of the channels; a test proves both transports serve exactly these. */
export const API_CHANNELS = [
  'case.info',
  'case.open',
  'flows.list',
  'flows.get',
  'packets.get',
  'findings.list',
  'timeline.get',
  'report.export',
  'ingest.start',
  'ingest.cancel',
] as const satisfies readonly Channel[];

/** Events pushed from the engine to the UI. */
export interface ApiEvents {
  'ingest.progress': IngestProgress;
}
export type EventName = keyof ApiEvents;
export const API_EVENTS = ['ingest.progress'] as const satisfies readonly EventName[];

/** The object the preload exposes as `window.pathlens` and the HTTP client implements. */
export interface PathlensApi {
  call<C extends Channel>(channel: C, req: Req<C>): Promise<Res<C>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** True when `name` is a known channel (used by both transports to refuse anything else). */
export function isChannel(name: string): name is Channel {
  return (API_CHANNELS as readonly string[]).includes(name);
}
