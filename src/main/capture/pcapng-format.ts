// pcapng (draft-ietf-opsawg-pcapng): sections, interfaces, packet, name-resolution and statistics blocks.
import type { CaptureInterface, InterfaceStats } from './types';
import type { CaptureSink, FormatParser } from './format-parser';
import { MAX_UNIT_BYTES, hex32, viewOf } from './format-parser';
import type { TsResolution } from './timestamp';
import { splitTimestamp, tsOut, tsResolution } from './timestamp';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const PB = 2;
const SPB = 3;
const NRB = 4;
const ISB = 5;
const EPB = 6;
const JOURNAL = 9;
const DSB = 0x0a;
const CB_COPY = 0x00000bad;
const CB_NOCOPY = 0x40000bad;
const BOM = 0x1a2b3c4d;

// Block types a resync scan may land on; anything else is too likely to be packet bytes.
const KNOWN_TYPES = new Set([IDB, PB, SPB, NRB, ISB, EPB, JOURNAL, DSB, CB_COPY, CB_NOCOPY]);

/** Smallest valid total length per block type (header, fixed fields, trailer). */
function minBlockLen(type: number): number {
  switch (type) {
    case SHB:
      return 28;
    case IDB:
      return 20;
    case EPB:
    case PB:
      return 32;
    case SPB:
      return 16;
    case ISB:
      return 24;
    default:
      return 12;
  }
}

interface SectionIface {
  iface: CaptureInterface;
  res: TsResolution;
}

const BLOCK_BOUND = 16 * 1024 * 1024;

const BLOCKS = 0;
const RESYNC = 1;

const utf8 = new TextDecoder('utf-8');

function text(bytes: Uint8Array, start: number, len: number): string {
  let end = start + len;
  while (end > start && bytes[end - 1] === 0) end--;
  return utf8.decode(bytes.subarray(start, end));
}

function hexBytes(bytes: Uint8Array, start: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len; i++) parts.push((bytes[start + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** RFC 5952 text form of the 16-byte IPv6 address at `start`. */
function ipv6Text(dv: DataView, start: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(dv.getUint16(start + 2 * i, false));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return hex(w.slice(0, bestAt)) + '::' + hex(w.slice(bestAt + bestLen));
}

/** Parser for a pcapng file (the caller has recognised the SHB type at the start). */
export function createPcapngParser(sink: CaptureSink): FormatParser {
  let le = true;
  let section = -1;
  let skipSection = false;
  let ifaces: SectionIface[] = [];
  let nextIfaceId = 0;
  let frame = 0;
  let phase = BLOCKS;
  let resyncFrom = 0;
  // Largest block length we believe. wiretap allows ~400 KiB; 16 MiB leaves room for big non-packet
  // blocks, and a section whose IDBs declare a larger snaplen raises it (up to MAX_UNIT_BYTES), so a
  // corrupt length never makes us buffer far beyond what the file itself says is possible.
  let blockBound = BLOCK_BOUND;

  function warn(message: string, offset: number): void {
    sink.warning({ message: `pcapng: ${message}`, offset });
  }

  // Calls fn for each option in [start, end); stops at opt_endofopt or at the block end, which
  // the draft requires readers to honour even when opt_endofopt is missing.
  function eachOption(
    dv: DataView,
    start: number,
    end: number,
    base: number,
    fn: (code: number, at: number, len: number) => void,
  ): void {
    let q = start;
    while (q + 4 <= end) {
      const code = dv.getUint16(q, le);
      const len = dv.getUint16(q + 2, le);
      if (code === 0) return;
      if (q + 4 + len > end) {
        warn(`option ${code} at offset ${base + q} runs past the end of its block`, base + q);
        return;
      }
      fn(code, q + 4, len);
      q += 4 + ((len + 3) & ~3);
    }
  }

  function onShb(dv: DataView, p: number, base: number, blockLe: boolean): void {
    le = blockLe;
    section++;
    ifaces = [];
    blockBound = BLOCK_BOUND;
    const major = dv.getUint16(p + 12, le);
    const minor = dv.getUint16(p + 14, le);
    // Version 1.2 was never different from 1.0 on the wire; other majors are a different format.
    skipSection = major !== 1;
    if (skipSection)
      warn(`section at offset ${base + p} has unsupported version ${major}.${minor}; skipped`, base + p);
  }

  function onIdb(bytes: Uint8Array, dv: DataView, p: number, total: number, base: number): void {
    const iface: CaptureInterface = {
      id: nextIfaceId++,
      section,
      linkType: dv.getUint16(p + 8, le),
      snaplen: dv.getUint32(p + 12, le),
      name: null,
      description: null,
      tsUnitsPerSec: 1e6,
      tsOffsetSec: 0,
      fcsLen: 0,
    };
    let res = tsResolution(6);
    eachOption(dv, p + 16, p + total - 4, base, (code, at, len) => {
      if (code === 2) iface.name = text(bytes, at, len);
      else if (code === 3) iface.description = text(bytes, at, len);
      else if (code === 9 && len >= 1) res = tsResolution(bytes[at] ?? 6);
      else if (code === 14 && len >= 8) iface.tsOffsetSec = Number(dv.getBigInt64(at, le));
      else if (code === 13 && len >= 1) {
        // The draft says bits; some writers put bytes. A multiple of 8 can only be bits.
        const v = bytes[at] ?? 0;
        iface.fcsLen = v >= 8 && v % 8 === 0 ? v / 8 : v;
      }
    });
    iface.tsUnitsPerSec = res.unitsPerSec;
    blockBound = Math.max(blockBound, Math.min(MAX_UNIT_BYTES, iface.snaplen + 65536));
    ifaces.push({ iface, res });
    sink.iface(iface);
  }

  function lookup(localId: number, p: number, base: number, what: string): SectionIface | null {
    const si = ifaces[localId];
    if (!si)
      warn(
        `${what} at offset ${base + p} names interface ${localId}, section has ${ifaces.length}`,
        base + p,
      );
    return si ?? null;
  }

  function emit(
    bytes: Uint8Array,
    p: number,
    base: number,
    si: SectionIface,
    tsSec: number,
    tsNsec: number,
    dataAt: number,
    caplen: number,
    origLen: number,
    flags: number,
  ): void {
    const d = flags & 3;
    sink.record({
      frame: ++frame,
      offset: base + p,
      dataOffset: base + dataAt,
      tsSec,
      tsNsec,
      caplen,
      origLen,
      interfaceId: si.iface.id,
      linkType: si.iface.linkType,
      direction: d === 1 ? 'in' : d === 2 ? 'out' : null,
      // a plain view (Buffer's subarray() goes through its species constructor), kept inside `bytes`
      data: new Uint8Array(
        bytes.buffer,
        bytes.byteOffset + dataAt,
        Math.max(0, Math.min(caplen, bytes.length - dataAt)),
      ),
    });
  }

  // EPB (type 6) and the obsolete PB (type 2) share the layout after the interface id.
  function onPacket(
    bytes: Uint8Array,
    dv: DataView,
    p: number,
    total: number,
    base: number,
    pb: boolean,
  ): void {
    const localId = pb ? dv.getUint16(p + 8, le) : dv.getUint32(p + 8, le);
    const si = lookup(localId, p, base, pb ? 'packet block' : 'enhanced packet block');
    if (!si) return;
    let caplen = dv.getUint32(p + 20, le);
    const origLen = dv.getUint32(p + 24, le);
    const room = total - 32;
    if (caplen > room) {
      warn(
        `packet at offset ${base + p}: caplen ${caplen} exceeds the ${room} bytes its block holds`,
        base + p,
      );
      caplen = room;
    }
    let flags = 0;
    const optStart = p + 28 + ((caplen + 3) & ~3);
    const end = p + total - 4;
    if (optStart < end) {
      eachOption(dv, optStart, end, base, (code, at, len) => {
        if (code === 2 && len >= 4) flags = dv.getUint32(at, le);
      });
    }
    splitTimestamp(dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), si.res);
    emit(bytes, p, base, si, tsOut.sec + si.iface.tsOffsetSec, tsOut.nsec, p + 28, caplen, origLen, flags);
  }

  function onSpb(bytes: Uint8Array, dv: DataView, p: number, total: number, base: number): void {
    const si = lookup(0, p, base, 'simple packet block');
    if (!si) return;
    const origLen = dv.getUint32(p + 8, le);
    let caplen = Math.min(origLen, total - 16);
    if (si.iface.snaplen > 0) caplen = Math.min(caplen, si.iface.snaplen);
    // No timestamp in an SPB: 0 says "unknown" rather than inventing one.
    emit(bytes, p, base, si, 0, 0, p + 12, caplen, origLen, 0);
  }

  function onNrb(bytes: Uint8Array, dv: DataView, p: number, total: number, base: number): void {
    const end = p + total - 4;
    let q = p + 8;
    while (q + 4 <= end) {
      const type = dv.getUint16(q, le);
      const len = dv.getUint16(q + 2, le);
      if (type === 0) return;
      const at = q + 4;
      if (at + len > end) {
        warn(`name record at offset ${base + q} runs past the end of its block`, base + q);
        return;
      }
      const alen = type === 1 ? 4 : type === 2 ? 16 : type === 3 ? 6 : type === 4 ? 8 : -1;
      if (alen > 0 && len >= alen) {
        const address =
          type === 1
            ? `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`
            : type === 2
              ? ipv6Text(dv, at)
              : hexBytes(bytes, at, alen);
        const names = utf8
          .decode(bytes.subarray(at + alen, at + len))
          .split('\0')
          .filter((s) => s.length > 0);
        sink.names({ address, names });
      }
      q = at + ((len + 3) & ~3);
    }
  }

  function onIsb(dv: DataView, p: number, total: number, base: number): void {
    const si = lookup(dv.getUint32(p + 8, le), p, base, 'interface statistics block');
    if (!si) return;
    const stats: InterfaceStats = {
      interfaceId: si.iface.id,
      ifRecv: null,
      ifDrop: null,
      osDrop: null,
      usrDeliv: null,
    };
    eachOption(dv, p + 20, p + total - 4, base, (code, at, len) => {
      if (len < 8) return;
      const v = dv.getUint32(at + (le ? 4 : 0), le) * 4294967296 + dv.getUint32(at + (le ? 0 : 4), le);
      if (code === 4) stats.ifRecv = v;
      else if (code === 5) stats.ifDrop = v;
      else if (code === 7) stats.osDrop = v;
      else if (code === 8) stats.usrDeliv = v;
    });
    sink.stats(stats);
  }

  // Byte order a block at p would be read in: an SHB carries its own (null when its magic is bad).
  function blockOrder(bytes: Uint8Array, dv: DataView, p: number): boolean | null {
    if (bytes[p] !== 0x0a || bytes[p + 1] !== 0x0d || bytes[p + 2] !== 0x0d || bytes[p + 3] !== 0x0a)
      return le;
    if (dv.getUint32(p + 8, true) === BOM) return true;
    if (dv.getUint32(p + 8, false) === BOM) return false;
    return null;
  }

  // 1: a well-formed known block starts at p; 0: it does not; negative: need that many bytes.
  function candidateAt(bytes: Uint8Array, dv: DataView, p: number, n: number, final: boolean): number {
    const order = blockOrder(bytes, dv, p);
    if (order === null) return 0;
    const type = dv.getUint32(p, order);
    if (type !== SHB && !KNOWN_TYPES.has(type)) return 0;
    const total = dv.getUint32(p + 4, order);
    if (total % 4 !== 0 || total < minBlockLen(type) || total > blockBound) return 0;
    if (type === EPB && dv.getUint32(p + 8, order) >= ifaces.length) return 0;
    if (p + total > n) return final ? 0 : -total;
    return dv.getUint32(p + total - 4, order) === total ? 1 : 0;
  }

  const parser: FormatParser = {
    need: 12,
    parse(bytes: Uint8Array, base: number, final: boolean): number {
      const n = bytes.length;
      const dv = viewOf(bytes);
      let p = 0;
      for (;;) {
        if (n - p < 12) {
          parser.need = 12;
          return p;
        }
        if (phase === RESYNC) {
          const c = candidateAt(bytes, dv, p, n, final);
          if (c === 0) {
            p += 1;
            continue;
          }
          if (c < 0) {
            parser.need = -c;
            return p;
          }
          warn(
            `resynchronised at offset ${base + p} after skipping ${base + p - resyncFrom} bytes`,
            base + p,
          );
          phase = BLOCKS;
        }
        const order = blockOrder(bytes, dv, p);
        if (order === null) {
          warn(
            `section header at offset ${base + p} has a bad byte-order magic; scanning for the next block`,
            base + p,
          );
          phase = RESYNC;
          resyncFrom = base + p;
          p += 1;
          continue;
        }
        const type = dv.getUint32(p, order);
        const total = dv.getUint32(p + 4, order);
        if (total % 4 !== 0 || total < minBlockLen(type) || total > blockBound) {
          warn(
            `block type ${hex32(type)} at offset ${base + p} has bad length ${total}; scanning for the next block`,
            base + p,
          );
          phase = RESYNC;
          resyncFrom = base + p;
          p += 1;
          continue;
        }
        if (n - p < total) {
          parser.need = total;
          return p;
        }
        const trailer = dv.getUint32(p + total - 4, order);
        if (trailer !== total) {
          warn(
            `block type ${hex32(type)} at offset ${base + p}: trailing length ${trailer} differs from ${total}; scanning for the next block`,
            base + p,
          );
          phase = RESYNC;
          resyncFrom = base + p;
          p += 1;
          continue;
        }
        if (type === SHB) onShb(dv, p, base, order);
        else if (!skipSection) {
          if (type === EPB) onPacket(bytes, dv, p, total, base, false);
          else if (type === IDB) onIdb(bytes, dv, p, total, base);
          else if (type === SPB) onSpb(bytes, dv, p, total, base);
          else if (type === PB) onPacket(bytes, dv, p, total, base, true);
          else if (type === NRB) onNrb(bytes, dv, p, total, base);
          else if (type === ISB) onIsb(dv, p, total, base);
          // DSB, custom blocks (0xBAD, 0x40000BAD), systemd journal and unknown types: skipped.
        }
        p += total;
      }
    },
    finish(bytes: Uint8Array, base: number): void {
      const used = parser.parse(bytes, base, true);
      const left = bytes.length - used;
      const at = base + used;
      if (phase === RESYNC) {
        warn(
          `no plausible block after offset ${resyncFrom}; ${at + left - resyncFrom} bytes skipped to end of file`,
          resyncFrom,
        );
      } else if (left >= 12) {
        const dv = viewOf(bytes);
        const order = blockOrder(bytes, dv, used) ?? le;
        const type = dv.getUint32(used, order);
        const total = dv.getUint32(used + 4, order);
        warn(`block type ${hex32(type)} at offset ${at} truncated (${left} of ${total} bytes present)`, at);
      } else if (left > 0) {
        warn(`block header truncated at offset ${at} (${left} of 12 bytes)`, at);
      }
    },
  };
  return parser;
}
