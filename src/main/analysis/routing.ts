// Linux route selection, simulated offline (formats.md 3.5): fib_rules.c fib_rules_lookup, fib_trie.c
// fib_table_lookup, route.c ip_route_output_key_hash/ip_route_input_slow, inet_select_addr, and
// RFC 6724 source address selection for IPv6 (ipv6_dev_get_saddr).
import type { IpAddrInfo, IpLink } from '../context/ip-addr';
import type { RouteNexthop, RouteRecord, RouteType } from '../context/ip-route';
import type { RuleRecord } from '../context/ip-rule';
import type { IpBytes, IpPrefix } from '../context/tuple';
import { defaultRules } from '../context/ip-rule';
import { formatIp, parseIp, parsePrefix, prefixContains } from '../context/tuple';

/** Everything the simulator knows about one host: its routes (all tables, both families), rules and links. */
export interface RoutingState {
  routes: RouteRecord[];
  /** `ip rule` (IPv4); kernel defaults when absent. */
  rules4?: RuleRecord[];
  /** `ip -6 rule`; kernel defaults when absent. */
  rules6?: RuleRecord[];
  /** `ip addr`, for source address selection. */
  links?: IpLink[];
  /** net.ipv4.ip_forward / net.ipv6.conf.all.forwarding; unknown (null/absent) is taken as on. */
  forwarding?: { ipv4?: boolean | null; ipv6?: boolean | null };
}

/** A route query, like `ip route get DST [from SRC] [iif IF] [oif IF] [mark M] [tos T] [ipproto P] [sport S] [dport D]`. */
export interface RouteQuery {
  dst: string;
  src?: string;
  /** Incoming interface; absent (or `lo`) = locally generated. */
  iif?: string;
  oif?: string;
  mark?: number;
  tos?: number;
  proto?: string | number;
  sport?: number;
  dport?: number;
  uid?: number;
}

/** What happens to the packet. */
export type RouteDecision =
  'local' | 'forward' | 'output' | 'blackhole' | 'unreachable' | 'prohibit' | 'broadcast' | 'multicast';

/** One step of the walk, for display: a rule tried, a table looked up, a candidate route. */
export interface RouteStep {
  kind: 'rule' | 'table' | 'candidate' | 'note';
  text: string;
  priority?: number;
  table?: string;
  prefix?: string;
  chosen?: boolean;
}

/** The simulated answer, with the fields `ip route get` reports plus how it was reached. */
export interface RouteLookupResult {
  decision: RouteDecision;
  /** Errno text `ip route get` would print (`Network is unreachable`), for failed lookups. */
  error?: string;
  family: 'ipv4' | 'ipv6';
  rulePriority: number | null;
  /**
   * Table as the kernel reports it. With only the default IPv4 rules the kernel merges the local
   * table into main (fib_trie unmerge, Linux ≥ 4.1), so local hits are reported as `main`.
   */
  table: string | null;
  /** Table the route was actually found in. */
  routeTable: string | null;
  prefix: string | null;
  type: RouteType | null;
  gateway: string | null;
  /** Output device as reported: `lo` for local delivery. */
  dev: string | null;
  /** The matched route's own device. */
  routeDev: string | null;
  /** Source for locally generated packets without a given source: route prefsrc, else selected; null otherwise. */
  prefsrc: string | null;
  metric: number | null;
  scope: string | null;
  protocol: string | null;
  /** The route has several nexthops: the first is reported, the kernel's hash choice is unknown offline. */
  ecmp: boolean;
  nexthops: RouteNexthop[];
  route: RouteRecord | null;
  steps: RouteStep[];
}

interface IndexedRoute {
  route: RouteRecord;
  prefix: IpPrefix;
}

// Per-state index of routes by family and table; states are treated as immutable once looked up.
const indexCache = new WeakMap<RoutingState, Map<string, IndexedRoute[]>>();

function tableRoutes(state: RoutingState, family: 'ipv4' | 'ipv6', table: string): IndexedRoute[] {
  let idx = indexCache.get(state);
  if (!idx) {
    idx = new Map();
    for (const r of state.routes) {
      const p = parsePrefix(r.dst, r.family);
      if (!p) continue;
      const key = `${r.family}|${r.table}`;
      const list = idx.get(key) ?? [];
      list.push({ route: r, prefix: p });
      idx.set(key, list);
    }
    indexCache.set(state, idx);
  }
  return idx.get(`${family}|${table}`) ?? [];
}

const SCOPES: Record<string, number> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};
const scopeNum = (s: string): number => SCOPES[s] ?? (/^\d+$/.test(s) ? Number(s) : 0);
const PROTOS: Record<string, number> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  icmpv6: 58,
  ipv6_icmp: 58,
  sctp: 132,
  udplite: 136,
  dccp: 33,
};
const protoNum = (p: string | number): number | null =>
  typeof p === 'number' ? p : /^\d+$/.test(p) ? Number(p) : (PROTOS[p.toLowerCase()] ?? null);

function isDefaultRuleSet(rules: RuleRecord[], family: 'ipv4' | 'ipv6'): boolean {
  const defs = defaultRules(family);
  if (rules.length !== defs.length) return false;
  return defs.every((d) =>
    rules.some(
      (r) =>
        r.priority === d.priority &&
        r.action === 'lookup' &&
        r.table === d.table &&
        r.src === 'all' &&
        r.dst === 'all' &&
        !r.not &&
        r.iif === null &&
        r.oif === null &&
        r.fwmark === null &&
        r.tos === 0 &&
        r.ipproto === null &&
        r.sport === null &&
        r.dport === null &&
        r.uidrange === null &&
        r.suppressPrefixlen === null,
    ),
  );
}

/** Does the rule's selector match the flow (before `not`)? Returns the reason when it does not. */
function ruleSelectorMisses(
  r: RuleRecord,
  q: RouteQuery,
  dst: IpBytes,
  src: IpBytes,
  iif: string,
): string | null {
  if (r.src !== 'all') {
    const p = parsePrefix(r.src);
    if (!p || !prefixContains(p, src)) return `from ${r.src}`;
  }
  if (r.dst !== 'all') {
    const p = parsePrefix(r.dst);
    if (!p || !prefixContains(p, dst)) return `to ${r.dst}`;
  }
  if (r.iif !== null && r.iif !== iif) return `iif ${r.iif}`;
  if (r.oif !== null && r.oif !== q.oif) return `oif ${r.oif}`;
  if (r.fwmark !== null) {
    const mask = r.fwmask ?? 0xffffffff;
    if ((((q.mark ?? 0) ^ r.fwmark) & mask) >>> 0 !== 0)
      return `fwmark 0x${r.fwmark.toString(16)}/0x${mask.toString(16)}`;
  }
  if (r.tos !== 0 && r.tos !== (q.tos ?? 0)) return `tos 0x${r.tos.toString(16)}`;
  if (r.ipproto !== null) {
    const want = protoNum(r.ipproto);
    if (q.proto === undefined || want === null || protoNum(q.proto) !== want) return `ipproto ${r.ipproto}`;
  }
  if (r.sport !== null && (q.sport === undefined || q.sport < r.sport[0] || q.sport > r.sport[1]))
    return 'sport';
  if (r.dport !== null && (q.dport === undefined || q.dport < r.dport[0] || q.dport > r.dport[1]))
    return 'dport';
  if (r.uidrange !== null && (q.uid === undefined || q.uid < r.uidrange[0] || q.uid > r.uidrange[1]))
    return 'uidrange';
  // l3mdev rules need VRF device data we do not have.
  if (r.l3mdev) return 'l3mdev (VRF) not simulated';
  return null;
}

function describeRule(r: RuleRecord): string {
  const parts = [`${r.priority}:`];
  if (r.not) parts.push('not');
  parts.push(`from ${r.src}`);
  if (r.dst !== 'all') parts.push(`to ${r.dst}`);
  if (r.iif) parts.push(`iif ${r.iif}`);
  if (r.oif) parts.push(`oif ${r.oif}`);
  if (r.fwmark !== null)
    parts.push(`fwmark 0x${r.fwmark.toString(16)}/0x${(r.fwmask ?? 0xffffffff).toString(16)}`);
  if (r.ipproto) parts.push(`ipproto ${r.ipproto}`);
  if (r.action === 'lookup') parts.push(`lookup ${r.table ?? '?'}`);
  else if (r.action === 'goto') parts.push(`goto ${r.target ?? '?'}`);
  else parts.push(r.action);
  if (r.suppressPrefixlen !== null) parts.push(`suppress_prefixlength ${r.suppressPrefixlen}`);
  return parts.join(' ');
}

/** Longest-prefix match in one table: the chosen route and every candidate considered. */
function lookupTable(
  state: RoutingState,
  family: 'ipv4' | 'ipv6',
  table: string,
  dst: IpBytes,
  q: RouteQuery,
  steps: RouteStep[],
): IndexedRoute | null {
  const cands = tableRoutes(state, family, table).filter((c) => {
    if (!prefixContains(c.prefix, dst)) return false;
    if (c.route.tos !== 0 && c.route.tos !== (q.tos ?? 0)) return false;
    if (c.route.flags.includes('dead')) return false;
    if (q.oif !== undefined && (c.route.type === 'unicast' || c.route.type === 'nat')) {
      const devs = [c.route.dev, ...c.route.nexthops.map((n) => n.dev)];
      if (!devs.includes(q.oif)) return false;
    }
    return true;
  });
  let best: IndexedRoute | null = null;
  for (const c of cands) {
    if (
      !best ||
      c.prefix.len > best.prefix.len ||
      (c.prefix.len === best.prefix.len && c.route.metric < best.route.metric)
    ) {
      best = c;
    }
  }
  for (const c of cands.sort((a, b) => b.prefix.len - a.prefix.len || a.route.metric - b.route.metric)) {
    const r = c.route;
    steps.push({
      kind: 'candidate',
      text: `${r.type === 'unicast' ? '' : `${r.type} `}${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''} metric ${r.metric}`,
      table,
      prefix: r.dst,
      chosen: c === best,
    });
  }
  return best;
}

function familyOfQuery(q: RouteQuery): 'ipv4' | 'ipv6' | null {
  const ip = parseIp(q.dst);
  return ip ? ip.family : null;
}

function failure(
  family: 'ipv4' | 'ipv6',
  decision: RouteDecision,
  error: string,
  steps: RouteStep[],
  rulePriority: number | null = null,
): RouteLookupResult {
  return {
    decision,
    error,
    family,
    rulePriority,
    table: null,
    routeTable: null,
    prefix: null,
    type: null,
    gateway: null,
    dev: null,
    routeDev: null,
    prefsrc: null,
    metric: null,
    scope: null,
    protocol: null,
    ecmp: false,
    nexthops: [],
    route: null,
    steps,
  };
}

const RULE_ERRORS: Record<string, [RouteDecision, string]> = {
  // fib_rules.c: FR_ACT_UNREACHABLE → -ENETUNREACH, FR_ACT_PROHIBIT → -EACCES, FR_ACT_BLACKHOLE → -EINVAL.
  unreachable: ['unreachable', 'Network is unreachable'],
  prohibit: ['prohibit', 'Permission denied'],
  blackhole: ['blackhole', 'Invalid argument'],
};
const ROUTE_ERRORS: Record<string, [RouteDecision, string]> = {
  // fib_props[]: RTN_UNREACHABLE → -EHOSTUNREACH, RTN_PROHIBIT → -EACCES, RTN_BLACKHOLE → -EINVAL.
  unreachable: ['unreachable', 'No route to host'],
  prohibit: ['prohibit', 'Permission denied'],
  blackhole: ['blackhole', 'Invalid argument'],
};

/** Simulate `ip route get`: walk the rules, look up tables, pick the route, device, gateway and source. */
export function routeLookup(state: RoutingState, q: RouteQuery): RouteLookupResult {
  const steps: RouteStep[] = [];
  const dst = parseIp(q.dst);
  const family = familyOfQuery(q) ?? 'ipv4';
  if (!dst) return failure(family, 'unreachable', `bad destination "${q.dst}"`, steps);
  const src = q.src !== undefined ? parseIp(q.src) : null;
  if (q.src !== undefined && (!src || src.family !== family)) {
    return failure(family, 'unreachable', `bad source "${q.src}"`, steps);
  }
  const srcBytes: IpBytes = src ?? { family, bytes: new Array<number>(family === 'ipv4' ? 4 : 16).fill(0) };
  const input = q.iif !== undefined && q.iif !== 'lo';
  // Locally generated flows carry iif = lo (flowi_iif = LOOPBACK_IFINDEX) for rule matching.
  const iif = q.iif ?? 'lo';
  const given = family === 'ipv4' ? state.rules4 : state.rules6;
  const rules = [...(given ?? defaultRules(family))].sort((a, b) => a.priority - b.priority);
  if (!given) steps.push({ kind: 'note', text: `no ${family} rules given: kernel defaults` });
  const merged = family === 'ipv4' && isDefaultRuleSet(rules, family);

  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as RuleRecord;
    if (r.family !== null && r.family !== family) continue;
    const miss = ruleSelectorMisses(r, q, dst, srcBytes, iif);
    const matched = r.not ? miss !== null : miss === null;
    if (!matched) {
      steps.push({
        kind: 'rule',
        text: `${describeRule(r)}: no match${miss ? ` (${miss})` : ' (not)'}`,
        priority: r.priority,
      });
      continue;
    }
    steps.push({ kind: 'rule', text: `${describeRule(r)}: match`, priority: r.priority });
    if (r.action === 'nop') continue;
    if (r.action === 'goto') {
      // The target is the first rule with exactly that priority (fib_nl_newrule ctarget); unresolved gotos are skipped.
      const j = rules.findIndex((x, k) => k > i && x.priority === r.target);
      if (j < 0) {
        steps.push({
          kind: 'note',
          text: `goto ${r.target ?? '?'}: no such rule, skipped`,
          priority: r.priority,
        });
        continue;
      }
      i = j - 1;
      continue;
    }
    const err = RULE_ERRORS[r.action];
    if (err) return failure(family, err[0], err[1], steps, r.priority);
    const table = r.table ?? 'main';
    const hit = lookupTable(state, family, table, dst, q, steps);
    if (!hit) {
      steps.push({ kind: 'table', text: `table ${table}: no route`, table, priority: r.priority });
      continue;
    }
    const route = hit.route;
    if (route.type === 'throw') {
      steps.push({ kind: 'table', text: `table ${table}: throw ${route.dst}, next rule`, table });
      continue;
    }
    if (r.suppressPrefixlen !== null && hit.prefix.len <= r.suppressPrefixlen) {
      steps.push({
        kind: 'table',
        text: `table ${table}: ${route.dst} suppressed (prefix length ≤ ${r.suppressPrefixlen})`,
        table,
      });
      continue;
    }
    if (r.suppressIfgroup !== null) {
      steps.push({
        kind: 'note',
        text: `suppress_ifgroup ${r.suppressIfgroup} not simulated (no group data)`,
      });
    }
    steps.push({
      kind: 'table',
      text: `table ${table}: ${route.dst} (${route.type})`,
      table,
      prefix: route.dst,
    });
    return finish(state, q, family, r, table, merged, route, input, src !== null, steps);
  }
  return failure(family, 'unreachable', 'Network is unreachable', steps);
}

function finish(
  state: RoutingState,
  q: RouteQuery,
  family: 'ipv4' | 'ipv6',
  rule: RuleRecord,
  table: string,
  merged: boolean,
  route: RouteRecord,
  input: boolean,
  srcGiven: boolean,
  steps: RouteStep[],
): RouteLookupResult {
  const routeErr = ROUTE_ERRORS[route.type];
  const reportedTable = merged && table === 'local' ? 'main' : table;
  const base: RouteLookupResult = {
    decision: 'output',
    family,
    rulePriority: rule.priority,
    table: reportedTable,
    routeTable: table,
    prefix: route.dst,
    type: route.type,
    gateway: null,
    dev: route.dev,
    routeDev: route.dev,
    prefsrc: null,
    metric: route.metric,
    scope: route.scope,
    protocol: route.protocol,
    ecmp: route.nexthops.length > 1,
    nexthops: route.nexthops,
    route,
    steps,
  };
  if (routeErr) return { ...base, decision: routeErr[0], error: routeErr[1], dev: null };
  const first = route.nexthops[0];
  base.gateway = first ? first.gateway : route.gateway;
  if (first) base.dev = first.dev;
  if (base.ecmp) {
    steps.push({
      kind: 'note',
      text: `ECMP with ${route.nexthops.length} nexthops: showing the first; the kernel picks by flow hash (fib_multipath_hash_policy), unknown offline`,
    });
  }
  switch (route.type) {
    case 'local':
    case 'anycast':
      base.decision = 'local';
      // Local delivery goes through the loopback device, whatever device owns the address.
      base.dev = 'lo';
      break;
    case 'broadcast':
      base.decision = 'broadcast';
      break;
    case 'multicast':
      base.decision = 'multicast';
      break;
    default:
      base.decision = input ? 'forward' : 'output';
  }
  if (base.decision === 'forward') {
    const fwd = state.forwarding?.[family];
    if (fwd === false) {
      return {
        ...base,
        decision: 'unreachable',
        error: `No route to host (${family} forwarding is disabled)`,
      };
    }
  }
  // `ip route get` shows a chosen source only for locally generated packets without a given one.
  if (!input && !srcGiven) base.prefsrc = selectSource(state, family, route, base.dev, q.dst, base.gateway);
  return base;
}

function addrsOf(state: RoutingState, family: 'ipv4' | 'ipv6'): { link: IpLink; a: IpAddrInfo }[] {
  const out: { link: IpLink; a: IpAddrInfo }[] = [];
  for (const link of state.links ?? [])
    for (const a of link.addrs) if (a.family === family) out.push({ link, a });
  return out;
}

/** Source address for a locally generated packet: route prefsrc, else inet_select_addr / RFC 6724. */
function selectSource(
  state: RoutingState,
  family: 'ipv4' | 'ipv6',
  route: RouteRecord,
  dev: string | null,
  dstText: string,
  gateway: string | null,
): string | null {
  if (route.prefsrc) return route.prefsrc;
  const dst = parseIp(dstText);
  if (!dst) return null;
  const all = addrsOf(state, family);
  if (family === 'ipv4') {
    if (route.type === 'local') return formatIp(dst);
    // inet_select_addr(dev, gateway, route scope): primary addresses whose scope is within the route's,
    // preferring one on the gateway's subnet; else any non-link-scope address of another device.
    const scope = scopeNum(route.scope);
    const gw = gateway ? parseIp(gateway) : null;
    const onDev = all.filter((x) => x.link.ifname === dev && !x.a.secondary && scopeNum(x.a.scope) <= scope);
    const inSubnet = gw
      ? onDev.find((x) =>
          prefixContains({ family, bytes: parseIp(x.a.local)?.bytes ?? [], len: x.a.prefixlen }, gw),
        )
      : undefined;
    const pick = inSubnet ?? onDev[0];
    if (pick) return pick.a.local;
    const other = all.find((x) => !x.a.secondary && x.a.scope !== 'link' && scopeNum(x.a.scope) <= scope);
    return other ? other.a.local : null;
  }
  return selectSource6(all, dst, dev);
}

function v6Scope(b: number[]): number {
  if (b.every((x, i) => (i === 15 ? x === 1 : x === 0))) return 1; // ::1, interface-local
  if (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80) return 2; // fe80::/10 link-local
  if (b[0] === 0xff) return (b[1] ?? 0) & 0x0f; // multicast scope field
  return 14; // global (ULA fd00::/8 is global scope too)
}

const ADDR_SCOPE6: Record<string, number> = { host: 1, link: 2, site: 5, global: 14 };

function commonPrefixLen(a: number[], b: number[]): number {
  let n = 0;
  for (let i = 0; i < 16; i++) {
    const x = (a[i] ?? 0) ^ (b[i] ?? 0);
    if (x === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(x) - 24;
  }
  return n;
}

/** RFC 6724 §5 rules 1 (same address), 2 (scope), 3 (avoid deprecated), 5 (outgoing interface), 8 (longest prefix). */
function selectSource6(
  all: { link: IpLink; a: IpAddrInfo }[],
  dst: IpBytes,
  dev: string | null,
): string | null {
  const dscope = v6Scope(dst.bytes);
  const cands = all
    .filter((x) => !x.a.flags.includes('tentative') && !x.a.flags.includes('dadfailed'))
    .map((x) => ({ ...x, bytes: parseIp(x.a.local)?.bytes ?? [], scope: ADDR_SCOPE6[x.a.scope] ?? 14 }))
    // An address smaller in scope than the destination cannot reach it (rule 2, first half).
    .filter((x) => x.scope >= dscope || x.link.ifname === dev);
  if (cands.length === 0) return null;
  cands.sort((x, y) => {
    const same = Number(y.a.local === formatIp(dst)) - Number(x.a.local === formatIp(dst));
    if (same !== 0) return same;
    if (x.scope !== y.scope) {
      if (x.scope < dscope || y.scope < dscope) return y.scope - x.scope;
      return x.scope - y.scope;
    }
    const dep = Number(x.a.flags.includes('deprecated')) - Number(y.a.flags.includes('deprecated'));
    if (dep !== 0) return dep;
    const out = Number(y.link.ifname === dev) - Number(x.link.ifname === dev);
    if (out !== 0) return out;
    return commonPrefixLen(y.bytes, dst.bytes) - commonPrefixLen(x.bytes, dst.bytes);
  });
  return cands[0]?.a.local ?? null;
}

/** Parse the arguments of `ip [-4|-6] route get …` into a query (for tests and the UI's "route get" box). */
export function parseRouteGetArgs(args: string): RouteQuery | null {
  const tok = args
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '' && t !== '-4' && t !== '-6' && t !== '-j' && t !== '-d');
  let k = 0;
  if (tok[0] === 'ip') k++;
  if (tok[k] === 'route' || tok[k] === 'r' || tok[k] === 'ro') k++;
  if (tok[k] === 'get') k++;
  const q: Partial<RouteQuery> = {};
  for (; k < tok.length; k++) {
    const t = tok[k] ?? '';
    const v = tok[k + 1];
    const take = (): string | undefined => {
      k++;
      return v;
    };
    if (t === 'to') q.dst = take();
    else if (t === 'from') q.src = take();
    else if (t === 'iif') q.iif = take();
    else if (t === 'oif') q.oif = take();
    else if (t === 'mark') q.mark = Number(take());
    else if (t === 'tos' || t === 'dsfield') q.tos = Number(take());
    else if (t === 'ipproto') q.proto = take();
    else if (t === 'sport') q.sport = Number(take());
    else if (t === 'dport') q.dport = Number(take());
    else if (t === 'uid') q.uid = Number(take());
    else if (t === 'fibmatch' || t === 'connected') continue;
    else if (q.dst === undefined) q.dst = t;
    else return null;
  }
  return q.dst !== undefined ? (q as RouteQuery) : null;
}
