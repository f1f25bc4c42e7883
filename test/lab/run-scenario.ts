// Runs one lab scenario (scripts/lab/run.sh) and loads the kernel truth it produced.
// Shared by lab.test.ts and by the comparison of pathlens' report with truth.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');

export interface Tuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
}

export interface Counters {
  orig?: { packets?: number; bytes?: number };
  reply?: { packets?: number; bytes?: number };
}

export interface TruthFlow {
  key: string;
  id: number;
  family: string;
  proto: string;
  protonum: number;
  orig: Tuple;
  reply: Tuple;
  events: Array<{ ts: number; type: string; state?: string; timeout?: number; flags: string[] }>;
  event_types: string[];
  states: string[];
  first_ts: number;
  last_ts: number;
  destroyed: boolean;
  assured: boolean;
  nat: { snat: boolean; dnat: boolean; before: Tuple; after: Tuple };
  final: { source: string; state?: string; flags: string[]; counters?: Counters; mark?: number } | null;
  traced_packets: number;
}

export interface TruthPacket {
  index: number;
  trace_id: string;
  kind: string;
  proto: string | null;
  path: string[];
  chains: string[];
  verdict: string | null;
  verdict_rule: string | null;
  flow_id?: number;
  flow_dir?: string;
  l4?: Record<string, string | number>;
}

export interface TruthExpect {
  name: string;
  kind: string;
  ok: boolean;
  observed: unknown;
}

export interface IcmpError {
  ts: number;
  ifindex: number | null;
  src: string;
  dst: string;
  type: number;
  code: number;
  inner?: { src?: string; dst?: string; proto?: number; sport?: number; dport?: number };
  mtu?: number;
}

export interface Truth {
  schema: string;
  scenario: string;
  node_netns: string;
  summary: Record<string, unknown> & { capture_pcap_records: number; flows: number };
  expect: TruthExpect[];
  flows: TruthFlow[];
  packets: TruthPacket[];
  routes: Array<{ query: string; rc: number; result?: Array<Record<string, unknown>>; error?: string }>;
  conntrack_stats: { before?: unknown; after?: unknown; delta?: Record<string, number> };
  rules: Array<{
    family: string;
    table: string;
    chain: string;
    rule?: string;
    policy?: string;
    packets: number;
    bytes: number;
  }>;
  capture: {
    records: number;
    linktype?: number;
    icmp_errors: IcmpError[];
    tcp_syn_retransmitted: Record<string, number>;
    tcp_rst: unknown[];
  };
}

export interface Meta {
  scenario: string;
  run_id: string;
  node_netns: string;
  namespaces: Record<string, string>;
  processes: Array<{ pid: number; name: string; netns: string }>;
  notes: string[];
}

export interface ScenarioRun {
  dir: string;
  truth: Truth;
  meta: Meta;
  /** stderr of the run (truth.py's summary line, failed expectations) */
  log: string;
}

/** True when this process can create network namespaces (root and `ip netns add` works). */
export function canCreateNamespaces(): { ok: boolean; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'not Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root' };
  const probe = `pl-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error || add.status !== 0) {
    return { ok: false, reason: `ip netns add failed: ${add.error?.message ?? add.stderr.trim()}` };
  }
  spawnSync('ip', ['netns', 'del', probe]);
  return { ok: true, reason: '' };
}

/** Runs `npm run lab -- <name> <outDir>` (without npm) and returns the kernel truth. */
export async function runScenario(name: string, outDir: string, timeoutMs = 90_000): Promise<ScenarioRun> {
  // asynchronous: a scenario runs for seconds, and the test worker must keep answering its runner
  const r = await new Promise<{ status: number | null; error?: Error; stderr: string }>((resolve) => {
    const child = spawn('bash', [join(REPO, 'scripts/lab/run.sh'), name, outDir], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // SIGTERM: the scenario's trap then removes its namespaces
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => resolve({ status: null, error, stderr }));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
  if (r.error || r.status !== 0) {
    throw new Error(
      `lab scenario ${name} failed (status ${r.status}): ${r.error?.message ?? ''}\n${r.stderr}`,
    );
  }
  const truthPath = join(outDir, 'truth.json');
  if (!existsSync(truthPath)) throw new Error(`lab scenario ${name} wrote no truth.json`);
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;
  const meta = JSON.parse(readFileSync(join(outDir, 'meta.json'), 'utf8')) as Meta;
  return { dir: outDir, truth, meta, log: r.stderr };
}

/** Names of the network namespaces that currently exist. */
export function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** True when a process with this PID exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
