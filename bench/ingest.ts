// Ingest benchmark (issue 2): a capture of ≥ 1M records, the full pathlens ingest in its worker,
// and tshark's `-z conv,tcp` on the same file in the same run. Prints records/s, MB/s, peak RSS.
// Usage: npm run bench -- ingest [RECORDS] [FILE.pcap]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { synthCapture } from './synth';
import { startIngest } from '../src/main/ingest/run';

const records = Number(process.argv[2] ?? 1_200_000);
const dataDir = resolve(import.meta.dirname, '.data');
mkdirSync(dataDir, { recursive: true });
const file = process.argv[3] ?? join(dataDir, `nat-${records}.pcap`);
if (!existsSync(file)) {
  const t = Date.now();
  const n = synthCapture(file, records);
  console.log(`synthesised ${file}: ${n} records in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
const size = statSync(file).size;
const db = join(dataDir, 'bench.pathlens.sqlite');
for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });

const t0 = process.hrtime.bigint();
const job = startIngest({ dbPath: db, inputs: [file] });
const r = await job.result;
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
// the worker runs in this process: maxRSS covers engine, SQLite and the worker thread
const rssMb = process.resourceUsage().maxRSS / 1024;
console.log(
  `pathlens ingest: ${r.packets} records, ${r.flows} flows, ${(size / 1e6).toFixed(1)} MB in ${secs.toFixed(2)} s`,
);
console.log(
  `  ${Math.round(r.packets / secs)} records/s, ${(size / 1e6 / secs).toFixed(1)} MB/s, peak RSS ${rssMb.toFixed(0)} MB`,
);

let tsharkSecs: number | null = null;
if (spawnSync('tshark', ['-v']).status === 0) {
  const t1 = process.hrtime.bigint();
  const out = spawnSync('/usr/bin/time', ['-f', '%M', 'tshark', '-n', '-r', file, '-q', '-z', 'conv,tcp'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  tsharkSecs = Number(process.hrtime.bigint() - t1) / 1e9;
  const kb = Number(/(\d+)\s*$/.exec(out.stderr.trim())?.[1] ?? NaN);
  console.log(
    `tshark -z conv,tcp: ${tsharkSecs.toFixed(2)} s, ${Math.round(r.packets / tsharkSecs)} records/s, peak RSS ${(kb / 1024).toFixed(0)} MB`,
  );
  console.log(`ratio pathlens/tshark speed: ${(tsharkSecs / secs).toFixed(2)}x`);
} else console.log('tshark not installed: no comparison');
try {
  console.log(
    `case file: ${(statSync(db).size / 1e6).toFixed(0)} MB; sqlite3 ${execFileSync('sqlite3', ['--version']).toString().split(' ')[0]}`,
  );
} catch {
  /* sqlite3 shell is optional */
}
