// A conntrack log too large for one string is read in pieces cut at line ends: the same records,
// with line numbers counted from the start of the file, as a whole-file read.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readInPieces } from '../../src/main/ingest/pipeline';
import { readContextFile } from '../../src/main/ingest/context-stage';
import { emptyContext } from '../../src/main/analysis/host-context';
import { createCase } from '../../src/main/store/db';
import { LAB } from '../paths';

const tmp = mkdtempSync(join(tmpdir(), 'pathlens-pieces-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('reads a conntrack log in 1 KiB pieces exactly as in one piece', async () => {
  const log = join(LAB, 'udp-dns', 'conntrack-ext.log');
  const whole = emptyContext();
  const pieces = emptyContext();
  const db1 = await createCase(join(tmp, 'a.sqlite'));
  const db2 = await createCase(join(tmp, 'b.sqlite'));
  try {
    const a = await readContextFile(db1, 0, 'conntrack-events', readFileSync(log, 'utf8'), whole);
    const b = await readInPieces(db2, 0, 'conntrack-events', log, pieces, 1024);
    expect(b).toEqual(a);
    expect(pieces.ctEvents.map((e) => [e.rec.line, e.rec.id, e.rec.type])).toEqual(
      whole.ctEvents.map((e) => [e.rec.line, e.rec.id, e.rec.type]),
    );
  } finally {
    await db1.close();
    await db2.close();
  }
});
