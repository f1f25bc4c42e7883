// The whole engine (reader, decoders, journeys, flows, analysis, case file) on every file of the
// shared capture corpus: odd link types, damaged and truncated files — no exception, and every file
// tshark reads yields exactly its packet count.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ingest } from '../../src/main/ingest/pipeline';
import { SHARED } from '../paths';

const corpus = join(SHARED, 'corpus');
const tmp = mkdtempSync(join(tmpdir(), 'pathlens-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it.skipIf(!existsSync(join(corpus, 'manifest.tsv')))(
  'ingests every corpus file',
  { timeout: 300_000 },
  async () => {
    const rows = readFileSync(join(corpus, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1);
    const wrong: string[] = [];
    for (const row of rows) {
      const [file, , , packets, readable] = row.split('\t');
      const db = join(tmp, 'case.sqlite');
      for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
      try {
        const r = await ingest({ dbPath: db, inputs: [join(corpus, file!)] });
        if (readable === 'yes' && r.packets !== Number(packets))
          wrong.push(`${file}: ${r.packets} ≠ ${packets}`);
      } catch (e) {
        wrong.push(`${file}: ${(e as Error).message}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(rows.length).toBeGreaterThan(800);
  },
);
