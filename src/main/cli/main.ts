// pathlens command line (shared/spec/cli.md): ingest | report | serve | open.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Kind } from '../context/detect';
import { KINDS } from '../context/detect';
import type { IngestProgress } from '../../shared/api';
import type { IngestResult } from '../ingest/pipeline';
import { defaultCasePath } from '../ingest/pipeline';
import { startIngest } from '../ingest/run';
import { openCase } from '../store/db';
import { renderReport } from '../report/render';
import type { ReportFormat } from '../../shared/api';
import { TOOL_VERSION } from '../version';
import { allFlows, listInputs } from '../store/queries';
import { exportPcapng } from '../report/export-pcap';
import { flowsMatching } from '../server/engine';

const USAGE = `pathlens ${TOOL_VERSION} — what the kernel did with every packet: conntrack, NAT, routes, Netfilter

usage:
  pathlens ingest INPUT... [--db CASE.sqlite] [--kind KIND=PATH]... [--quiet]
  pathlens report (INPUT... | --db CASE.sqlite) [--format json|html|csv|md] [--out FILE]
                  [--flow ID]... [--packets]
  pathlens export-pcap (INPUT... | --db CASE.sqlite) --out FILE.pcapng [--flow ID]... [--filter EXPR]
                  (the selected flows' packets from their original captures, for Wireshark)
  pathlens serve  (INPUT... | --db CASE.sqlite) [--host 127.0.0.1] [--port N]
  pathlens open   [INPUT... | CASE.sqlite]
  pathlens --help | --version

INPUT is a file, a directory (recursively) or a .tar.gz bundle; kinds are detected from content:
  ${KINDS.join(', ')}
`;

class UsageError extends Error {}

interface Args {
  cmd: string;
  inputs: string[];
  db: string | null;
  kinds: Record<string, Kind>;
  quiet: boolean;
  format: ReportFormat;
  out: string | null;
  flows: string[];
  packets: boolean;
  host: string;
  port: number;
  filter: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    cmd: '',
    inputs: [],
    db: null,
    kinds: {},
    quiet: false,
    format: 'json',
    out: null,
    flows: [],
    packets: false,
    host: '127.0.0.1',
    port: 0,
    filter: null,
  };
  const need = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || (v.startsWith('--') && v.length > 2))
      throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (!a.cmd && !x.startsWith('-')) {
      a.cmd = x;
      continue;
    }
    switch (x) {
      case '--db':
        a.db = need(++i, x);
        break;
      case '--kind': {
        const v = need(++i, x);
        const eq = v.indexOf('=');
        const k = v.slice(0, eq) as Kind;
        if (eq < 1 || !(KINDS as readonly string[]).includes(k))
          throw new UsageError(`--kind wants KIND=PATH with KIND one of ${KINDS.join(', ')}`);
        a.kinds[resolve(v.slice(eq + 1))] = k;
        a.kinds[v.slice(eq + 1)] = k;
        break;
      }
      case '--quiet':
      case '-q':
        a.quiet = true;
        break;
      case '--format': {
        const v = need(++i, x);
        if (!['json', 'html', 'csv', 'md'].includes(v))
          throw new UsageError('--format is one of json, html, csv, md');
        a.format = v as ReportFormat;
        break;
      }
      case '--out':
      case '-o':
        a.out = need(++i, x);
        break;
      case '--flow':
        a.flows.push(need(++i, x));
        break;
      case '--filter':
        a.filter = need(++i, x);
        break;
      case '--packets':
        a.packets = true;
        break;
      case '--host':
        a.host = need(++i, x);
        break;
      case '--port': {
        const v = Number(need(++i, x));
        if (!Number.isInteger(v) || v < 0 || v > 65535) throw new UsageError('--port wants 0..65535');
        a.port = v;
        break;
      }
      case '--help':
      case '-h':
        a.cmd = 'help';
        break;
      case '--version':
      case '-V':
        a.cmd = 'version';
        break;
      default:
        if (x.startsWith('-')) throw new UsageError(`unknown option ${x}`);
        a.inputs.push(x);
    }
  }
  return a;
}

function progressBar(quiet: boolean): (p: IngestProgress) => void {
  if (quiet || !process.stderr.isTTY) return () => {};
  return (p) => {
    if (p.phase !== 'capture') return;
    const frac = p.bytesTotal ? p.bytesDone / p.bytesTotal : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const eta = p.etaSec !== null ? `${Math.ceil(p.etaSec)}s` : '?';
    process.stderr.write(
      `\r[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${(p.bytesDone / 1e6).toFixed(1)}/${(p.bytesTotal / 1e6).toFixed(1)} MB ` +
        `${p.records} records ${Math.round(p.recordsPerSec)}/s ETA ${eta}   `,
    );
  };
}

/** Prints the per-input summary with located warnings; returns the number of usable inputs. */
async function printSummary(r: IngestResult, quiet: boolean, toStderr: boolean): Promise<number> {
  const say = toStderr ? console.error : console.log;
  if (process.stderr.isTTY && !quiet) process.stderr.write('\n');
  const db = await openCase(r.dbPath);
  const inputs = await listInputs(db);
  await db.close();
  let usable = 0;
  for (const i of inputs) {
    if (i.kind === 'unknown') console.error(`${i.path}: unknown kind, skipped`);
    else usable++;
    const shown = i.warnings.slice(0, quiet ? 5 : 50);
    for (const w of shown) {
      const where = w.line !== undefined ? `:${w.line}` : w.offset !== undefined ? `@${w.offset}` : '';
      console.error(`${i.path}${where}: warning: ${w.message}`);
    }
    if (i.warnings.length > shown.length)
      console.error(
        `${i.path}: … ${i.warnings.length - shown.length} more warnings (see the case file's warnings table)`,
      );
  }
  const rate = r.seconds > 0 ? Math.round(r.packets / r.seconds) : 0;
  say(
    `${r.dbPath}: ${inputs.length} input(s), ${r.packets} packets, ${r.flows} flows in ${r.seconds.toFixed(2)} s (${rate} records/s)${r.cancelled ? ', cancelled' : ''}`,
  );
  if (!quiet)
    for (const i of inputs) say(`  ${i.kind.padEnd(17)} ${String(i.records).padStart(9)}  ${i.path}`);
  return usable;
}

async function doIngest(
  a: Args,
  dbPath: string,
  quiet: boolean,
  forReport = false,
): Promise<{ result: IngestResult; usable: number }> {
  for (const p of a.inputs) if (!existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
  const job = startIngest({ dbPath, inputs: a.inputs, kinds: a.kinds }, progressBar(quiet));
  const onSig = (): void => job.cancel();
  process.once('SIGINT', onSig);
  try {
    const result = await job.result;
    const usable = await printSummary(result, quiet, forReport);
    return { result, usable };
  } finally {
    process.off('SIGINT', onSig);
  }
}

/** Runs the CLI; returns the exit status (0 ok, 1 nothing usable, 2 bad usage). */
export async function main(argv: string[]): Promise<number> {
  let a: Args;
  try {
    a = parseArgs(argv);
  } catch (e) {
    console.error(`pathlens: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (a.cmd) {
      case 'help':
        console.log(USAGE);
        return 0;
      case 'version':
        console.log(TOOL_VERSION);
        return 0;
      case 'ingest': {
        if (!a.inputs.length) throw new UsageError('ingest needs at least one INPUT');
        const { usable } = await doIngest(a, a.db ?? defaultCasePath(a.inputs), a.quiet);
        return usable > 0 ? 0 : 1;
      }
      case 'report':
      case 'export-pcap': {
        if (a.cmd === 'export-pcap' && !a.out) throw new UsageError('export-pcap needs --out FILE.pcapng');
        let dbPath = a.db;
        let tmp: string | null = null;
        if (a.inputs.length) {
          tmp = mkdtempSync(join(tmpdir(), 'pathlens-'));
          dbPath = join(tmp, 'case.pathlens.sqlite');
          // stdout is the report: the ingest's summary and warnings go to stderr
          const { usable } = await doIngest(a, dbPath, true, true);
          if (!usable) return 1;
        } else if (!dbPath) throw new UsageError('report needs INPUT... or --db CASE.sqlite');
        try {
          const db = await openCase(dbPath!);
          try {
            if (a.cmd === 'export-pcap') {
              let ids = a.flows;
              if (a.filter)
                ids = (await flowsMatching(db, a.filter)).filter(
                  (id) => !a.flows.length || a.flows.includes(id),
                );
              if (!ids.length && !a.filter) ids = (await allFlows(db)).map((f) => f.id);
              const r = await exportPcapng(db, ids, a.out!);
              console.error(
                `${a.out}: ${r.packets} packets of ${ids.length} flow(s), ${r.interfaces} interface(s)`,
              );
              return 0;
            }
            const doc = await renderReport(db, a.format, { flows: a.flows, packets: a.packets });
            if (a.out) writeFileSync(a.out, doc.content);
            else process.stdout.write(doc.content.endsWith('\n') ? doc.content : doc.content + '\n');
          } finally {
            await db.close();
          }
        } finally {
          if (tmp) rmSync(tmp, { recursive: true, force: true });
        }
        return 0;
      }
      case 'serve':
      case 'open': {
        const { serveCommand } = await import('./serve');
        return await serveCommand(a.cmd, a.inputs, a.db, a.host, a.port, a.kinds);
      }
      case '':
        console.error(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command ${a.cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`pathlens: ${e.message}`);
      return 2;
    }
    console.error(`pathlens: ${(e as Error).message}`);
    return 1;
  }
}
