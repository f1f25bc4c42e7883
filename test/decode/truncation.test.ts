// Robustness: every prefix of every fixture, random and bit-flipped frames — never an exception, only named anomalies.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/main/decode/decode-frame';
import { ANOMALIES } from '../../src/main/decode/packet';
import type { DecodedPacket } from '../../src/main/decode/types';
import * as fx from './fixtures';

const LINK_OF_PREFIX: Array<[string, number]> = [
  ['sll2', 276],
  ['sll', 113],
  ['eth', 1],
  ['raw', 101],
  ['null', 0],
  ['loop', 108],
  ['nflog', 239],
];

const FIXTURES: Array<[string, number, Uint8Array]> = Object.entries(fx).map(([name, bytes]) => {
  const link = LINK_OF_PREFIX.find(([prefix]) => name.startsWith(prefix));
  if (link === undefined) throw new Error(`no link type for fixture ${name}`);
  return [name, link[1], bytes];
});

const KNOWN = new Set<string>(ANOMALIES);

// Where the innermost decoded layer's payload starts: cutting before it must be reported.
function headerEnd(p: DecodedPacket): number {
  return p.inner !== null ? headerEnd(p.inner) : p.payloadOffset;
}

function checkNames(p: DecodedPacket): void {
  for (const a of p.anomalies) expect(KNOWN, `unknown anomaly ${a}`).toContain(a);
  if (p.inner !== null) checkNames(p.inner);
}

describe('truncated at every length', () => {
  it.each(FIXTURES)('%s decodes cleanly in full', (_name, link, bytes) => {
    expect(decodeFrame(link, bytes).anomalies).toEqual([]);
  });

  it.each(FIXTURES)(
    '%s: every prefix decodes without throwing, cuts inside headers are named',
    (_n, link, bytes) => {
      const end = headerEnd(decodeFrame(link, bytes));
      for (let len = 0; len < bytes.length; len++) {
        const p = decodeFrame(link, bytes.subarray(0, len));
        checkNames(p);
        if (len < end) expect(p.anomalies.length, `prefix ${len} of ${end}`).toBeGreaterThan(0);
        expect(p.payloadOffset + p.payloadCaptured).toBeLessThanOrEqual(len);
      }
    },
  );
});

describe('hostile input', () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };

  it('random bytes on every link type', () => {
    for (const [, link] of [
      ...LINK_OF_PREFIX,
      ['other', 228] as [string, number],
      ['other', 229] as [string, number],
    ]) {
      for (let n = 0; n < 3000; n++) {
        const b = new Uint8Array(rnd(120));
        for (let i = 0; i < b.length; i++) b[i] = rnd(256);
        checkNames(decodeFrame(link, b));
      }
    }
  });

  it.each(FIXTURES)('%s with random byte flips', (_n, link, bytes) => {
    for (let n = 0; n < 400; n++) {
      const b = bytes.slice();
      for (let k = 0; k < 3; k++) b[rnd(b.length)] = rnd(256);
      checkNames(decodeFrame(link, b));
    }
  });

  it('a frame full of VLAN tags does not recurse', () => {
    const b = new Uint8Array(12 + 4 * 50000 + 2);
    for (let i = 12; i < b.length - 2; i += 4) b.set([0x81, 0x00, 0x00, 0x01], i);
    b.set([0x81, 0x00], b.length - 2); // and a last tag cut after its TPID
    const p = decodeFrame(1, b);
    expect(p.vlans.length).toBe(50000);
    expect(p.anomalies).toEqual(['vlan.truncated']);
  });
});

describe('byte offsets', () => {
  it('a subarray of a larger buffer (a Node Buffer from the pool) decodes the same', () => {
    for (const [, link, bytes] of FIXTURES) {
      const big = new Uint8Array(bytes.length + 64).fill(0xee);
      big.set(bytes, 33);
      expect(decodeFrame(link, big.subarray(33, 33 + bytes.length))).toEqual(decodeFrame(link, bytes));
    }
  });
});
