// nft(8) `list ruleset` text and `nft -j list ruleset` JSON (libnftables-json(5)), nftables 1.0.x–1.1.x.
import type { ParseResult, TextWarning } from './types';

/** nftables address families. */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

/** A rule's effect, summarised: the final verdict statement (NAT statements count as accept). */
export interface NftVerdict {
  kind:
    | 'accept'
    | 'drop'
    | 'reject'
    | 'return'
    | 'continue'
    | 'jump'
    | 'goto'
    | 'queue'
    | 'vmap'
    | 'nat'
    | 'none';
  /** jump/goto destination. */
  chain?: string;
  /** For kind 'nat': which statement. */
  nat?: 'dnat' | 'snat' | 'masquerade' | 'redirect';
  /** NAT destination as printed (`10.10.2.2:53`, `[fd00::2]:80`). */
  to?: string;
}

/** One rule (text or JSON). */
export interface NftRule {
  family: NftFamily;
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  index: number;
  /** `# handle N` (text with -a) or the JSON handle; undefined when not printed. */
  handle?: number;
  /** The rule in nft syntax (text input: as in the file, without the handle comment). */
  text: string;
  line: number;
  verdict: NftVerdict;
  /** True when the rule holds iptables-nft `xt` compat expressions whose parameters JSON does not show. */
  opaque: boolean;
  /** Names of the `xt` matches/targets when opaque. */
  xt?: string[];
  counters?: { packets: number; bytes: number };
  comment?: string;
  /** JSON input only: the expression list as given. */
  expr?: unknown[];
}

/** A chain; base chains carry hook, numeric priority and policy. */
export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  line: number;
  type?: string;
  hook?: string;
  device?: string;
  /** Numeric priority (keywords resolved per family). */
  priority?: number;
  /** The priority as written (`dstnat - 5`). */
  priorityText?: string;
  policy?: 'accept' | 'drop';
  rules: NftRule[];
}

/** A named set or map, kept by name with its raw definition lines. */
export interface NftSet {
  family: NftFamily;
  table: string;
  name: string;
  kind: 'set' | 'map' | 'flowtable' | 'object';
  line: number;
  body: string[];
}

/** A table; `iptablesNft` says iptables-nft manages it (prefer iptables-save for it). */
export interface NftTable {
  family: NftFamily;
  name: string;
  handle?: number;
  line: number;
  iptablesNft: boolean;
  chains: NftChain[];
  sets: NftSet[];
}

/** The parsed ruleset. */
export interface NftRuleset {
  source: 'text' | 'json';
  tables: NftTable[];
}

/** What the nft parsers return: every rule as a record, plus the tables/chains structure. */
export interface NftParseResult extends ParseResult<NftRule> {
  ruleset: NftRuleset;
}

const FAMILIES = new Set<string>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const PRIORITY: Record<string, number> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
};
const BRIDGE_PRIORITY: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };
const XT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const XT_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** Resolves an nft priority (`-150`, `mangle`, `dstnat - 5`, `filter + 10`) for a family. */
export function resolveNftPriority(text: string, family: string): number | undefined {
  const m = /^\s*(-?\d+|[a-z]+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const table = family === 'bridge' ? BRIDGE_PRIORITY : PRIORITY;
  const base = /^-?\d+$/.test(m[1]!) ? Number(m[1]) : table[m[1]!];
  if (base === undefined) return undefined;
  const off = m[3] ? Number(m[3]) * (m[2] === '-' ? -1 : 1) : 0;
  return base + off;
}

/** Summarises the verdict of a rule written in nft syntax (the last verdict-like statement wins). */
export function nftTextVerdict(text: string): NftVerdict {
  const t = ` ${text.replace(/"[^"]*"/g, '""')} `;
  if (/\svmap\s/.test(t)) return { kind: 'vmap' };
  const jump = /\s(jump|goto)\s+("?)([^\s"]+)\2\s*$/.exec(t);
  if (jump) return { kind: jump[1] as 'jump' | 'goto', chain: jump[3]! };
  const nat = /(?<!status|state)\s(dnat|snat|masquerade|redirect)\b(?:\s+(?:ip6?\s+)?(?:to\s+(\S+))?)?/.exec(
    t,
  );
  if (nat) {
    const v: NftVerdict = { kind: 'nat', nat: nat[1] as NftVerdict['nat'] & string };
    if (nat[2]) v.to = nat[2];
    return v;
  }
  const last = /\s(accept|drop|reject|return|continue|queue)(?:\s[^]*)?$/.exec(t);
  if (last) return { kind: last[1] as NftVerdict['kind'] };
  return { kind: 'none' };
}

/** True when the head of a file looks like `nft list ruleset` text or `nft -j list ruleset` JSON. */
export function sniffNft(head: string): boolean {
  if (/^\s*\{\s*"nftables"\s*:/.test(head)) return true;
  return /^table (ip|ip6|inet|arp|bridge|netdev) \S+ \{/m.test(head);
}

/** Counts braces outside quotes. */
function braceDelta(s: string): number {
  let d = 0;
  let q = false;
  for (const c of s) {
    if (c === '"') q = !q;
    else if (!q && c === '{') d++;
    else if (!q && c === '}') d--;
  }
  return d;
}

/** Marks tables whose names and base chains are iptables-nft's own. */
function flagIptablesNft(t: NftTable): void {
  if (t.iptablesNft) return;
  if (!['ip', 'ip6', 'arp', 'bridge'].includes(t.family) || !XT_TABLES.has(t.name)) return;
  const bases = t.chains.filter((c) => c.hook !== undefined);
  if (bases.length > 0 && bases.every((c) => XT_CHAINS.has(c.name))) t.iptablesNft = true;
  if (t.chains.some((c) => c.rules.some((r) => r.opaque))) t.iptablesNft = true;
}

/** Parses `nft list ruleset` text; never throws. */
export function parseNftText(text: string): NftParseResult {
  const warnings: TextWarning[] = [];
  const records: NftRule[] = [];
  const ruleset: NftRuleset = { source: 'text', tables: [] };
  const lines = text.split(/\r?\n/);
  let table: NftTable | null = null;
  let chain: NftChain | null = null;
  let set: NftSet | null = null;
  let setDepth = 0;
  let pendingWarning: { family: string; name: string } | null = null;
  const warn = (line: number, message: string): void => {
    warnings.push({ line, message });
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.trim();
    if (line === '') continue;
    if (set) {
      setDepth += braceDelta(line);
      if (setDepth <= 0) set = null;
      else set.body.push(line);
      continue;
    }
    if (line.startsWith('#')) {
      const w = /^# Warning: table (\S+) (\S+) is managed by iptables-nft/.exec(line);
      if (w) pendingWarning = { family: w[1]!, name: w[2]! };
      continue;
    }
    const handleMatch = /\s*# handle (\d+)\s*$/.exec(line);
    const handle = handleMatch ? Number(handleMatch[1]) : undefined;
    if (handleMatch) line = line.slice(0, handleMatch.index).trimEnd();
    if (!table) {
      const m = /^table (\S+) (\S+) \{$/.exec(line);
      if (!m || !FAMILIES.has(m[1]!)) {
        warn(lineNo, `expected 'table <family> <name> {', got '${line.slice(0, 80)}'`);
        continue;
      }
      table = {
        family: m[1] as NftFamily,
        name: m[2]!,
        line: lineNo,
        iptablesNft: false,
        chains: [],
        sets: [],
      };
      if (handle !== undefined) table.handle = handle;
      if (pendingWarning && pendingWarning.family === m[1] && pendingWarning.name === m[2])
        table.iptablesNft = true;
      pendingWarning = null;
      ruleset.tables.push(table);
      continue;
    }
    if (!chain) {
      if (line === '}') {
        flagIptablesNft(table);
        table = null;
        continue;
      }
      const c = /^chain (\S+) \{$/.exec(line);
      if (c) {
        chain = {
          family: table.family,
          table: table.name,
          name: c[1]!.replace(/^"|"$/g, ''),
          line: lineNo,
          rules: [],
        };
        if (handle !== undefined) chain.handle = handle;
        table.chains.push(chain);
        continue;
      }
      const s = /^(set|map|flowtable|counter|quota|limit|ct \S+|secmark|synproxy) (\S+) \{/.exec(line);
      if (s) {
        const kind =
          s[1] === 'set' ? 'set' : s[1] === 'map' ? 'map' : s[1] === 'flowtable' ? 'flowtable' : 'object';
        set = { family: table.family, table: table.name, name: s[2]!, kind, line: lineNo, body: [] };
        table.sets.push(set);
        setDepth = braceDelta(line);
        if (setDepth <= 0) set = null;
        continue;
      }
      if (/^(flags|comment)\b/.test(line)) continue;
      warn(lineNo, `unexpected line in table ${table.name}: '${line.slice(0, 80)}'`);
      continue;
    }
    if (line === '}') {
      chain = null;
      continue;
    }
    const hook =
      /^type (\S+) hook (\S+)(?: device "?([^";\s]+)"?)?(?: devices = \{[^}]*\})? priority ([^;]+);(?:\s*policy (accept|drop);)?/.exec(
        line,
      );
    if (hook) {
      chain.type = hook[1]!;
      chain.hook = hook[2]!;
      if (hook[3]) chain.device = hook[3];
      chain.priorityText = hook[4]!.trim();
      const p = resolveNftPriority(chain.priorityText, chain.family);
      if (p === undefined) warn(lineNo, `unknown priority '${chain.priorityText}'`);
      else chain.priority = p;
      chain.policy = (hook[5] as 'accept' | 'drop' | undefined) ?? 'accept';
      continue;
    }
    if (/^policy (accept|drop);$/.test(line)) {
      chain.policy = line.includes('drop') ? 'drop' : 'accept';
      continue;
    }
    if (/^comment "[^"]*"$/.test(line) && chain.rules.length === 0) continue;
    // A rule; anonymous sets/maps may continue on following lines until braces balance.
    let ruleText = line;
    let ruleHandle = handle;
    let depth = braceDelta(line);
    while (depth > 0 && i + 1 < lines.length) {
      i++;
      let next = lines[i]!.trim();
      const h = /\s*# handle (\d+)\s*$/.exec(next);
      if (h) {
        ruleHandle = Number(h[1]);
        next = next.slice(0, h.index).trimEnd();
      }
      ruleText += ' ' + next;
      depth += braceDelta(next);
    }
    if (depth !== 0) warn(lineNo, 'unbalanced braces in rule');
    const rule: NftRule = {
      family: chain.family,
      table: chain.table,
      chain: chain.name,
      index: chain.rules.length + 1,
      text: ruleText,
      line: lineNo,
      verdict: nftTextVerdict(ruleText),
      opaque: false,
    };
    if (ruleHandle !== undefined) rule.handle = ruleHandle;
    const cnt = /\bcounter packets (\d+) bytes (\d+)/.exec(ruleText);
    if (cnt) rule.counters = { packets: Number(cnt[1]), bytes: Number(cnt[2]) };
    const com = /\bcomment "((?:[^"\\]|\\.)*)"/.exec(ruleText);
    if (com) rule.comment = com[1]!;
    // iptables-nft rules that nft cannot translate print as `xt match "name"` / `xt target "NAME"` (or `# xt_…`).
    const xt = [...ruleText.matchAll(/\bxt (?:match|target) "?([\w-]+)"?/g)].map((m) => m[1]!);
    if (xt.length) {
      rule.opaque = true;
      rule.xt = xt;
    }
    chain.rules.push(rule);
    records.push(rule);
  }
  if (table) {
    warn(table.line, `table ${table.name} is not closed (truncated?)`);
    flagIptablesNft(table);
  }
  return { records, warnings, ruleset };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Renders a JSON expression value compactly in nft-like syntax. */
function renderValue(v: Json): string {
  if (v === null) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(renderValue).join(',');
  const [k, inner] = Object.entries(v)[0] ?? ['', null];
  const o = (inner && typeof inner === 'object' && !Array.isArray(inner) ? inner : {}) as Record<
    string,
    Json
  >;
  switch (k) {
    case 'payload':
      return o.protocol !== undefined
        ? `${renderValue(o.protocol ?? null)} ${renderValue(o.field ?? null)}`
        : `@${renderValue(o.base ?? null)},${renderValue(o.offset ?? null)},${renderValue(o.len ?? null)}`;
    case 'meta':
      return `meta ${renderValue(o.key ?? null)}`;
    case 'ct':
      return `ct ${o.dir ? `${renderValue(o.dir)} ` : ''}${renderValue(o.key ?? null)}`;
    case 'prefix':
      return `${renderValue(o.addr ?? null)}/${renderValue(o.len ?? null)}`;
    case 'range':
      return Array.isArray(inner) ? inner.map(renderValue).join('-') : '';
    case 'set':
      return `{ ${Array.isArray(inner) ? inner.map(renderValue).join(', ') : renderValue(inner)} }`;
    case 'concat':
      return Array.isArray(inner) ? inner.map(renderValue).join(' . ') : '';
    case 'fib':
      return `fib ${renderValue(o.flags ?? null)} ${renderValue(o.result ?? null)}`;
    case '&':
    case '|':
    case '^':
      return Array.isArray(inner) ? inner.map(renderValue).join(` ${k} `) : '';
    default:
      return `${k} ${renderValue(inner)}`.trim();
  }
}

/** Renders one JSON statement; returns the text and the verdict it implies, if any. */
function renderStatement(e: Record<string, Json>, rule: NftRule): string {
  const [k, v] = Object.entries(e)[0] ?? ['', null];
  const o = (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, Json>;
  switch (k) {
    case 'match': {
      const op = o.op === '==' || o.op === 'in' ? '' : `${renderValue(o.op ?? null)} `;
      return `${renderValue(o.left ?? null)} ${op}${renderValue(o.right ?? null)}`;
    }
    case 'counter':
      rule.counters = { packets: Number(o.packets ?? 0), bytes: Number(o.bytes ?? 0) };
      return `counter packets ${renderValue(o.packets ?? 0)} bytes ${renderValue(o.bytes ?? 0)}`;
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
      rule.verdict = { kind: k };
      return k;
    case 'reject':
      rule.verdict = { kind: 'reject' };
      return 'reject';
    case 'queue':
      rule.verdict = { kind: 'queue' };
      return 'queue';
    case 'jump':
    case 'goto':
      rule.verdict = { kind: k, chain: String(o.target ?? '') };
      return `${k} ${renderValue(o.target ?? null)}`;
    case 'vmap':
      rule.verdict = { kind: 'vmap' };
      return `${renderValue(o.key ?? null)} vmap ${renderValue(o.data ?? null)}`;
    case 'dnat':
    case 'snat':
    case 'masquerade':
    case 'redirect': {
      const to =
        o.addr !== undefined
          ? `${renderValue(o.addr)}${o.port !== undefined ? `:${renderValue(o.port)}` : ''}`
          : o.port !== undefined
            ? `:${renderValue(o.port)}`
            : undefined;
      rule.verdict = { kind: 'nat', nat: k };
      if (to) rule.verdict.to = to;
      return to ? `${k} to ${to}` : k;
    }
    case 'xt': {
      rule.opaque = true;
      const name = String(o.name ?? '?');
      (rule.xt ??= []).push(name);
      if (o.type === 'target') {
        const kinds: Record<string, NftVerdict> = {
          DNAT: { kind: 'nat', nat: 'dnat' },
          SNAT: { kind: 'nat', nat: 'snat' },
          MASQUERADE: { kind: 'nat', nat: 'masquerade' },
          REDIRECT: { kind: 'nat', nat: 'redirect' },
          REJECT: { kind: 'reject' },
        };
        const kv = kinds[name];
        if (kv) rule.verdict = { ...kv };
      }
      return `xt ${renderValue(o.type ?? null)} "${name}"`;
    }
    case 'comment':
      rule.comment = String(v);
      return `comment "${String(v)}"`;
    default:
      return renderValue(e as Json);
  }
}

/** Parses `nft -j list ruleset` JSON; never throws (bad JSON gives one warning on line 1). */
export function parseNftJson(text: string): NftParseResult {
  const warnings: TextWarning[] = [];
  const records: NftRule[] = [];
  const ruleset: NftRuleset = { source: 'json', tables: [] };
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    warnings.push({ line: 1, message: `not JSON: ${(e as Error).message}` });
    return { records, warnings, ruleset };
  }
  const items =
    doc && typeof doc === 'object' && !Array.isArray(doc) && Array.isArray(doc.nftables)
      ? doc.nftables
      : null;
  if (!items) {
    warnings.push({ line: 1, message: 'no "nftables" array' });
    return { records, warnings, ruleset };
  }
  const tables = new Map<string, NftTable>();
  const chains = new Map<string, NftChain>();
  const tkey = (f: string, t: string): string => `${f} ${t}`;
  // JSON has no line numbers: the 1-based item index stands in for the line.
  items.forEach((item, idx) => {
    const line = idx + 1;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      warnings.push({ line, message: 'item is not an object' });
      return;
    }
    const [kind, body] = Object.entries(item)[0] ?? ['', null];
    const o = (body && typeof body === 'object' && !Array.isArray(body) ? body : null) as Record<
      string,
      Json
    > | null;
    if (kind === 'metainfo') return;
    if (!o) {
      warnings.push({ line, message: `${kind}: body is not an object` });
      return;
    }
    const family = String(o.family ?? '');
    if (!FAMILIES.has(family)) {
      warnings.push({ line, message: `${kind}: unknown family '${family}'` });
      return;
    }
    const tableName = String(kind === 'table' ? o.name : o.table);
    let table = tables.get(tkey(family, tableName));
    if (!table) {
      table = {
        family: family as NftFamily,
        name: tableName,
        line,
        iptablesNft: false,
        chains: [],
        sets: [],
      };
      if (kind !== 'table')
        warnings.push({ line, message: `${kind} for undeclared table ${family} ${tableName}` });
      tables.set(tkey(family, tableName), table);
      ruleset.tables.push(table);
    }
    if (kind === 'table') {
      if (typeof o.handle === 'number') table.handle = o.handle;
      table.line = line;
      return;
    }
    if (kind === 'chain') {
      const c: NftChain = {
        family: table.family,
        table: tableName,
        name: String(o.name ?? ''),
        line,
        rules: [],
      };
      if (typeof o.handle === 'number') c.handle = o.handle;
      if (typeof o.type === 'string') c.type = o.type;
      if (typeof o.hook === 'string') c.hook = o.hook;
      if (typeof o.dev === 'string') c.device = o.dev;
      if (typeof o.prio === 'number') c.priority = o.prio;
      else if (typeof o.prio === 'string') {
        c.priorityText = o.prio;
        const p = resolveNftPriority(o.prio, family);
        if (p !== undefined) c.priority = p;
      }
      if (o.policy === 'accept' || o.policy === 'drop') c.policy = o.policy;
      else if (c.hook) c.policy = 'accept';
      table.chains.push(c);
      chains.set(`${family} ${tableName} ${c.name}`, c);
      return;
    }
    if (
      kind === 'set' ||
      kind === 'map' ||
      kind === 'flowtable' ||
      kind.startsWith('ct ') ||
      ['counter', 'quota', 'limit', 'secmark', 'synproxy'].includes(kind)
    ) {
      table.sets.push({
        family: table.family,
        table: tableName,
        name: String(o.name ?? ''),
        kind: kind === 'set' || kind === 'map' || kind === 'flowtable' ? kind : 'object',
        line,
        body: [JSON.stringify(o)],
      });
      return;
    }
    if (kind === 'rule') {
      const chainName = String(o.chain ?? '');
      let c = chains.get(`${family} ${tableName} ${chainName}`);
      if (!c) {
        warnings.push({ line, message: `rule for undeclared chain ${chainName}` });
        c = { family: table.family, table: tableName, name: chainName, line, rules: [] };
        table.chains.push(c);
        chains.set(`${family} ${tableName} ${chainName}`, c);
      }
      const expr = Array.isArray(o.expr) ? o.expr : [];
      const rule: NftRule = {
        family: table.family,
        table: tableName,
        chain: chainName,
        index: c.rules.length + 1,
        text: '',
        line,
        verdict: { kind: 'none' },
        opaque: false,
        expr,
      };
      if (typeof o.handle === 'number') rule.handle = o.handle;
      if (typeof o.comment === 'string') rule.comment = o.comment;
      const parts: string[] = [];
      for (const e of expr) {
        if (e && typeof e === 'object' && !Array.isArray(e)) parts.push(renderStatement(e, rule));
      }
      if (rule.comment !== undefined && !parts.some((p) => p.startsWith('comment')))
        parts.push(`comment "${rule.comment}"`);
      rule.text = parts.join(' ');
      c.rules.push(rule);
      records.push(rule);
      return;
    }
    warnings.push({ line, message: `unknown item '${kind}'` });
  });
  for (const t of ruleset.tables) flagIptablesNft(t);
  return { records, warnings, ruleset };
}

/** Parses either form, choosing by the first non-blank character. */
export function parseNft(text: string): NftParseResult {
  return /^\s*[{[]/.test(text) ? parseNftJson(text) : parseNftText(text);
}

/** Base chains of every table sorted by hook then numeric priority (the order the kernel runs them). */
export function nftBaseChains(ruleset: NftRuleset): NftChain[] {
  const out: NftChain[] = [];
  for (const t of ruleset.tables) for (const c of t.chains) if (c.hook !== undefined) out.push(c);
  return out.sort((a, b) => (a.hook === b.hook ? (a.priority ?? 0) - (b.priority ?? 0) : 0));
}
