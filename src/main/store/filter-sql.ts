// Display filter (src/shared/filter.ts) → SQLite WHERE clause over the `flows` table of schema.sql.
// Must agree with `matchFlow`; test/shared/filter.test.ts runs both over the same rows.
import { parseFilter } from '../../shared/filter';
import type { FieldSpec, FilterNode, FilterOp, FilterValue } from '../../shared/filter';
import { FILTER_FIELDS } from '../../shared/filter';

/** A compiled filter. Use as `SELECT … FROM flows WHERE ${where}` with `params` bound in order. */
export interface SqlFilter {
  where: string;
  params: unknown[];
  /**
   * True when `where` only approximates the filter (IPv6 CIDR prefixes: addresses are stored as
   * compressed text, which no LIKE pattern matches exactly). `where` is then a superset of the
   * answer: run `matchFlow(ast, flow)` on each returned row before counting or paging.
   */
  needsPostFilter: boolean;
}

const ADDR_COLUMNS = {
  any: ['orig_src', 'orig_dst', 'reply_src', 'reply_dst'],
  src: ['orig_src', 'reply_src'],
  dst: ['orig_dst', 'reply_dst'],
} as const;

const PORT_COLUMNS = {
  any: ['orig_sport', 'orig_dport', 'reply_sport', 'reply_dport'],
  src: ['orig_sport', 'reply_sport'],
  dst: ['orig_dport', 'reply_dport'],
} as const;

const SQL_OP: Record<Exclude<FilterOp, 'contains'>, string> = {
  '==': '=',
  '!=': '=',
  '>': '>',
  '<': '<',
  '>=': '>=',
  '<=': '<=',
};

class Compiler {
  readonly params: unknown[] = [];
  needsPostFilter = false;

  private p(value: unknown): string {
    this.params.push(value);
    return '?';
  }

  /** `positive` is false under an odd number of negations: approximations then err on "false". */
  node(node: FilterNode, positive: boolean): string {
    switch (node.type) {
      case 'and':
        return `(${this.node(node.left, positive)} AND ${this.node(node.right, positive)})`;
      case 'or':
        return `(${this.node(node.left, positive)} OR ${this.node(node.right, positive)})`;
      case 'not':
        return `(NOT ${this.node(node.expr, !positive)})`;
      case 'flag':
        if (node.flag === 'nat') return '(snat = 1 OR dnat = 1)';
        if (node.flag === 'dnat') return '(dnat = 1)';
        if (node.flag === 'snat') return '(snat = 1)';
        return `(lower(proto_name) = ${this.p(node.flag)})`;
      case 'cmp': {
        // Every atom is 0 or 1, never NULL, so NOT and != behave like matchFlow on missing columns.
        if (node.op === '!=') return `(NOT ${this.cmp(node.field, '==', node.value, !positive)})`;
        return this.cmp(node.field, node.op, node.value, positive);
      }
    }
  }

  private any(parts: string[]): string {
    return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
  }

  private cmp(field: string, op: FilterOp, v: FilterValue, positive: boolean): string {
    const spec = FILTER_FIELDS[field] as FieldSpec;
    switch (spec.type) {
      case 'ip': {
        const cols = ADDR_COLUMNS[spec.which ?? 'any'];
        if (v.kind === 'ip') return `ifnull(${this.p(v.text)} IN (${cols.join(', ')}), 0)`;
        if (v.kind === 'string')
          return this.any(cols.map((c) => `ifnull(instr(${c}, ${this.p(v.value)}) > 0, 0)`));
        if (v.kind === 'cidr') return this.any(cols.map((c) => this.cidr(c, v, positive)));
        return '0';
      }
      case 'port': {
        const n = v.kind === 'number' ? v.value : -1;
        const cols = PORT_COLUMNS[spec.which ?? 'any'];
        const o = SQL_OP[op as Exclude<FilterOp, 'contains'>];
        const proto = spec.proto ? `proto_name = ${this.p(spec.proto)} AND ` : '';
        return `(${proto}${this.any(cols.map((c) => `ifnull(${c} ${o} ${this.p(n)}, 0)`))})`;
      }
      case 'number': {
        const n = v.kind === 'number' ? v.value : -1;
        const expr =
          field === 'flow'
            ? 'id'
            : field === 'packets'
              ? '(pkts_orig + pkts_reply)'
              : '(bytes_orig + bytes_reply)';
        return `ifnull(${expr} ${SQL_OP[op as Exclude<FilterOp, 'contains'>]} ${this.p(n)}, 0)`;
      }
      case 'string': {
        const s = v.kind === 'string' ? v.value : '';
        const cols =
          field === 'proto'
            ? ['lower(proto_name)']
            : field === 'state'
              ? ['upper(tcp_state)', 'upper(ct_state)']
              : ['upper(conn_state)'];
        return this.any(
          cols.map((c) =>
            op === 'contains' ? `ifnull(instr(${c}, ${this.p(s)}) > 0, 0)` : `ifnull(${c} = ${this.p(s)}, 0)`,
          ),
        );
      }
      case 'list': {
        const s = v.kind === 'string' ? v.value : '';
        const col = field === 'finding' ? 'findings' : 'interfaces';
        // Items never contain the separator, so a value with a comma matches no single item.
        if (s.includes(',')) return '0';
        if (op === 'contains') return `ifnull(instr(${col}, ${this.p(s)}) > 0, 0)`;
        return `ifnull(instr(',' || ${col} || ',', ${this.p(`,${s},`)}) > 0, 0)`;
      }
    }
  }

  /**
   * IPv4 networks compile exactly: the whole octets as a LIKE prefix, a partial octet as a numeric
   * range on the text between the dots. IPv6 is approximated (see SqlFilter.needsPostFilter).
   */
  private cidr(col: string, v: Extract<FilterValue, { kind: 'cidr' }>, positive: boolean): string {
    if (v.family === 6) {
      if (v.prefix === 128) return `ifnull(${col} = ${this.p(v.text.replace(/\/\d+$/, ''))}, 0)`;
      this.needsPostFilter = true;
      return positive ? `(${col} IS NOT NULL AND instr(${col}, ':') > 0)` : '0';
    }
    if (v.prefix === 32) return `ifnull(${col} = ${this.p(v.bytes.join('.'))}, 0)`;
    const k = Math.floor(v.prefix / 8);
    const r = v.prefix % 8;
    const lead = v.bytes
      .slice(0, k)
      .map((b) => `${b}.`)
      .join('');
    const isV4 = `ifnull(instr(${col}, '.') > 0 AND instr(${col}, ':') = 0, 0)`;
    const base = k === 0 ? isV4 : `(${isV4} AND ${col} LIKE ${this.p(`${lead}%`)})`;
    if (r === 0) return base;
    const lo = v.bytes[k] ?? 0;
    const hi = lo + (1 << (8 - r)) - 1;
    const rest = `substr(${col}, ${lead.length + 1})`;
    const octet = `CAST(CASE WHEN instr(${rest}, '.') > 0 THEN substr(${rest}, 1, instr(${rest}, '.') - 1) ELSE ${rest} END AS INTEGER)`;
    return `(${base} AND ${octet} BETWEEN ${lo} AND ${hi})`;
  }
}

/** Compiles a parsed filter; `null` (empty filter) matches every row. */
export function compileFilter(node: FilterNode | null): SqlFilter {
  if (!node) return { where: '1', params: [], needsPostFilter: false };
  const c = new Compiler();
  const where = c.node(node, true);
  return { where, params: c.params, needsPostFilter: c.needsPostFilter };
}

/** Parses and compiles filter text. Throws FilterError (message "… at column N") on bad input. */
export function filterToSql(text: string): SqlFilter {
  return compileFilter(parseFilter(text));
}
