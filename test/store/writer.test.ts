// The three row encodings of store/writer.ts must store exactly the same values, and an ingest
// with the bulk-insert extension must write the same case file as one without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCase, loadRowsExtension, openCase } from '../../src/main/store/db';
import type { Db } from '../../src/main/store/db';
import { TableWriter } from '../../src/main/store/writer';
import type { FixedColumn, RowSink } from '../../src/main/store/writer';
import { ingest } from '../../src/main/ingest/pipeline';
import { LAB } from '../paths';

const tmp = mkdtempSync(join(tmpdir(), 'pathlens-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Row = [number | null, [number, number], string | null, number | null];
const COLUMNS: FixedColumn[] = [
  { name: 'a', width: 8, kind: 'int' },
  { name: 'ts', width: 19, kind: 'int' },
  { name: 't', width: 6, kind: 'text' },
  { name: 'b', width: 4, kind: 'int' },
];
const put = (w: RowSink, r: Row): boolean =>
  w.int(r[0]) && w.ns(r[1][0], r[1][1]) && w.text(r[2]) && w.int(r[3]);

// values that stress each encoding: NULL, 0, negative, 2^53-1, ±2^31 edges, nanosecond times beyond 2^53,
// quotes, non-ASCII, empty and N-leading text (fixed-width's NULL marker), too wide for fixed
const ROWS: Row[] = [
  [null, [0, 0], null, null],
  [0, [1, 0], '', 0],
  [-5, [1700000000, 123456789], "o'k", -1],
  [Number.MAX_SAFE_INTEGER, [4102444799, 999999999], 'Näme', 123456789],
  [42, [65535, 1], 'NULL', 7],
  [7, [65536, 999999999], 'a much longer text than six', 12345],
  [8, [2 ** 33 + 12345, 5], 'x', -(2 ** 40)],
  // the edges of the binary encoding's 4-byte integers
  [2 ** 31 - 1, [2, 0], 'y', -(2 ** 31)],
  [2 ** 31, [3, 0], 'z', -(2 ** 31) - 1],
  [-(2 ** 31), [4, 0], 'w', 2 ** 32 + 1],
];
const EXPECT = [
  ['NULL', '0', 'NULL', 'NULL'],
  ['0', '1000000000', '', '0'],
  ['-5', '1700000000123456789', "o'k", '-1'],
  [String(Number.MAX_SAFE_INTEGER), '4102444799999999999', 'Näme', '123456789'],
  ['42', '65535000000001', 'NULL-text', '7'],
  ['7', '65536999999999', 'a much longer text than six', '12345'],
  ['8', String(BigInt(2 ** 33 + 12345) * 1000000000n + 5n), 'x', String(-(2 ** 40))],
  ['2147483647', '2000000000', 'y', '-2147483648'],
  ['2147483648', '3000000000', 'z', '-2147483649'],
  ['-2147483648', '4000000000', 'w', '4294967297'],
];

async function writeAll(db: Db, native: boolean): Promise<string[][]> {
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, ts INTEGER, t TEXT, b INTEGER)');
  expect(db.rowsExtension).toBe(native);
  const w = new TableWriter(db, 't', COLUMNS, put);
  for (const r of ROWS) await w.row(r);
  await w.flush();
  const rows = await db.all<Record<string, string | null>>(
    "SELECT quote(a) a, CAST(ts AS TEXT) ts, CASE WHEN t = 'NULL' THEN 'NULL-text' ELSE coalesce(t, 'NULL') END t, quote(b) b, typeof(a) ta, typeof(ts) tts FROM t ORDER BY id",
  );
  for (const r of rows) {
    if (r.ta !== 'null') expect(r.ta).toBe('integer');
    expect(r.tts).toBe('integer');
  }
  return rows.map((r) => [r.a!, r.ts!, r.t!, r.b!]);
}

describe('row encodings', () => {
  it('the bulk-insert extension is built (npm install runs scripts/build-native.mjs)', async () => {
    const db = await createCase(join(tmp, 'probe.sqlite'));
    const loaded = await loadRowsExtension(db);
    await db.close();
    // CI installs a compiler: there the fast path must be the one tested
    if (process.env.CI) expect(loaded).toBe(true);
  });

  for (const native of [true, false]) {
    it(`stores every value exactly (${native ? 'binary batches' : 'fixed-width and SQL text'})`, async () => {
      const db = await createCase(join(tmp, `enc-${native}.sqlite`));
      if (native && !(await loadRowsExtension(db))) {
        await db.close();
        return;
      }
      expect(await writeAll(db, native)).toEqual(EXPECT);
      await db.close();
    });
  }

  it('refuses a damaged batch instead of reading past it', async () => {
    const db = await createCase(join(tmp, 'bad.sqlite'));
    if (!(await loadRowsExtension(db))) return void (await db.close());
    // a text field claiming 255 bytes in a 3-byte blob, and an unknown tag
    await expect(db.all("SELECT * FROM pathlens_rows(1, x'02ff000000')")).rejects.toThrow();
    await expect(db.all("SELECT * FROM pathlens_rows(1, x'07')")).rejects.toThrow();
    expect(await db.all("SELECT c0 FROM pathlens_rows(1, x'01050000000000000000')")).toEqual([
      { c0: 5 },
      { c0: null },
    ]);
    await db.close();
  });
});

describe('ingest with and without the extension', () => {
  it('writes the same observations and journeys', async () => {
    const dump = async (native: boolean): Promise<unknown[]> => {
      const path = join(tmp, `lab-${native}.pathlens.sqlite`);
      if (native) delete process.env.PATHLENS_NO_NATIVE;
      else process.env.PATHLENS_NO_NATIVE = '1';
      try {
        await ingest({
          dbPath: path,
          inputs: [join(LAB, 'portforward/capture.pcap'), join(LAB, 'portforward/conntrack.log')],
        });
      } finally {
        delete process.env.PATHLENS_NO_NATIVE;
      }
      const db = await openCase(path);
      const rows = [
        ...(await db.all('SELECT * FROM observations ORDER BY id')),
        ...(await db.all('SELECT * FROM journeys ORDER BY id')),
      ];
      await db.close();
      return rows;
    };
    const plain = await dump(false);
    expect(plain.length).toBeGreaterThan(100);
    expect(await dump(true)).toEqual(plain);
  });
});
