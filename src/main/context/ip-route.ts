// ip-route(8) output of iproute2 (iproute.c print_route): `ip -j route show table all`, the text form,
// and the net-tools `route -n` / `netstat -rn` views of /proc/net/route (main table, IPv4).
import type { ParseResult, TextWarning } from './types';
import { splitJsonItems } from './ip-addr';
import {
  BINARY_BYTES,
  cutOffWarning,
  formatPrefix,
  looksLikeJson,
  normalizeIpText,
  parsePrefix,
} from './tuple';

/** rtm_type of a route (rtnetlink.h RTN_*), as iproute2 names it. */
export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'anycast'
  | 'multicast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat';

const ROUTE_TYPES = new Set<string>([
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
]);

/** One nexthop of a route (the route's own gateway/dev, or one ECMP leg). */
export interface RouteNexthop {
  gateway: string | null;
  dev: string | null;
  weight: number;
  flags: string[];
}

/** One route, normalised: every default iproute2 omits is filled in. */
export interface RouteRecord {
  line: number;
  /** `main`, `local`, `default` or the number as text (`100`). */
  table: string;
  type: RouteType;
  family: 'ipv4' | 'ipv6';
  /** CIDR with canonical address; `default` → `0.0.0.0/0` / `::/0`; host routes get /32 or /128. */
  dst: string;
  gateway: string | null;
  dev: string | null;
  prefsrc: string | null;
  metric: number;
  /** global, link, host, site or a number. */
  scope: string;
  /** boot, kernel, static, dhcp, ra, … or a number. */
  protocol: string;
  /** ECMP legs (`nexthops[]`); empty for a single-path route. */
  nexthops: RouteNexthop[];
  flags: string[];
  /** TOS / dsfield selector, 0 = any. */
  tos: number;
  /** Where the route came from: iproute2 JSON or text, or net-tools. */
  source: 'json' | 'text' | 'route-n';
  extra: Record<string, string>;
}

/** Options for `parseIpRoute`. */
export interface IpRouteOptions {
  /** Family for routes whose text does not show one (`default dev wg0`, `unreachable default`); default ipv4. */
  family?: 'ipv4' | 'ipv6';
}

const TABLE_NAMES: Record<string, string> = {
  '255': 'local',
  '254': 'main',
  '253': 'default',
  '0': 'unspec',
};
const tableName = (t: string): string => TABLE_NAMES[t] ?? t;
const NH_FLAGS = new Set([
  'onlink',
  'linkdown',
  'dead',
  'pervasive',
  'offload',
  'trap',
  'notify',
  'rt_offload',
  'rt_trap',
]);

/** Parse `ip [-j] route` (any table, v4+v6 mixed), `route -n` or `netstat -rn` output; never throws. */
export function parseIpRoute(text: string, opts: IpRouteOptions = {}): ParseResult<RouteRecord> {
  if (looksLikeJson(text)) return parseJson(text, opts);
  if (/^(Kernel IP routing table|Destination\s+Gateway\s+Genmask)/m.test(text.slice(0, 2000)))
    return parseNetTools(text);
  return parseText(text, opts);
}

/** Default scope iproute2 prints nothing for, by route type (kernel rtm_scope defaults). */
function defaultScope(type: RouteType): string {
  if (type === 'local') return 'host';
  if (type === 'broadcast') return 'link';
  return 'global';
}

function familyOf(...addrs: (string | null | undefined)[]): 'ipv4' | 'ipv6' | null {
  for (const a of addrs) {
    if (a === null || a === undefined || a === 'default') continue;
    return a.includes(':') ? 'ipv6' : 'ipv4';
  }
  return null;
}

function finishDst(dst: string, family: 'ipv4' | 'ipv6'): string | null {
  const p = parsePrefix(dst, family);
  if (!p || p.family !== family) return null;
  return formatPrefix(p);
}

function parseJson(text: string, opts: IpRouteOptions): ParseResult<RouteRecord> {
  const items = splitJsonItems(text, 'ip route');
  const records: RouteRecord[] = [];
  const warnings = [...items.warnings];
  for (const { line, value } of items.records) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      warnings.push({ line, message: 'ip route: element is not an object' });
      continue;
    }
    const o = value as Record<string, unknown>;
    const s = (k: string): string | null =>
      typeof o[k] === 'string' ? (o[k] as string) : typeof o[k] === 'number' ? String(o[k]) : null;
    const dstText = s('dst');
    const typeText = s('type') ?? 'unicast';
    if (dstText === null || !ROUTE_TYPES.has(typeText)) {
      warnings.push({ line, message: `ip route: element without dst or with unknown type "${typeText}"` });
      continue;
    }
    const type = typeText as RouteType;
    const via = o['via'] as { host?: unknown } | undefined;
    const gwText = s('gateway') ?? (via && typeof via.host === 'string' ? via.host : null);
    const nexthops: RouteNexthop[] = [];
    let bad = '';
    if (Array.isArray(o['nexthops'])) {
      for (const nh of o['nexthops'] as Record<string, unknown>[]) {
        const nvia = nh['via'] as { host?: unknown } | undefined;
        const g =
          typeof nh['gateway'] === 'string'
            ? nh['gateway']
            : nvia && typeof nvia.host === 'string'
              ? nvia.host
              : null;
        const gn = g === null ? null : normalizeIpText(g);
        if (g !== null && gn === null) bad = `bad nexthop gateway "${g}"`;
        nexthops.push({
          gateway: gn,
          dev: typeof nh['dev'] === 'string' ? nh['dev'] : null,
          weight: typeof nh['weight'] === 'number' ? nh['weight'] : 1,
          flags: Array.isArray(nh['flags'])
            ? (nh['flags'] as unknown[]).filter((f): f is string => typeof f === 'string')
            : [],
        });
      }
    }
    const prefsrcText = s('prefsrc');
    const family = familyOf(dstText, gwText, prefsrcText, nexthops[0]?.gateway) ?? opts.family ?? 'ipv4';
    const dst = finishDst(dstText, family);
    const gateway = gwText === null ? null : normalizeIpText(gwText);
    const prefsrc = prefsrcText === null ? null : normalizeIpText(prefsrcText);
    if (dst === null) bad = `bad dst "${dstText}"`;
    else if (gwText !== null && gateway === null) bad = `bad gateway "${gwText}"`;
    else if (prefsrcText !== null && prefsrc === null) bad = `bad prefsrc "${prefsrcText}"`;
    if (bad !== '' || dst === null) {
      warnings.push({ line, message: `ip route: element skipped: ${bad}` });
      continue;
    }
    const metric = typeof o['metric'] === 'number' ? o['metric'] : 0;
    const rec: RouteRecord = {
      line,
      table: tableName(s('table') ?? 'main'),
      type,
      family,
      dst,
      gateway,
      dev: s('dev'),
      prefsrc,
      metric,
      scope: s('scope') ?? defaultScope(type),
      protocol: s('protocol') ?? 'boot',
      nexthops,
      flags: Array.isArray(o['flags'])
        ? (o['flags'] as unknown[]).filter((f): f is string => typeof f === 'string')
        : [],
      tos: parseTos(s('tos') ?? s('dsfield')),
      source: 'json',
      extra: {},
    };
    for (const k of ['pref', 'expires', 'nhid', 'error', 'encap', 'cache']) {
      const v = o[k];
      if (v !== undefined) rec.extra[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    if (typeof o['metrics'] === 'object' && o['metrics'] !== null)
      rec.extra['metrics'] = JSON.stringify(o['metrics']);
    records.push(rec);
  }
  return { records, warnings };
}

function parseTos(v: string | null): number {
  if (v === null) return 0;
  const n = v.startsWith('0x') ? parseInt(v.slice(2), 16) : Number(v);
  return Number.isFinite(n) ? n : 0;
}

// Keywords of the text form that take one argument (iproute.c print_route and its helpers).
const TEXT_KEYS = new Set([
  'via',
  'dev',
  'table',
  'proto',
  'scope',
  'src',
  'metric',
  'tos',
  'dsfield',
  'pref',
  'expires',
  'nhid',
  'error',
  'realm',
  'realms',
  'mtu',
  'advmss',
  'hoplimit',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'initcwnd',
  'initrwnd',
  'ssthresh',
  'rto_min',
  'quickack',
  'congctl',
  'features',
  'fastopen_no_cookie',
  'weight',
  'from',
  'uid',
  'ttl-propagate',
]);

function parseText(text: string, opts: IpRouteOptions): ParseResult<RouteRecord> {
  const records: RouteRecord[] = [];
  const warnings: TextWarning[] = [];
  const lines = text.split(/\r?\n/);
  let last: RouteRecord | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    if (BINARY_BYTES.test(raw)) {
      warnings.push({ line: lineNo, message: 'ip route: line skipped: binary bytes' });
      last = null;
      continue;
    }
    const tok = raw.trim().split(/\s+/);
    // Multipath legs: TAB `nexthop via GW dev IF weight W`.
    if (tok[0] === 'nexthop') {
      if (!last || !/^\s/.test(raw)) {
        warnings.push({ line: lineNo, message: 'ip route: nexthop line without a route' });
        continue;
      }
      const nh = parseNexthop(tok.slice(1));
      if (typeof nh === 'string') {
        warnings.push({ line: lineNo, message: `ip route: ${nh}` });
        continue;
      }
      last.nexthops.push(nh);
      if (last.family === 'ipv4' && nh.gateway?.includes(':')) last.family = 'ipv6';
      continue;
    }
    if (/^\s/.test(raw) && tok[0] === 'cache') continue;
    const rec = parseTextRoute(tok, lineNo, opts);
    if (typeof rec === 'string') {
      warnings.push({ line: lineNo, message: `ip route: line skipped: ${rec}` });
      last = null;
      continue;
    }
    records.push(rec);
    last = rec;
  }
  const cut = cutOffWarning(text, 'ip route');
  if (cut) warnings.push(cut);
  return { records, warnings };
}

function parseNexthop(tok: string[]): RouteNexthop | string {
  const nh: RouteNexthop = { gateway: null, dev: null, weight: 1, flags: [] };
  for (let k = 0; k < tok.length; k++) {
    const t = tok[k] ?? '';
    if (t === 'via') {
      let g = tok[++k] ?? '';
      if (g === 'inet' || g === 'inet6') g = tok[++k] ?? '';
      const gn = normalizeIpText(g);
      if (gn === null) return `bad nexthop gateway "${g}"`;
      nh.gateway = gn;
    } else if (t === 'dev') nh.dev = tok[++k] ?? null;
    else if (t === 'weight') {
      const w = Number(tok[++k]);
      if (!Number.isInteger(w)) return 'bad nexthop weight';
      nh.weight = w;
    } else if (NH_FLAGS.has(t)) nh.flags.push(t);
    else if (TEXT_KEYS.has(t)) k++;
    else return `unexpected nexthop token "${t}"`;
  }
  return nh;
}

function parseTextRoute(tok: string[], line: number, opts: IpRouteOptions): RouteRecord | string {
  let k = 0;
  let type: RouteType = 'unicast';
  if (ROUTE_TYPES.has(tok[0] ?? '')) {
    type = tok[0] as RouteType;
    k++;
  }
  const dstText = tok[k++];
  if (dstText === undefined) return 'no destination';
  const kv: Record<string, string> = {};
  const flags: string[] = [];
  const extra: Record<string, string> = {};
  for (; k < tok.length; k++) {
    const t = tok[k] ?? '';
    if (TEXT_KEYS.has(t)) {
      let v = tok[k + 1];
      if (v === undefined) return `"${t}" without a value`;
      k++;
      if (t === 'via' && (v === 'inet' || v === 'inet6')) v = tok[++k] ?? '';
      // `mtu lock 1400`
      if (v === 'lock' && tok[k + 1] !== undefined) v = `lock ${tok[++k]}`;
      if (
        TEXT_KEYS.has(t) &&
        ['via', 'dev', 'table', 'proto', 'scope', 'src', 'metric', 'tos', 'dsfield'].includes(t)
      )
        kv[t] = v;
      else extra[t] = v;
    } else if (NH_FLAGS.has(t)) flags.push(t);
    else if (/^[a-z][\w-]*$/.test(t)) extra[t] = '';
    else return `unexpected token "${t.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}"`;
  }
  const family = familyOf(dstText, kv['via'], kv['src']) ?? opts.family ?? 'ipv4';
  const dst = finishDst(dstText, family);
  if (dst === null) return `bad destination "${dstText.replace(/[^\x20-\x7e]/g, '?').slice(0, 60)}"`;
  const gateway = kv['via'] === undefined ? null : normalizeIpText(kv['via']);
  if (kv['via'] !== undefined && gateway === null) return `bad gateway "${kv['via']}"`;
  const prefsrc = kv['src'] === undefined ? null : normalizeIpText(kv['src']);
  if (kv['src'] !== undefined && prefsrc === null) return `bad src "${kv['src']}"`;
  let metric = 0;
  if (kv['metric'] !== undefined) {
    if (!/^\d+$/.test(kv['metric'])) return `bad metric "${kv['metric']}"`;
    metric = Number(kv['metric']);
  }
  return {
    line,
    table: tableName(kv['table'] ?? 'main'),
    type,
    family,
    dst,
    gateway,
    dev: kv['dev'] ?? null,
    prefsrc,
    metric,
    scope: kv['scope'] ?? defaultScope(type),
    protocol: kv['proto'] ?? 'boot',
    nexthops: [],
    flags,
    tos: parseTos(kv['tos'] ?? kv['dsfield'] ?? null),
    source: 'text',
    extra,
  };
}

// net-tools: columns are found by header name, never by position (netstat -rn has no Metric).
function parseNetTools(text: string): ParseResult<RouteRecord> {
  const records: RouteRecord[] = [];
  const warnings: TextWarning[] = [];
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const body = (lines[i] ?? '').trim();
    if (body === '' || body.startsWith('Kernel IP routing table')) continue;
    if (BINARY_BYTES.test(body)) {
      warnings.push({ line: lineNo, message: 'route -n: line skipped: binary bytes' });
      continue;
    }
    const tok = body.split(/\s+/);
    if (tok[0] === 'Destination') {
      header = tok;
      continue;
    }
    if (!header) {
      warnings.push({ line: lineNo, message: 'route -n: row before the header' });
      continue;
    }
    if (tok.length !== header.length) {
      warnings.push({
        line: lineNo,
        message: `route -n: ${tok.length} fields where the header names ${header.length}`,
      });
      continue;
    }
    const col = (name: string): string | undefined => {
      const idx = header?.indexOf(name) ?? -1;
      return idx >= 0 ? tok[idx] : undefined;
    };
    const dstText = col('Destination') ?? '';
    const gw = col('Gateway') ?? '';
    const mask = col('Genmask') ?? '';
    const fl = col('Flags') ?? '';
    const iface = col('Iface') ?? '';
    const len = maskLen(mask);
    const dstIp = dstText === 'default' ? '0.0.0.0' : normalizeIpText(dstText);
    if (dstIp === null || dstIp.includes(':') || len === null || !/^[UGHRDMAC!]+$/.test(fl)) {
      warnings.push({ line: lineNo, message: 'route -n: bad destination, genmask or flags' });
      continue;
    }
    const gateway =
      gw === '0.0.0.0' || gw === '*' || gw === '-' || gw === 'default' ? null : normalizeIpText(gw);
    if (gateway === null && !['0.0.0.0', '*', '-'].includes(gw)) {
      warnings.push({ line: lineNo, message: `route -n: bad gateway "${gw}"` });
      continue;
    }
    // `!` = reject (unreachable or prohibit; /proc/net/route cannot tell which); Iface `*` = blackhole.
    const type: RouteType = fl.includes('!') ? 'unreachable' : iface === '*' ? 'blackhole' : 'unicast';
    const metricText = col('Metric');
    const flags: string[] = [];
    const extra: Record<string, string> = { rtflags: fl };
    for (const h of header) {
      if (!['Destination', 'Gateway', 'Genmask', 'Flags', 'Metric', 'Iface'].includes(h))
        extra[h] = col(h) ?? '';
    }
    records.push({
      line: lineNo,
      table: 'main',
      type,
      family: 'ipv4',
      dst: `${dstIp}/${len}`,
      gateway,
      dev: type === 'unicast' && iface !== '-' ? iface : null,
      prefsrc: null,
      metric: metricText !== undefined && /^\d+$/.test(metricText) ? Number(metricText) : 0,
      // /proc/net/route does not carry the scope; a route without G is on-link.
      scope: type === 'unicast' && !fl.includes('G') ? 'link' : 'global',
      protocol: 'unknown',
      nexthops: [],
      flags,
      tos: 0,
      source: 'route-n',
      extra,
    });
  }
  const cut = cutOffWarning(text, 'route -n');
  if (cut) warnings.push(cut);
  return { records, warnings };
}

function maskLen(mask: string): number | null {
  const parts = mask.split('.');
  if (parts.length !== 4) return null;
  let bits = 0;
  let seenZero = false;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    for (let b = 7; b >= 0; b--) {
      if ((Number(p) >> b) & 1) {
        if (seenZero) return null;
        bits++;
      } else seenZero = true;
    }
  }
  return bits;
}

/** Recognise `ip -j route`, `ip route` text, `route -n` or `netstat -rn` from the first lines. */
export function sniffIpRoute(head: string): 'ip-route' | null {
  const t = head.trimStart();
  if (/^\[?\s*\{\s*"(type|dst)"\s*:/.test(t)) return /"dst"\s*:/.test(t.slice(0, 300)) ? 'ip-route' : null;
  if (/^(Kernel IP routing table|Destination\s+Gateway\s+Genmask)/.test(t)) return 'ip-route';
  const first = t.split(/\r?\n/)[0] ?? '';
  const m =
    /^(?:(?:unicast|local|broadcast|anycast|multicast|blackhole|unreachable|prohibit|throw|nat)\s+)?(\S+)\s+(via|dev|proto|metric|table|scope|src)\s/.exec(
      `${first} `,
    );
  if (!m) return null;
  const dst = m[1] ?? '';
  return dst === 'default' || parsePrefix(dst) !== null ? 'ip-route' : null;
}
