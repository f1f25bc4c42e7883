// Bounds-checked reads over one captured frame (the protobuf-es BinaryReader / gopacket DecodeFeedback model).

/**
 * One frame's bytes behind a DataView. Decoders call `has` once per header and then read fixed
 * offsets; the DataView's own range check is only a safety net (a RangeError here is a bug).
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** captured length of the frame */
  readonly length: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    // byteOffset/byteLength matter: Node Buffers are slices of a shared pool.
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }

  /** True when the n bytes at off lie before end (end itself never exceeds the captured length). */
  has(off: number, n: number, end: number): boolean {
    return off >= 0 && off + n <= end && end <= this.length;
  }

  /** Unsigned byte at off. */
  u8(off: number): number {
    return this.view.getUint8(off);
  }

  /** Big-endian (network order) u16 at off. */
  u16(off: number): number {
    return this.view.getUint16(off, false);
  }

  /** Little-endian u16 at off (host-order fields written on x86/arm capturers). */
  u16le(off: number): number {
    return this.view.getUint16(off, true);
  }

  /** Big-endian u32 at off, as an unsigned number. */
  u32(off: number): number {
    return this.view.getUint32(off, false);
  }

  /** Little-endian u32 at off, as an unsigned number. */
  u32le(off: number): number {
    return this.view.getUint32(off, true);
  }
}
