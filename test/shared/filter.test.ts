// Display filters: parsing with located errors, the in-memory evaluator, and the SQL compiler run
// against a real SQLite `flows` table built from schema.sql — both must select the same flows.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FilterError,
  formatFilter,
  formatIp,
  matchFlow,
  parseFilter,
  parseIp,
  tryParseFilter,
} from '../../src/shared/filter';
import type { FlowJson } from '../../src/shared/report';
import { compileFilter, filterToSql } from '../../src/main/store/filter-sql';

function flow(partial: Partial<FlowJson> & Pick<FlowJson, 'id' | 'proto' | 'orig'>): FlowJson {
  return {
    l3: partial.orig.src.includes(':') ? 'ipv6' : 'ipv4',
    reply: null,
    nat: { snat: false, dnat: false, evidence: [] },
    first_ts: 1700000000,
    last_ts: 1700000001,
    packets: { orig: 0, reply: 0 },
    ...partial,
  };
}

// A kube-proxy DNAT to a pod, a MASQUERADEd egress, an unanswered SYN, DNS, ping, IPv6, and a flow
// with an unknown reply tuple (NULL columns must not poison NOT / !=).
const FLOWS: FlowJson[] = [
  flow({
    id: '1',
    proto: 'tcp',
    orig: { src: '10.0.0.5', dst: '10.96.0.10', sport: 41000, dport: 80 },
    reply: { src: '10.244.1.7', dst: '10.0.0.5', sport: 8080, dport: 41000 },
    nat: { snat: false, dnat: true, evidence: ['conntrack'] },
    packets: { orig: 6, reply: 5 },
    bytes: { orig: 600, reply: 4000 },
    interfaces: ['eth0', 'cni0'],
    tcp: { state: 'TIME_WAIT', conn_state: 'SF' },
    conntrack: {
      ids: [1],
      events: [
        { ts: 1, type: 'NEW', state: 'SYN_SENT' },
        { ts: 2, type: 'UPDATE', state: 'ESTABLISHED' },
      ],
    },
  }),
  flow({
    id: '2',
    proto: 'tcp',
    orig: { src: '10.244.1.7', dst: '93.184.216.34', sport: 50000, dport: 443 },
    reply: { src: '93.184.216.34', dst: '192.168.1.20', sport: 443, dport: 61000 },
    nat: { snat: true, dnat: false, evidence: ['capture'] },
    packets: { orig: 20, reply: 30 },
    bytes: { orig: 2000, reply: 90000 },
    interfaces: ['cni0', 'eth0'],
    tcp: { state: 'ESTABLISHED', conn_state: 'S1' },
  }),
  flow({
    id: '3',
    proto: 'tcp',
    orig: { src: '172.20.3.4', dst: '10.0.0.5', sport: 55555, dport: 22 },
    packets: { orig: 3, reply: 0 },
    bytes: { orig: 180, reply: 0 },
    interfaces: ['eth0'],
    tcp: { state: 'SYN_SENT', conn_state: 'S0' },
    findings: ['syn-unanswered', 'retransmission'],
  }),
  flow({
    id: '4',
    proto: 'udp',
    orig: { src: '10.0.0.5', dst: '10.96.0.10', sport: 53000, dport: 53 },
    reply: { src: '10.244.2.3', dst: '10.0.0.5', sport: 53, dport: 53000 },
    nat: { snat: false, dnat: true, evidence: ['conntrack'] },
    packets: { orig: 1, reply: 1 },
    bytes: { orig: 70, reply: 120 },
    interfaces: ['eth0'],
    findings: ['stale-udp-backend'],
  }),
  flow({
    id: '5',
    proto: 'icmp',
    orig: { src: '10.0.0.5', dst: '8.8.8.8', icmp_type: 8, icmp_code: 0, icmp_id: 7 },
    reply: { src: '8.8.8.8', dst: '10.0.0.5', icmp_type: 0, icmp_code: 0, icmp_id: 7 },
    packets: { orig: 4, reply: 4 },
    bytes: { orig: 336, reply: 336 },
    interfaces: ['eth0'],
  }),
  flow({
    id: '6',
    proto: 'tcp',
    orig: { src: 'fd00::1', dst: 'fd00:10::20', sport: 40000, dport: 443 },
    reply: { src: 'fd00:10::20', dst: 'fd00::1', sport: 443, dport: 40000 },
    packets: { orig: 10, reply: 10 },
    bytes: { orig: 1000, reply: 1000 },
    interfaces: ['eth1'],
    tcp: { state: 'CLOSE', conn_state: 'RSTO' },
    findings: ['rst-refused'],
  }),
  flow({
    id: '7',
    proto: 'udp',
    orig: { src: '100.64.0.9', dst: '10.0.0.255', sport: 137, dport: 137 },
    packets: { orig: 2, reply: 0 },
  }),
];

function row(f: FlowJson): unknown[] {
  const ctState = f.conntrack?.events.at(-1)?.state ?? null;
  return [
    Number(f.id),
    f.l3 === 'ipv4' ? 4 : 6,
    f.proto === 'tcp' ? 6 : f.proto === 'udp' ? 17 : 1,
    f.proto,
    f.orig.src,
    f.orig.dst,
    f.orig.sport ?? null,
    f.orig.dport ?? null,
    f.reply?.src ?? null,
    f.reply?.dst ?? null,
    f.reply?.sport ?? null,
    f.reply?.dport ?? null,
    f.nat.snat ? 1 : 0,
    f.nat.dnat ? 1 : 0,
    Math.round(f.first_ts * 1e9),
    Math.round(f.last_ts * 1e9),
    f.packets.orig,
    f.packets.reply,
    f.bytes?.orig ?? 0,
    f.bytes?.reply ?? 0,
    f.interfaces?.join(',') ?? null,
    f.tcp?.state ?? null,
    f.tcp?.conn_state ?? null,
    ctState,
    f.findings?.join(',') ?? null,
  ];
}

let db: sqlite3.Database;

function exec(sql: string): Promise<void> {
  return new Promise((res, rej) => db.exec(sql, (err) => (err ? rej(err) : res())));
}
function run(sql: string, params: unknown[]): Promise<void> {
  return new Promise((res, rej) => db.run(sql, params, (err) => (err ? rej(err) : res())));
}
function all(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
  return new Promise((res, rej) =>
    db.all(sql, params, (err, rows: Array<Record<string, unknown>>) => (err ? rej(err) : res(rows))),
  );
}

/** Flow ids the SQL path selects, post-filtered with matchFlow when the compiler asks for it. */
async function sqlIds(text: string): Promise<string[]> {
  const ast = parseFilter(text);
  const sql = compileFilter(ast);
  const rows = await all(`SELECT id FROM flows WHERE ${sql.where} ORDER BY id`, sql.params);
  let ids = rows.map((r) => String(r.id));
  if (sql.needsPostFilter)
    ids = ids.filter((id) => matchFlow(ast, FLOWS.find((f) => f.id === id) as FlowJson));
  return ids;
}

function memIds(text: string): string[] {
  const ast = parseFilter(text);
  return FLOWS.filter((f) => matchFlow(ast, f)).map((f) => f.id);
}

beforeAll(async () => {
  db = new sqlite3.Database(':memory:');
  await exec(readFileSync(resolve(import.meta.dirname, '../../src/main/store/schema.sql'), 'utf8'));
  for (const f of FLOWS) {
    await run(
      `INSERT INTO flows (id, l3, proto, proto_name, orig_src, orig_dst, orig_sport, orig_dport, reply_src, reply_dst,
        reply_sport, reply_dport, snat, dnat, first_ns, last_ns, pkts_orig, pkts_reply, bytes_orig, bytes_reply,
        interfaces, tcp_state, conn_state, ct_state, findings) VALUES (${new Array(25).fill('?').join(', ')})`,
      row(f),
    );
  }
});

afterAll(async () => {
  await new Promise<void>((res) => db.close(() => res()));
});

describe('parse errors are located', () => {
  const cases: Array<[string, string]> = [
    ['ip.addr == ', 'expected value at column 12'],
    ['ip.addr ==', 'expected value at column 11'],
    ['ip.adr == 10.0.0.1', "unknown field 'ip.adr' at column 1"],
    ['tcp.port', "expected operator after 'tcp.port' at column 9"],
    ['tcp.port == http', "expected number, got 'http' at column 13"],
    ['tcp.port == 70000', 'port out of range: 70000 at column 13'],
    ['ip.src == 10.0.0', "expected IP address or CIDR, got '10.0.0' at column 11"],
    ['ip.addr == 10.0.0.0/33', "invalid prefix length '/33' (0–32) at column 20"],
    ['(tcp || udp', "expected ')' at column 12"],
    ['tcp)', "unmatched ')' at column 4"],
    ['tcp udp', "expected && or || before 'udp' at column 5"],
    ['tcp &&', 'expected expression at column 7'],
    ['!', 'expected expression at column 2'],
    ['ip.addr > 10.0.0.1', "operator '>' does not apply to ip.addr at column 9"],
    ['packets contains 3', "operator 'contains' does not apply to packets at column 9"],
    ['iface == "eth0', 'unterminated string at column 10'],
    ['port == 80 # x', "unexpected character '#' at column 12"],
  ];
  for (const [text, message] of cases) {
    it(JSON.stringify(text), () => {
      const r = tryParseFilter(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toBe(message);
      expect(() => parseFilter(text)).toThrow(FilterError);
    });
  }
  it('reports the column on the error object', () => {
    try {
      parseFilter('state == ');
    } catch (e) {
      expect(e).toBeInstanceOf(FilterError);
      expect((e as FilterError).column).toBe(10);
    }
  });
});

describe('parse', () => {
  it('empty means everything', () => {
    expect(parseFilter('  ')).toBeNull();
    expect(compileFilter(null)).toEqual({ where: '1', params: [], needsPostFilter: false });
  });
  it('precedence: not > and > or, words and symbols alike', () => {
    expect(formatFilter(parseFilter('tcp || udp && !nat'))).toBe('(tcp || (udp && !nat))');
    expect(formatFilter(parseFilter('TCP or udp and not nat'))).toBe('(tcp || (udp && !nat))');
    expect(formatFilter(parseFilter('(tcp || udp) && nat'))).toBe('((tcp || udp) && nat)');
  });
  it('normalises values', () => {
    expect(formatFilter(parseFilter('state == established'))).toBe('state == "ESTABLISHED"');
    expect(formatFilter(parseFilter('proto eq TCP'))).toBe('proto == "tcp"');
    expect(formatFilter(parseFilter('ip.addr == 10.1.2.3/8'))).toBe('ip.addr == 10.0.0.0/8');
    expect(formatFilter(parseFilter('ip.addr == FD00:0:0::1'))).toBe('ip.addr == fd00::1');
    expect(formatFilter(parseFilter('iface = "lxc 1"'))).toBe('iface == "lxc 1"');
  });
  it('IPv6 text round-trips to RFC 5952 form', () => {
    const p = (s: string) => {
      const ip = parseIp(s);
      return ip ? formatIp(ip.family, ip.bytes) : null;
    };
    expect(p('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(p('::')).toBe('::');
    expect(p('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(p('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(p('1::2::3')).toBeNull();
    expect(p('256.1.1.1')).toBeNull();
  });
});

// Each filter with the flows it must select; checked in memory and in SQLite.
const SELECTS: Array<[string, string[]]> = [
  ['ip.addr == 10.0.0.5', ['1', '3', '4', '5']],
  ['ip.addr == 192.168.1.20', ['2']],
  ['ip.src == 10.244.1.7', ['1', '2']],
  ['ip.dst == 10.244.1.7', []],
  ['ip.dst == 10.96.0.10', ['1', '4']],
  ['ip.addr != 10.0.0.5', ['2', '6', '7']],
  ['ip.addr == 10.0.0.0/8', ['1', '2', '3', '4', '5', '7']],
  ['ip.addr == 10.244.0.0/16', ['1', '2', '4']],
  ['ip.addr == 10.244.1.0/24', ['1', '2']],
  ['ip.addr == 10.244.2.3/32', ['4']],
  ['ip.addr == 172.16.0.0/12', ['3']],
  ['ip.addr == 100.64.0.0/10', ['7']],
  ['ip.addr == 0.0.0.0/0', ['1', '2', '3', '4', '5', '7']],
  ['ip.addr == 10.244.0.0/23', ['1', '2']],
  ['!(ip.addr == 172.16.0.0/12)', ['1', '2', '4', '5', '6', '7']],
  ['ip.addr == fd00:10::/32', ['6']],
  ['ip.addr == fd00::/16', ['6']],
  ['ip.addr != fd00::/16', ['1', '2', '3', '4', '5', '7']],
  ['ip.addr == fd00::1/128', ['6']],
  ['ip.addr == fd00::1', ['6']],
  ['ip.addr contains "10.244."', ['1', '2', '4']],
  ['tcp.port == 80', ['1']],
  ['tcp.port == 53', []],
  ['udp.port == 53', ['4']],
  ['port == 53', ['4']],
  ['port == 443', ['2', '6']],
  ['tcp.srcport == 443', ['2', '6']],
  ['tcp.dstport == 8080', []],
  ['tcp.srcport == 8080', ['1']],
  ['udp.dstport == 137', ['7']],
  ['port > 60000', ['2']],
  ['port <= 22', ['3']],
  ['port <= 137', ['1', '3', '4', '7']],
  ['port != 443', ['1', '3', '4', '5', '7']],
  ['proto == tcp', ['1', '2', '3', '6']],
  ['proto != tcp', ['4', '5', '7']],
  ['proto contains cmp', ['5']],
  ['tcp', ['1', '2', '3', '6']],
  ['udp', ['4', '7']],
  ['icmp', ['5']],
  ['nat', ['1', '2', '4']],
  ['dnat', ['1', '4']],
  ['snat', ['2']],
  ['!nat', ['3', '5', '6', '7']],
  ['state == ESTABLISHED', ['1', '2']],
  ['state == established', ['1', '2']],
  ['state == TIME_WAIT', ['1']],
  ['state != ESTABLISHED', ['3', '4', '5', '6', '7']],
  ['state contains SYN', ['3']],
  ['conn_state == S0', ['3']],
  ['conn_state == rsto', ['6']],
  ['finding == syn-unanswered', ['3']],
  ['finding == retransmission', ['3']],
  ['finding == syn', []],
  ['finding contains syn', ['3']],
  ['finding != syn-unanswered', ['1', '2', '4', '5', '6', '7']],
  ['iface == eth0', ['1', '2', '3', '4', '5']],
  ['iface == eth', []],
  ['iface contains eth', ['1', '2', '3', '4', '5', '6']],
  ['flow == 3', ['3']],
  ['flow >= 6', ['6', '7']],
  ['packets > 10', ['1', '2', '6']],
  ['packets < 3', ['4', '7']],
  ['bytes >= 1000', ['1', '2', '6']],
  ['bytes == 0', ['7']],
  ['tcp && nat', ['1', '2']],
  ['tcp and not nat', ['3', '6']],
  ['udp || icmp', ['4', '5', '7']],
  ['(udp or icmp) && ip.addr == 10.0.0.5', ['4', '5']],
  ['!(tcp || udp)', ['5']],
  ['not not dnat', ['1', '4']],
  ['nat && !(ip.addr == fd00::/16) && port == 80', ['1']],
];

describe('matchFlow', () => {
  for (const [text, ids] of SELECTS) it(text, () => expect(memIds(text)).toEqual(ids));
});

describe('SQL compile agrees with matchFlow', () => {
  for (const [text, ids] of SELECTS) it(text, async () => expect(await sqlIds(text)).toEqual(ids));

  it('binds values as parameters, never as SQL text', () => {
    const sql = filterToSql(`iface == "x' OR 1=1 --"`);
    expect(sql.where).not.toContain('OR 1=1');
    expect(sql.params).toEqual([",x' OR 1=1 --,"]);
  });
  it('flags IPv6 prefixes for a post-filter only', () => {
    expect(filterToSql('ip.addr == 10.0.0.0/13').needsPostFilter).toBe(false);
    expect(filterToSql('ip.addr == fd00::/64').needsPostFilter).toBe(true);
    expect(filterToSql('ip.addr == fd00::1/128').needsPostFilter).toBe(false);
  });
  it('rejects bad text with the parse error', () => {
    expect(() => filterToSql('bytes >')).toThrow('expected value at column 8');
  });
});
