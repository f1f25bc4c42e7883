// Capture file records, independent of the container format (classic pcap, pcapng).

/** One interface a capture file describes (pcap: the single implicit one; pcapng: one per IDB). */
export interface CaptureInterface {
  /** Index across the whole file (pcapng sections restart IDB numbering; this does not). */
  id: number;
  /** pcapng section number (0-based); 0 for classic pcap. */
  section: number;
  /** LINKTYPE_* value (already masked to 16 bits). */
  linkType: number;
  snaplen: number;
  name: string | null;
  description: string | null;
  /** Timestamp units per second (1e6 for µs, 1e9 for ns, 2^n for binary resolutions). */
  tsUnitsPerSec: number;
  /** if_tsoffset, seconds to add. */
  tsOffsetSec: number;
  /** FCS bytes at the end of each frame, when the file says so (pcap FCS bits, if_fcslen). */
  fcsLen: number;
}

/** One packet record. `data` is a subarray of the reader's buffer: copy it to keep it. */
export interface CaptureRecord {
  /** 1-based record number in the file, counting packet records only (as tshark numbers frames). */
  frame: number;
  /** Byte offset of the record (block) header in the file. */
  offset: number;
  /** Byte offset of the first packet byte in the file (to re-read it later). */
  dataOffset: number;
  /** Whole seconds since the epoch. */
  tsSec: number;
  /** Nanoseconds within the second, 0..999999999. */
  tsNsec: number;
  /** Bytes present in the file. */
  caplen: number;
  /** Length on the wire. */
  origLen: number;
  /** CaptureInterface.id */
  interfaceId: number;
  linkType: number;
  /** From pcapng epb_flags (bits 0-1) or the Kuznetzov pkt_type; null when unknown. */
  direction: 'in' | 'out' | null;
  data: Uint8Array;
}

/** Something wrong in the file, located by byte offset. */
export interface CaptureWarning {
  message: string;
  offset: number;
}

/** Name resolution records (pcapng NRB). */
export interface NameRecord {
  address: string;
  names: string[];
}

/** Interface statistics (pcapng ISB). */
export interface InterfaceStats {
  interfaceId: number;
  ifRecv: number | null;
  ifDrop: number | null;
  osDrop: number | null;
  usrDeliv: number | null;
}
