// scripts/pathlens-collect.sh, run for real inside a network namespace this test creates,
// while one namespace pings the other. Needs root; skipped (with the reason printed) when
// namespaces cannot be created.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, canCreateNamespaces, listNamespaces } from '../lab/run-scenario';

const netns = canCreateNamespaces();
if (!netns.ok)
  console.warn(`test/collect: skipped, network namespaces cannot be created here (${netns.reason})`);

const id = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const NODE = `pl-collect-node-${id}`;
const PEER = `pl-collect-peer-${id}`;
const work = mkdtempSync(join(tmpdir(), 'pl-collect-test-'));
const bundle = join(work, 'bundle.tar.gz');
const COLLECT = join(REPO, 'scripts/pathlens-collect.sh');

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function cleanup(): void {
  for (const ns of [NODE, PEER]) {
    // processes started in our namespaces can only be ours (ping): end them by PID
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split(/\s+/)
      .filter(Boolean);
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

describe.skipIf(!netns.ok)('pathlens-collect.sh', () => {
  let collect: { status: number | null; stderr: string } = { status: null, stderr: '' };
  let members: string[] = [];

  beforeAll(async () => {
    // Two namespaces joined by a veth pair (created from inside NODE: the root namespace is untouched).
    sh('ip', ['netns', 'add', NODE]);
    sh('ip', ['netns', 'add', PEER]);
    sh('ip', ['-n', NODE, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', PEER, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', NODE, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', PEER]);
    sh('ip', ['-n', NODE, 'addr', 'add', '10.99.0.1/24', 'dev', 'eth0']);
    sh('ip', ['-n', PEER, 'addr', 'add', '10.99.0.2/24', 'dev', 'eth0']);
    sh('ip', ['-n', NODE, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', PEER, 'link', 'set', 'eth0', 'up']);
    // A conntrack-using rule, so that conntrack is active in the node namespace (events).
    sh('ip', [
      'netns',
      'exec',
      NODE,
      'iptables',
      '-A',
      'INPUT',
      '-m',
      'conntrack',
      '--ctstate',
      'INVALID',
      '-j',
      'DROP',
    ]);
    // ping from the peer, bounded; it starts 1.5 s late so that the collector's conntrack
    // listener sees the flow's NEW event (ICMP echo with one id is one conntrack flow)
    const ping = spawn(
      'ip',
      ['netns', 'exec', PEER, 'timeout', '8', 'sh', '-c', 'sleep 1.5; exec ping -n -i 0.2 10.99.0.1'],
      { stdio: 'ignore' },
    );
    const collector = spawnSync(
      'ip',
      ['netns', 'exec', NODE, COLLECT, '--duration', '3', '--trace', '-p icmp', '--out', bundle],
      { encoding: 'utf8', timeout: 60_000 },
    );
    collect = { status: collector.status, stderr: collector.stderr };
    ping.kill('SIGTERM');
    if (existsSync(bundle)) members = sh('tar', ['tzf', bundle]).split('\n').filter(Boolean);
  }, 90_000);

  afterAll(() => {
    cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes a bundle with the expected files', () => {
    expect(collect.status, collect.stderr).toBe(0);
    const names = members.map((m) => m.split('/').slice(1).join('/')).filter(Boolean);
    // files that cannot be empty here (empty ones are omitted and listed in collect.json)
    for (const f of [
      'capture.pcap',
      'conntrack-events.log',
      'conntrack-table-end.txt',
      'conntrack-stats-start.txt',
      'conntrack-stats-end.txt',
      'ip-addr.json',
      'ip-link.json',
      'ip-route.json',
      'ip-route6.json',
      'ip-rule.json',
      'ip-rule6.json',
      'iptables-save.txt',
      'nft-ruleset.json',
      'sysctl.txt',
      'trace.log',
      'collect.json',
    ]) {
      expect(names).toContain(f);
    }
    // the rest is there or listed as omitted because empty
    const dir = join(work, 'list');
    sh('mkdir', ['-p', dir]);
    sh('tar', ['xzf', bundle, '-C', dir, '--strip-components=1']);
    const meta = JSON.parse(readFileSync(join(dir, 'collect.json'), 'utf8')) as {
      empty_files_omitted: string[];
    };
    for (const f of ['conntrack-table-start.txt', 'ip6tables-save.txt', 'dmesg-conntrack.txt'])
      expect(names.includes(f) || meta.empty_files_omitted.includes(f)).toBe(true);
    // one top-level folder
    expect(new Set(members.map((m) => m.split('/')[0])).size).toBe(1);
  });

  it('recorded the ping: packets, conntrack events and traced packets', () => {
    const dir = join(work, 'x');
    sh('mkdir', ['-p', dir]);
    sh('tar', ['xzf', bundle, '-C', dir, '--strip-components=1']);
    expect(readFileSync(join(dir, 'capture.pcap')).length).toBeGreaterThan(24 + 10 * 16);
    const events = readFileSync(join(dir, 'conntrack-events.log'), 'utf8');
    expect(events).toMatch(/\[NEW\] ipv4\s+2 icmp\s+1 \d+ src=10\.99\.0\.2 dst=10\.99\.0\.1 type=8/);
    const trace = readFileSync(join(dir, 'trace.log'), 'utf8');
    expect(trace).toMatch(/PACKET: 2 [0-9a-f]{8} IN=eth0 .*SRC=10\.99\.0\.2 DST=10\.99\.0\.1/);
    expect(trace).toContain('pathlens-collect-trace');
    const sysctl = readFileSync(join(dir, 'sysctl.txt'), 'utf8');
    for (const k of [
      'net.ipv4.ip_forward',
      'rp_filter',
      'route_localnet',
      'nf_conntrack_max',
      'nf_conntrack_tcp_be_liberal',
      'nf_conntrack_tcp_loose',
    ])
      expect(sysctl).toContain(k);
    const meta = JSON.parse(readFileSync(join(dir, 'collect.json'), 'utf8')) as {
      trace_filter: string;
      warnings: string[];
    };
    expect(meta.trace_filter).toBe('-p icmp');
    expect(meta.warnings).toEqual([]);
  });

  it('removed its trace rules', () => {
    const raw = sh('ip', ['netns', 'exec', NODE, 'iptables', '-t', 'raw', '-S']);
    expect(raw).not.toContain('TRACE');
    expect(raw).not.toContain('pathlens-collect-trace');
  });

  it.skipIf(!existsSync(join(REPO, 'src/main/cli/main.ts')))(
    'is read by pathlens ingest with no warnings',
    () => {
      const db = join(work, 'bundle.pathlens.sqlite');
      const r = spawnSync('node', [join(REPO, 'bin/pathlens.mjs'), 'ingest', bundle, '--db', db, '--quiet'], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/warn/i);
      // without --quiet: every member but collect.json is of a known kind
      const loud = spawnSync('node', [join(REPO, 'bin/pathlens.mjs'), 'ingest', bundle, '--db', `${db}2`], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 60_000,
      });
      const unknown = `${loud.stdout}${loud.stderr}`
        .split('\n')
        .filter((l) => /unknown kind/.test(l) && !l.includes('collect.json'));
      expect(unknown).toEqual([]);
    },
  );

  it('leaves no namespace behind after cleanup', () => {
    cleanup();
    const left = listNamespaces().filter((n) => n.endsWith(id) && n.startsWith('pl-collect-'));
    expect(left).toEqual([]);
  });
});
