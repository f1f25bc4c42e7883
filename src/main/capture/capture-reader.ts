// Streaming reader for capture files: classic pcap (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng).
import type { CaptureInterface, CaptureRecord, CaptureWarning, InterfaceStats, NameRecord } from './types';
import type { CaptureSink, FormatParser } from './format-parser';
import { createPcapParser, pcapVariant } from './pcap-format';
import { createPcapngParser } from './pcapng-format';

/** Container format of a capture file. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** Callbacks of a streaming reader; each is optional. */
export interface CaptureReaderOptions {
  /** A packet record. `rec.data` views the reader's buffers and is only valid during the call: copy it to keep it. */
  onRecord?: (rec: CaptureRecord) => void;
  onInterface?: (iface: CaptureInterface) => void;
  onWarning?: (w: CaptureWarning) => void;
  onNames?: (n: NameRecord) => void;
  onStats?: (s: InterfaceStats) => void;
}

/** A push-based reader: feed the file in order with push(), then call end(). */
export interface CaptureReader {
  push(chunk: Uint8Array): void;
  end(): void;
  /** Detected format, null until the first 4 bytes have arrived (or when they match neither). */
  readonly format: CaptureFormat | null;
  /** Bytes pushed so far. */
  readonly bytesIn: number;
  /** Capacity of the internal tail buffer: what the reader holds between pushes. */
  readonly bufferedBytes: number;
}

/** Everything in a capture file, for tests and small files. */
export interface CaptureContents {
  format: CaptureFormat | null;
  interfaces: CaptureInterface[];
  records: CaptureRecord[];
  warnings: CaptureWarning[];
  names: NameRecord[];
  stats: InterfaceStats[];
}

/** Recognise a capture file from its first 4 bytes. */
export function sniffCapture(head: Uint8Array): CaptureFormat | null {
  if (head.length < 4) return null;
  if (head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a) return 'pcapng';
  return pcapVariant(head) ? 'pcap' : null;
}

const noop = (): void => {};

/** Create a streaming reader; memory is bounded by the largest single record, not the file size. */
export function createCaptureReader(opts: CaptureReaderOptions = {}): CaptureReader {
  const sink: CaptureSink = {
    record: opts.onRecord ?? noop,
    iface: opts.onInterface ?? noop,
    warning: opts.onWarning ?? noop,
    names: opts.onNames ?? noop,
    stats: opts.onStats ?? noop,
  };
  let format: CaptureFormat | null = null;
  let parser: FormatParser | null = null;
  let unknown = false;
  let ended = false;
  // Unconsumed tail, owned by the reader (the caller may reuse its chunk buffers).
  let tail = new Uint8Array(0);
  let tailLen = 0;
  let tailBase = 0;
  let bytesIn = 0;

  function append(src: Uint8Array): void {
    if (tailLen + src.length > tail.length) {
      const grown = new Uint8Array(Math.max(tailLen + src.length, tail.length * 2, 4096));
      grown.set(tail.subarray(0, tailLen));
      tail = grown;
    }
    tail.set(src, tailLen);
    tailLen += src.length;
  }

  function detect(head: Uint8Array): boolean {
    if (head.length < 4) return false;
    format = sniffCapture(head);
    const v = pcapVariant(head);
    if (format === 'pcapng') parser = createPcapngParser(sink);
    else if (v) parser = createPcapParser(sink, v);
    else {
      unknown = true;
      const magic = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      sink.warning({ message: `not a pcap or pcapng file (first bytes ${magic})`, offset: 0 });
    }
    return true;
  }

  // Parse as much of `bytes` (at file offset `base`) as possible; returns bytes consumed.
  function run(bytes: Uint8Array, base: number): number {
    if (!parser) return 0;
    const used = parser.parse(bytes, base, false);
    // The contract says need > what is left; guard against a parser bug turning into a busy loop.
    if (parser.need <= bytes.length - used) parser.need = bytes.length - used + 1;
    return used;
  }

  const reader: CaptureReader = {
    get format() {
      return format;
    },
    get bytesIn() {
      return bytesIn;
    },
    get bufferedBytes() {
      return tail.length;
    },
    push(chunk: Uint8Array): void {
      if (ended || chunk.length === 0) return;
      const chunkBase = bytesIn;
      bytesIn += chunk.length;
      if (unknown) return;
      let pos = 0;
      if (!parser) {
        // Only the first 4 bytes decide; keep them in the tail until they are all here.
        const take = Math.min(4 - tailLen, chunk.length);
        append(chunk.subarray(0, take));
        pos = take;
        if (!detect(tail.subarray(0, tailLen))) return;
        if (unknown) {
          tailLen = 0;
          return;
        }
      }
      const p = parser as FormatParser | null;
      if (!p) return;
      while (pos < chunk.length) {
        if (tailLen === 0) {
          // Fast path: parse straight from the caller's chunk, copy only the unfinished tail.
          const used = run(chunk.subarray(pos), chunkBase + pos);
          pos += used;
          tailBase = chunkBase + pos;
          append(chunk.subarray(pos));
          return;
        }
        // Top the tail up with just what the parser said it needs, so a straddling record costs
        // one small copy and the rest of the chunk is parsed in place.
        const take = Math.min(Math.max(p.need - tailLen, 1), chunk.length - pos);
        append(chunk.subarray(pos, pos + take));
        pos += take;
        if (tailLen < p.need) continue;
        const used = run(tail.subarray(0, tailLen), tailBase);
        if (used > 0) {
          tail.copyWithin(0, used, tailLen);
          tailLen -= used;
          tailBase += used;
        }
      }
    },
    end(): void {
      if (ended) return;
      ended = true;
      if (!parser && !unknown) {
        sink.warning({
          message: tailLen === 0 ? 'empty file' : `file too short to be a capture (${tailLen} bytes)`,
          offset: 0,
        });
        return;
      }
      if (parser) parser.finish(tail.subarray(0, tailLen), tailBase);
      tailLen = 0;
      // Release a tail that may have grown large for one big record.
      tail = new Uint8Array(0);
    },
  };
  return reader;
}

/** Read a whole capture held in memory; records get their own copies of the packet bytes. */
export function readCaptureBytes(bytes: Uint8Array): CaptureContents {
  const out: CaptureContents = {
    format: null,
    interfaces: [],
    records: [],
    warnings: [],
    names: [],
    stats: [],
  };
  const reader = createCaptureReader({
    // new Uint8Array(view) copies; Buffer#slice would not.
    onRecord: (rec) => out.records.push({ ...rec, data: new Uint8Array(rec.data) }),
    onInterface: (i) => out.interfaces.push(i),
    onWarning: (w) => out.warnings.push(w),
    onNames: (n) => out.names.push(n),
    onStats: (s) => out.stats.push(s),
  });
  reader.push(bytes);
  reader.end();
  out.format = reader.format;
  return out;
}
