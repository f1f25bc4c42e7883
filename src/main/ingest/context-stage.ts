// Text inputs → parsed records in the case file and in the HostContext used by the analysis.
import type { Kind } from '../context/detect';
import { parseConntrack, parseConntrackStats } from '../context/conntrack';
import { parseIptablesSave } from '../context/iptables-save';
import { parseNft } from '../context/nft';
import type { TextWarning } from '../context/types';
import { parseIpAddr } from '../context/ip-addr';
import { parseIpRoute } from '../context/ip-route';
import { parseIpRule } from '../context/ip-rule';
import { parseSysctl } from '../context/sysctl';
import { parseTrace } from '../context/trace';
import type { HostContext } from '../analysis/host-context';
import type { Db } from '../store/db';
import { SqlRowInserter } from '../store/writer';

/** Result of reading one text input. */
export interface ContextReadResult {
  records: number;
  warnings: number;
}

let ctRowId = 1;

async function writeWarnings(db: Db, input: number, warnings: TextWarning[]): Promise<void> {
  for (const w of warnings)
    await db.run('INSERT INTO warnings (input_id, line, message) VALUES (?,?,?)', [input, w.line, w.message]);
}

// `[ 1234.5678] nf_conntrack: nf_conntrack: table full, dropping packet` (dmesg or journal framing)
const KERNEL_CT = /(?:^\[\s*\d+\.\d+\]\s*|\bkernel:\s*)nf_conntrack:/;

/** The fields iptables-save and nft rules share. */
interface RuleLike {
  line: number;
  family: string;
  table: string;
  chain: string;
  index: number;
  text: string;
  counters?: { packets: number; bytes: number };
}

/** Rules of a ruleset dump (iptables-save or nft), in chain order. */
async function writeRules<R extends RuleLike>(
  db: Db,
  input: number,
  rules: R[],
  target: (r: R) => string,
): Promise<void> {
  const w = new SqlRowInserter(db, 'ruleset_rules', [
    'input_id',
    'line',
    'family',
    'tbl',
    'chain',
    'idx',
    'text',
    'packets',
    'bytes',
    'target',
  ]);
  for (const r of rules) {
    const p = w.add([
      input,
      r.line,
      r.family,
      r.table,
      r.chain,
      r.index,
      r.text,
      r.counters?.packets ?? null,
      r.counters?.bytes ?? null,
      target(r),
    ]);
    if (p) await p;
  }
  await w.flush();
}

/** Parses one text input of a known kind, stores its records, and adds them to the context. */
export async function readContextFile(
  db: Db,
  input: number,
  kind: Kind,
  text: string,
  ctx: HostContext,
  lineOffset = 0,
): Promise<ContextReadResult> {
  switch (kind) {
    case 'conntrack-events':
    case 'conntrack-table': {
      const r = parseConntrack(text);
      // a piece of a large log (see pipeline.ts): lines count from the start of the file
      if (lineOffset) {
        for (const rec of r.records) rec.line += lineOffset;
        for (const w of r.warnings) w.line += lineOffset;
      }
      const w = new SqlRowInserter(db, 'ct_events', [
        'id',
        'input_id',
        'line',
        'ts',
        'type',
        'l3',
        'proto',
        'state',
        'timeout',
        'ct_id',
        'orig',
        'reply',
        'status',
        'mark',
        'zone',
        'raw',
      ]);
      for (const rec of r.records) {
        if (rec.kind !== 'flow') continue;
        const rowId = ctRowId++;
        const p = w.add([
          rowId,
          input,
          rec.line,
          rec.ts,
          rec.type ?? 'SNAPSHOT',
          rec.l3,
          rec.proto,
          rec.state,
          rec.timeout,
          rec.id,
          JSON.stringify(rec.orig),
          JSON.stringify(rec.reply),
          rec.status.join(','),
          rec.mark,
          rec.zone,
          JSON.stringify(rec),
        ]);
        if (p) await p;
        ctx.ctEvents.push({ rec, input, rowId });
      }
      await w.flush();
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'conntrack-stats': {
      // Kernel log lines about conntrack (`dmesg | grep conntrack`, as the collector saves them) are
      // the table's own complaint when it is full: counted here, the rest parsed as counters.
      const lines = text.split('\n');
      let kernelLines = 0;
      for (let k = 0; k < lines.length; k++) {
        const m = KERNEL_CT.exec(lines[k]!);
        if (!m) continue;
        kernelLines++;
        if (/table full/i.test(lines[k]!)) ctx.ctTableFull.push({ line: k + 1, text: lines[k]!.trim() });
        lines[k] = '';
      }
      const r = parseConntrackStats(kernelLines ? lines.join('\n') : text);
      if (kernelLines) {
        await db.run('INSERT INTO ct_stats (input_id, section, cpu, name, value) VALUES (?,?,?,?,?)', [
          input,
          'kernel log',
          null,
          'table_full_messages',
          ctx.ctTableFull.length,
        ]);
      }
      let n = kernelLines;
      for (const sec of r.records) {
        const totals: Record<string, number> = {};
        for (const cpu of sec.cpus) {
          for (const [name, value] of Object.entries(cpu.counters)) {
            await db.run('INSERT INTO ct_stats (input_id, section, cpu, name, value) VALUES (?,?,?,?,?)', [
              input,
              sec.label,
              cpu.cpu,
              name,
              value,
            ]);
            totals[name] = (totals[name] ?? 0) + value;
            n++;
          }
        }
        if (sec.count !== null) {
          await db.run('INSERT INTO ct_stats (input_id, section, cpu, name, value) VALUES (?,?,?,?,?)', [
            input,
            sec.label,
            null,
            'count',
            sec.count,
          ]);
          totals.count = sec.count;
          n++;
        }
        ctx.ctStats.push({ section: sec.label, totals });
      }
      await writeWarnings(db, input, r.warnings);
      return { records: n, warnings: r.warnings.length };
    }
    case 'iptables-save': {
      const r = parseIptablesSave(text);
      for (const t of r.ruleset.tables) {
        for (const c of t.chains) {
          await db.run(
            'INSERT INTO ruleset_chains (input_id, family, tbl, chain, hook, priority, policy, packets, bytes) VALUES (?,?,?,?,?,?,?,?,?)',
            [
              input,
              c.family,
              t.name,
              c.name,
              c.builtin ? c.name : null,
              null,
              c.policy,
              c.counters?.packets ?? null,
              c.counters?.bytes ?? null,
            ],
          );
        }
      }
      await writeRules(db, input, r.records, (rule) => rule.target.kind);
      if (r.ruleset.tables.length) {
        const fam = r.ruleset.family;
        // A second dump of the same family (e.g. legacy and nft backends) adds its tables.
        const prev = ctx.iptables[fam];
        ctx.iptables[fam] = prev ? { ...prev, tables: [...prev.tables, ...r.ruleset.tables] } : r.ruleset;
      }
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'nft-ruleset': {
      const r = parseNft(text);
      await writeRules(db, input, r.records, (rule) => rule.verdict.kind);
      ctx.nft.push(r.ruleset);
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'ip-addr': {
      const r = parseIpAddr(text);
      for (const l of r.records) {
        const addrs = l.addrs.map((a) => `${a.local}/${a.prefixlen}`);
        await db.run(
          'INSERT INTO host_interfaces (input_id, ifindex, name, mac, mtu, flags, addrs) VALUES (?,?,?,?,?,?,?)',
          [input, l.ifindex, l.ifname, l.mac, l.mtu, l.flags.join(','), JSON.stringify(addrs)],
        );
        const prev = ctx.ifaces.find((i) => i.name === l.ifname);
        if (prev) {
          for (const a of addrs) if (!prev.addrs.includes(a)) prev.addrs.push(a);
          prev.ifindex ??= l.ifindex;
          prev.mac ??= l.mac;
        } else ctx.ifaces.push({ ifindex: l.ifindex, name: l.ifname, mac: l.mac, mtu: l.mtu, addrs });
        ctx.links.push(l);
      }
      if (r.records.some((l) => l.addrs.length)) ctx.ifaceSource = 'ip-addr';
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'ip-route': {
      const r = parseIpRoute(text);
      const w = new SqlRowInserter(db, 'routes', [
        'input_id',
        'line',
        'family',
        'tbl',
        'type',
        'dst',
        'gateway',
        'dev',
        'prefsrc',
        'metric',
        'raw',
      ]);
      for (const rt of r.records) {
        const p = w.add([
          input,
          rt.line,
          rt.family,
          rt.table,
          rt.type,
          rt.dst,
          rt.gateway,
          rt.dev,
          rt.prefsrc,
          rt.metric,
          JSON.stringify(rt),
        ]);
        if (p) await p;
        // the same route from a JSON and a text dump of one table is one route
        if (
          !ctx.routes.some(
            (x) =>
              x.table === rt.table &&
              x.dst === rt.dst &&
              x.type === rt.type &&
              x.dev === rt.dev &&
              x.metric === rt.metric &&
              x.gateway === rt.gateway,
          )
        )
          ctx.routes.push(rt);
      }
      await w.flush();
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'ip-rule': {
      const r = parseIpRule(text);
      for (const rule of r.records) {
        await db.run('INSERT INTO rules (input_id, line, family, priority, raw) VALUES (?,?,?,?,?)', [
          input,
          rule.line,
          rule.family,
          rule.priority,
          JSON.stringify(rule),
        ]);
        if (
          !ctx.rules.some((x) => JSON.stringify({ ...x, line: 0 }) === JSON.stringify({ ...rule, line: 0 }))
        )
          ctx.rules.push(rule);
      }
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'sysctl': {
      const r = parseSysctl(text);
      for (const e of r.records)
        await db.run('INSERT INTO sysctls (input_id, key, value) VALUES (?,?,?)', [input, e.key, e.value]);
      for (const [k, v] of Object.entries(r.values)) ctx.sysctls.set(k, v);
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'trace': {
      const r = parseTrace(text);
      const list: Array<{ t: (typeof r.records)[number]; rowId: number }> = [];
      for (const t of r.records) {
        const h = t.headerFirst;
        const res = await db.run(
          'INSERT INTO trace_packets (input_id, line, trace_id, seen_at, kind, src, dst, proto, sport, dport, ip_id, verdict, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
          [
            input,
            t.firstLine,
            t.traceId,
            t.seenAt ?? null,
            t.kind,
            h.src ?? null,
            h.dst ?? null,
            h.proto ?? null,
            h.sport ?? null,
            h.dport ?? null,
            h.ipid ?? null,
            t.verdict,
            JSON.stringify(t),
          ],
        );
        list.push({ t, rowId: res.lastID });
      }
      ctx.traceInputs.push({ input, traversals: list });
      await writeWarnings(db, input, r.warnings);
      return { records: r.records.length, warnings: r.warnings.length };
    }
    case 'pcap':
    case 'pcapng':
      throw new Error(`${kind} is not a text input`);
  }
}
