// The case file: the report of a lab folder lists every input with its kind and count and the
// host's interfaces; a case reopens without its inputs; an ingest can be cancelled.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/main/ingest/pipeline';
import { startIngest } from '../../src/main/ingest/run';
import { openCase } from '../../src/main/store/db';
import { buildReport } from '../../src/main/report/build';
import { synthCapture } from '../../bench/synth';
import { LAB } from '../paths';

const tmp = mkdtempSync(join(tmpdir(), 'pathlens-case-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('case file', () => {
  it('lists every input with its kind and count, and the host interfaces with addresses', async () => {
    const db = join(tmp, 'pf.sqlite');
    await ingest({ dbPath: db, inputs: [join(LAB, 'portforward')] });
    const c = await openCase(db);
    try {
      const r = await buildReport(c);
      const kind = (name: string): string | undefined =>
        r.inputs.find((i) => i.path.endsWith(`/${name}`))?.kind;
      expect(kind('capture.pcap')).toBe('pcap');
      expect(kind('capture-ifaces.pcapng')).toBe('pcapng');
      expect(kind('conntrack-ext.log')).toBe('conntrack-events');
      expect(kind('conntrack-table.txt')).toBe('conntrack-table');
      expect(kind('conntrack-stats.txt')).toBe('conntrack-stats');
      expect(kind('ip-addr.json')).toBe('ip-addr');
      expect(kind('ip-route.txt')).toBe('ip-route');
      expect(kind('ip-rule.json')).toBe('ip-rule');
      expect(kind('iptables-save.txt')).toBe('iptables-save');
      expect(kind('nft-ruleset.json')).toBe('nft-ruleset');
      expect(kind('trace.log')).toBe('trace');
      expect(kind('sysctl.txt')).toBe('sysctl');
      expect(r.inputs.find((i) => i.path.endsWith('/capture.pcap'))?.records).toBe(116);
      expect(r.inputs.every((i) => i.kind === 'unknown' || i.warnings.length === 0)).toBe(true);
      const eth0 = r.host?.interfaces.find((i) => i.name === 'eth0');
      expect(eth0?.addresses).toContain('10.10.1.1/24');
      expect(r.host?.source).toBe('ip-addr');
    } finally {
      await c.close();
    }
  });

  it('reopens with the same results when the inputs are gone', async () => {
    const dir = join(tmp, 'inputs');
    cpSync(join(LAB, 'firewall'), dir, { recursive: true });
    const db = join(tmp, 'fw.sqlite');
    await ingest({ dbPath: db, inputs: [dir] });
    const read = async (): Promise<string> => {
      const c = await openCase(db);
      try {
        const r = await buildReport(c);
        return JSON.stringify({ flows: r.flows, findings: r.findings, summary: r.summary });
      } finally {
        await c.close();
      }
    };
    const before = await read();
    rmSync(dir, { recursive: true, force: true });
    expect(await read()).toBe(before);
  });

  it('a damaged bundle is reported, and the other inputs are still read', async () => {
    const dir = join(tmp, 'damaged');
    mkdirSync(dir);
    // gzip magic, then garbage
    writeFileSync(
      join(dir, 'node.tar.gz'),
      Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(300, 0x5a)]),
    );
    cpSync(join(LAB, 'firewall', 'capture.pcap'), join(dir, 'capture.pcap'));
    const db = join(tmp, 'damaged.sqlite');
    const r = await ingest({ dbPath: db, inputs: [dir] });
    expect(r.packets).toBe(85);
    const c = await openCase(db);
    try {
      const inputs = (await buildReport(c)).inputs;
      const bundle = inputs.find((i) => i.path.endsWith('node.tar.gz'));
      expect(bundle?.warnings[0]?.message).toMatch(/not a readable \.tar\.gz bundle/);
      expect(bundle?.warnings[0]?.offset).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('cancels a running ingest and keeps what was read', async () => {
    const pcap = join(tmp, 'big.pcap');
    synthCapture(pcap, 400_000);
    const db = join(tmp, 'big.sqlite');
    let job: ReturnType<typeof startIngest> | null = null;
    job = startIngest({ dbPath: db, inputs: [pcap] }, (p) => {
      if (p.phase === 'capture' && p.records > 0) job?.cancel();
    });
    const r = await job.result;
    expect(r.cancelled).toBe(true);
    expect(r.packets).toBeGreaterThan(0);
    expect(r.packets).toBeLessThan(400_000);
    const c = await openCase(db);
    try {
      const row = await c.get<{ status: string }>('SELECT status FROM inputs WHERE id = 0');
      expect(row?.status).toBe('cancelled');
      const n = await c.get<{ n: number }>('SELECT count(*) AS n FROM observations');
      expect(n?.n).toBe(r.packets);
    } finally {
      await c.close();
    }
  });
});
