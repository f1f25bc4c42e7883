// Classic pcap (draft-ietf-opsawg-pcap), with the variants and quirks libpcap's sf-pcap.c accepts.
import type { CaptureSink, FormatParser } from './format-parser';
import { MAX_UNIT_BYTES, hex32, viewOf } from './format-parser';

/** What the 4-byte magic of a classic pcap file tells us. */
export interface PcapVariant {
  /** Byte order of every header field. */
  le: boolean;
  /** Record ts_frac counts nanoseconds (else microseconds). */
  nanos: boolean;
  /** Kuznetzov "modified" pcap: 24-byte record headers with ifindex, protocol, pkt_type. */
  modified: boolean;
  name: string;
}

// Magic as read little-endian from the first 4 file bytes; the other byte order reads reversed.
const MAGICS: ReadonlyArray<[number, boolean, boolean, string]> = [
  [0xa1b2c3d4, false, false, 'pcap'],
  [0xa1b23c4d, true, false, 'pcap-ns'],
  [0xa1b2cd34, false, true, 'pcap-kuznetzov'],
  [0xa12b3c4d, true, false, 'pcap-navtel-ns'],
];

/** Recognise a classic pcap magic in the first 4 file bytes; null when it is not one. */
export function pcapVariant(head: Uint8Array): PcapVariant | null {
  if (head.length < 4) return null;
  const b0 = head[0] ?? 0;
  const b1 = head[1] ?? 0;
  const b2 = head[2] ?? 0;
  const b3 = head[3] ?? 0;
  const asLe = (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
  const asBe = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  for (const [magic, nanos, modified, name] of MAGICS) {
    if (asLe === magic) return { le: true, nanos, modified, name };
    if (asBe === magic) return { le: false, nanos, modified, name };
  }
  return null;
}

const HEADER = 0;
const RECORDS = 1;
const RESYNC = 2;

// Version quirks from libpcap sf-pcap.c: before 2.3 caplen and len were written swapped; 2.3 files
// may or may not be, so swap only when caplen > len.
const SWAP_NEVER = 0;
const SWAP_ALWAYS = 1;
const SWAP_MAYBE = 2;

/** Parser for the body of a classic pcap file (the caller has already recognised the magic). */
export function createPcapParser(sink: CaptureSink, v: PcapVariant): FormatParser {
  const le = v.le;
  const nanos = v.nanos;
  const hdrLen = v.modified ? 24 : 16;
  const fracUnits = nanos ? 1e9 : 1e6;
  let phase = HEADER;
  let swap = SWAP_NEVER;
  let snaplen = 0;
  let linkType = 0;
  let absurdBound = MAX_UNIT_BYTES;
  let resyncCapBound = 262144;
  let frame = 0;
  let prevSec = -1;
  let resyncFrom = 0;
  let snapBound = Infinity;
  const oddSeen = new Set<string>();

  // Records that are readable but not what a sane writer produces; reported once per kind so a
  // fuzzed or odd file does not flood the warnings.
  function oddRecord(offset: number, caplen: number, origLen: number): void {
    const kind =
      origLen === 0
        ? 'orig_len 0'
        : caplen > origLen
          ? 'caplen above orig_len'
          : `caplen above snaplen ${snaplen}`;
    if (oddSeen.has(kind)) return;
    oddSeen.add(kind);
    sink.warning({
      message: `pcap: record at offset ${offset} has ${kind} (caplen ${caplen}, orig_len ${origLen}); first of its kind`,
      offset,
    });
  }

  function readLens(dv: DataView, p: number): [number, number] {
    const a = dv.getUint32(p + 8, le);
    const b = dv.getUint32(p + 12, le);
    if (swap === SWAP_ALWAYS || (swap === SWAP_MAYBE && a > b)) return [b, a];
    return [a, b];
  }

  // A record header that could be real: fraction in range, caplen bounded and not above len,
  // timestamp close to the reference (the last good record) when there is one.
  function plausible(dv: DataView, p: number, refSec: number, before: number, after: number): boolean {
    const sec = dv.getUint32(p, le);
    if (dv.getUint32(p + 4, le) >= fracUnits) return false;
    const [caplen, orig] = readLens(dv, p);
    if (orig === 0 || orig > MAX_UNIT_BYTES || caplen > orig || caplen > resyncCapBound) return false;
    if (refSec >= 0 && (sec < refSec - before || sec > refSec + after)) return false;
    return true;
  }

  // 1: a record at p whose successor is also plausible (or which ends exactly at end of file);
  // 0: not a record; negative: need that many bytes from p to decide.
  function candidateAt(dv: DataView, p: number, n: number, final: boolean): number {
    if (!plausible(dv, p, prevSec, 3600, 7 * 86400)) return 0;
    const [caplen] = readLens(dv, p);
    const next = p + hdrLen + caplen;
    if (next + hdrLen > n) {
      if (!final) return -(next + hdrLen - p);
      return next === n ? 1 : 0;
    }
    return plausible(dv, next, dv.getUint32(p, le), 3600, 86400) ? 1 : 0;
  }

  function readHeader(dv: DataView, base: number): void {
    const major = dv.getUint16(4, le);
    const minor = dv.getUint16(6, le);
    snaplen = dv.getUint32(16, le);
    const rawLink = dv.getUint32(20, le);
    linkType = rawLink & 0xffff;
    if (major < 2 || (major === 2 && minor < 3) || major === 543) swap = SWAP_ALWAYS;
    else if (major === 2 && minor === 3) swap = SWAP_MAYBE;
    if (major !== 2 && major !== 543) {
      sink.warning({
        message: `pcap: unexpected version ${major}.${minor}, reading as 2.4`,
        offset: base + 4,
      });
    }
    // Bit 26 (P) says bits 28-31 hold the FCS length in 16-bit words (libpcap ignores them without P,
    // and fuzzed files often set them); bits 16-25 and 27 are reserved.
    const fcsValid = (rawLink & 0x04000000) !== 0;
    const fcsLen = fcsValid ? ((rawLink >>> 28) & 0xf) * 2 : 0;
    if ((rawLink & 0x0bff0000) !== 0) {
      sink.warning({
        message: `pcap: link type field ${hex32(rawLink)} has reserved bits set; using link type ${linkType}`,
        offset: base + 20,
      });
    }
    snapBound = snaplen === 0 ? Infinity : snaplen;
    absurdBound = Math.min(MAX_UNIT_BYTES, Math.max(snaplen, 262144) * 4);
    resyncCapBound = Math.min(absurdBound, Math.max(snaplen === 0 ? 262144 : snaplen, 65535));
    sink.iface({
      id: 0,
      section: 0,
      linkType,
      snaplen,
      name: null,
      description: null,
      tsUnitsPerSec: fracUnits,
      tsOffsetSec: 0,
      fcsLen,
    });
  }

  const parser: FormatParser = {
    need: 24,
    parse(bytes: Uint8Array, base: number, final: boolean): number {
      const n = bytes.length;
      const dv = viewOf(bytes);
      let p = 0;
      if (phase === HEADER) {
        if (n < 24) {
          parser.need = 24;
          return 0;
        }
        readHeader(dv, base);
        phase = RECORDS;
        p = 24;
      }
      for (;;) {
        if (n - p < hdrLen) {
          parser.need = hdrLen;
          return p;
        }
        if (phase === RESYNC) {
          const c = candidateAt(dv, p, n, final);
          if (c === 0) {
            p += 1;
            continue;
          }
          if (c < 0) {
            parser.need = -c;
            return p;
          }
          sink.warning({
            message: `pcap: resynchronised at offset ${base + p} after skipping ${base + p - resyncFrom} bytes`,
            offset: base + p,
          });
          phase = RECORDS;
        }
        // Inlined readLens: this is the per-record hot path, so no tuple allocation.
        let caplen = dv.getUint32(p + 8, le);
        let origLen = dv.getUint32(p + 12, le);
        if (swap !== SWAP_NEVER && (swap === SWAP_ALWAYS || caplen > origLen)) {
          const t = caplen;
          caplen = origLen;
          origLen = t;
        }
        if (caplen > absurdBound) {
          sink.warning({
            message: `pcap: record at offset ${base + p} claims caplen ${caplen} (bound ${absurdBound}); scanning for the next plausible record`,
            offset: base + p,
          });
          phase = RESYNC;
          resyncFrom = base + p;
          p += 1;
          continue;
        }
        if (caplen > snapBound || caplen > origLen || origLen === 0) oddRecord(base + p, caplen, origLen);
        const total = hdrLen + caplen;
        if (n - p < total) {
          parser.need = total;
          return p;
        }
        let tsSec = dv.getUint32(p, le);
        const frac = dv.getUint32(p + 4, le);
        let tsNsec: number;
        if (frac < fracUnits) {
          tsNsec = nanos ? frac : frac * 1000;
        } else {
          // Out-of-range fraction (seen in fuzzed and buggy files): carry whole seconds over.
          tsSec += Math.floor(frac / fracUnits);
          tsNsec = nanos ? frac % fracUnits : (frac % fracUnits) * 1000;
        }
        prevSec = tsSec;
        sink.record({
          frame: ++frame,
          offset: base + p,
          dataOffset: base + p + hdrLen,
          tsSec,
          tsNsec,
          caplen,
          origLen,
          interfaceId: 0,
          linkType,
          direction: v.modified ? (bytes[p + 22] === 4 ? 'out' : 'in') : null,
          // a plain view: Buffer's subarray() goes through its species constructor, per record
          data: new Uint8Array(bytes.buffer, bytes.byteOffset + p + hdrLen, caplen),
        });
        p += total;
      }
    },
    finish(bytes: Uint8Array, base: number): void {
      const used = parser.parse(bytes, base, true);
      const left = bytes.length - used;
      const at = base + used;
      if (phase === HEADER) {
        sink.warning({ message: `pcap: file header truncated (${left} of 24 bytes)`, offset: at });
      } else if (phase === RESYNC) {
        sink.warning({
          message: `pcap: no plausible record after offset ${resyncFrom}; ${at + left - resyncFrom} bytes skipped to end of file`,
          offset: resyncFrom,
        });
      } else if (left > 0) {
        sink.warning({
          message:
            left < hdrLen
              ? `pcap: record header truncated at offset ${at} (${left} of ${hdrLen} bytes)`
              : `pcap: record at offset ${at} truncated (${left - hdrLen} of ${readLens(viewOf(bytes), used)[0]} data bytes present)`,
          offset: at,
        });
      }
    },
  };
  return parser;
}
