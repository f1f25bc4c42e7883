import { describe, expect, it } from 'vitest';
import type { DTuple } from '../../src/main/analysis/flow-table';
import { inverse, isInverse, sameTuple } from '../../src/main/analysis/flow-table';

describe('directed tuples', () => {
  it('isInverse agrees with sameTuple(inverse(x), y) for ports, ICMP echo, other ICMP and other protocols', () => {
    const ts: DTuple[] = [];
    for (const [l3, proto, a, b] of [
      [4, 6, 1234, 80],
      [4, 6, 80, 1234],
      [4, 17, 53, 53],
      [6, 132, 9, 10],
      [4, 1, 77, 'q'],
      [4, 1, 77, 'r'],
      [6, 58, 5, 'q'],
      [4, 1, 't3', 'c3'],
      [4, 47, '', ''],
    ] as const)
      for (const [src, dst] of [
        ['10.0.0.1', '10.0.0.2'],
        ['10.0.0.2', '10.0.0.1'],
        ['10.0.0.1', '10.0.0.1'],
      ] as const)
        ts.push({ l3, proto, src, dst, a, b });
    let hits = 0;
    for (const x of ts)
      for (const y of ts) {
        const want = sameTuple(inverse(x), y);
        expect(isInverse(x, y), `${JSON.stringify(x)} ↔ ${JSON.stringify(y)}`).toBe(want);
        if (want) hits++;
      }
    expect(hits).toBeGreaterThan(ts.length / 2);
  });
});
