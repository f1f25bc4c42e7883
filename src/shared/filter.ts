// pathlens display filters: a small language in the spirit of Wireshark's display filters
// (https://www.wireshark.org/docs/man-pages/wireshark-filter.html), over flows rather than packets.
// Pure: text → AST with located errors, plus an in-memory evaluator over FlowJson. The SQL compiler
// for the case file lives in src/main/store/filter-sql.ts and must agree with `matchFlow`.
import type { FlowJson } from './report';

/** Comparison operators. `!=` is the negation of `==` (not Wireshark's historical "any differs"). */
export type FilterOp = '==' | '!=' | '>' | '<' | '>=' | '<=' | 'contains';

/** What a field holds, which decides the operators and values it accepts. */
export type FieldType = 'ip' | 'port' | 'number' | 'string' | 'list';

export interface FieldSpec {
  type: FieldType;
  /** tuple sides an ip/port field reads (both tuples of the flow: orig and reply) */
  which?: 'any' | 'src' | 'dst';
  /** a port field restricted to one protocol (tcp.port, udp.port) */
  proto?: string;
  /** string comparison normalisation */
  fold?: 'upper' | 'lower';
  help: string;
}

/** Every field of the language. Exported so the UI can list them. */
export const FILTER_FIELDS: Record<string, FieldSpec> = {
  'ip.addr': { type: 'ip', which: 'any', help: 'any address of either tuple (orig or reply)' },
  'ip.src': { type: 'ip', which: 'src', help: 'source address of either tuple' },
  'ip.dst': { type: 'ip', which: 'dst', help: 'destination address of either tuple' },
  port: { type: 'port', which: 'any', help: 'any TCP/UDP/SCTP port of either tuple' },
  'tcp.port': { type: 'port', which: 'any', proto: 'tcp', help: 'any port of a TCP flow' },
  'tcp.srcport': {
    type: 'port',
    which: 'src',
    proto: 'tcp',
    help: 'source port of a TCP flow (either tuple)',
  },
  'tcp.dstport': {
    type: 'port',
    which: 'dst',
    proto: 'tcp',
    help: 'destination port of a TCP flow (either tuple)',
  },
  'udp.port': { type: 'port', which: 'any', proto: 'udp', help: 'any port of a UDP flow' },
  'udp.srcport': {
    type: 'port',
    which: 'src',
    proto: 'udp',
    help: 'source port of a UDP flow (either tuple)',
  },
  'udp.dstport': {
    type: 'port',
    which: 'dst',
    proto: 'udp',
    help: 'destination port of a UDP flow (either tuple)',
  },
  proto: { type: 'string', fold: 'lower', help: 'protocol name: tcp, udp, icmp, icmpv6, sctp…' },
  state: { type: 'string', fold: 'upper', help: 'TCP state or conntrack state (ESTABLISHED, TIME_WAIT…)' },
  conn_state: { type: 'string', fold: 'upper', help: 'Zeek conn_state (S0, SF, REJ…)' },
  finding: { type: 'list', help: 'a finding kind attached to the flow (syn-unanswered…)' },
  iface: { type: 'list', help: 'an interface the flow was captured on' },
  flow: { type: 'number', help: 'flow id' },
  packets: { type: 'number', help: 'packets, both directions' },
  bytes: { type: 'number', help: 'IP bytes, both directions' },
};

/** Bare words that are whole predicates. */
export const FILTER_FLAGS = ['nat', 'dnat', 'snat', 'tcp', 'udp', 'icmp', 'icmpv6', 'sctp'] as const;
export type FilterFlag = (typeof FILTER_FLAGS)[number];

export type FilterValue =
  | { kind: 'ip'; family: 4 | 6; text: string; bytes: number[] }
  | { kind: 'cidr'; family: 4 | 6; text: string; bytes: number[]; prefix: number }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string };

export type FilterNode =
  | { type: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { type: 'not'; expr: FilterNode }
  | { type: 'flag'; flag: FilterFlag; column: number }
  | { type: 'cmp'; field: string; op: FilterOp; value: FilterValue; column: number };

/** A parse error; `column` is 1-based, and the message ends with "at column N". */
export class FilterError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(`${message} at column ${column}`);
    this.name = 'FilterError';
    this.column = column;
  }
}

interface Token {
  kind: 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'end';
  text: string;
  column: number;
}

const WORD_RE = /[A-Za-z0-9_.:/-]/;
const OP_WORDS: Record<string, FilterOp> = {
  eq: '==',
  ne: '!=',
  gt: '>',
  lt: '<',
  ge: '>=',
  le: '<=',
  contains: 'contains',
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const column = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, column });
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      tokens.push({ kind: two === '&&' ? 'and' : 'or', text: two, column });
      i += 2;
      continue;
    }
    if (two === '==' || two === '!=' || two === '>=' || two === '<=') {
      tokens.push({ kind: 'op', text: two, column });
      i += 2;
      continue;
    }
    if (c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c, column });
      i++;
      continue;
    }
    // A single '=' is a common slip; read it as '=='.
    if (c === '=') {
      tokens.push({ kind: 'op', text: '==', column });
      i++;
      continue;
    }
    if (c === '!') {
      tokens.push({ kind: 'not', text: c, column });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new FilterError('unterminated string', column);
      tokens.push({ kind: 'string', text: value, column });
      i = j + 1;
      continue;
    }
    if (WORD_RE.test(c)) {
      let j = i;
      while (j < text.length && WORD_RE.test(text[j] as string)) j++;
      const word = text.slice(i, j);
      const lower = word.toLowerCase();
      if (lower === 'and' || lower === 'or' || lower === 'not')
        tokens.push({ kind: lower, text: word, column });
      else if (lower in OP_WORDS) tokens.push({ kind: 'op', text: OP_WORDS[lower] as string, column });
      else tokens.push({ kind: 'word', text: word, column });
      i = j;
      continue;
    }
    throw new FilterError(`unexpected character '${c}'`, column);
  }
  tokens.push({ kind: 'end', text: '', column: text.length + 1 });
  return tokens;
}

/** Parses an IPv4 or IPv6 address to bytes; null when it is not one. */
export function parseIp(text: string): { family: 4 | 6; bytes: number[] } | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const bytes = text.split('.').map(Number);
    return bytes.every((b) => b <= 255) ? { family: 4, bytes } : null;
  }
  if (!text.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  let body = text;
  const tail: number[] = [];
  // IPv4-embedded form (::ffff:1.2.3.4)
  const lastColon = body.lastIndexOf(':');
  const v4 = body.slice(lastColon + 1);
  if (v4.includes('.')) {
    const p = parseIp(v4);
    if (!p || p.family !== 4) return null;
    const [a = 0, b = 0, c = 0, d = 0] = p.bytes;
    tail.push((a << 8) | b, (c << 8) | d);
    body = body.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !rest) return null;
  const given = head.length + rest.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (given > 7) return null;
    groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  } else {
    if (given !== 8) return null;
    groups = [...head, ...tail];
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return { family: 6, bytes };
}

/** Canonical text of an address (RFC 5952 for IPv6: lower case, longest zero run compressed). */
export function formatIp(family: 4 | 6, bytes: number[]): string {
  if (family === 4) return bytes.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Zeroes the bits after `prefix`. */
export function maskBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return keep === 8 ? b : b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** True when `addr` (address text) lies in the network. */
export function ipInCidr(addr: string, net: { family: 4 | 6; bytes: number[]; prefix: number }): boolean {
  const a = parseIp(addr);
  if (!a || a.family !== net.family) return false;
  const m = maskBytes(a.bytes, net.prefix);
  return m.every((b, i) => b === net.bytes[i]);
}

function parseIpValue(tok: Token): FilterValue {
  const [addrText = '', prefixText, extra] = tok.text.split('/');
  const ip = parseIp(addrText);
  if (!ip || extra !== undefined)
    throw new FilterError(`expected IP address or CIDR, got '${tok.text}'`, tok.column);
  if (prefixText === undefined)
    return { kind: 'ip', family: ip.family, bytes: ip.bytes, text: formatIp(ip.family, ip.bytes) };
  const max = ip.family === 4 ? 32 : 128;
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max))
    throw new FilterError(`invalid prefix length '/${prefixText}' (0–${max})`, tok.column + addrText.length);
  const bytes = maskBytes(ip.bytes, prefix);
  return { kind: 'cidr', family: ip.family, bytes, prefix, text: `${formatIp(ip.family, bytes)}/${prefix}` };
}

const ORDER_OPS: FilterOp[] = ['>', '<', '>=', '<='];

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  parse(): FilterNode {
    const node = this.or();
    const t = this.peek();
    if (t.kind === 'rparen') throw new FilterError("unmatched ')'", t.column);
    if (t.kind !== 'end') throw new FilterError(`expected && or || before '${t.text}'`, t.column);
    return node;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.peek().kind === 'or') {
      this.next();
      left = { type: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterNode {
    let left = this.unary();
    while (this.peek().kind === 'and') {
      this.next();
      left = { type: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    if (this.peek().kind === 'not') {
      this.next();
      return { type: 'not', expr: this.unary() };
    }
    return this.primary();
  }

  private primary(): FilterNode {
    const t = this.next();
    if (t.kind === 'lparen') {
      const inner = this.or();
      const close = this.peek();
      if (close.kind !== 'rparen') throw new FilterError("expected ')'", close.column);
      this.next();
      return inner;
    }
    if (t.kind !== 'word')
      throw new FilterError(t.kind === 'end' ? 'expected expression' : `unexpected '${t.text}'`, t.column);
    const name = t.text.toLowerCase();
    const spec = FILTER_FIELDS[name];
    if (!spec) {
      if ((FILTER_FLAGS as readonly string[]).includes(name))
        return { type: 'flag', flag: name as FilterFlag, column: t.column };
      throw new FilterError(`unknown field '${t.text}'`, t.column);
    }
    const opTok = this.peek();
    if (opTok.kind !== 'op') throw new FilterError(`expected operator after '${t.text}'`, opTok.column);
    this.next();
    const op = opTok.text as FilterOp;
    if (ORDER_OPS.includes(op) && spec.type !== 'number' && spec.type !== 'port')
      throw new FilterError(`operator '${op}' does not apply to ${name}`, opTok.column);
    if (op === 'contains' && (spec.type === 'number' || spec.type === 'port'))
      throw new FilterError(`operator 'contains' does not apply to ${name}`, opTok.column);
    const v = this.peek();
    if (v.kind !== 'word' && v.kind !== 'string') throw new FilterError('expected value', v.column);
    this.next();
    return { type: 'cmp', field: name, op, value: this.value(spec, op, v), column: t.column };
  }

  private value(spec: FieldSpec, op: FilterOp, v: Token): FilterValue {
    if (spec.type === 'number' || spec.type === 'port') {
      if (!/^\d+$/.test(v.text)) throw new FilterError(`expected number, got '${v.text}'`, v.column);
      const value = Number(v.text);
      if (spec.type === 'port' && value > 65535)
        throw new FilterError(`port out of range: ${v.text}`, v.column);
      return { kind: 'number', value };
    }
    if (spec.type === 'ip' && op !== 'contains') return parseIpValue(v);
    const fold =
      spec.fold === 'upper' ? v.text.toUpperCase() : spec.fold === 'lower' ? v.text.toLowerCase() : v.text;
    return { kind: 'string', value: fold };
  }
}

/** Parses a filter; an empty or blank text is `null` (matches everything). Throws FilterError. */
export function parseFilter(text: string): FilterNode | null {
  if (text.trim() === '') return null;
  return new Parser(tokenize(text)).parse();
}

/** Like parseFilter, for callers that show the error instead of catching it. */
export function tryParseFilter(
  text: string,
): { ok: true; ast: FilterNode | null } | { ok: false; error: string; column: number } {
  try {
    return { ok: true, ast: parseFilter(text) };
  } catch (e) {
    if (e instanceof FilterError) return { ok: false, error: e.message, column: e.column };
    throw e;
  }
}

/** True when the tree has an IPv6 CIDR, which SQL can only approximate (see filter-sql.ts). */
export function hasIpv6Cidr(node: FilterNode): boolean {
  switch (node.type) {
    case 'and':
    case 'or':
      return hasIpv6Cidr(node.left) || hasIpv6Cidr(node.right);
    case 'not':
      return hasIpv6Cidr(node.expr);
    case 'flag':
      return false;
    case 'cmp':
      return node.value.kind === 'cidr' && node.value.family === 6;
  }
}

/** The flow's conntrack state as the case file's `ct_state` column keeps it: the log's last state. */
export function flowCtState(flow: FlowJson): string | null {
  const events = flow.conntrack?.events ?? [];
  for (let i = events.length - 1; i >= 0; i--) {
    const s = events[i]?.state;
    if (s) return s;
  }
  return null;
}

function addresses(flow: FlowJson, which: 'any' | 'src' | 'dst'): string[] {
  const out: string[] = [];
  for (const t of [flow.orig, flow.reply]) {
    if (!t) continue;
    if (which !== 'dst') out.push(t.src);
    if (which !== 'src') out.push(t.dst);
  }
  return out;
}

function ports(flow: FlowJson, which: 'any' | 'src' | 'dst'): number[] {
  const out: number[] = [];
  for (const t of [flow.orig, flow.reply]) {
    if (!t) continue;
    if (which !== 'dst' && t.sport !== undefined && t.sport !== null) out.push(t.sport);
    if (which !== 'src' && t.dport !== undefined && t.dport !== null) out.push(t.dport);
  }
  return out;
}

function compareNumber(a: number, op: FilterOp, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    case 'contains':
      return false;
  }
}

/** Positive form of a comparison (`!=` evaluates `==` and negates, so lists mean "none equals"). */
function matchCmp(node: Extract<FilterNode, { type: 'cmp' }>, flow: FlowJson): boolean {
  const spec = FILTER_FIELDS[node.field] as FieldSpec;
  const op: FilterOp = node.op === '!=' ? '==' : node.op;
  const v = node.value;
  let hit: boolean;
  switch (spec.type) {
    case 'ip': {
      const addrs = addresses(flow, spec.which ?? 'any');
      if (v.kind === 'cidr') hit = addrs.some((a) => ipInCidr(a, v));
      else if (v.kind === 'ip') hit = addrs.includes(v.text);
      else hit = v.kind === 'string' && addrs.some((a) => a.includes(v.value));
      break;
    }
    case 'port': {
      const n = v.kind === 'number' ? v.value : NaN;
      hit =
        (spec.proto === undefined || flow.proto === spec.proto) &&
        ports(flow, spec.which ?? 'any').some((p) => compareNumber(p, op, n));
      break;
    }
    case 'number': {
      const n = v.kind === 'number' ? v.value : NaN;
      let x: number;
      if (node.field === 'flow') x = Number(flow.id);
      else if (node.field === 'packets') x = flow.packets.orig + flow.packets.reply;
      else x = (flow.bytes?.orig ?? 0) + (flow.bytes?.reply ?? 0);
      hit = compareNumber(x, op, n);
      break;
    }
    case 'string': {
      const s = v.kind === 'string' ? v.value : '';
      let values: Array<string | null | undefined>;
      if (node.field === 'proto') values = [flow.proto.toLowerCase()];
      else if (node.field === 'state')
        values = [flow.tcp?.state?.toUpperCase(), flowCtState(flow)?.toUpperCase()];
      else values = [flow.tcp?.conn_state?.toUpperCase()];
      hit = values.some((x) => typeof x === 'string' && (op === 'contains' ? x.includes(s) : x === s));
      break;
    }
    case 'list': {
      const s = v.kind === 'string' ? v.value : '';
      const values = node.field === 'finding' ? (flow.findings ?? []) : (flow.interfaces ?? []);
      hit = values.some((x) => (op === 'contains' ? x.includes(s) : x === s));
      break;
    }
  }
  return node.op === '!=' ? !hit : hit;
}

/** Evaluates a filter against one flow; `null` (empty filter) matches every flow. */
export function matchFlow(node: FilterNode | null, flow: FlowJson): boolean {
  if (!node) return true;
  switch (node.type) {
    case 'and':
      return matchFlow(node.left, flow) && matchFlow(node.right, flow);
    case 'or':
      return matchFlow(node.left, flow) || matchFlow(node.right, flow);
    case 'not':
      return !matchFlow(node.expr, flow);
    case 'flag':
      if (node.flag === 'nat') return flow.nat.snat || flow.nat.dnat;
      if (node.flag === 'dnat') return flow.nat.dnat;
      if (node.flag === 'snat') return flow.nat.snat;
      return flow.proto.toLowerCase() === node.flag;
    case 'cmp':
      return matchCmp(node, flow);
  }
}

/** Canonical text of a filter tree (for display and round-trip tests). */
export function formatFilter(node: FilterNode | null): string {
  if (!node) return '';
  switch (node.type) {
    case 'and':
    case 'or':
      return `(${formatFilter(node.left)} ${node.type === 'and' ? '&&' : '||'} ${formatFilter(node.right)})`;
    case 'not':
      return `!${formatFilter(node.expr)}`;
    case 'flag':
      return node.flag;
    case 'cmp': {
      const v = node.value;
      const text =
        v.kind === 'number' ? String(v.value) : v.kind === 'string' ? JSON.stringify(v.value) : v.text;
      return `${node.field} ${node.op} ${text}`;
    }
  }
}
