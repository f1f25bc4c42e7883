// TCP header and options (RFC 9293; window scale and timestamps RFC 7323; SACK RFC 2018; NS RFC 3540).
import type { ByteReader } from './byte-reader';
import type { DecodedPacket, TcpInfo } from './types';
import { fail } from './packet';

// Options are read only up to `end` (what was captured); hdrEnd is where the header says they stop.
function decodeOptions(
  r: ByteReader,
  off: number,
  hdrEnd: number,
  end: number,
  t: TcpInfo,
  p: DecodedPacket,
): void {
  const stop = hdrEnd < end ? hdrEnd : end;
  while (off < stop) {
    const kind = r.u8(off);
    if (kind === 0) return; // end of option list
    if (kind === 1) {
      off++; // NOP
      continue;
    }
    if (off + 1 >= stop) return; // length byte not captured (already flagged as truncated) or missing
    const len = r.u8(off + 1);
    if (len < 2 || off + len > hdrEnd) {
      p.anomalies.push('tcp.bad-option');
      return;
    }
    if (off + len > end) return; // cut by the snap length
    if (kind === 2 && len === 4) t.mss = r.u16(off + 2);
    else if (kind === 3 && len === 3) t.wscale = r.u8(off + 2);
    else if (kind === 4 && len === 2) t.sackPermitted = true;
    else if (kind === 5 && len >= 10 && (len - 2) % 8 === 0) {
      const blocks: Array<[number, number]> = [];
      for (let b = off + 2; b < off + len; b += 8) blocks.push([r.u32(b), r.u32(b + 4)]);
      t.sack = blocks;
    } else if (kind === 8 && len === 10) {
      t.tsVal = r.u32(off + 2);
      t.tsEcr = r.u32(off + 6);
    } else if (kind <= 8 && kind !== 6 && kind !== 7) {
      // a known option with the wrong length: what follows is probably misaligned, trust none of it
      p.anomalies.push('tcp.bad-option');
      return;
    }
    off += len;
  }
}

/** Decode a TCP segment at off: ports, flags (NS as bit 8), seq/ack, window, options, payload length. */
export function decodeTcp(
  r: ByteReader,
  off: number,
  end: number,
  wireEnd: number,
  p: DecodedPacket,
  _depth: number,
): void {
  if (!r.has(off, 4, end)) {
    fail(p, 'tcp.truncated', off);
    return;
  }
  p.sport = r.u16(off);
  p.dport = r.u16(off + 2);
  if (!r.has(off, 20, end)) {
    fail(p, 'tcp.truncated', off);
    return;
  }
  const b12 = r.u8(off + 12);
  const doff = b12 >> 4;
  const hdrEnd = off + (doff << 2);
  const t: TcpInfo = {
    flags: ((b12 & 1) << 8) | r.u8(off + 13),
    seq: r.u32(off + 4),
    ack: r.u32(off + 8),
    window: r.u16(off + 14),
    payloadLen: wireEnd > hdrEnd ? wireEnd - hdrEnd : 0,
    dataOffset: doff,
    mss: null,
    wscale: null,
    sackPermitted: false,
    sack: null,
    tsVal: null,
    tsEcr: null,
  };
  p.tcp = t;
  if (doff < 5) {
    t.payloadLen = 0;
    fail(p, 'tcp.bad-data-offset', off + 20);
    return;
  }
  if (doff > 5) decodeOptions(r, off + 20, hdrEnd, end, t, p);
  if (hdrEnd > end) {
    fail(p, 'tcp.truncated', end);
    return;
  }
  p.payloadOffset = hdrEnd;
  p.payloadCaptured = end - hdrEnd;
}
