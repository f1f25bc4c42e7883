// conntrack(8) output: libnetfilter_conntrack snprintf_default.c / snprintf_xml.c, conntrack-tools
// src/conntrack.c (-E, -L, -S, -C, -o timestamp,extended,id,ktimestamp,labels,userspace,xml) and the
// kernel's /proc/net/nf_conntrack and /proc/net/stat/nf_conntrack (nf_conntrack_standalone.c).
import type { ParseResult, TextWarning } from './types';
import type { CtTuple } from './tuple';
import { BINARY_BYTES, cutOffWarning, invertTuple, normalizeIpText } from './tuple';

export type { CtTuple } from './tuple';
export { invertTuple } from './tuple';

/** Event type of a `conntrack -E` line; null for snapshot lines (`-L`, /proc). */
export type CtEventType = 'NEW' | 'UPDATE' | 'DESTROY';

/** Per-direction packet and byte counters (`nf_conntrack_acct=1`). */
export interface CtCounters {
  packets: number;
  bytes: number;
}

/** The parts only an expectation (`conntrack -E expect`, `-L expect`) has. */
export interface CtExpectInfo {
  /** Mask tuple (`mask-src= mask-dst= sport= dport=`), when printed (libnetfilter_conntrack ≥ 1.0.7). */
  mask: CtTuple | null;
  /** The master connection's tuple (`master-src= master-dst= …`), when printed. */
  master: CtTuple | null;
  /** PERMANENT, INACTIVE, USERSPACE. */
  flags: string[];
}

/**
 * One conntrack line (event or snapshot entry). For an expectation (`kind: 'expect'`) `orig` is the
 * expected tuple and `reply` is the master's tuple when printed, else a copy of `orig`.
 */
export interface ConntrackRecord {
  /** 1-based line in the input. */
  line: number;
  kind: 'flow' | 'expect';
  /** How the line was written: conntrack's default text, `-o xml`, or /proc/net/nf_conntrack. */
  format: 'text' | 'xml' | 'proc';
  /** `-o timestamp` receive time in seconds (float); XML `<when>` read as UTC; else null. */
  ts: number | null;
  type: CtEventType | null;
  l3: 'ipv4' | 'ipv6';
  proto: string;
  protonum: number;
  timeout: number | null;
  state: string | null;
  orig: CtTuple;
  reply: CtTuple;
  counters: { orig: CtCounters; reply: CtCounters } | null;
  /** UNREPLIED, ASSURED, OFFLOAD, HW_OFFLOAD, as printed. */
  status: string[];
  mark: number | null;
  zone: number | null;
  zoneOrig: number | null;
  zoneReply: number | null;
  secctx: string | null;
  labels: string[];
  use: number | null;
  /** The flow id (`-o id`); for ICMP the last `id=` on the line. */
  id: number | null;
  /** `delta-time=`, seconds. */
  deltaTime: number | null;
  /** `[start=<ctime>]` text as printed (XML: nanoseconds since the epoch). */
  start: string | null;
  /** Epoch seconds of `start`; ctime() is the collector's local time with no zone, read as UTC. */
  startEpoch: number | null;
  stop: string | null;
  stopEpoch: number | null;
  helper: string | null;
  userspace: { portid: number; progname: string | null } | null;
  expect: CtExpectInfo | null;
  /** Tokens the grammar does not name: `key=value` as is, `[FLAG]` as `'[FLAG]': ''`. */
  extra: Record<string, string>;
}

/** One CPU's row of `conntrack -S` or /proc/net/stat/nf_conntrack. */
export interface CtStatsCpu {
  line: number;
  cpu: number;
  counters: Record<string, number>;
}

/** One snapshot of the counters: a labelled section of a stats file (e.g. `### before <ts>`). */
export interface CtStatsSection {
  /** Line of the label, or of the first row when unlabelled. */
  line: number;
  /** Label text without its trailing timestamp (`before`, `after`); null when unlabelled. */
  label: string | null;
  /** Trailing epoch timestamp of the label line, if any. */
  ts: number | null;
  /** Where the per-CPU rows come from. */
  source: 'conntrack -S' | '/proc/net/stat/nf_conntrack' | null;
  cpus: CtStatsCpu[];
  /** Sums over the CPUs (`entries` of /proc is global, so it is taken once, not summed). */
  totals: Record<string, number>;
  /** `conntrack -C` (entries in the table), if present in the section. */
  count: number | null;
}

/** What `parseConntrack` returns: flow/expect records, plus any stats lines found in the same file. */
export type ConntrackParseResult = ParseResult<ConntrackRecord> & { stats?: CtStatsSection[] };

const EVENT_TAG = /^\[(NEW|UPDATE|DESTROY)\]$/;
// conntrack-tools `-o timestamp`: `[%-.8ld.%-.6ld]\t`; expectations use `%-8ld.%-6ld`, so the
// microseconds may be right-padded with spaces. The value is an integer count of µs either way.
const TS_PREFIX = /^\[\s*(\d+)\s*\.\s*(\d+)\s*\]\s*/;
const SUMMARY =
  /conntrack v\S+ \(conntrack-tools\): \d+ (?:flow|expectation) (?:entries|events) ha(?:ve|s) been [a-z]+\.?/;
const KTIME = /\[(start|stop)=([^\]]*)\]/g;
const PORT_PROTOS = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp']);
const ICMP_PROTOS = new Set(['icmp', 'icmpv6']);
const PROTO_NUM: Record<string, number> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  icmpv6: 58,
  dccp: 33,
  sctp: 132,
  udplite: 136,
};
const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id', 'srckey', 'dstkey']);
const STATUS_FLAGS = new Set(['UNREPLIED', 'ASSURED', 'OFFLOAD', 'HW_OFFLOAD', 'SEEN_REPLY']);

/** Parse conntrack events (`-E`, any `-o` combination incl. xml), snapshots (`-L`, /proc/net/nf_conntrack); never throws. */
export function parseConntrack(text: string): ConntrackParseResult {
  const records: ConntrackRecord[] = [];
  const warnings: TextWarning[] = [];
  const lines = splitLines(text);
  // Stats lines that turn up in a conntrack file go to parseConntrackStats with their line numbers.
  const statsLines: string[] = [];
  let sawStats = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i] ?? '';
    // stderr's summary can land anywhere, even spliced into a line (formats.md 1.4, lab README 13).
    if (SUMMARY.test(raw)) raw = raw.replace(SUMMARY, '').replace(/^\s*#\s*$/, '');
    const body = raw.trim();
    statsLines.push('');
    if (body === '' || body.startsWith('#')) continue;
    if (BINARY_BYTES.test(body)) {
      warnings.push({
        line: lineNo,
        message: `conntrack: line skipped: binary bytes in "${printable(body)}"`,
      });
      continue;
    }
    if (/^cpu=\d/.test(body) || /^\d+$/.test(body) || /^entries\s/.test(body) || isProcStatRow(body)) {
      statsLines[i] = body;
      sawStats = true;
      continue;
    }
    if (/^<\?xml\b/.test(body) || body === '<conntrack>' || body === '</conntrack>') continue;
    if (body.startsWith('<flow')) {
      const rec = parseXmlLine(body, lineNo, warnings);
      if (rec) records.push(rec);
      continue;
    }
    const rec = parseTextLine(body, lineNo, warnings);
    if (rec) records.push(rec);
  }
  const cut = cutOffWarning(text, 'conntrack');
  if (cut) warnings.push(cut);
  const out: ConntrackParseResult = { records, warnings };
  if (sawStats) {
    const stats = parseConntrackStats(`${statsLines.join('\n')}\n`);
    out.stats = stats.records;
    warnings.push(...stats.warnings);
    warnings.sort((a, b) => a.line - b.line);
  }
  return out;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function isProcStatRow(body: string): boolean {
  const t = body.split(/\s+/);
  return t.length >= 8 && t.every((x) => /^[0-9a-f]{8}$/.test(x));
}

function emptyRecord(line: number, format: ConntrackRecord['format']): ConntrackRecord {
  return {
    line,
    kind: 'flow',
    format,
    ts: null,
    type: null,
    l3: 'ipv4',
    proto: '',
    protonum: -1,
    timeout: null,
    state: null,
    orig: { src: '', dst: '' },
    reply: { src: '', dst: '' },
    counters: null,
    status: [],
    mark: null,
    zone: null,
    zoneOrig: null,
    zoneReply: null,
    secctx: null,
    labels: [],
    use: null,
    id: null,
    deltaTime: null,
    start: null,
    startEpoch: null,
    stop: null,
    stopEpoch: null,
    helper: null,
    userspace: null,
    expect: null,
    extra: {},
  };
}

function uint(v: string | undefined): number | null {
  if (v === undefined) return null;
  if (/^\d+$/.test(v)) return Number(v);
  if (/^0x[0-9a-fA-F]+$/.test(v)) return parseInt(v.slice(2), 16);
  return null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Epoch seconds of a ctime() string (`Thu Nov 26 04:09:26 2026`), read as UTC; null if not one. */
export function ctimeToEpoch(text: string): number | null {
  const m = /^[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(
    text.trim(),
  );
  if (!m) return null;
  const mon = MONTHS.indexOf(m[1] ?? '');
  if (mon < 0) return null;
  return Date.UTC(Number(m[6]), mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) / 1000;
}

// ---- default text form ------------------------------------------------------------------------

function parseTextLine(line: string, lineNo: number, warnings: TextWarning[]): ConntrackRecord | null {
  const rec = emptyRecord(lineNo, 'text');
  const problems: string[] = [];
  let body = line;
  const ts = TS_PREFIX.exec(body);
  if (ts) {
    rec.ts = Number(ts[1]) + Number(ts[2]) / 1e6;
    body = body.slice(ts[0].length);
  }
  // ktimestamp brackets contain spaces, so they are lifted out before tokenizing.
  body = body.replace(KTIME, (_m, which: string, value: string) => {
    const v = value.trim().replace(/\s+/g, ' ');
    if (which === 'start') {
      rec.start = v;
      rec.startEpoch = ctimeToEpoch(v);
    } else {
      rec.stop = v;
      rec.stopEpoch = ctimeToEpoch(v);
    }
    return ' ';
  });
  const tok = body.split(/\s+/).filter((t) => t !== '');
  let i = 0;
  const tag = EVENT_TAG.exec(tok[0] ?? '');
  if (tag) {
    rec.type = tag[1] as CtEventType;
    i++;
  }
  let l3Declared: 'ipv4' | 'ipv6' | null = null;
  // `-o extended` / /proc: `ipv4     2` before the L4 protocol.
  if ((tok[i] === 'ipv4' || tok[i] === 'ipv6') && /^\d+$/.test(tok[i + 1] ?? '')) {
    l3Declared = tok[i] as 'ipv4' | 'ipv6';
    const n = Number(tok[i + 1]);
    if (n !== (l3Declared === 'ipv4' ? 2 : 10)) problems.push(`l3 number ${n} does not match ${l3Declared}`);
    i += 2;
  }
  // Expectation: `<timeout> proto=N src=…` (libnetfilter_conntrack expect/snprintf_default.c).
  if (/^\d+$/.test(tok[i] ?? '') && (tok[i + 1] ?? '').startsWith('proto=')) {
    return parseExpectTokens(rec, tok, i, l3Declared, lineNo, warnings);
  }
  const name = tok[i];
  const num = tok[i + 1];
  if (name === undefined || !/^[a-z][a-z0-9]*$/.test(name) || num === undefined || !/^\d+$/.test(num)) {
    warnings.push({ line: lineNo, message: `conntrack: no "<proto> <protonum>" at the start of the line` });
    return null;
  }
  rec.proto = name;
  rec.protonum = Number(num);
  i += 2;
  const known = PROTO_NUM[name];
  if (known !== undefined && known !== rec.protonum) problems.push(`protocol ${name} with number ${num}`);

  let dir = 0; // 0 before the original tuple, 1 original, 2 reply
  let tupleOpen = false;
  let afterUserspace = false;
  const counters: [Partial<CtCounters>, Partial<CtCounters>] = [{}, {}];
  const soft: string[] = [];
  for (; i < tok.length; i++) {
    const t = tok[i] ?? '';
    const eq = t.indexOf('=');
    if (eq <= 0) {
      tupleOpen = false;
      if (dir === 0 && /^\d+$/.test(t) && rec.timeout === null && rec.state === null) {
        rec.timeout = Number(t);
      } else if (dir === 0 && /^[A-Z][A-Z0-9_]*$/.test(t) && rec.state === null) {
        rec.state = t;
      } else if (/^\[[A-Z][A-Z0-9_]*\]$/.test(t)) {
        const flag = t.slice(1, -1);
        if (flag === 'USERSPACE') {
          rec.userspace = { portid: 0, progname: null };
          afterUserspace = true;
        } else if (STATUS_FLAGS.has(flag)) rec.status.push(flag);
        else rec.extra[t] = '';
      } else {
        soft.push(`unexpected token "${printable(t)}"`);
      }
      continue;
    }
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1);
    if (!TUPLE_KEYS.has(key)) tupleOpen = false;
    const cur = dir === 1 ? rec.orig : dir === 2 ? rec.reply : null;
    switch (key) {
      case 'src':
        if (dir >= 2) {
          problems.push('more than two tuples');
          break;
        }
        dir++;
        tupleOpen = true;
        (dir === 1 ? rec.orig : rec.reply).src = value;
        break;
      case 'dst':
        if (!cur || cur.dst !== '') problems.push('dst= outside a tuple');
        else cur.dst = value;
        break;
      case 'sport':
      case 'dport':
      case 'type':
      case 'code': {
        const n = uint(value);
        if (!cur || !tupleOpen) problems.push(`${key}= outside a tuple`);
        else if (n === null || (key.endsWith('port') && n > 65535))
          problems.push(`bad ${key}="${printable(value)}"`);
        else if (key === 'sport') cur.sport = n;
        else if (key === 'dport') cur.dport = n;
        else if (key === 'type') cur.icmpType = n;
        else cur.icmpCode = n;
        break;
      }
      case 'srckey':
      case 'dstkey':
        if (!cur || !tupleOpen || !/^0x[0-9a-fA-F]+$/.test(value))
          problems.push(`bad ${key}="${printable(value)}"`);
        else if (key === 'srckey') cur.srcKey = value;
        else cur.dstKey = value;
        break;
      case 'id': {
        const n = uint(value);
        if (n === null) {
          problems.push(`bad id="${printable(value)}"`);
          break;
        }
        // ICMP tuples carry the echo id; with `-o id` the flow id follows, so it is the last id=.
        if (cur && tupleOpen && ICMP_PROTOS.has(rec.proto) && cur.icmpId === undefined) cur.icmpId = n;
        else rec.id = n;
        break;
      }
      case 'packets':
      case 'bytes': {
        const n = uint(value);
        const slot = counters[dir === 2 ? 1 : 0];
        if (n === null || dir === 0) problems.push(`bad ${key}="${printable(value)}"`);
        else slot[key] = n;
        break;
      }
      case 'zone-orig':
      case 'zone-reply':
      case 'zone':
      case 'mark':
      case 'use':
      case 'delta-time': {
        const n = uint(value);
        if (n === null) {
          soft.push(`bad ${key}="${printable(value)}"`);
          rec.extra[key] = value;
        } else if (key === 'zone-orig') rec.zoneOrig = n;
        else if (key === 'zone-reply') rec.zoneReply = n;
        else if (key === 'zone') rec.zone = n;
        else if (key === 'mark') rec.mark = n;
        else if (key === 'use') rec.use = n;
        else rec.deltaTime = n;
        break;
      }
      case 'secctx':
        rec.secctx = value;
        break;
      case 'helper':
        rec.helper = value;
        break;
      case 'labels':
        rec.labels = value === '' ? [] : value.split(',');
        break;
      case 'portid':
      case 'progname':
        if (afterUserspace && rec.userspace) {
          if (key === 'progname') rec.userspace.progname = value;
          else {
            const n = uint(value);
            if (n === null) soft.push(`bad portid="${printable(value)}"`);
            else rec.userspace.portid = n;
          }
        } else rec.extra[key] = value;
        break;
      default:
        if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(key)) soft.push(`unexpected token "${printable(t)}"`);
        else rec.extra[key] = value;
    }
  }
  finishCounters(rec, counters, soft);
  // /proc/net/nf_conntrack: extended prefix, zone= always, use=, never an id or event tag.
  if (l3Declared !== null && rec.type === null && rec.zone !== null && rec.use !== null && rec.id === null) {
    rec.format = 'proc';
  }
  validateFlow(rec, l3Declared, problems, true);
  return settle(rec, problems, soft, lineNo, warnings);
}

function finishCounters(
  rec: ConntrackRecord,
  counters: [Partial<CtCounters>, Partial<CtCounters>],
  problems: string[],
): void {
  const [o, r] = counters;
  const any = [o.packets, o.bytes, r.packets, r.bytes].some((v) => v !== undefined);
  if (!any) return;
  if (o.packets === undefined || o.bytes === undefined || r.packets === undefined || r.bytes === undefined) {
    problems.push('incomplete packets=/bytes= counters');
    return;
  }
  rec.counters = {
    orig: { packets: o.packets, bytes: o.bytes },
    reply: { packets: r.packets, bytes: r.bytes },
  };
}

/** Check the tuples, canonicalise their addresses and settle the l3 family; push problems. */
function validateFlow(
  rec: ConntrackRecord,
  l3Declared: 'ipv4' | 'ipv6' | null,
  problems: string[],
  icmpFields: boolean,
): void {
  const tuples: [string, CtTuple][] = [
    ['original', rec.orig],
    ['reply', rec.reply],
  ];
  let family: 'ipv4' | 'ipv6' | null = null;
  for (const [label, t] of tuples) {
    for (const k of ['src', 'dst'] as const) {
      const v = t[k];
      if (v === '') {
        problems.push(`${label} tuple has no ${k}=`);
        continue;
      }
      const norm = normalizeIpText(v);
      if (norm === null) {
        problems.push(`bad ${label} ${k}="${printable(v)}"`);
        continue;
      }
      t[k] = norm;
      const fam = norm.includes(':') ? 'ipv6' : 'ipv4';
      if (family !== null && family !== fam) problems.push('tuples mix IPv4 and IPv6');
      family = fam;
    }
    if (PORT_PROTOS.has(rec.proto) && (t.sport === undefined || t.dport === undefined)) {
      problems.push(`${label} tuple lacks sport=/dport=`);
    }
    if (
      icmpFields &&
      ICMP_PROTOS.has(rec.proto) &&
      (t.icmpType === undefined || t.icmpCode === undefined || t.icmpId === undefined)
    ) {
      problems.push(`${label} tuple lacks type=/code=/id=`);
    }
    if (rec.proto === 'gre' && (t.srcKey === undefined || t.dstKey === undefined)) {
      problems.push(`${label} tuple lacks srckey=/dstkey=`);
    }
  }
  if (family !== null) {
    if (l3Declared !== null && l3Declared !== family)
      problems.push(`${l3Declared} line with ${family} addresses`);
    rec.l3 = family;
  }
  if (rec.proto === 'icmp' && rec.l3 === 'ipv6') problems.push('icmp with IPv6 addresses');
  if (rec.proto === 'icmpv6' && rec.l3 === 'ipv4') problems.push('icmpv6 with IPv4 addresses');
}

function settle(
  rec: ConntrackRecord,
  problems: string[],
  soft: string[],
  lineNo: number,
  warnings: TextWarning[],
): ConntrackRecord | null {
  if (problems.length > 0) {
    warnings.push({ line: lineNo, message: `conntrack: line skipped: ${[...problems, ...soft].join('; ')}` });
    return null;
  }
  if (soft.length > 0) warnings.push({ line: lineNo, message: `conntrack: ${soft.join('; ')}` });
  return rec;
}

function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

function parseExpectTokens(
  rec: ConntrackRecord,
  tok: string[],
  start: number,
  l3Declared: 'ipv4' | 'ipv6' | null,
  lineNo: number,
  warnings: TextWarning[],
): ConntrackRecord | null {
  const problems: string[] = [];
  const soft: string[] = [];
  rec.kind = 'expect';
  rec.timeout = Number(tok[start]);
  const expect: CtExpectInfo = { mask: null, master: null, flags: [] };
  rec.expect = expect;
  let cur: CtTuple | null = null;
  let section: 'expected' | 'mask' | 'master' | null = null;
  for (let i = start + 1; i < tok.length; i++) {
    const t = tok[i] ?? '';
    const eq = t.indexOf('=');
    if (eq <= 0) {
      if (/^[A-Z]+(,[A-Z]+)*$/.test(t)) expect.flags.push(...t.split(','));
      else if (/^\[[A-Z_]+\]$/.test(t)) rec.extra[t] = '';
      else soft.push(`unexpected token "${printable(t)}"`);
      continue;
    }
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1);
    const n = uint(value);
    switch (key) {
      case 'proto':
        if (n === null) problems.push(`bad proto="${printable(value)}"`);
        else {
          rec.protonum = n;
          rec.proto = Object.keys(PROTO_NUM).find((k) => PROTO_NUM[k] === n) ?? 'unknown';
        }
        break;
      case 'src':
      case 'mask-src':
      case 'master-src':
        section = key === 'src' ? 'expected' : key === 'mask-src' ? 'mask' : 'master';
        cur = { src: value, dst: '' };
        if (section === 'expected') rec.orig = cur;
        else if (section === 'mask') expect.mask = cur;
        else expect.master = cur;
        break;
      case 'dst':
      case 'mask-dst':
      case 'master-dst':
        if (!cur) problems.push(`${key}= outside a tuple`);
        else cur.dst = value;
        break;
      case 'sport':
      case 'dport':
      case 'type':
      case 'code':
      case 'id':
        if (!cur || n === null) problems.push(`bad ${key}="${printable(value)}"`);
        else if (key === 'sport') cur.sport = n;
        else if (key === 'dport') cur.dport = n;
        else if (key === 'type') cur.icmpType = n;
        else if (key === 'code') cur.icmpCode = n;
        else cur.icmpId = n;
        break;
      case 'zone':
        rec.zone = n;
        break;
      case 'helper':
        rec.helper = value;
        break;
      default:
        rec.extra[key] = value;
    }
  }
  if (section === null) problems.push('no expected tuple');
  for (const [label, t] of [
    ['expected', rec.orig],
    ['master', expect.master],
  ] as const) {
    if (!t) continue;
    for (const k of ['src', 'dst'] as const) {
      const norm = normalizeIpText(t[k]);
      if (norm === null) problems.push(`bad ${label} ${k}="${printable(t[k])}"`);
      else t[k] = norm;
    }
  }
  rec.l3 = rec.orig.src.includes(':') ? 'ipv6' : 'ipv4';
  if (l3Declared !== null && l3Declared !== rec.l3)
    problems.push(`${l3Declared} line with ${rec.l3} addresses`);
  rec.reply = expect.master ? { ...expect.master } : { ...rec.orig };
  return settle(rec, problems, soft, lineNo, warnings);
}

// ---- XML form ---------------------------------------------------------------------------------

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Parse one line of well-formed element markup into a tree; returns the root and any trailing text. */
function parseXmlFragment(s: string): { root: XmlNode; rest: string } | string {
  const re = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)/y;
  const top: XmlNode = { name: '#doc', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [top];
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return `malformed XML at column ${pos + 1}`;
    pos = re.lastIndex;
    const parent = stack[stack.length - 1] as XmlNode;
    if (m[5] !== undefined) {
      if (stack.length === 1) {
        if (top.children.length > 0) return { root: top.children[0] as XmlNode, rest: s.slice(m.index) };
        if (m[5].trim() !== '') return 'text before <flow>';
        continue;
      }
      parent.text += decodeEntities(m[5]);
      continue;
    }
    const name = m[2] ?? '';
    if (m[1] === '/') {
      if (parent.name !== name) return `</${name}> does not close <${parent.name}>`;
      stack.pop();
      if (stack.length === 1) return { root: parent, rest: s.slice(pos) };
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g))
      attrs[a[1] ?? ''] = decodeEntities(a[2] ?? '');
    const node: XmlNode = { name, attrs, children: [], text: '' };
    parent.children.push(node);
    if (m[4] !== '/') stack.push(node);
  }
  return stack.length > 1 ? `unclosed <${(stack[stack.length - 1] as XmlNode).name}>` : 'no element';
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

const child = (n: XmlNode | undefined, name: string): XmlNode | undefined =>
  n?.children.find((c) => c.name === name);

// snprintf_xml.c prints SCTP and DCCP states through the TCP name table; map back by index.
const TCP_STATES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
];
const SCTP_STATES = [
  'NONE',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'ESTABLISHED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
  'HEARTBEAT_ACKED',
];
const DCCP_STATES = [
  'NONE',
  'REQUEST',
  'RESPOND',
  'PARTOPEN',
  'OPEN',
  'CLOSEREQ',
  'CLOSING',
  'TIMEWAIT',
  'IGNORE',
  'INVALID',
];

function parseXmlLine(line: string, lineNo: number, warnings: TextWarning[]): ConntrackRecord | null {
  const rec = emptyRecord(lineNo, 'xml');
  const problems: string[] = [];
  const soft: string[] = [];
  const parsed = parseXmlFragment(line);
  if (typeof parsed === 'string') {
    warnings.push({ line: lineNo, message: `conntrack: line skipped: ${parsed}` });
    return null;
  }
  const { root, rest } = parsed;
  if (root.name !== 'flow') {
    warnings.push({ line: lineNo, message: `conntrack: line skipped: <${root.name}> instead of <flow>` });
    return null;
  }
  const stray = (n: XmlNode): boolean =>
    (n.children.length > 0 && n.text.trim() !== '') || n.children.some(stray);
  if (stray(root)) soft.push('stray text between elements');
  const type = root.attrs['type'];
  if (type !== undefined) {
    const up = type.toUpperCase();
    if (up === 'NEW' || up === 'UPDATE' || up === 'DESTROY') rec.type = up;
    else soft.push(`unknown flow type "${printable(type)}"`);
  }
  const counters: [Partial<CtCounters>, Partial<CtCounters>] = [{}, {}];
  let l3Declared: 'ipv4' | 'ipv6' | null = null;
  for (const meta of root.children) {
    if (meta.name === 'meta') {
      const d = meta.attrs['direction'];
      if (d === 'original' || d === 'reply') {
        const t = d === 'original' ? rec.orig : rec.reply;
        const l3 = child(meta, 'layer3');
        const l4 = child(meta, 'layer4');
        if (!l3 || !l4) {
          problems.push(`${d} meta lacks layer3/layer4`);
          continue;
        }
        const l3name = l3.attrs['protoname']?.toLowerCase();
        if (l3name === 'ipv4' || l3name === 'ipv6') l3Declared = l3name;
        t.src = child(l3, 'src')?.text.trim() ?? '';
        t.dst = child(l3, 'dst')?.text.trim() ?? '';
        rec.proto = l4.attrs['protoname'] ?? 'unknown';
        rec.protonum = uint(l4.attrs['protonum']) ?? -1;
        for (const c of l4.children) {
          const v = c.text.trim();
          if (c.name === 'sport' || c.name === 'dport') {
            const n = uint(v);
            if (n === null || n > 65535) problems.push(`bad <${c.name}>`);
            else if (c.name === 'sport') t.sport = n;
            else t.dport = n;
          } else if (c.name === 'srckey') t.srcKey = v;
          else if (c.name === 'dstkey') t.dstKey = v;
          else rec.extra[`${d}.${c.name}`] = v;
        }
        const zone = child(meta, 'zone');
        if (zone) {
          const z = uint(zone.text.trim());
          if (d === 'original') rec.zoneOrig = z;
          else rec.zoneReply = z;
        }
        const c = child(meta, 'counters');
        if (c) {
          const slot = counters[d === 'original' ? 0 : 1];
          const p = uint(child(c, 'packets')?.text.trim());
          const b = uint(child(c, 'bytes')?.text.trim());
          if (p !== null) slot.packets = p;
          if (b !== null) slot.bytes = b;
        }
      } else if (d === 'independent') {
        readIndependent(rec, meta, soft);
      } else soft.push(`unknown meta direction "${printable(d ?? '')}"`);
    } else if (meta.name === 'when') {
      const g = (n: string): number => uint(child(meta, n)?.text.trim()) ?? 0;
      // <when> is the collector's local time with no zone; read as UTC, like ktimestamp.
      rec.ts = Date.UTC(g('year'), g('month') - 1, g('day'), g('hour'), g('min'), g('sec')) / 1000;
    } else if (meta.name === 'helper') {
      rec.helper = meta.text.trim();
    } else rec.extra[meta.name] = meta.text.trim();
  }
  // The SCTP/DCCP state name came out of the TCP table (formats.md 1.5): translate by index.
  if (rec.state !== null && (rec.proto === 'sctp' || rec.proto === 'dccp')) {
    const idx = TCP_STATES.indexOf(rec.state);
    const table = rec.proto === 'sctp' ? SCTP_STATES : DCCP_STATES;
    if (idx >= 0) rec.state = table[idx] ?? rec.state;
  }
  // conntrack-tools 1.4.7 appends ` [USERSPACE] portid=N [progname=X]` after </flow>.
  for (const t of rest.split(/\s+/).filter((x) => x !== '')) {
    if (t === '[USERSPACE]') rec.userspace = { portid: 0, progname: null };
    else if (t.startsWith('portid=') && rec.userspace) rec.userspace.portid = uint(t.slice(7)) ?? 0;
    else if (t.startsWith('progname=') && rec.userspace) rec.userspace.progname = t.slice(9);
    else soft.push(`unexpected text after </flow>: "${printable(t)}"`);
  }
  finishCounters(rec, counters, soft);
  // XML has no ICMP type/code/id (formats.md 1.5), so only ports and keys are checked.
  validateFlow(rec, l3Declared, problems, false);
  return settle(rec, problems, soft, lineNo, warnings);
}

function readIndependent(rec: ConntrackRecord, meta: XmlNode, soft: string[]): void {
  for (const c of meta.children) {
    const v = c.text.trim();
    switch (c.name) {
      case 'state':
        rec.state = v;
        break;
      case 'timeout':
        rec.timeout = uint(v);
        break;
      case 'mark':
        rec.mark = uint(v);
        break;
      case 'secctx':
        rec.secctx = v;
        break;
      case 'zone':
        rec.zone = uint(v);
        break;
      case 'use':
        rec.use = uint(v);
        break;
      case 'id':
        rec.id = uint(v);
        break;
      case 'assured':
        rec.status.push('ASSURED');
        break;
      case 'unreplied':
        rec.status.push('UNREPLIED');
        break;
      case 'labels':
        rec.labels = c.children.filter((l) => l.name === 'label').map((l) => l.text.trim());
        break;
      case 'deltatime':
        rec.deltaTime = uint(v);
        break;
      case 'timestamp': {
        const start = child(c, 'start')?.text.trim();
        const stop = child(c, 'stop')?.text.trim();
        // XML timestamps are nanoseconds since the epoch; keep the text, convert without losing µs.
        if (start !== undefined) {
          rec.start = start;
          rec.startEpoch = /^\d+$/.test(start) ? Number(BigInt(start) / 1000n) / 1e6 : null;
        }
        if (stop !== undefined) {
          rec.stop = stop;
          rec.stopEpoch = /^\d+$/.test(stop) ? Number(BigInt(stop) / 1000n) / 1e6 : null;
        }
        break;
      }
      case 'helper':
        rec.helper = v;
        break;
      default:
        if (c.name === 'secmark') rec.extra['secmark'] = v;
        else {
          rec.extra[c.name] = v;
          if (c.children.length > 0) soft.push(`unknown element <${c.name}>`);
        }
    }
  }
}

// ---- stats (-S, -C, /proc/net/stat/nf_conntrack) ----------------------------------------------

/** Parse `conntrack -S`, `conntrack -C` and /proc/net/stat/nf_conntrack, keeping labelled sections apart; never throws. */
export function parseConntrackStats(text: string): ParseResult<CtStatsSection> {
  const records: CtStatsSection[] = [];
  const warnings: TextWarning[] = [];
  const lines = splitLines(text);
  let cur: CtStatsSection | null = null;
  let procHeader: string[] | null = null;
  const open = (line: number, label: string | null, ts: number | null): CtStatsSection => {
    const s: CtStatsSection = { line, label, ts, source: null, cpus: [], totals: {}, count: null };
    records.push(s);
    return s;
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const body = (lines[i] ?? '').trim();
    if (body === '' || SUMMARY.test(body)) continue;
    if (BINARY_BYTES.test(body)) {
      warnings.push({ line: lineNo, message: `conntrack stats: line skipped: binary bytes` });
      continue;
    }
    const label = /^#{2,}\s*(.*)$/.exec(body) ?? /^(?:==+>?|--+)\s*(.*?)\s*(?:<?==+|--+)?$/.exec(body);
    if (label) {
      const words = (label[1] ?? '')
        .trim()
        .split(/\s+/)
        .filter((w) => w !== '');
      const last = words[words.length - 1];
      let ts: number | null = null;
      if (last !== undefined && /^\d{9,}(\.\d+)?$/.test(last)) {
        ts = Number(last);
        words.pop();
      }
      cur = open(lineNo, words.length > 0 ? words.join(' ') : null, ts);
      procHeader = null;
      continue;
    }
    if (body.startsWith('#')) continue;
    if (/^cpu=/.test(body)) {
      const counters: Record<string, number> = {};
      let cpu = -1;
      let bad = '';
      for (const t of body.split(/\s+/)) {
        const m = /^([A-Za-z_][\w]*)=(\d+)$/.exec(t);
        if (!m) {
          bad = t;
          break;
        }
        if (m[1] === 'cpu') cpu = Number(m[2]);
        else counters[m[1] ?? ''] = Number(m[2]);
      }
      if (bad !== '' || cpu < 0) {
        warnings.push({ line: lineNo, message: `conntrack stats: bad token "${printable(bad)}"` });
        continue;
      }
      // A repeated CPU means a new, unlabelled snapshot began.
      if (!cur || cur.source === '/proc/net/stat/nf_conntrack' || cur.cpus.some((c) => c.cpu === cpu)) {
        cur = open(lineNo, null, null);
      }
      cur.source = 'conntrack -S';
      cur.cpus.push({ line: lineNo, cpu, counters });
      continue;
    }
    if (/^\d+$/.test(body)) {
      if (!cur || cur.count !== null) cur = open(lineNo, null, null);
      cur.count = Number(body);
      continue;
    }
    const toks = body.split(/\s+/);
    if (toks[0] === 'entries' && toks.every((t) => /^[a-z_]+$/.test(t))) {
      procHeader = toks;
      if (!cur || cur.cpus.length > 0) cur = open(lineNo, null, null);
      cur.source = '/proc/net/stat/nf_conntrack';
      continue;
    }
    if (procHeader && cur && toks.every((t) => /^[0-9a-fA-F]{1,16}$/.test(t))) {
      if (toks.length !== procHeader.length) {
        warnings.push({
          line: lineNo,
          message: `conntrack stats: ${toks.length} fields where the header names ${procHeader.length}`,
        });
        continue;
      }
      const counters: Record<string, number> = {};
      procHeader.forEach((h, k) => (counters[h] = parseInt(toks[k] ?? '0', 16)));
      cur.cpus.push({ line: lineNo, cpu: cur.cpus.length, counters });
      continue;
    }
    warnings.push({ line: lineNo, message: `conntrack stats: unrecognised line "${printable(body)}"` });
  }
  const cut = cutOffWarning(text, 'conntrack stats');
  // parseConntrack hands over stats lines with blanks in between, so only warn on real content.
  if (cut && (lines[lines.length - 1] ?? '').trim() !== '') warnings.push(cut);
  for (const s of records) {
    for (const c of s.cpus) {
      for (const [k, v] of Object.entries(c.counters)) {
        if (k === 'entries') s.totals[k] = v;
        else s.totals[k] = (s.totals[k] ?? 0) + v;
      }
    }
  }
  return {
    records: records.filter((s) => s.cpus.length > 0 || s.count !== null || s.label !== null),
    warnings,
  };
}

// ---- sniffing and helpers -----------------------------------------------------------------------

/** Recognise a conntrack file from its first lines: events (`-E`), table (`-L`, /proc) or stats (`-S`, `-C`). */
export function sniffConntrack(
  head: string,
): 'conntrack-events' | 'conntrack-table' | 'conntrack-stats' | null {
  const lines = head.split(/\r?\n/).slice(0, 50);
  for (const raw of lines) {
    const line = raw.replace(SUMMARY, '').trim();
    if (line === '' || line.startsWith('#') || line === '<conntrack>' || line.startsWith('<?xml')) continue;
    if (/^<flow type="(new|update|destroy)"/.test(line)) return 'conntrack-events';
    if (/^<flow>/.test(line)) return 'conntrack-table';
    if (/^cpu=\d+\s+\w+=\d+/.test(line) || /^entries\s+\w+\s+\w+/.test(line)) return 'conntrack-stats';
    let body = line;
    const ts = TS_PREFIX.exec(body);
    if (ts) body = body.slice(ts[0].length);
    if (/^\[(NEW|UPDATE|DESTROY)\]\s+\S+\s+\d+/.test(body) && body.includes('src='))
      return 'conntrack-events';
    if (/^(?:ipv[46]\s+\d+\s+)?[a-z][a-z0-9]*\s+\d+\s/.test(body) && /\bsrc=\S+\s+dst=\S+/.test(body)) {
      return ts ? 'conntrack-events' : 'conntrack-table';
    }
    if (/^\d+$/.test(line)) return 'conntrack-stats';
    return null;
  }
  return null;
}

/** DNAT: the reply comes from somewhere other than where the original was sent (formats.md 1.2). */
export function isDnat(rec: ConntrackRecord): boolean {
  if (rec.kind !== 'flow') return false;
  return rec.reply.src !== rec.orig.dst || rec.reply.sport !== rec.orig.dport;
}

/** SNAT/MASQUERADE: the reply goes to somewhere other than the original source; ICMP: the echo id changed. */
export function isSnat(rec: ConntrackRecord): boolean {
  if (rec.kind !== 'flow') return false;
  return (
    rec.reply.dst !== rec.orig.src ||
    rec.reply.dport !== rec.orig.sport ||
    rec.reply.icmpId !== rec.orig.icmpId
  );
}

/** The tuple the original direction has after NAT (the inverse of the reply tuple). */
export function natAfter(rec: ConntrackRecord): CtTuple {
  return invertTuple(rec.reply);
}
