// pcapng slice of a lab case (src/main/report/export-pcap.ts), checked with tshark: one packet per
// observation of the chosen flows, interface names, timestamps and directions kept, bytes identical.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/main/ingest/pipeline';
import { exportPcapng, inputDiskPath } from '../../src/main/report/export-pcap';
import type { Db } from '../../src/main/store/db';
import { openCase } from '../../src/main/store/db';
import { LAB } from '../paths';

const TSHARK = '/usr/bin/tshark';
const DIR = join(LAB, 'portforward');
const tmp = mkdtempSync(join(tmpdir(), 'pathlens-slice-'));

interface Frame {
  iface: string;
  time: string;
  dir: string;
  len: string;
  caplen: string;
  comment: string;
}

/** tshark's view of a file: one Frame per packet, and the raw bytes of each. */
function tshark(file: string): { frames: Frame[]; raw: string[] } {
  const out = execFileSync(
    TSHARK,
    [
      '-r',
      file,
      '-T',
      'fields',
      '-E',
      'occurrence=f',
      '-e',
      'frame.interface_name',
      '-e',
      'frame.time_epoch',
      '-e',
      'frame.packet_flags_direction',
      '-e',
      'frame.len',
      '-e',
      'frame.cap_len',
      '-e',
      'frame.comment',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 },
  );
  const frames = out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [iface = '', time = '', dir = '', len = '', caplen = '', comment = ''] = l.split('\t');
      return { iface, time, dir, len, caplen, comment };
    });
  const json = execFileSync(TSHARK, ['-r', file, '-T', 'json', '-x', '-j', 'frame'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 << 20,
  });
  // -x adds frame_raw: [hex, offset, length, …] with the bytes as stored in the file
  const raw = (JSON.parse(json) as Array<{ _source: { layers: { frame_raw?: unknown[] } } }>).map((p) =>
    String(p._source.layers.frame_raw?.[0] ?? ''),
  );
  return { frames, raw };
}

interface Obs {
  input_id: number;
  path: string;
  frame: number;
  name: string | null;
  direction: number | null;
  caplen: number;
  orig_len: number;
}

describe.skipIf(!existsSync(DIR))('pcapng slice of lab/portforward', () => {
  let db: Db;
  beforeAll(async () => {
    const dbPath = join(tmp, 'pf.sqlite');
    // both capture kinds: SLL2 pcap (ns, directions, ifindex names) and per-interface pcapng (µs)
    await ingest({
      dbPath,
      inputs: ['capture.pcap', 'capture-ifaces.pcapng', 'ip-link.json'].map((f) => join(DIR, f)),
    });
    db = await openCase(dbPath);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it.skipIf(!existsSync(TSHARK))(
    'has every observation of the flows, with names, times and bytes of the originals',
    async () => {
      const flows = (
        await db.all<{ id: number }>(
          "SELECT id FROM flows WHERE proto_name IN ('tcp', 'icmp') ORDER BY id LIMIT 3",
        )
      ).map((r) => String(r.id));
      expect(flows).toHaveLength(3);
      const out = join(tmp, 'slice.pcapng');
      const res = await exportPcapng(db, flows, out);
      const expected = await db.all<Obs>(
        `SELECT o.input_id, i.path, o.frame, f.name, o.direction, o.caplen, o.orig_len FROM observations o JOIN inputs i ON i.id = o.input_id
       LEFT JOIN interfaces f ON f.id = o.iface_id WHERE o.flow_id IN (${flows.join(',')}) ORDER BY o.ts_ns, o.id`,
      );
      expect(expected.length).toBeGreaterThan(20);
      expect(res.packets).toBe(expected.length);

      // the count, as the brief puts it: tshark -r OUT -T fields -e frame.number | wc -l
      const count = execFileSync(TSHARK, ['-r', out, '-T', 'fields', '-e', 'frame.number'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter(Boolean).length;
      expect(count).toBe(expected.length);

      const slice = tshark(out);
      const originals = new Map<number, ReturnType<typeof tshark>>();
      for (const o of expected)
        if (!originals.has(o.input_id)) originals.set(o.input_id, tshark(inputDiskPath(db.path, o.path)));
      expected.forEach((o, k) => {
        const got = slice.frames[k]!;
        const orig = originals.get(o.input_id)!;
        const src = orig.frames[o.frame - 1]!;
        const where = `${o.path} frame ${o.frame}`;
        expect(got.iface, where).toBe(o.name ?? '');
        if (src.iface) expect(got.iface, where).toBe(src.iface); // the pcapng names its interfaces itself
        expect(got.time, where).toBe(src.time);
        expect([got.len, got.caplen], where).toEqual([String(o.orig_len), String(o.caplen)]);
        expect([got.len, got.caplen], where).toEqual([src.len, src.caplen]);
        // epb_flags direction bits: 1 inbound, 2 outbound (tshark prints them in hex)
        expect(got.dir === '' ? null : Number(got.dir), where).toBe(
          o.direction === 0 ? 1 : o.direction === 1 ? 2 : null,
        );
        expect(got.comment, where).toBe(`${o.path.split('/').pop()} frame ${o.frame}`);
        expect(slice.raw[k], where).toBe(orig.raw[o.frame - 1]);
        expect(slice.raw[k]!.length, where).toBe(o.caplen * 2);
      });
    },
  );

  it('writes an empty but valid file for no flows', async () => {
    const out = join(tmp, 'empty.pcapng');
    const res = await exportPcapng(db, [], out);
    expect(res).toEqual({ packets: 0, interfaces: 0, bytes: res.bytes });
    expect(res.bytes).toBeGreaterThan(28);
    if (existsSync(TSHARK))
      expect(
        execFileSync(TSHARK, ['-r', out, '-T', 'fields', '-e', 'frame.number'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      ).toBe('');
  });

  it('finds inputs given relative to the case file and inside bundles', () => {
    expect(inputDiskPath('/cases/c.sqlite', '/abs/x.pcap')).toBe('/abs/x.pcap');
    expect(inputDiskPath('/cases/c.sqlite', 'nowhere-here/x.pcap')).toBe('/cases/nowhere-here/x.pcap');
    expect(inputDiskPath('/cases/c.sqlite', 'dl/node1.tar.gz!node1/capture.pcap')).toBe(
      '/cases/c.sqlite.inputs/node1/node1/capture.pcap',
    );
  });
});
