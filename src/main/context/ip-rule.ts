// ip-rule(8) output of iproute2 (iprule.c print_rule): `ip -j rule` and the text form
// (`0:	from all lookup local`); plus the kernel's default rule sets (fib_rules, fib4/6_rules.c).
import type { ParseResult, TextWarning } from './types';
import { splitJsonItems } from './ip-addr';
import { BINARY_BYTES, cutOffWarning, formatPrefix, looksLikeJson, parsePrefix } from './tuple';

/** What a rule does when it matches. */
export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** One policy-routing rule, normalised. */
export interface RuleRecord {
  line: number;
  /** From the options, or from a from/to prefix; null when the text does not say. */
  family: 'ipv4' | 'ipv6' | null;
  priority: number;
  not: boolean;
  /** `all` or a CIDR with canonical address. */
  src: string;
  dst: string;
  iif: string | null;
  oif: string | null;
  fwmark: number | null;
  /** Mask applied to the packet mark; 0xffffffff when only `fwmark` is given. */
  fwmask: number | null;
  tos: number;
  /** Protocol name or number as printed (`tcp`, `6`). */
  ipproto: string | null;
  sport: [number, number] | null;
  dport: [number, number] | null;
  uidrange: [number, number] | null;
  action: RuleAction;
  /** Table for `lookup` (`local`, `main`, `default`, `100`). */
  table: string | null;
  /** Priority a `goto` jumps to. */
  target: number | null;
  /** `suppress_prefixlength N`: reject a lookup result whose prefix length is ≤ N. */
  suppressPrefixlen: number | null;
  suppressIfgroup: string | null;
  l3mdev: boolean;
  /** Detached iif/oif (the device does not exist). */
  detached: boolean;
  protocol: string | null;
  extra: Record<string, string>;
}

/** Options for `parseIpRule`. */
export interface IpRuleOptions {
  /** `ip -6 rule` output: set the family of every rule. */
  family?: 'ipv4' | 'ipv6';
}

const TABLE_NAMES: Record<string, string> = { '255': 'local', '254': 'main', '253': 'default' };
const tableName = (t: string): string => TABLE_NAMES[t] ?? t;

function blank(line: number, priority: number, family: 'ipv4' | 'ipv6' | null): RuleRecord {
  return {
    line,
    family,
    priority,
    not: false,
    src: 'all',
    dst: 'all',
    iif: null,
    oif: null,
    fwmark: null,
    fwmask: null,
    tos: 0,
    ipproto: null,
    sport: null,
    dport: null,
    uidrange: null,
    action: 'lookup',
    table: null,
    target: null,
    suppressPrefixlen: null,
    suppressIfgroup: null,
    l3mdev: false,
    detached: false,
    protocol: null,
    extra: {},
  };
}

/** The rules a kernel starts with: IPv4 0 local, 32766 main, 32767 default; IPv6 has no `default` rule. */
export function defaultRules(family: 'ipv4' | 'ipv6'): RuleRecord[] {
  const mk = (priority: number, table: string): RuleRecord => ({ ...blank(0, priority, family), table });
  const rules = [mk(0, 'local'), mk(32766, 'main')];
  if (family === 'ipv4') rules.push(mk(32767, 'default'));
  return rules;
}

/** Parse `ip [-6] [-j] rule` output; never throws. */
export function parseIpRule(text: string, opts: IpRuleOptions = {}): ParseResult<RuleRecord> {
  return looksLikeJson(text) ? parseJson(text, opts) : parseText(text, opts);
}

function hexOrDec(v: string): number | null {
  if (/^0x[0-9a-fA-F]+$/.test(v)) return parseInt(v.slice(2), 16);
  if (/^\d+$/.test(v)) return Number(v);
  return null;
}

function range(v: string): [number, number] | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

function prefix(addr: string, len: number | null): string | null {
  if (addr === 'all') return 'all';
  const p = parsePrefix(len === null ? addr : `${addr}/${len}`);
  return p ? formatPrefix(p) : null;
}

function settleFamily(r: RuleRecord): string | null {
  for (const p of [r.src, r.dst]) {
    if (p === 'all') continue;
    const fam = p.includes(':') ? 'ipv6' : 'ipv4';
    if (r.family !== null && r.family !== fam) return `${fam} prefix in an ${r.family} rule`;
    r.family = fam;
  }
  return null;
}

function parseJson(text: string, opts: IpRuleOptions): ParseResult<RuleRecord> {
  const items = splitJsonItems(text, 'ip rule');
  const records: RuleRecord[] = [];
  const warnings = [...items.warnings];
  for (const { line, value } of items.records) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      warnings.push({ line, message: 'ip rule: element is not an object' });
      continue;
    }
    const o = value as Record<string, unknown>;
    const s = (k: string): string | null =>
      typeof o[k] === 'string' ? (o[k] as string) : typeof o[k] === 'number' ? String(o[k]) : null;
    const n = (k: string): number | null => (typeof o[k] === 'number' ? (o[k] as number) : null);
    const priority = n('priority');
    if (priority === null) {
      warnings.push({ line, message: 'ip rule: element without priority' });
      continue;
    }
    const r = blank(line, priority, opts.family ?? null);
    const problems: string[] = [];
    r.not = o['not'] === true;
    const src = prefix(s('src') ?? 'all', n('srclen'));
    const dst = prefix(s('dst') ?? 'all', n('dstlen'));
    if (src === null || dst === null) problems.push('bad src/dst');
    r.src = src ?? 'all';
    r.dst = dst ?? 'all';
    r.iif = s('iif');
    r.oif = s('oif');
    r.detached = o['iif_detached'] === true || o['oif_detached'] === true;
    const fwmark = s('fwmark');
    if (fwmark !== null) {
      r.fwmark = hexOrDec(fwmark);
      r.fwmask = hexOrDec(s('fwmask') ?? '0xffffffff');
      if (r.fwmark === null || r.fwmask === null) problems.push('bad fwmark/fwmask');
    }
    const tos = s('tos') ?? s('dsfield');
    if (tos !== null) r.tos = hexOrDec(tos) ?? 0;
    r.ipproto = s('ipproto');
    for (const k of ['sport', 'dport', 'uidrange'] as const) {
      const v = o[k];
      let rg: [number, number] | null = null;
      if (typeof v === 'number') rg = [v, v];
      else if (typeof v === 'string') rg = range(v);
      else if (v && typeof v === 'object') {
        const lo = (v as Record<string, unknown>)['start'];
        const hi = (v as Record<string, unknown>)['end'];
        if (typeof lo === 'number' && typeof hi === 'number') rg = [lo, hi];
      }
      if (v !== undefined && rg === null) problems.push(`bad ${k}`);
      r[k] = rg;
    }
    if (r.uidrange === null && typeof o['uid_start'] === 'number' && typeof o['uid_end'] === 'number') {
      r.uidrange = [o['uid_start'], o['uid_end']];
    }
    const action = s('action');
    const table = s('table');
    if (action === 'goto') {
      r.action = 'goto';
      r.target = n('target');
      if (r.target === null) problems.push('goto without target');
    } else if (
      action === 'nop' ||
      action === 'blackhole' ||
      action === 'unreachable' ||
      action === 'prohibit'
    ) {
      r.action = action;
    } else if (table !== null) {
      r.table = tableName(table);
    } else if (o['l3mdev'] === true) {
      r.l3mdev = true;
    } else problems.push(`no table and unknown action "${action ?? ''}"`);
    r.l3mdev = r.l3mdev || o['l3mdev'] === true;
    r.suppressPrefixlen = n('suppress_prefixlen') ?? n('suppress_prefixlength');
    r.suppressIfgroup = s('suppress_ifgroup');
    r.protocol = s('protocol');
    const fam = settleFamily(r);
    if (fam) problems.push(fam);
    if (problems.length > 0) {
      warnings.push({ line, message: `ip rule: element skipped: ${problems.join('; ')}` });
      continue;
    }
    records.push(r);
  }
  return { records, warnings };
}

const ONE_ARG = new Set([
  'from',
  'to',
  'iif',
  'oif',
  'fwmark',
  'tos',
  'dsfield',
  'ipproto',
  'sport',
  'dport',
  'uidrange',
  'lookup',
  'table',
  'goto',
  'suppress_prefixlength',
  'suppress_ifgroup',
  'proto',
  'protocol',
  'realms',
  'map-to',
  'pref',
  'priority',
  'tun_id',
]);

function parseText(text: string, opts: IpRuleOptions): ParseResult<RuleRecord> {
  const records: RuleRecord[] = [];
  const warnings: TextWarning[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const body = (lines[i] ?? '').trim();
    if (body === '' || body.startsWith('#')) continue;
    if (BINARY_BYTES.test(body)) {
      warnings.push({ line: lineNo, message: 'ip rule: line skipped: binary bytes' });
      continue;
    }
    const m = /^(\d+):\s+(.*)$/.exec(body);
    if (!m) {
      warnings.push({ line: lineNo, message: 'ip rule: line skipped: no "<priority>:"' });
      continue;
    }
    const r = blank(lineNo, Number(m[1]), opts.family ?? null);
    const tok = (m[2] ?? '').split(/\s+/);
    const problems: string[] = [];
    let hasAction = false;
    for (let k = 0; k < tok.length; k++) {
      const t = tok[k] ?? '';
      if (t === 'not') {
        r.not = true;
        continue;
      }
      if (t === '[detached]' || t === '[oif-detached]' || t === '[iif-detached]') {
        r.detached = true;
        continue;
      }
      if (t === 'nop' || t === 'blackhole' || t === 'unreachable' || t === 'prohibit') {
        r.action = t;
        hasAction = true;
        continue;
      }
      if (t === 'l3mdev') {
        r.l3mdev = true;
        continue;
      }
      if (!ONE_ARG.has(t)) {
        problems.push(`unexpected token "${t.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}"`);
        continue;
      }
      const v = tok[++k];
      if (v === undefined) {
        problems.push(`"${t}" without a value`);
        continue;
      }
      switch (t) {
        case 'from':
        case 'to': {
          const p = prefix(v, null);
          if (p === null) problems.push(`bad ${t} "${v.replace(/[^\x20-\x7e]/g, '?')}"`);
          else if (t === 'from') r.src = p;
          else r.dst = p;
          break;
        }
        case 'iif':
          r.iif = v;
          break;
        case 'oif':
          r.oif = v;
          break;
        case 'fwmark': {
          const [mark, mask] = v.split('/');
          r.fwmark = hexOrDec(mark ?? '');
          r.fwmask = hexOrDec(mask ?? '0xffffffff');
          if (r.fwmark === null || r.fwmask === null) problems.push(`bad fwmark "${v}"`);
          break;
        }
        case 'tos':
        case 'dsfield':
          r.tos = hexOrDec(v) ?? 0;
          break;
        case 'ipproto':
          r.ipproto = v;
          break;
        case 'sport':
        case 'dport':
        case 'uidrange': {
          const rg = range(v);
          if (rg === null) problems.push(`bad ${t} "${v}"`);
          r[t] = rg;
          break;
        }
        case 'lookup':
        case 'table':
          // `l3mdev lookup [l3mdev-table]` has no real table name.
          if (v.startsWith('[')) r.l3mdev = true;
          else r.table = tableName(v);
          hasAction = true;
          break;
        case 'goto': {
          const n = hexOrDec(v);
          if (n === null) problems.push(`bad goto "${v}"`);
          r.action = 'goto';
          r.target = n;
          hasAction = true;
          break;
        }
        case 'suppress_prefixlength':
          r.suppressPrefixlen = hexOrDec(v);
          break;
        case 'suppress_ifgroup':
          r.suppressIfgroup = v;
          break;
        case 'proto':
        case 'protocol':
          r.protocol = v;
          break;
        default:
          r.extra[t] = v;
      }
    }
    if (!hasAction && !r.l3mdev) problems.push('no action (lookup/goto/nop/…)');
    const fam = settleFamily(r);
    if (fam) problems.push(fam);
    if (problems.length > 0) {
      warnings.push({ line: lineNo, message: `ip rule: line skipped: ${problems.join('; ')}` });
      continue;
    }
    records.push(r);
  }
  const cut = cutOffWarning(text, 'ip rule');
  if (cut) warnings.push(cut);
  return { records, warnings };
}

/** Recognise `ip -j rule` or its text form from the first lines. */
export function sniffIpRule(head: string): 'ip-rule' | null {
  const t = head.trimStart();
  if (/^\[?\s*\{\s*"priority"\s*:\s*\d+/.test(t)) return 'ip-rule';
  const first = t.split(/\r?\n/)[0] ?? '';
  return /^\d+:\s+(not\s+)?from\s+\S+/.test(first) ? 'ip-rule' : null;
}
