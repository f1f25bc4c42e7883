// Findings that the shipped kernel runs show (the UDP insert race), and the one no namespace here can
// reproduce (a full conntrack table: nf_conntrack_max is read-only inside a netns on this kernel),
// checked from the counters `conntrack -S` prints when it happens.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/main/ingest/pipeline';
import { openCase } from '../../src/main/store/db';
import { listFindings } from '../../src/main/store/queries';
import { LAB } from '../paths';

const tmp = mkdtempSync(join(tmpdir(), 'pathlens-findings-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function findings(inputs: string[], name: string): Promise<Awaited<ReturnType<typeof listFindings>>> {
  const db = join(tmp, `${name}.sqlite`);
  await ingest({ dbPath: db, inputs });
  const c = await openCase(db);
  try {
    return await listFindings(c);
  } finally {
    await c.close();
  }
}

describe('findings', () => {
  it('conntrack-insert-race in the shipped udp-dns run (clash_resolve > 0, losers without NEW)', async () => {
    const f = await findings([join(LAB, 'udp-dns')], 'udp-dns');
    const race = f.find((x) => x.kind === 'conntrack-insert-race');
    expect(race).toBeDefined();
    expect(race!.flows.length).toBeGreaterThan(0);
    expect(race!.evidence?.join(' ')).toMatch(/clash_resolve \+\d+/);
  });

  it('conntrack-insert-race from the capture alone: one per clash loser the kernel logged', async () => {
    const truth = JSON.parse(readFileSync(join(LAB, 'udp-dns', 'truth.json'), 'utf8')) as {
      flows: unknown[];
      sources: { flows: { flows_without_NEW_event: number } };
    };
    const inputs = ['capture.pcap', 'ip-addr.json', 'ip-route.json', 'iptables-save.txt'].map((f) =>
      join(LAB, 'udp-dns', f),
    );
    const f = await findings(inputs, 'udp-dns-capture-only');
    const races = f.filter((x) => x.kind === 'conntrack-insert-race');
    expect(races.length).toBe(truth.sources.flows.flows_without_NEW_event);
    const db = await openCase(join(tmp, 'udp-dns-capture-only.sqlite'));
    try {
      expect((await db.get<{ n: number }>('SELECT count(*) AS n FROM flows'))?.n).toBe(truth.flows.length);
    } finally {
      await db.close();
    }
  });

  it('conntrack-table-full from the kernel log the collector saves (dmesg | grep conntrack)', async () => {
    const log = join(tmp, 'dmesg-conntrack.txt');
    writeFileSync(
      log,
      [
        '[ 8123.456789] nf_conntrack: default automatic helper assignment has been turned off for security reasons',
        '[ 9001.000001] nf_conntrack: nf_conntrack: table full, dropping packet',
        '[ 9001.250002] nf_conntrack: nf_conntrack: table full, dropping packet',
        '',
      ].join('\n'),
    );
    const db = join(tmp, 'dmesg.sqlite');
    const r = await ingest({ dbPath: db, inputs: [log] });
    expect(r.inputs[0]).toMatchObject({ kind: 'conntrack-stats', warnings: 0 });
    const c = await openCase(db);
    try {
      const full = (await listFindings(c)).find((x) => x.kind === 'conntrack-table-full');
      expect(full?.summary).toMatch(/2 kernel "table full, dropping packet" message/);
      expect(full?.evidence).toContain(
        'kernel log line 2: [ 9001.000001] nf_conntrack: nf_conntrack: table full, dropping packet',
      );
    } finally {
      await c.close();
    }
  });

  it('conntrack-table-full from conntrack -S drop counters', async () => {
    const stats = join(tmp, 'conntrack-stats.txt');
    const row = (drop: number, early: number): string =>
      `cpu=0   \tfound=0 invalid=3 insert=0 insert_failed=${drop} drop=${drop} early_drop=${early} error=0 search_restart=0 clash_resolve=0 chaintoolong=0 \n`;
    writeFileSync(
      stats,
      `### before 1795667556.9\n# conntrack -S\n${row(0, 0)}### after 1795667560.1\n# conntrack -S\n${row(12, 40)}`,
    );
    const f = await findings([stats], 'full');
    const full = f.find((x) => x.kind === 'conntrack-table-full');
    expect(full?.summary).toMatch(/drop 12, early_drop 40/);
    expect(full?.severity).toBe('error');
  });
});
