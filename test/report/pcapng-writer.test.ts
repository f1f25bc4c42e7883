// pcapng writer (draft-ietf-opsawg-pcapng) read back by pathlens' own capture reader: blocks are
// 32-bit aligned, interface options, ns timestamps, original lengths and directions survive.
import { describe, expect, it } from 'vitest';
import { readCaptureBytes } from '../../src/main/capture/capture-reader';
import { epbBlock, idbBlock, shbBlock } from '../../src/main/report/pcapng-writer';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('pcapng writer', () => {
  it('writes blocks whose lengths are multiples of 4 and repeat at the end', () => {
    for (const b of [
      shbBlock('x'),
      idbBlock({ linkType: 1, snaplen: 0, name: 'abcde' }),
      epbBlock({ iface: 0, tsNs: 1n, data: Uint8Array.of(1, 2, 3), origLen: 3 }),
    ]) {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      expect(b.length % 4).toBe(0);
      expect(dv.getUint32(4, true)).toBe(b.length);
      expect(dv.getUint32(b.length - 4, true)).toBe(b.length);
    }
  });

  it('round-trips through the capture reader', () => {
    const data1 = Uint8Array.from({ length: 61 }, (_, i) => i);
    const data2 = Uint8Array.from({ length: 40 }, (_, i) => 255 - i);
    const ts1 = 1_795_667_558_221_416_252n; // beyond 2^53: must stay exact
    const file = concat([
      shbBlock('pathlens test'),
      idbBlock({ linkType: 276, snaplen: 262144, name: 'eth0', description: 'capture.pcap (eth0)' }),
      idbBlock({ linkType: 1, snaplen: 0, name: 'ethé1' }),
      epbBlock({
        iface: 0,
        tsNs: ts1,
        data: data1,
        origLen: 1514,
        direction: 'in',
        comment: 'capture.pcap frame 3',
      }),
      epbBlock({ iface: 1, tsNs: ts1 + 1001n, data: data2, origLen: 40, direction: 'out' }),
      epbBlock({ iface: 1, tsNs: ts1 + 2002n, data: data2, origLen: 40 }),
    ]);
    const c = readCaptureBytes(file);
    expect(c.format).toBe('pcapng');
    expect(c.warnings).toEqual([]);
    expect(c.interfaces.map((i) => [i.linkType, i.snaplen, i.name, i.tsUnitsPerSec])).toEqual([
      [276, 262144, 'eth0', 1e9],
      [1, 0, 'ethé1', 1e9],
    ]);
    expect(c.interfaces[0]!.description).toBe('capture.pcap (eth0)');
    expect(
      c.records.map((r) => [r.interfaceId, r.tsSec, r.tsNsec, r.caplen, r.origLen, r.direction]),
    ).toEqual([
      [0, 1795667558, 221416252, 61, 1514, 'in'],
      [1, 1795667558, 221417253, 40, 40, 'out'],
      [1, 1795667558, 221418254, 40, 40, null],
    ]);
    expect(c.records[0]!.data).toEqual(data1);
    expect(c.records[1]!.data).toEqual(data2);
  });
});
