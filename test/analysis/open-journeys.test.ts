import { describe, expect, it } from 'vitest';
import { OpenJourneys } from '../../src/main/analysis/journeys';
import type { Journey } from '../../src/main/analysis/journeys';

describe('open journeys table', () => {
  it('agrees with a Map through a long random mix of set, get and delete (growth and probe runs)', () => {
    const t = new OpenJourneys();
    const m = new Map<number, Journey>();
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    // few distinct keys with equal low bits force long probe runs; 52-bit keys as fingerprints are
    const keys = Array.from({ length: 20000 }, (_, i) =>
      i % 3 === 0 ? (i % 64) * 2 ** 32 + 7 : rnd() * 0x100000 + (rnd() >>> 12),
    );
    for (let step = 0; step < 200000; step++) {
      const k = keys[rnd() % keys.length]!;
      const op = rnd() % 3;
      if (op === 0) {
        const j = { id: step, t: 0, fp: k, obs: [] };
        t.set(k, j);
        m.set(k, j);
      } else if (op === 1) {
        t.delete(k);
        m.delete(k);
      } else expect(t.get(k)).toBe(m.get(k));
    }
    for (const k of keys) expect(t.get(k)).toBe(m.get(k));
  });
});
