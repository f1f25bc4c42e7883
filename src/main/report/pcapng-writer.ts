// pcapng writer (draft-ietf-opsawg-pcapng): Section Header, Interface Description and Enhanced
// Packet Blocks, little-endian, nanosecond timestamps. Pure: returns bytes, writes no files.

/** One interface of the file (an IDB); packets refer to it by its index in write order. */
export interface PcapngInterface {
  /** LINKTYPE_* of the packet bytes */
  linkType: number;
  /** 0 = no limit */
  snaplen: number;
  name?: string | null;
  description?: string | null;
}

/** One packet (an EPB). */
export interface PcapngPacket {
  /** index of its IDB in the section */
  iface: number;
  /** nanoseconds since the Unix epoch (every IDB written here has if_tsresol 9) */
  tsNs: bigint;
  data: Uint8Array;
  /** length on the wire (≥ data.length) */
  origLen: number;
  direction?: 'in' | 'out' | null;
  comment?: string | null;
}

const SHB = 0x0a0d0d0a;
const IDB = 1;
const EPB = 6;
const BOM = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

const utf8 = new TextEncoder();
const pad4 = (n: number): number => (n + 3) & ~3;

interface Opt {
  code: number;
  value: Uint8Array;
}

function optsLength(opts: Opt[]): number {
  // each option: code, length, value padded; then opt_endofopt
  return opts.length ? opts.reduce((n, o) => n + 4 + pad4(o.value.length), 0) + 4 : 0;
}

/** Writes a block: type, total length, `body` (fixed fields), options, total length again. */
function block(
  type: number,
  bodyLen: number,
  fill: (dv: DataView, bytes: Uint8Array) => void,
  opts: Opt[],
): Uint8Array {
  const total = 12 + pad4(bodyLen) + optsLength(opts);
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  fill(new DataView(bytes.buffer, 8, bodyLen), bytes.subarray(8, 8 + bodyLen));
  let at = 8 + pad4(bodyLen);
  if (opts.length) {
    for (const o of opts) {
      dv.setUint16(at, o.code, true);
      dv.setUint16(at + 2, o.value.length, true);
      bytes.set(o.value, at + 4);
      at += 4 + pad4(o.value.length);
    }
    dv.setUint16(at, OPT_END, true);
    dv.setUint16(at + 2, 0, true);
    at += 4;
  }
  dv.setUint32(at, total, true);
  return bytes;
}

function textOpt(code: number, s: string | null | undefined): Opt[] {
  if (!s) return [];
  let value = utf8.encode(s);
  // an option's length is 16 bits
  if (value.length > 0xfff0) value = value.subarray(0, 0xfff0);
  return [{ code, value }];
}

/** A Section Header Block (version 1.0, section length unknown). */
export function shbBlock(userAppl?: string): Uint8Array {
  return block(
    SHB,
    16,
    (dv) => {
      dv.setUint32(0, BOM, true);
      dv.setUint16(4, 1, true);
      dv.setUint16(6, 0, true);
      dv.setBigInt64(8, -1n, true);
    },
    textOpt(SHB_USERAPPL, userAppl),
  );
}

/** An Interface Description Block with if_name, if_description and if_tsresol = 9 (ns). */
export function idbBlock(i: PcapngInterface): Uint8Array {
  return block(
    IDB,
    8,
    (dv) => {
      dv.setUint16(0, i.linkType & 0xffff, true);
      dv.setUint16(2, 0, true);
      dv.setUint32(4, i.snaplen >>> 0, true);
    },
    [
      ...textOpt(IF_NAME, i.name),
      ...textOpt(IF_DESCRIPTION, i.description),
      { code: IF_TSRESOL, value: Uint8Array.of(9) },
    ],
  );
}

/** An Enhanced Packet Block; epb_flags carries the direction when it is known. */
export function epbBlock(p: PcapngPacket): Uint8Array {
  const opts: Opt[] = [...textOpt(OPT_COMMENT, p.comment)];
  if (p.direction) {
    // epb_flags bits 0-1: 01 inbound, 10 outbound
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, p.direction === 'in' ? 1 : 2, true);
    opts.push({ code: EPB_FLAGS, value: v });
  }
  return block(
    EPB,
    20 + p.data.length,
    (dv, bytes) => {
      dv.setUint32(0, p.iface >>> 0, true);
      dv.setUint32(4, Number((p.tsNs >> 32n) & 0xffffffffn), true);
      dv.setUint32(8, Number(p.tsNs & 0xffffffffn), true);
      dv.setUint32(12, p.data.length, true);
      dv.setUint32(16, Math.max(p.origLen, p.data.length) >>> 0, true);
      bytes.set(p.data, 20);
    },
    opts,
  );
}
