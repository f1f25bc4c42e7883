// Internal contract between the streaming reader and the per-format parsers (pcap, pcapng).
import type { CaptureInterface, CaptureRecord, CaptureWarning, InterfaceStats, NameRecord } from './types';

/** Where a format parser delivers what it finds. */
export interface CaptureSink {
  record(rec: CaptureRecord): void;
  iface(iface: CaptureInterface): void;
  warning(w: CaptureWarning): void;
  names(n: NameRecord): void;
  stats(s: InterfaceStats): void;
}

/**
 * A push parser over a window of the file. `parse` consumes whole units (records, blocks, skipped
 * garbage) from the start of `bytes` and returns how many bytes it consumed; afterwards `need` is the
 * number of bytes (counted from the new start) it must see before it can make progress again, which
 * is always more than it was left with, so the caller knows how much to buffer.
 */
export interface FormatParser {
  parse(bytes: Uint8Array, base: number, final: boolean): number;
  need: number;
  /** End of input: report what is left over (a truncated record or block) as warnings. */
  finish(bytes: Uint8Array, base: number): void;
}

/** Largest record/block we are willing to buffer (libpcap's and wiretap's largest per-link maximum). */
export const MAX_UNIT_BYTES = 256 * 1024 * 1024;

/** DataView over exactly the bytes of `b` (Node Buffers share a pooled ArrayBuffer). */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Hex rendering of a 32-bit value for messages. */
export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
