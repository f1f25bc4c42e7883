import { describe, expect, it } from 'vitest';
import { transitionsJson } from '../../src/main/ingest/finish';

describe('flow transitions JSON', () => {
  it('parses back to the same states and times to the microsecond', () => {
    const tr = [
      { ts: 0, state: 'SYN_SENT' },
      { ts: 1795667558.1234567, state: 'SYN_RECV' },
      { ts: 12.000001, state: 'ESTABLISHED' },
      { ts: 1700000000.9999995, state: 'FIN_WAIT' },
      { ts: -0.25, state: 'CLOSE' },
    ];
    const back = JSON.parse(transitionsJson(tr)) as typeof tr;
    expect(back.map((t) => t.state)).toEqual(tr.map((t) => t.state));
    back.forEach((t, i) => expect(Math.abs(t.ts - tr[i]!.ts)).toBeLessThan(1e-6));
    expect(JSON.parse(transitionsJson([]))).toEqual([]);
    expect(transitionsJson([{ ts: 5.5, state: 'CLOSE' }])).toBe('[{"ts":5.500000,"state":"CLOSE"}]');
  });
});
