// The engine: detect kinds → read context → stream captures (decode, journeys, flows, per-packet
// analysis) → batched writes into the case file. Runs in a worker thread for the CLI and the app.
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { createCaptureReader } from '../capture/capture-reader';
import type { CaptureInterface, CaptureWarning } from '../capture/types';
import { decodeFrame } from '../decode/decode-frame';
import type { DecodedPacket } from '../decode/types';
import type { Kind } from '../context/detect';
import { detectKind } from '../context/detect';
import type { IngestProgress } from '../../shared/api';
import { groupConntrack } from '../analysis/conntrack-join';
import { FlowTable, addOnce } from '../analysis/flow-table';
import type { Assignment } from '../analysis/flow-table';
import type { HostContext } from '../analysis/host-context';
import { emptyContext, ifaceName } from '../analysis/host-context';
import type { Journey } from '../analysis/journeys';
import { JourneyMatcher } from '../analysis/journeys';
import type { Observation } from '../analysis/observation';
import { ObservationPool, makeObservation } from '../analysis/observation';
import type { Placement } from '../analysis/observation';
import { analyseJourney } from '../analysis/analyse';
import type { JourneyAnalysis } from '../analysis/analyse';
import { FindingCollector } from '../analysis/findings';
import type { Flow } from '../analysis/flow-table';
import { natFromRuleset } from '../analysis/nat-infer';
import type { Db } from '../store/db';
import { createCase, createIndexes, finishCase, loadRowsExtension } from '../store/db';
import { TableWriter } from '../store/writer';
import type { FixedColumn, RowSink } from '../store/writer';
import { readContextFile } from './context-stage';
import type { InputFile } from './inputs';
import { expandInputs } from './inputs';
import { flowWriter, putFlows, writeFlows, writeFindings } from './finish';
import { TraceJoiner } from '../analysis/trace-join';
import type { TraceRef } from '../analysis/trace-join';

/** What to ingest. */
export interface IngestOptions {
  dbPath: string;
  inputs: string[];
  /** per-file kind overrides: path → kind */
  kinds?: Record<string, Kind>;
  /** where bundles are extracted (default: `<db>.inputs`) */
  extractDir?: string;
  onProgress?: (p: IngestProgress) => void;
  /** cancel flag shared with the caller: non-zero = stop */
  cancel?: Int32Array;
  job?: string;
  /** commit flows every few seconds so a viewer sees them appear while the ingest runs */
  live?: boolean;
}

/** What an ingest did. */
export interface IngestResult {
  dbPath: string;
  inputs: Array<{ path: string; kind: string; records: number; warnings: number }>;
  packets: number;
  flows: number;
  cancelled: boolean;
  seconds: number;
}

// 64 KB: the observations of a chunk wait to be matched; a smaller batch dies young (less promoted
// garbage, measured)
const CHUNK = 1 << 16;
const OBS_COLUMNS = [
  'id',
  'input_id',
  'frame',
  'offset',
  'caplen',
  'orig_len',
  'link_type',
  'ts_ns',
  'iface_id',
  'direction',
  'src',
  'dst',
  'sport',
  'dport',
  'ttl',
  'flow_id',
  'journey_id',
  'tunnel_of',
  'anomaly',
] as const;
const JOURNEY_COLUMNS = [
  'id',
  'flow_id',
  'dir',
  'ts_ns',
  'n_obs',
  'l3',
  'proto',
  'ip_id',
  'ip_len',
  'tcp_flags',
  'seq',
  'ack',
  'win',
  'payload_len',
  'icmp_type',
  'icmp_code',
  'path',
  'iif',
  'oif',
  'first_pkt',
  'ctstate',
  'ct_reason',
  'detail',
] as const;

// Field widths of the fixed-width fast path ('t' = text); wider values take the SQL text path.
const OBS_WIDTHS = [12, 4, 10, 14, 7, 7, 5, 19, 6, 1, '39t', '39t', 5, 5, 3, 10, 12, 12, '24t'] as const;
const JOURNEY_WIDTHS = [
  12,
  10,
  1,
  19,
  5,
  1,
  3,
  10,
  6,
  3,
  10,
  10,
  5,
  6,
  3,
  3,
  '16t',
  '16t',
  '16t',
  1,
  '11t',
  '48t',
  '64t',
] as const;

function fixed(names: readonly string[], widths: ReadonlyArray<number | string>): FixedColumn[] {
  return names.map((name, i) => {
    const w = widths[i]!;
    return typeof w === 'number'
      ? { name, width: w, kind: 'int' }
      : { name, width: parseInt(w, 10), kind: 'text' };
  });
}

/** Integer nanoseconds as text (SQLite stores it as INTEGER; JS numbers cannot hold it exactly). */
export function nsText(sec: number, nsec: number): string {
  return sec === 0 ? String(nsec) : `${sec}${String(nsec).padStart(9, '0')}`;
}

/** What one journeys row is made of. */
interface JourneyRow {
  j: Journey;
  asg: Assignment | null;
  a: JourneyAnalysis;
}

function putJourney(w: RowSink, { j, asg, a }: JourneyRow): boolean {
  const first = j.obs[0]!;
  return (
    w.int(j.id) &&
    w.int(asg ? asg.flow.id : null) &&
    w.int(asg ? asg.dir : null) &&
    w.ns(first.tsSec, first.tsNsec) &&
    w.int(j.obs.length) &&
    w.int(first.l3) &&
    w.int(first.proto) &&
    w.int(first.ipId) &&
    w.int(first.ipLen) &&
    w.int(first.tcpFlags) &&
    w.int(first.seq) &&
    w.int(first.ack) &&
    w.int(first.win) &&
    w.int(first.payloadLen) &&
    w.int(first.icmpType) &&
    w.int(first.icmpCode) &&
    w.text(a.path) &&
    w.text(a.iif) &&
    w.text(a.oif) &&
    w.int(a.firstPkt ? 1 : 0) &&
    w.text(a.ctstate) &&
    w.text(a.reason) &&
    w.text(a.detail)
  );
}

function putObservation(w: RowSink, o: Observation): boolean {
  return (
    w.int(o.id) &&
    w.int(o.input) &&
    w.int(o.frame) &&
    w.int(o.offset) &&
    w.int(o.caplen) &&
    w.int(o.origLen) &&
    w.int(o.linkType) &&
    w.ns(o.tsSec, o.tsNsec) &&
    w.int(o.ifaceId) &&
    w.int(o.dir) &&
    w.text(o.src) &&
    w.text(o.dst) &&
    w.int(o.sport ?? o.icmpId) &&
    w.int(o.dport ?? o.icmpId) &&
    w.int(o.ttl) &&
    w.int(o.flowId) &&
    w.int(o.journeyId) &&
    w.int(o.tunnelOf) &&
    w.text(o.anomaly)
  );
}

interface CaptureState {
  input: number;
  file: InputFile;
  ifaces: Map<number, { caseId: number; name: string | null; linkType: number }>;
  /** SLL2 ifindex → case interface */
  sll2: Map<number, { id: number; name: string }>;
}

/** Progress at the start of a phase: nothing counted yet. */
function starting(phase: IngestProgress['phase'], bytesTotal = 0): Omit<IngestProgress, 'job'> {
  return {
    phase,
    file: null,
    bytesDone: 0,
    bytesTotal,
    records: 0,
    recordsPerSec: 0,
    etaSec: null,
    flows: 0,
  };
}

/** Runs a whole ingest into a new case file. */
export async function ingest(opts: IngestOptions): Promise<IngestResult> {
  const started = Date.now();
  const job = opts.job ?? 'ingest';
  const progress = (p: Omit<IngestProgress, 'job'>): void => opts.onProgress?.({ job, ...p });
  const cancelled = (): boolean => (opts.cancel ? Atomics.load(opts.cancel, 0) !== 0 : false);

  progress(starting('detect'));
  const files = await expandInputs(opts.inputs, opts.extractDir ?? `${opts.dbPath}.inputs`);
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(opts.dbPath + suffix)) rmSync(opts.dbPath + suffix);
  const db = await createCase(opts.dbPath, opts.live ?? false);
  await loadRowsExtension(db);
  try {
    return await run(db, files, opts, progress, cancelled, started);
  } finally {
    await db.close();
  }
}

async function run(
  db: Db,
  files: InputFile[],
  opts: IngestOptions,
  progress: (p: Omit<IngestProgress, 'job'>) => void,
  cancelled: () => boolean,
  started: number,
): Promise<IngestResult> {
  const kinds: Array<Kind | null> = files.map((f) => {
    if (f.error) return null;
    const override = opts.kinds?.[f.path] ?? opts.kinds?.[f.display];
    if (override) return override;
    try {
      const fd = openSync(f.path, 'r');
      try {
        const head = Buffer.alloc(Math.min(65536, f.size));
        readSync(fd, head, 0, head.length, 0);
        return detectKind(head);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      // unreadable (permissions, vanished): reported as that input's error, the others go on
      f.error = `cannot read: ${(e as Error).message}`;
      return null;
    }
  });
  await db.exec('BEGIN');
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    await db.run('INSERT INTO inputs (id, path, kind, size, mtime_ms, status) VALUES (?,?,?,?,?,?)', [
      i,
      f.display,
      kinds[i] ?? 'unknown',
      f.size,
      Math.round(f.mtimeMs),
      f.error ? 'error' : kinds[i] ? 'pending' : 'skipped',
    ]);
    if (f.error)
      await db.run('INSERT INTO warnings (input_id, offset, message) VALUES (?,?,?)', [i, 0, f.error]);
  }
  await db.exec('COMMIT');

  // Context first: it is small, and the capture analysis needs it.
  const ctx: HostContext = emptyContext();
  const summary: IngestResult['inputs'] = files.map((f, i) => ({
    path: f.display,
    kind: kinds[i] ?? 'unknown',
    records: 0,
    warnings: 0,
  }));
  progress(starting('context'));
  await db.exec('BEGIN');
  for (let i = 0; i < files.length; i++) {
    const kind = kinds[i];
    if (!kind || kind === 'pcap' || kind === 'pcapng') continue;
    let r: { records: number; warnings: number };
    try {
      r =
        (kind === 'conntrack-events' || kind === 'conntrack-table') && files[i]!.size > PIECE
          ? await readInPieces(db, i, kind, files[i]!.path, ctx)
          : await readContextFile(db, i, kind, readFileSync(files[i]!.path, 'utf8'), ctx);
    } catch (e) {
      // one input that cannot be read (too large for one string, I/O error) costs only itself
      await db.run('INSERT INTO warnings (input_id, offset, message) VALUES (?,?,?)', [
        i,
        0,
        `cannot read: ${(e as Error).message}`,
      ]);
      await db.run('UPDATE inputs SET status = ? WHERE id = ?', ['error', i]);
      summary[i]!.warnings++;
      continue;
    }
    summary[i]!.records = r.records;
    summary[i]!.warnings = r.warnings;
    await db.run('UPDATE inputs SET records = ?, status = ? WHERE id = ?', [r.records, 'done', i]);
  }
  await db.exec('COMMIT');

  // Several trace files of one run (xtables-monitor, its timestamped copy, nft monitor) describe the
  // same packets: join the richest one, preferring receive times.
  const primary = [...ctx.traceInputs].sort(
    (a, b) =>
      b.traversals.length - a.traversals.length ||
      Number(b.traversals.some((x) => x.t.seenAt !== undefined)) -
        Number(a.traversals.some((x) => x.t.seenAt !== undefined)),
  )[0];
  const joiner = new TraceJoiner(primary ? (primary.traversals as TraceRef[]) : []);
  ctx.traces = primary ? primary.traversals.map((x) => x.t) : [];
  const conns = groupConntrack(ctx.ctEvents);
  const table = new FlowTable();
  table.addConntrack(conns);

  // Captures: every capture streamed, merged by time so copies of a packet in several files meet.
  const captures = files
    .map((f, i) => ({ f, i }))
    .filter(({ i }) => kinds[i] === 'pcap' || kinds[i] === 'pcapng');
  const bytesTotal = captures.reduce((s, c) => s + c.f.size, 0);
  let bytesDone = 0;
  let records = 0;
  let spanFirst = Infinity;
  let spanLast = -Infinity;
  let lastProgress = 0;
  let lastLive = Date.now();
  const t0 = Date.now();
  const obsW = new TableWriter(db, 'observations', fixed(OBS_COLUMNS, OBS_WIDTHS), putObservation);
  const jW = new TableWriter(db, 'journeys', fixed(JOURNEY_COLUMNS, JOURNEY_WIDTHS), putJourney);
  const flowW = flowWriter(db);
  const writes: Promise<void>[] = [];
  const anomalyCounts = new Map<string, { count: number; first: number }>();
  let nextObsId = 1;
  let nextIfaceId = 1;
  let isCancelled = false;

  const jrow: JourneyRow = { j: null!, asg: null, a: null! };
  const onJourney = (j: Journey): void => {
    const asg: Assignment | null = table.assign(j);
    jrow.j = j;
    jrow.asg = asg;
    jrow.a = analyseJourney(j, asg, ctx, joiner.match(j));
    const w = jW.row(jrow);
    if (w) writes.push(w);
    for (const o of j.obs) {
      const w = obsW.row(o);
      if (w) writes.push(w);
      pool.release(o);
    }
    matcher.release(j);
  };
  const pool = new ObservationPool();
  const matcher = new JourneyMatcher(onJourney);
  const findings = new FindingCollector(ctx);
  // a reply tuple the capture and conntrack did not show: what the ruleset says, when certain
  const settleNat = (f: Flow): void => {
    if (f.reply || f.pkts[0] === 0) return;
    const r = natFromRuleset(f, ctx);
    if (!r) return;
    for (const rule of r.rules) addOnce(f.natRules, rule);
    if (r.reply) {
      f.reply = r.reply;
      f.replySource = 'ruleset';
      addOnce(f.natEvidence, 'ruleset');
    }
  };

  const macOf = new Map<string, { own: Set<string>; port: boolean }>();
  for (const l of ctx.links) {
    if (!l.mac || l.mac === '00:00:00:00:00:00') continue;
    const own = new Set([l.mac.toLowerCase()]);
    const master = l.master ? ctx.links.find((x) => x.ifname === l.master) : undefined;
    if (master?.mac) own.add(master.mac.toLowerCase());
    macOf.set(l.ifname, { own, port: !!l.master });
  }
  const states: CaptureState[] = captures.map(({ f, i }) => ({
    input: i,
    file: f,
    ifaces: new Map(),
    sll2: new Map(),
  }));
  const ifaceRows: Array<
    [number, number, number | null, number | null, string | null, number, number | null]
  > = [];
  const warnRows: Array<[number, number, string]> = [];

  const place: Placement = {
    input: 0,
    frame: 0,
    offset: 0,
    caplen: 0,
    origLen: 0,
    linkType: 0,
    tsSec: 0,
    tsNsec: 0,
    ifaceId: null,
    iface: null,
    dir: null,
  };
  // One pull-based stream of observations per capture file, a chunk of the file per step. With
  // `direct`, each observation goes straight to it (a single capture: no merge, and the
  // observation is analysed while still in the CPU's caches) and the steps yield empty batches.
  function* observations(
    st: CaptureState,
    direct: ((o: Observation) => void) | null,
  ): Generator<Observation[]> {
    const fd = openSync(st.file.path, 'r');
    const buf = Buffer.alloc(CHUNK);
    let batch: Observation[] = [];
    const out = direct ?? ((o: Observation): void => void batch.push(o));
    const warnings: CaptureWarning[] = [];
    let count = 0;
    const reader = createCaptureReader({
      onInterface: (iface: CaptureInterface) => {
        const caseId = nextIfaceId++;
        st.ifaces.set(iface.id, { caseId, name: iface.name, linkType: iface.linkType });
        ifaceRows.push([caseId, st.input, iface.id, null, iface.name, iface.linkType, iface.snaplen]);
      },
      onWarning: (w) => warnings.push(w),
      onRecord: (rec) => {
        count++;
        const p = decodeFrame(rec.linkType, rec.data);
        const fileIf = st.ifaces.get(rec.interfaceId);
        let ifaceId: number | null = fileIf?.caseId ?? null;
        let iface: string | null = fileIf?.name ?? null;
        if (p.ifindex !== null) {
          // `-i any` (SLL2): the interface is per packet, by the capturing host's ifindex.
          let known = st.sll2.get(p.ifindex);
          if (known === undefined) {
            known = { id: nextIfaceId++, name: ifaceName(ctx, p.ifindex) ?? `if${p.ifindex}` };
            st.sll2.set(p.ifindex, known);
            ifaceRows.push([known.id, st.input, null, p.ifindex, known.name, rec.linkType, null]);
          }
          ifaceId = known.id;
          iface = known.name;
        }
        let dir = rec.direction ?? p.direction;
        if (dir === null && p.macSrc !== null && iface !== null) {
          // Per-interface captures without direction flags (dumpcap): the interface's own MAC (or its
          // bridge's, for a bridge port) says "sent by this host"; on a bridge port another source
          // MAC may be a frame bridged through, so only a plain interface concludes "in".
          const m = macOf.get(iface);
          if (m) dir = m.own.has(p.macSrc) ? 'out' : m.port ? null : 'in';
        }
        // one Placement for every record: makeObservation copies it
        place.input = st.input;
        place.frame = rec.frame;
        place.offset = rec.dataOffset;
        place.caplen = rec.caplen;
        place.origLen = rec.origLen;
        place.linkType = rec.linkType;
        place.tsSec = rec.tsSec;
        place.tsNsec = rec.tsNsec;
        place.ifaceId = ifaceId;
        place.iface = iface;
        place.dir = dir === 'in' ? 0 : dir === 'out' ? 1 : null;
        const outer = makeObservation(nextObsId++, place, p, rec.data, null, pool);
        out(outer);
        for (const a of p.anomalies) countAnomaly(st.input, a, rec.frame);
        let inner: DecodedPacket | null = p.inner;
        while (inner) {
          out(makeObservation(nextObsId++, place, inner, rec.data, outer.id, pool));
          for (const a of inner.anomalies) countAnomaly(st.input, a, rec.frame);
          inner = inner.inner;
        }
      },
    });
    try {
      let pos = 0;
      while (true) {
        const n = readSync(fd, buf, 0, CHUNK, pos);
        if (n <= 0) break;
        pos += n;
        bytesDone += n;
        reader.push(buf.subarray(0, n));
        if (batch.length || direct) {
          yield batch;
          batch = [];
        }
      }
      reader.end();
      if (batch.length) yield batch;
    } finally {
      closeSync(fd);
      for (const w of warnings) warnRows.push([st.input, w.offset, w.message]);
      const s = summary[st.input]!;
      s.records = count;
      s.warnings += warnings.length;
    }
  }

  function countAnomaly(input: number, name: string, frame: number): void {
    const k = `${input}\u0000${name}`;
    const c = anomalyCounts.get(k);
    if (c) c.count++;
    else anomalyCounts.set(k, { count: 1, first: frame });
  }

  // One observation into the analysis (synchronous; its rows are written as batches fill).
  const consume = (o: Observation): void => {
    matcher.push(o);
    if (o.tunnelOf !== null) return;
    records++;
    if (o.t < spanFirst) spanFirst = o.t;
    if (o.t > spanLast) spanLast = o.t;
    if ((records & 16383) === 0) {
      // finished connections leave memory: their findings are taken and their rows written
      const done: Flow[] = [];
      table.evict(o.t, (f) => {
        settleNat(f);
        findings.flow(f);
        done.push(f);
      });
      if (done.length) {
        // encoded now, sent with the other tables' batches: awaiting a statement of its own here
        // would idle the engine while SQLite prepares it (≈ 0.3 s of a 1.2M-record ingest, measured)
        writes.push(...putFlows(flowW, done));
        findings.prune(table);
        table.recycle(done);
      }
    }
  };
  // Between observations (merge) or chunks (one capture): back-pressure, progress, live commits,
  // cancel. True when cancelled.
  let lastCheck = 0;
  const due = (): boolean => writes.length > 0 || records - lastCheck >= 4096;
  const settle = async (file: string): Promise<boolean> => {
    if (writes.length) {
      await Promise.all(writes.splice(0));
      if (cancelled()) return true;
    }
    if (records - lastCheck < 4096) return false;
    lastCheck = records;
    const now = Date.now();
    if (now - lastProgress <= 250) return false;
    lastProgress = now;
    const rate = records / Math.max(0.001, (now - t0) / 1000);
    const bRate = bytesDone / Math.max(0.001, (now - t0) / 1000);
    progress({
      phase: 'capture',
      file,
      bytesDone,
      bytesTotal,
      records,
      recordsPerSec: Math.round(rate),
      etaSec: bRate > 0 ? (bytesTotal - bytesDone) / bRate : null,
      flows: table.count,
    });
    if (opts.live && now - lastLive > 2000) {
      lastLive = now;
      await Promise.all(writes.splice(0));
      await obsW.drain();
      await jW.drain();
      await writeFlows(db, table, conns, table.takeDirty(), flowW);
      // readers (WAL) see committed data only
      await db.exec('COMMIT; BEGIN');
    }
    await new Promise((r) => setImmediate(r));
    return cancelled();
  };

  await db.exec('BEGIN');
  progress(starting('capture', bytesTotal));
  const single = states.length === 1;
  const streams = states.map((st) => ({
    st,
    it: observations(st, single ? consume : null),
    buf: [] as Observation[],
    pos: 0,
    done: false,
  }));
  if (single) {
    const s = streams[0]!;
    while (!s.it.next().done) {
      if (due() && (await settle(s.st.file.display))) {
        isCancelled = true;
        break;
      }
    }
  } else {
    const refill = (s: (typeof streams)[number]): void => {
      while (!s.done && s.pos >= s.buf.length) {
        const r = s.it.next();
        if (r.done) s.done = true;
        else {
          s.buf = r.value;
          s.pos = 0;
        }
      }
    };
    for (const s of streams) refill(s);
    while (true) {
      // k-way merge by timestamp: copies of one packet in several captures meet in one journey
      let best: (typeof streams)[number] | null = null;
      for (const s of streams) {
        if (s.pos < s.buf.length && (!best || s.buf[s.pos]!.t < best.buf[best.pos]!.t)) best = s;
      }
      if (!best) break;
      consume(best.buf[best.pos++]!);
      if (best.pos >= best.buf.length) refill(best);
      if (due() && (await settle(best.st.file.display))) {
        isCancelled = true;
        break;
      }
    }
  }
  if (isCancelled) for (const s of streams) s.it.return(undefined);
  matcher.flush();
  await Promise.all(writes.splice(0));
  await obsW.flush();
  await jW.flush();
  await flowW.drain();
  for (let i = 0; i < joiner.joined.length; i += 400) {
    const part = joiner.joined.slice(i, i + 400);
    await db.run(
      `UPDATE trace_packets SET journey_id = CASE id ${part.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (${part.map(() => '?').join(',')})`,
      [...part.flatMap((x) => [x.rowId, x.journey]), ...part.map((x) => x.rowId)],
    );
  }
  for (const r of ifaceRows)
    await db.run(
      'INSERT INTO interfaces (id, input_id, file_if, ifindex, name, link_type, snaplen) VALUES (?,?,?,?,?,?,?)',
      r,
    );
  for (const [input, offset, message] of warnRows)
    await db.run('INSERT INTO warnings (input_id, offset, message) VALUES (?,?,?)', [input, offset, message]);
  for (const [k, v] of anomalyCounts) {
    const [input, name] = k.split('\u0000');
    await db.run('INSERT INTO anomalies (input_id, name, count, first_frame) VALUES (?,?,?,?)', [
      Number(input),
      name!,
      v.count,
      v.first,
    ]);
  }
  for (const st of states) {
    const s = summary[st.input]!;
    await db.run('UPDATE inputs SET records = ?, status = ? WHERE id = ?', [
      s.records,
      isCancelled ? 'cancelled' : 'done',
      st.input,
    ]);
  }
  await db.exec('COMMIT');

  progress({
    phase: 'analyse',
    file: null,
    bytesDone,
    bytesTotal,
    records,
    recordsPerSec: 0,
    etaSec: null,
    flows: table.count,
  });
  await db.exec('BEGIN');
  // SQLite builds the indexes on its thread while the last flows are concluded here
  const indexed = createIndexes(db);
  table.addUnseenConntrack(conns);
  for (const f of table.flows.values()) {
    settleNat(f);
    findings.flow(f);
  }
  findings.finish(conns);
  await indexed;
  await writeFlows(db, table, conns, undefined, flowW);
  await writeFindings(db, findings.out);
  await db.run("INSERT INTO meta (key, value) VALUES ('host_source', ?)", [ctx.ifaceSource]);
  // What per-packet inference (routes, rules) needs at query time, so a case reopens without its inputs.
  await db.run("INSERT INTO meta (key, value) VALUES ('context', ?)", [
    JSON.stringify({
      ifaces: ctx.ifaces,
      iptables: ctx.iptables,
      routes: ctx.routes,
      rules: ctx.rules,
      links: ctx.links,
      sysctls: Object.fromEntries(ctx.sysctls),
      traced: ctx.traces.length > 0,
    }),
  ]);
  await db.run("INSERT INTO meta (key, value) VALUES ('span', ?)", [
    JSON.stringify({ records, first: records ? spanFirst : null, last: records ? spanLast : null }),
  ]);
  await db.run("INSERT INTO meta (key, value) VALUES ('created', ?)", [new Date().toISOString()]);
  await db.run("INSERT INTO meta (key, value) VALUES ('cancelled', ?)", [isCancelled ? '1' : '0']);
  await db.exec('COMMIT');
  await finishCase(db);

  const seconds = (Date.now() - started) / 1000;
  progress({
    phase: isCancelled ? 'cancelled' : 'done',
    file: null,
    bytesDone,
    bytesTotal,
    records,
    recordsPerSec: Math.round(records / Math.max(0.001, (Date.now() - t0) / 1000)),
    etaSec: 0,
    flows: table.count,
  });
  return {
    dbPath: db.path,
    inputs: summary,
    packets: records,
    flows: table.count,
    cancelled: isCancelled,
    seconds,
  };
}

const PIECE = 32 << 20;

/**
 * A conntrack log under load runs to gigabytes, more than one JS string holds: its lines are
 * independent, so it is read in pieces cut at line ends, line numbers counted from the file's start.
 */
export async function readInPieces(
  db: Db,
  input: number,
  kind: Kind,
  path: string,
  ctx: HostContext,
  piece = PIECE,
): Promise<{ records: number; warnings: number }> {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(piece);
  let carry: Buffer = Buffer.alloc(0);
  let pos = 0;
  let lineOffset = 0;
  const total = { records: 0, warnings: 0 };
  try {
    while (true) {
      const n = readSync(fd, buf, 0, piece, pos);
      pos += n;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      const cut = n === 0 ? data.length : data.lastIndexOf(0x0a) + 1;
      if (cut > 0) {
        const text = data.toString('utf8', 0, cut);
        const r = await readContextFile(db, input, kind, text, ctx, lineOffset);
        total.records += r.records;
        total.warnings += r.warnings;
        for (let k = 0; k < cut; k++) if (data[k] === 0x0a) lineOffset++;
      }
      carry = Buffer.from(data.subarray(cut));
      if (n === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

/** Default case file name for a list of inputs: `./<first input's name>.pathlens.sqlite`. */
export function defaultCasePath(inputs: string[]): string {
  const first = inputs[0] ?? 'case';
  return `./${basename(first.replace(/\/+$/, '')).replace(/\.(pcapng|pcap|tar\.gz|tgz)$/i, '')}.pathlens.sqlite`;
}
