// The API behind both transports (Electron IPC and loopback HTTP): one case at a time, ingests in
// the worker, every channel of src/shared/api.ts answered here.
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import type {
  ApiEvents,
  CaseInfo,
  Channel,
  EventName,
  FlowPage,
  PacketDetail,
  Req,
  Res,
} from '../../shared/api';
import { matchFlow, parseFilter, FilterError } from '../../shared/filter';
import type { Kind } from '../context/detect';
import { decodeFrame } from '../decode/decode-frame';
import { startIngest } from '../ingest/run';
import type { IngestJob } from '../ingest/run';
import type { Db } from '../store/db';
import { openCase } from '../store/db';
import { compileFilter } from '../store/filter-sql';
import {
  caseInfo,
  FLOW_SELECT,
  flowDetail,
  flowJson,
  journeys,
  listFindings,
  listFlows,
  packetLocation,
  timeline,
} from '../store/queries';
import { renderReport } from '../report/render';
import { loadEnricher } from '../report/enrich';
import { describeLayers } from './layers';

type Listener<E extends EventName> = (p: ApiEvents[E]) => void;

/** Ids of the flows a display filter selects (filter errors are thrown). */
export async function flowsMatching(db: Db, filter: string): Promise<string[]> {
  const ast = parseFilter(filter);
  const sql = compileFilter(ast);
  const rows = (
    await db.all<Parameters<typeof flowJson>[0]>(
      `${FLOW_SELECT} WHERE ${sql.where} ORDER BY first_ns, id`,
      sql.params as never[],
    )
  ).map(flowJson);
  return (sql.needsPostFilter ? rows.filter((f) => matchFlow(ast, f)) : rows).map((f) => f.id);
}

/** The engine a window (or browser tab) talks to. */
export class Engine {
  private db: Db | null = null;
  private name = '';
  private job: { id: string; job: IngestJob } | null = null;
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  private jobSeq = 0;

  constructor(private readonly workDir: string) {}

  /** Subscribes to engine events. */
  on<E extends EventName>(event: E, fn: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<EventName>);
    return () => set.delete(fn as Listener<EventName>);
  }

  private emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const fn of this.listeners.get(event) ?? []) fn(payload);
  }

  /** Opens an existing case file. */
  async openCase(path: string): Promise<void> {
    const db = await openCase(path);
    if (this.db) await this.db.close();
    this.db = db;
    this.name = basename(path).replace(/\.pathlens\.sqlite$|\.sqlite$/, '');
  }

  /** Starts ingesting files into a new case; the case opens when it is done. */
  startIngest(paths: string[], kinds: Record<string, Kind> = {}): string {
    if (this.job) throw new Error('an ingest is already running');
    const id = `job${++this.jobSeq}`;
    const dbPath = join(this.workDir, `${id}.pathlens.sqlite`);
    let opened = false;
    const job = startIngest({ dbPath, inputs: paths, kinds, job: id, live: true }, (p) => {
      // the case is readable as soon as its schema exists: flows appear while the ingest runs
      if (!opened && p.phase === 'capture') {
        opened = true;
        void this.openCase(dbPath).then(
          () => (this.name = basename(paths[0] ?? 'case')),
          () => (opened = false),
        );
      }
      this.emit('ingest.progress', p);
    });
    this.job = { id, job };
    job.result.then(
      async (r) => {
        this.job = null;
        await this.openCase(r.dbPath);
        this.name = basename(paths[0] ?? 'case');
        this.emit('ingest.progress', {
          job: id,
          phase: r.cancelled ? 'cancelled' : 'done',
          file: null,
          bytesDone: 0,
          bytesTotal: 0,
          records: r.packets,
          recordsPerSec: 0,
          etaSec: 0,
          flows: r.flows,
        });
      },
      (e: unknown) => {
        this.job = null;
        this.emit('ingest.progress', {
          job: id,
          phase: 'error',
          file: null,
          bytesDone: 0,
          bytesTotal: 0,
          records: 0,
          recordsPerSec: 0,
          etaSec: null,
          flows: 0,
          message: e instanceof Error ? e.message : String(e),
        });
      },
    );
    return id;
  }

  /** Waits for the running ingest, if any (tests, CLI). */
  async settled(): Promise<void> {
    while (this.job)
      await this.job.job.result.catch(() => undefined).then(() => new Promise((r) => setTimeout(r, 10)));
  }

  private need(): Db {
    if (!this.db) throw new Error(this.job ? 'the case is still being ingested' : 'no case is open');
    return this.db;
  }

  /** Answers one API call. */
  async handle<C extends Channel>(channel: C, req: Req<C>): Promise<Res<C>> {
    const r = await this.dispatch(channel, req as never);
    return r as Res<C>;
  }

  private async dispatch(channel: Channel, req: never): Promise<unknown> {
    switch (channel) {
      case 'case.info':
        return this.info();
      case 'case.open': {
        const { path } = req as Req<'case.open'>;
        await this.openCase(path);
        return this.info();
      }
      case 'flows.list':
        return this.flows(req as Req<'flows.list'>);
      case 'flows.get': {
        const { id, limit } = req as Req<'flows.get'>;
        const db = this.need();
        const d = await flowDetail(db, Number(id), limit ?? 2000, await loadEnricher(db, [String(id)]));
        if (!d) throw new Error(`no flow ${id}`);
        return d;
      }
      case 'packets.get':
        return this.packet((req as Req<'packets.get'>).id);
      case 'findings.list':
        return listFindings(this.need());
      case 'timeline.get': {
        const q = req as Req<'timeline.get'>;
        return timeline(this.need(), q.from, q.to, q.buckets);
      }
      case 'report.export': {
        const q = req as Req<'report.export'>;
        let flows = q.flows;
        if (!flows && q.filter)
          flows = (await this.flows({ filter: q.filter, offset: 0, limit: 1_000_000 }, true)).rows.map(
            (f) => f.id,
          );
        return renderReport(this.need(), q.format, { flows, packets: q.packets });
      }
      case 'ingest.start': {
        const { paths } = req as Req<'ingest.start'>;
        return { job: this.startIngest(paths) };
      }
      case 'ingest.cancel': {
        const { job } = req as Req<'ingest.cancel'>;
        if (this.job && this.job.id === job) {
          this.job.job.cancel();
          return { cancelled: true };
        }
        return { cancelled: false };
      }
    }
  }

  private async info(): Promise<CaseInfo> {
    if (!this.db)
      return {
        path: null,
        name: '',
        inputs: [],
        summary: { packets: 0, flows: 0, first_ts: null, last_ts: null },
        host: { name: null, interfaces: [], source: 'none' },
        ingesting: this.job !== null,
        context: { conntrack: false, routes: false, ruleset: false, trace: false },
      };
    return caseInfo(this.db, this.name, this.job !== null);
  }

  private async flows(q: Req<'flows.list'>, unlimited = false): Promise<FlowPage> {
    const db = this.need();
    let ast = null;
    let filterError: string | null = null;
    try {
      ast = q.filter ? parseFilter(q.filter) : null;
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      filterError = e.message;
    }
    const sql = compileFilter(ast);
    if (sql.needsPostFilter) {
      const rows = (
        await db.all<Parameters<typeof flowJson>[0]>(
          `${FLOW_SELECT} WHERE ${sql.where} ORDER BY first_ns, id`,
          sql.params as never[],
        )
      )
        .map(flowJson)
        .filter((f) => matchFlow(ast, f));
      return {
        total: rows.length,
        rows: unlimited ? rows : rows.slice(q.offset, q.offset + q.limit),
        filterError,
      };
    }
    const page = await listFlows(db, unlimited ? { ...q, limit: 1_000_000 } : q, {
      where: sql.where,
      params: sql.params as Array<string | number>,
    });
    return { ...page, filterError };
  }

  private async packet(id: number): Promise<PacketDetail> {
    const db = this.need();
    const [p] = await journeys(db, { ids: [id] });
    if (!p) throw new Error(`no packet ${id}`);
    const loc = await packetLocation(db, id);
    let hex = '';
    let layers: PacketDetail['layers'] = [];
    if (loc) {
      // Packet bytes stay in the capture: re-read them by offset.
      const fd = openSync(loc.path, 'r');
      try {
        const buf = Buffer.alloc(loc.caplen);
        readSync(fd, buf, 0, loc.caplen, loc.offset);
        hex = buf.toString('hex');
        layers = describeLayers(decodeFrame(loc.linkType, buf));
      } finally {
        closeSync(fd);
      }
    }
    const enrich = await loadEnricher(db, [p.flow]);
    const trace = await db.all<{ detail: string }>(
      'SELECT detail FROM trace_packets WHERE journey_id = ? ORDER BY line',
      [id],
    );
    return {
      packet: enrich(p),
      hex,
      linkType: loc?.linkType ?? null,
      layers,
      trace: trace.length
        ? trace.flatMap((t) => {
            const d = JSON.parse(t.detail) as {
              steps?: Array<{
                chain: string;
                events: Array<{ line: number; verdict: string; rule?: string | null }>;
              }>;
            };
            return (d.steps ?? []).flatMap((s) =>
              s.events.map((e) => ({
                line: e.line,
                chain: s.chain,
                verdict: e.verdict,
                rule: e.rule ?? null,
              })),
            );
          })
        : null,
    };
  }

  /** Closes the case (and cancels a running ingest). */
  async close(): Promise<void> {
    this.job?.job.cancel();
    if (this.db) await this.db.close();
    this.db = null;
  }
}
