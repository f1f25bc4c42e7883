// Hand-built byte fixtures for the capture reader: classic pcap (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng).
import { describe, expect, it } from 'vitest';
import type { CaptureContents } from '../../src/main/capture/capture-reader';
import { createCaptureReader, readCaptureBytes, sniffCapture } from '../../src/main/capture/capture-reader';
import { splitTimestamp, tsOut, tsResolution } from '../../src/main/capture/timestamp';
import type { CaptureRecord } from '../../src/main/capture/types';

// ---- byte builders -------------------------------------------------------------------------------

/** Little byte writer: every multi-byte field in the chosen byte order. */
class W {
  private out: number[] = [];
  constructor(private le: boolean) {}
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.out.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.out.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u64(v: bigint): this {
    const hi = Number((BigInt.asUintN(64, v) >> 32n) & 0xffffffffn);
    const lo = Number(BigInt.asUintN(64, v) & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push(b[i] ?? 0);
    return this;
  }
  pad4(): this {
    while (this.out.length % 4) this.out.push(0);
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const payload = (len: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: len }, (_, i) => (seed + i) & 0xff);

interface PcapOpts {
  le?: boolean;
  magic?: number;
  major?: number;
  minor?: number;
  snaplen?: number;
  link?: number;
}

function pcapHeader(o: PcapOpts = {}): Uint8Array {
  return new W(o.le ?? true)
    .u32(o.magic ?? 0xa1b2c3d4)
    .u16(o.major ?? 2)
    .u16(o.minor ?? 4)
    .u32(0)
    .u32(0)
    .u32(o.snaplen ?? 262144)
    .u32(o.link ?? 1)
    .bytes();
}

interface PcapRec {
  sec: number;
  frac: number;
  data: Uint8Array;
  len?: number;
  /** Kuznetzov extras: pkt_type (4 = outgoing). */
  pktType?: number;
  /** Write caplen/len in this order (for the swapped-version quirk). */
  swapped?: boolean;
}

function pcapRecord(r: PcapRec, le = true, modified = false): Uint8Array {
  const len = r.len ?? r.data.length;
  const w = new W(le).u32(r.sec).u32(r.frac);
  if (r.swapped) w.u32(len).u32(r.data.length);
  else w.u32(r.data.length).u32(len);
  if (modified)
    w.u32(3)
      .u16(0x0800)
      .u8(r.pktType ?? 0)
      .u8(0);
  return w.raw(r.data).bytes();
}

function opt(le: boolean, code: number, value: ArrayLike<number>): Uint8Array {
  return new W(le).u16(code).u16(value.length).raw(value).pad4().bytes();
}
const optStr = (le: boolean, code: number, s: string): Uint8Array =>
  opt(le, code, new TextEncoder().encode(s));
const endOpt = (le: boolean): Uint8Array => new W(le).u32(0).bytes();

function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const body4 = new W(le).raw(body).pad4().bytes();
  const total = 12 + body4.length;
  return new W(le).u32(type).u32(total).raw(body4).u32(total).bytes();
}

function shb(le: boolean, major = 1, minor = 0, opts: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new W(le).u32(0x1a2b3c4d).u16(major).u16(minor).u64(-1n).raw(opts).bytes();
  return block(le, 0x0a0d0d0a, body);
}

function idb(le: boolean, link: number, snaplen: number, ...opts: Uint8Array[]): Uint8Array {
  return block(le, 1, cat(new W(le).u16(link).u16(0).u32(snaplen).bytes(), ...opts));
}

function epb(
  le: boolean,
  ifId: number,
  ts: bigint,
  data: Uint8Array,
  origLen?: number,
  ...opts: Uint8Array[]
) {
  const w = new W(le)
    .u32(ifId)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(origLen ?? data.length)
    .raw(data)
    .pad4();
  return block(le, 6, cat(w.bytes(), ...opts));
}

const spb = (le: boolean, origLen: number, data: Uint8Array): Uint8Array =>
  block(le, 3, new W(le).u32(origLen).raw(data).bytes());

function readChunked(bytes: Uint8Array, size: number): CaptureContents {
  const out: CaptureContents = {
    format: null,
    interfaces: [],
    records: [],
    warnings: [],
    names: [],
    stats: [],
  };
  const r = createCaptureReader({
    onRecord: (rec) => out.records.push({ ...rec, data: new Uint8Array(rec.data) }),
    onInterface: (i) => out.interfaces.push(i),
    onWarning: (w) => out.warnings.push(w),
    onNames: (n) => out.names.push(n),
    onStats: (s) => out.stats.push(s),
  });
  for (let i = 0; i < bytes.length; i += size) r.push(bytes.slice(i, i + size));
  r.end();
  out.format = r.format;
  return out;
}

const brief = (r: CaptureRecord) => ({
  frame: r.frame,
  offset: r.offset,
  tsSec: r.tsSec,
  tsNsec: r.tsNsec,
  caplen: r.caplen,
  origLen: r.origLen,
  interfaceId: r.interfaceId,
  linkType: r.linkType,
  direction: r.direction,
});

/** The same result whole, in 1-byte and in 7-byte chunks: the streaming path must not matter. */
function readAllWays(bytes: Uint8Array): CaptureContents {
  const whole = readCaptureBytes(bytes);
  for (const size of [1, 7, 64]) expect(readChunked(bytes, size)).toEqual(whole);
  return whole;
}

// ---- classic pcap ------------------------------------------------------------------------------

describe('classic pcap', () => {
  const recs: PcapRec[] = [
    { sec: 1700000000, frac: 123456, data: payload(60, 1) },
    { sec: 1700000001, frac: 999999, data: payload(64, 2), len: 1514 },
  ];

  for (const le of [true, false]) {
    it(`reads µs records (${le ? 'little' : 'big'}-endian), snaplen-cut records included`, () => {
      const file = cat(pcapHeader({ le, snaplen: 64 }), ...recs.map((r) => pcapRecord(r, le)));
      const out = readAllWays(file);
      expect(out.format).toBe('pcap');
      expect(out.warnings).toEqual([]);
      expect(out.interfaces).toEqual([
        {
          id: 0,
          section: 0,
          linkType: 1,
          snaplen: 64,
          name: null,
          description: null,
          tsUnitsPerSec: 1e6,
          tsOffsetSec: 0,
          fcsLen: 0,
        },
      ]);
      expect(out.records.map(brief)).toEqual([
        {
          frame: 1,
          offset: 24,
          tsSec: 1700000000,
          tsNsec: 123456000,
          caplen: 60,
          origLen: 60,
          interfaceId: 0,
          linkType: 1,
          direction: null,
        },
        {
          frame: 2,
          offset: 100,
          tsSec: 1700000001,
          tsNsec: 999999000,
          caplen: 64,
          origLen: 1514,
          interfaceId: 0,
          linkType: 1,
          direction: null,
        },
      ]);
      expect(out.records[1]?.dataOffset).toBe(116);
      expect(out.records[1]?.data).toEqual(payload(64, 2));
    });

    it(`reads ns records (${le ? 'little' : 'big'}-endian)`, () => {
      const file = cat(
        pcapHeader({ le, magic: 0xa1b23c4d, link: 276 }),
        pcapRecord({ sec: 1795667558, frac: 221416252, data: payload(48, 3) }, le),
      );
      expect(file.subarray(0, 4)).toEqual(
        Uint8Array.from(le ? [0x4d, 0x3c, 0xb2, 0xa1] : [0xa1, 0xb2, 0x3c, 0x4d]),
      );
      const out = readAllWays(file);
      expect(out.warnings).toEqual([]);
      expect(out.interfaces[0]?.tsUnitsPerSec).toBe(1e9);
      expect(out.records.map((r) => [r.tsSec, r.tsNsec, r.linkType])).toEqual([[1795667558, 221416252, 276]]);
    });

    it(`reads Kuznetzov modified pcap with direction from pkt_type (${le ? 'LE' : 'BE'})`, () => {
      const file = cat(
        pcapHeader({ le, magic: 0xa1b2cd34 }),
        pcapRecord({ sec: 10, frac: 5, data: payload(20, 4), pktType: 4 }, le, true),
        pcapRecord({ sec: 11, frac: 6, data: payload(21, 5), pktType: 0 }, le, true),
      );
      const out = readAllWays(file);
      expect(out.warnings).toEqual([]);
      expect(out.records.map((r) => [r.offset, r.dataOffset, r.caplen, r.direction, r.tsNsec])).toEqual([
        [24, 48, 20, 'out', 5000],
        [68, 92, 21, 'in', 6000],
      ]);
      expect(out.records[1]?.data).toEqual(payload(21, 5));
    });

    it(`reads the Navtel ns variant (${le ? 'LE' : 'BE'})`, () => {
      const file = cat(
        pcapHeader({ le, magic: 0xa12b3c4d }),
        pcapRecord({ sec: 7, frac: 999999999, data: payload(4, 6) }, le),
      );
      const out = readAllWays(file);
      expect(out.records.map((r) => [r.tsSec, r.tsNsec])).toEqual([[7, 999999999]]);
    });
  }

  it('swaps caplen and len in version 2.2, and in 2.3 only when caplen > len', () => {
    const r = { sec: 1, frac: 0, data: payload(10, 0), len: 100, swapped: true };
    const v22 = readAllWays(cat(pcapHeader({ minor: 2 }), pcapRecord(r)));
    expect(v22.records.map((x) => [x.caplen, x.origLen])).toEqual([[10, 100]]);
    const v23 = readAllWays(
      cat(pcapHeader({ minor: 3 }), pcapRecord(r), pcapRecord({ ...r, swapped: false })),
    );
    expect(v23.records.map((x) => [x.caplen, x.origLen])).toEqual([
      [10, 100],
      [10, 100],
    ]);
  });

  it('masks the link type to 16 bits and reads the FCS length only when the P bit says so', () => {
    const withFcs = readAllWays(pcapHeader({ link: 0x24000001 }));
    expect(withFcs.interfaces[0]).toMatchObject({ linkType: 1, fcsLen: 4 });
    expect(withFcs.warnings).toEqual([]);
    const noP = readAllWays(pcapHeader({ link: 0x30000001 }));
    expect(noP.interfaces[0]).toMatchObject({ linkType: 1, fcsLen: 0 });
    const reserved = readAllWays(pcapHeader({ link: 0x00010071 }));
    expect(reserved.interfaces[0]?.linkType).toBe(113);
    expect(reserved.warnings).toEqual([expect.objectContaining({ offset: 20 })]);
  });

  it('carries an out-of-range fraction into the seconds', () => {
    const out = readAllWays(cat(pcapHeader(), pcapRecord({ sec: 5, frac: 2_500_000, data: payload(1, 0) })));
    expect(out.records.map((r) => [r.tsSec, r.tsNsec])).toEqual([[7, 500000000]]);
  });

  it('keeps every record before a cut and reports the cut with its offset', () => {
    const full = cat(pcapHeader(), ...recs.map((r) => pcapRecord(r)));
    const midData = readAllWays(full.subarray(0, full.length - 10));
    expect(midData.records.map((r) => r.frame)).toEqual([1]);
    expect(midData.warnings).toEqual([
      { message: 'pcap: record at offset 100 truncated (54 of 64 data bytes present)', offset: 100 },
    ]);
    const midHeader = readAllWays(full.subarray(0, 105));
    expect(midHeader.records.length).toBe(1);
    expect(midHeader.warnings).toEqual([
      { message: 'pcap: record header truncated at offset 100 (5 of 16 bytes)', offset: 100 },
    ]);
    const shortHeader = readAllWays(full.subarray(0, 10));
    expect(shortHeader.records).toEqual([]);
    expect(shortHeader.warnings).toEqual([expect.objectContaining({ offset: 0 })]);
  });

  it('resynchronises after an absurd caplen, keeping what is before and after the damage', () => {
    const good = (i: number) => pcapRecord({ sec: 1700000000 + i, frac: i, data: payload(40 + i, i) });
    const damage = new W(true).u32(1700000002).u32(0).u32(0x7ffffff0).u32(60).raw(payload(23, 9)).bytes();
    const file = cat(pcapHeader(), good(0), good(1), damage, good(2), good(3), good(4));
    const damageAt = 24 + good(0).length + good(1).length;
    const resumeAt = damageAt + damage.length;
    const out = readAllWays(file);
    expect(out.records.map((r) => [r.frame, r.offset, r.caplen])).toEqual([
      [1, 24, 40],
      [2, 24 + 56, 41],
      [3, resumeAt, 42],
      [4, resumeAt + 58, 43],
      [5, resumeAt + 58 + 59, 44],
    ]);
    expect(out.warnings.map((w) => w.offset)).toEqual([damageAt, resumeAt]);
    expect(out.warnings[0]?.message).toMatch(/caplen 2147483632/);
    expect(out.warnings[1]?.message).toMatch(/resynchronised.*after skipping 39 bytes/);
  });

  it('reports damage that never resynchronises, without buffering the claimed length', () => {
    const bad = new W(true).u32(1).u32(0).u32(0xfffffff0).u32(60).raw(payload(100, 0)).bytes();
    const file = cat(pcapHeader(), bad);
    const r = createCaptureReader();
    let peak = 0;
    for (let i = 0; i < file.length; i += 16) {
      r.push(file.subarray(i, i + 16));
      peak = Math.max(peak, r.bufferedBytes);
    }
    r.end();
    expect(peak).toBeLessThanOrEqual(4096);
    const out = readAllWays(file);
    expect(out.records).toEqual([]);
    expect(out.warnings.map((w) => w.offset)).toEqual([24, 24]);
    expect(out.warnings[1]?.message).toMatch(/no plausible record after offset 24; 116 bytes skipped/);
  });

  it('warns once per kind about records a sane writer would not produce', () => {
    const out = readAllWays(
      cat(
        pcapHeader({ snaplen: 8 }),
        pcapRecord({ sec: 1, frac: 0, data: payload(10, 0) }),
        pcapRecord({ sec: 1, frac: 0, data: payload(10, 0) }),
      ),
    );
    expect(out.records.length).toBe(2);
    expect(out.warnings).toEqual([
      expect.objectContaining({ offset: 24, message: expect.stringMatching(/snaplen 8/) }),
    ]);
  });
});

// ---- pcapng ------------------------------------------------------------------------------------

describe('pcapng', () => {
  const NS_TS = 1795667558_221416252n;

  for (const le of [true, false]) {
    it(`reads SHB, IDB options and EPBs with flags (${le ? 'little' : 'big'}-endian)`, () => {
      const head = cat(
        shb(le, 1, 0, cat(optStr(le, 4, 'dumpcap'), endOpt(le))),
        // No opt_endofopt: the reader must stop at the block end.
        idb(
          le,
          1,
          262144,
          optStr(le, 2, 'eth0'),
          optStr(le, 3, 'uplink'),
          opt(le, 9, [9]),
          opt(le, 13, [32]),
        ),
      );
      const file = cat(
        head,
        epb(le, 0, NS_TS, payload(42, 1), 42, opt(le, 2, new W(le).u32(1).bytes()), endOpt(le)),
        epb(le, 0, NS_TS + 1_000_000_001n, payload(43, 2), 1500, opt(le, 2, new W(le).u32(2).bytes())),
        epb(le, 0, NS_TS + 2n, payload(44, 3)),
      );
      const out = readAllWays(file);
      expect(out.format).toBe('pcapng');
      expect(out.warnings).toEqual([]);
      expect(out.interfaces).toEqual([
        {
          id: 0,
          section: 0,
          linkType: 1,
          snaplen: 262144,
          name: 'eth0',
          description: 'uplink',
          tsUnitsPerSec: 1e9,
          tsOffsetSec: 0,
          fcsLen: 4,
        },
      ]);
      expect(out.records.map((r) => [r.tsSec, r.tsNsec, r.caplen, r.origLen, r.direction])).toEqual([
        [1795667558, 221416252, 42, 42, 'in'],
        [1795667559, 221416253, 43, 1500, 'out'],
        [1795667558, 221416254, 44, 44, null],
      ]);
      const first = out.records[0];
      expect(first?.offset).toBe(head.length);
      expect(first?.dataOffset).toBe((first?.offset ?? 0) + 28);
      expect(first?.data).toEqual(payload(42, 1));
    });
  }

  it('reads several sections of different byte order with file-wide interface ids', () => {
    const file = cat(
      shb(true),
      idb(true, 1, 0),
      idb(true, 113, 0),
      epb(true, 1, 1_000_000n, payload(10, 0)),
      shb(false, 1, 2),
      idb(false, 276, 0, opt(false, 9, [9])),
      epb(false, 0, 2_000_000_000n, payload(11, 0)),
      spb(false, 11, payload(11, 0)),
      shb(true),
      idb(true, 101, 0),
      epb(true, 0, 3_000_000n, payload(12, 0)),
    );
    const out = readAllWays(file);
    expect(out.warnings).toEqual([]);
    expect(out.interfaces.map((i) => [i.id, i.section, i.linkType])).toEqual([
      [0, 0, 1],
      [1, 0, 113],
      [2, 1, 276],
      [3, 2, 101],
    ]);
    expect(out.records.map((r) => [r.frame, r.interfaceId, r.linkType, r.tsSec])).toEqual([
      [1, 1, 113, 1],
      [2, 2, 276, 2],
      [3, 2, 276, 0],
      [4, 3, 101, 3],
    ]);
  });

  it('applies binary and decimal if_tsresol and if_tsoffset exactly', () => {
    const le = true;
    const file = cat(
      shb(le),
      idb(le, 1, 0, opt(le, 9, [0x80 | 20]), opt(le, 14, new W(le).u64(-100n).bytes())),
      idb(le, 1, 0, opt(le, 9, [3]), opt(le, 14, new W(le).u64(1000n).bytes())),
      idb(le, 1, 0),
      idb(le, 1, 0, opt(le, 9, [0x80 | 32])),
      idb(le, 1, 0, opt(le, 9, [12])),
      epb(le, 0, (1700000000n << 20n) + 524288n + 1n, payload(1, 0)),
      epb(le, 1, 1700000000_123n, payload(1, 0)),
      epb(le, 2, 1700000000_654321n, payload(1, 0)),
      epb(le, 3, (1700000000n << 32n) | 0xc0000000n, payload(1, 0)),
      epb(le, 4, 1000000_123456789012n, payload(1, 0)),
    );
    const out = readAllWays(file);
    expect(out.warnings).toEqual([]);
    expect(out.interfaces.map((i) => [i.tsUnitsPerSec, i.tsOffsetSec])).toEqual([
      [2 ** 20, -100],
      [1000, 1000],
      [1e6, 0],
      [2 ** 32, 0],
      [1e12, 0],
    ]);
    expect(out.records.map((r) => [r.tsSec, r.tsNsec])).toEqual([
      [1699999900, 500000953], // (2^19 + 1) / 2^20 s = 0.500000953… s, truncated
      [1700001000, 123000000],
      [1700000000, 654321000],
      [1700000000, 750000000],
      [1000000, 123456789],
    ]);
  });

  it('reads SPB (snaplen-bounded), obsolete PB, NRB, ISB and skips DSB, custom, journal and unknown blocks', () => {
    const le = false;
    const pb = block(
      le,
      2,
      new W(le)
        .u16(1)
        .u16(0)
        .u32(0)
        .u32(5_000_000)
        .u32(8)
        .u32(8)
        .raw(payload(8, 0))
        .raw(opt(le, 2, new W(le).u32(2).bytes()))
        .bytes(),
    );
    const nrb = block(
      le,
      4,
      cat(
        new W(le)
          .u16(1)
          .u16(4 + 8)
          .raw([10, 0, 0, 1])
          .raw(new TextEncoder().encode('a.lan\0b\0'))
          .pad4()
          .bytes(),
        new W(le)
          .u16(2)
          .u16(16 + 4)
          .raw([0xfd, 0, 0, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])
          .raw(new TextEncoder().encode('v6\0\0'))
          .bytes(),
        new W(le).u16(99).u16(3).raw([1, 2, 3]).pad4().bytes(),
        new W(le).u32(0).bytes(),
      ),
    );
    const isb = block(
      le,
      5,
      cat(
        new W(le).u32(1).u32(0).u32(0).bytes(),
        opt(le, 4, new W(le).u64(1000n).bytes()),
        opt(le, 5, new W(le).u64(3n).bytes()),
        opt(le, 8, new W(le).u64(990n).bytes()),
        endOpt(le),
      ),
    );
    const file = cat(
      shb(le),
      idb(le, 1, 16),
      idb(le, 113, 0),
      spb(le, 1500, payload(20, 0)),
      spb(le, 10, payload(12, 0)),
      pb,
      nrb,
      block(le, 0x0a, new W(le).u32(0x544c534b).u32(4).raw([1, 2, 3, 4]).bytes()),
      block(le, 0xbad, new W(le).u32(32473).raw([1, 2]).bytes()),
      block(le, 0x40000bad, new W(le).u32(32473).bytes()),
      block(le, 9, new TextEncoder().encode('__REALTIME_TIMESTAMP=1\n')),
      block(le, 0x80000001, payload(8, 0)),
      isb,
    );
    const out = readAllWays(file);
    expect(out.warnings).toEqual([]);
    expect(out.records.map((r) => [r.interfaceId, r.tsSec, r.caplen, r.origLen, r.direction])).toEqual([
      [0, 0, 16, 1500, null],
      [0, 0, 10, 10, null],
      [1, 5, 8, 8, 'out'],
    ]);
    expect(out.records[0]?.data).toEqual(payload(16, 0));
    expect(out.names).toEqual([
      { address: '10.0.0.1', names: ['a.lan', 'b'] },
      { address: 'fd00:10:1::2', names: ['v6'] },
    ]);
    expect(out.stats).toEqual([{ interfaceId: 1, ifRecv: 1000, ifDrop: 3, osDrop: null, usrDeliv: 990 }]);
  });

  it('resynchronises after a bad block length and after a trailing length mismatch', () => {
    const le = true;
    const head = cat(shb(le), idb(le, 1, 0));
    const e = (i: number) => epb(le, 0, BigInt(i) * 1_000_000n, payload(20, i));
    const badLen = e(2);
    badLen[4] = 0x3e; // 62: not a multiple of 4
    const badTrailer = e(4);
    badTrailer[badTrailer.length - 4] = 0x10;
    const file = cat(head, e(1), badLen, e(3), badTrailer, e(5));
    const at = (k: number) => head.length + e(1).length * k;
    const out = readAllWays(file);
    expect(out.records.map((r) => [r.tsSec, r.offset])).toEqual([
      [1, at(0)],
      [3, at(2)],
      [5, at(4)],
    ]);
    expect(out.warnings.map((w) => w.offset)).toEqual([at(1), at(2), at(3), at(4)]);
    expect(out.warnings[0]?.message).toMatch(/bad length 62/);
    expect(out.warnings[2]?.message).toMatch(/trailing length 16 differs/);
  });

  it('does not buffer an absurd block length: warns, resyncs and keeps the rest', () => {
    const le = false;
    const head = cat(shb(le), idb(le, 1, 65535));
    const e = (i: number) => epb(le, 0, BigInt(i) * 1_000_000n, payload(20, i));
    const absurd = e(2);
    absurd.set([0x7f, 0xff, 0xff, 0xf0], 4);
    const file = cat(head, e(1), absurd, e(3));
    const r = createCaptureReader();
    let peak = 0;
    for (let i = 0; i < file.length; i += 5) {
      r.push(file.subarray(i, i + 5));
      peak = Math.max(peak, r.bufferedBytes);
    }
    r.end();
    expect(peak).toBeLessThanOrEqual(4096);
    const out = readAllWays(file);
    expect(out.records.map((x) => x.tsSec)).toEqual([1, 3]);
    expect(out.warnings.map((w) => w.offset)).toEqual([head.length + 52, head.length + 104]);
  });

  it('reports a truncated final block, EPB overruns and unknown interfaces, and skips unsupported sections', () => {
    const le = true;
    const head = cat(shb(le), idb(le, 1, 0));
    const overrun = epb(le, 0, 1n, payload(8, 0));
    overrun[20] = 200; // caplen beyond the block
    const file = cat(
      head,
      overrun,
      epb(le, 5, 1n, payload(8, 0)),
      shb(le, 2, 0),
      idb(le, 1, 0),
      epb(le, 0, 1n, payload(8, 0)),
      shb(le),
      idb(le, 1, 0),
      epb(le, 0, 1n, payload(8, 0)),
    );
    const cut = cat(file, epb(le, 0, 1n, payload(40, 0)).subarray(0, 30));
    const out = readAllWays(cut);
    expect(out.records.map((r) => [r.interfaceId, r.caplen])).toEqual([
      [0, 8],
      [1, 8],
    ]);
    expect(out.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/caplen 200 exceeds the 8 bytes/),
      expect.stringMatching(/names interface 5, section has 1/),
      expect.stringMatching(/unsupported version 2\.0; skipped/),
      expect.stringMatching(
        new RegExp(`block type 0x00000006 at offset ${file.length} truncated \\(30 of 72`),
      ),
    ]);
  });
});

// ---- detection, streaming, timestamps ----------------------------------------------------------

describe('detection and streaming', () => {
  it('sniffs formats from the first bytes', () => {
    expect(sniffCapture(Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a]))).toBe('pcapng');
    expect(sniffCapture(Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1]))).toBe('pcap');
    expect(sniffCapture(Uint8Array.from([0xa1, 0xb2, 0x3c, 0x4d]))).toBe('pcap');
    expect(sniffCapture(Uint8Array.from([0x34, 0xcd, 0xb2, 0xa1]))).toBe('pcap');
    expect(sniffCapture(Uint8Array.from([0x4d, 0x3c, 0x2b, 0xa1]))).toBe('pcap');
    expect(sniffCapture(Uint8Array.from([0x4d, 0x3c, 0x2b, 0x1a]))).toBe(null);
    expect(sniffCapture(Uint8Array.from([0xd4, 0xc3]))).toBe(null);
  });

  it('gives records their own bytes even when the input is a Node Buffer (whose slice() is a view)', () => {
    const file = Buffer.from(cat(pcapHeader(), pcapRecord({ sec: 1, frac: 0, data: payload(8, 1) })));
    const out = readCaptureBytes(file);
    file.fill(0);
    expect(out.records[0]?.data).toEqual(payload(8, 1));
  });

  it('warns instead of throwing on empty, short and foreign input', () => {
    expect(readCaptureBytes(new Uint8Array(0)).warnings).toEqual([{ message: 'empty file', offset: 0 }]);
    expect(readCaptureBytes(Uint8Array.from([0xd4, 0xc3])).warnings[0]?.offset).toBe(0);
    const text = readCaptureBytes(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    expect(text.format).toBe(null);
    expect(text.warnings).toEqual([
      { message: 'not a pcap or pcapng file (first bytes 47 45 54 20)', offset: 0 },
    ]);
  });

  it('hands out data views valid during the callback, from a bounded buffer', () => {
    const file = cat(
      pcapHeader(),
      ...Array.from({ length: 200 }, (_, i) => pcapRecord({ sec: i, frac: 0, data: payload(100, i) })),
    );
    let checked = 0;
    const r = createCaptureReader({
      onRecord: (rec) => {
        expect(rec.data).toEqual(payload(100, rec.tsSec));
        checked++;
      },
    });
    // Reuse one chunk buffer, as a file reader would: the reader must not keep views into it.
    const buf = new Uint8Array(333);
    for (let i = 0; i < file.length; i += buf.length) {
      const n = Math.min(buf.length, file.length - i);
      buf.set(file.subarray(i, i + n));
      r.push(buf.subarray(0, n));
      buf.fill(0xee);
    }
    r.end();
    expect(checked).toBe(200);
    expect(r.bytesIn).toBe(file.length);
  });
});

describe('pcapng timestamp arithmetic', () => {
  it('matches BigInt arithmetic for decimal and binary resolutions', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const resByte of [0, 1, 3, 6, 9, 0x80 | 10, 0x80 | 30, 0x80 | 40]) {
      const res = tsResolution(resByte);
      for (let i = 0; i < 2000; i++) {
        const hi = i < 3 ? [0, 0x1fffff, 0xffffffff][i]! : Math.floor(rnd() * 2 ** 32);
        const lo = Math.floor(rnd() * 2 ** 32);
        const v = (BigInt(hi) << 32n) | BigInt(lo);
        const units = res.binary ? 1n << BigInt(res.exponent) : 10n ** BigInt(res.exponent);
        splitTimestamp(hi, lo, res);
        expect([tsOut.sec, tsOut.nsec]).toEqual([
          Number(v / units),
          Number(((v % units) * 1_000_000_000n) / units),
        ]);
      }
    }
  });
});
