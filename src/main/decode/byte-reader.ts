// Bounds-checked reads over one captured frame (the protobuf-es BinaryReader / gopacket DecodeFeedback model).

/**
 * One frame's bytes behind a DataView over their whole read chunk. Decoders call `has` once per
 * header and then read fixed offsets: `has` is the only bounds check (the view spans the chunk, so
 * reading past the frame without it would read the next record, a bug).
 */
export class ByteReader {
  bytes: Uint8Array;
  /** a view over the whole underlying buffer, kept while frames come from the same one */
  private view: DataView;
  /** where the frame starts in that buffer */
  private base: number;
  /** captured length of the frame */
  length: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    // byteOffset matters: Node Buffers are slices of a shared pool or of a read chunk.
    this.view = new DataView(bytes.buffer);
    this.base = bytes.byteOffset;
    this.length = bytes.byteLength;
  }

  /** Points the reader at another frame (the records of one read chunk share one view). */
  reset(bytes: Uint8Array): this {
    if (bytes.buffer !== this.view.buffer) this.view = new DataView(bytes.buffer);
    this.bytes = bytes;
    this.base = bytes.byteOffset;
    this.length = bytes.byteLength;
    return this;
  }

  /** True when the n bytes at off lie before end (end itself never exceeds the captured length). */
  has(off: number, n: number, end: number): boolean {
    return off >= 0 && off + n <= end && end <= this.length;
  }

  /** Unsigned byte at off. */
  u8(off: number): number {
    return this.bytes[off]!;
  }

  /** Big-endian (network order) u16 at off. */
  u16(off: number): number {
    return this.view.getUint16(this.base + off, false);
  }

  /** Little-endian u16 at off (host-order fields written on x86/arm capturers). */
  u16le(off: number): number {
    return this.view.getUint16(this.base + off, true);
  }

  /** Big-endian u32 at off, as an unsigned number. */
  u32(off: number): number {
    return this.view.getUint32(this.base + off, false);
  }

  /** Little-endian u32 at off, as an unsigned number. */
  u32le(off: number): number {
    return this.view.getUint32(this.base + off, true);
  }
}
