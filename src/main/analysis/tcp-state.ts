// TCP connection tracking as the kernel does it (net/netfilter/nf_conntrack_proto_tcp.c,
// tcp_conntracks[][][]), plus Zeek's conn_state and history (base/protocols/conn/main.zeek).
import { TCP } from './observation';

/** conntrack TCP states, in the kernel's numbering order. */
export const TCP_STATES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;
export type TcpState = (typeof TCP_STATES)[number];

const [sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const sIV = -1; // invalid packet: state unchanged, packet INVALID
const sIG = -2; // ignored: state unchanged, packet accepted

// [dir][packet type][state] — packet types: syn, synack, fin, ack, rst, none.
const TABLE: number[][][] = [
  [
    [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** The kernel's packet classification (get_conntrack_index). */
function packetIndex(flags: number): number {
  if (flags & TCP.RST) return 4;
  if (flags & TCP.SYN) return flags & TCP.ACK ? 1 : 0;
  if (flags & TCP.FIN) return 2;
  if (flags & TCP.ACK) return 3;
  return 5;
}

// The kernel's tcp_valid_flags table (nf_conntrack_proto_tcp.c): anything else is INVALID.
const VALID_FLAGS = new Uint8Array(64);
for (const f of [
  TCP.SYN,
  TCP.SYN | TCP.URG,
  TCP.SYN | TCP.ACK,
  TCP.RST,
  TCP.RST | TCP.ACK,
  TCP.RST | TCP.ACK | TCP.PSH,
  TCP.FIN | TCP.ACK,
  TCP.FIN | TCP.ACK | TCP.URG,
  TCP.ACK,
  TCP.ACK | TCP.URG,
  TCP.FIN | TCP.ACK | TCP.PSH,
  TCP.FIN | TCP.ACK | TCP.PSH | TCP.URG,
  TCP.ACK | TCP.PSH,
  TCP.ACK | TCP.PSH | TCP.URG,
])
  VALID_FLAGS[f] = 1;

/** Flag combinations the kernel's tcp_error() rejects outright (tcp_valid_flags). */
export function badTcpFlags(flags: number): boolean {
  return VALID_FLAGS[flags & 0x3f] !== 1;
}

/** The ctstate one packet gets and why. */
export interface TcpVerdict {
  ctstate: 'NEW' | 'ESTABLISHED' | 'INVALID';
  reason: string | null;
  retransmission: boolean;
  zeroWindow: boolean;
}

// Sequence numbers are u32, -1 = none yet. Numbers, never null: a field that only ever holds
// numbers is updated in place, where one that may hold null takes a new heap number per packet
// (kept by a long-lived connection, each one would outlive the young generation).
interface DirState {
  /** highest sequence number end seen (seq + len, SYN/FIN count 1), -1 = none */
  end: number;
  /** highest ack + window (scaled) announced by this side: what the other side may send up to, -1 = none */
  maxWinEnd: number;
  wscale: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  retrans: number;
}

const UPPER: Record<string, string> = Object.fromEntries(
  [...'abcdefghijklmnopqrstuvwxyz'].map((c) => [c, c.toUpperCase()]),
);

function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** Tracks one TCP connection: conntrack state with timestamped transitions, Zeek history and conn_state. */
export class TcpTracker {
  state = sNO;
  transitions: Array<{ ts: number; state: TcpState }> = [];
  history = '';
  private readonly dirs: [DirState, DirState] = [this.newDir(), this.newDir()];
  private replySeen = false;
  private synAckSeen = false;
  private origSynSeen = false;
  retransmissions = 0;
  zeroWindows = 0;
  /** packets the kernel would call INVALID, by reason */
  invalid: string[] = [];

  /** Back to a new connection's state (a recycled flow's tracker); returns itself. */
  reset(): this {
    this.state = sNO;
    this.transitions = [];
    this.history = '';
    for (const d of this.dirs) {
      d.end = -1;
      d.maxWinEnd = -1;
      d.wscale = 0;
      d.syn = d.fin = d.rst = false;
      d.retrans = 0;
    }
    this.replySeen = this.synAckSeen = this.origSynSeen = false;
    this.retransmissions = 0;
    this.zeroWindows = 0;
    this.invalid = [];
    return this;
  }

  private newDir(): DirState {
    return { end: -1, maxWinEnd: -1, wscale: 0, syn: false, fin: false, rst: false, retrans: 0 };
  }

  /** Current conntrack TCP state name. */
  get stateName(): TcpState {
    return TCP_STATES[this.state]!;
  }

  /** `l` is the lower-case letter; the originator's are written upper-case. */
  private letter(dir: 0 | 1, l: string): void {
    const ch = dir === 0 ? UPPER[l]! : l;
    // Zeek records most letters once per direction; keep that compact form (a few letters: the
    // history itself is the set)
    if (this.history.includes(ch)) return;
    this.history += ch;
  }

  /** Feeds one packet (journey) of the connection. */
  packet(
    ts: number,
    dir: 0 | 1,
    flags: number,
    seq: number,
    ack: number,
    win: number,
    payloadLen: number,
    wscale: number | null,
  ): TcpVerdict {
    const d = this.dirs[dir];
    const other = this.dirs[dir === 0 ? 1 : 0];
    let reason: string | null = null;
    let retransmission = false;

    // Zeek history letters
    if (flags & TCP.SYN && flags & TCP.FIN) this.letter(dir, 'q');
    if (flags & TCP.SYN) this.letter(dir, flags & TCP.ACK ? 'h' : 's');
    else if (flags & TCP.RST) this.letter(dir, 'r');
    else if (flags & TCP.FIN) this.letter(dir, 'f');
    if (payloadLen > 0) this.letter(dir, 'd');
    else if (flags === TCP.ACK) this.letter(dir, 'a');

    const segLen = payloadLen + (flags & TCP.SYN ? 1 : 0) + (flags & TCP.FIN ? 1 : 0);
    // retransmission: data (or SYN/FIN) entirely below what this side already sent
    if (segLen > 0 && d.end >= 0 && !seqAfter((seq + segLen) >>> 0, d.end) && !(flags & TCP.RST)) {
      retransmission = true;
      this.retransmissions++;
      d.retrans++;
      this.letter(dir, 't');
    }
    const zeroWindow = win === 0 && !(flags & TCP.RST);
    if (zeroWindow) {
      this.zeroWindows++;
      this.letter(dir, 'w');
    }

    if (badTcpFlags(flags)) {
      reason = 'invalid TCP flag combination';
      this.invalid.push(reason);
      return { ctstate: 'INVALID', reason, retransmission, zeroWindow };
    }

    // Window check (tcp_in_window, simplified): data far beyond what the peer allowed is INVALID.
    if (
      this.state !== sNO &&
      !(flags & TCP.SYN) &&
      other.maxWinEnd >= 0 &&
      segLen > 0 &&
      seqAfter(seq, (other.maxWinEnd + 1) >>> 0)
    ) {
      reason = 'out of window';
      this.invalid.push(reason);
      return { ctstate: 'INVALID', reason, retransmission, zeroWindow };
    }

    const idx = packetIndex(flags);
    const next = TABLE[dir]![idx]![this.state]!;
    if (next === sIV) {
      reason =
        this.state === sNO
          ? `no connection for ${idx === 1 ? 'SYN/ACK' : idx === 4 ? 'RST' : idx === 2 ? 'FIN' : 'packet'}`
          : `${['SYN', 'SYN/ACK', 'FIN', 'ACK', 'RST', 'flagless'][idx]} not expected in ${this.stateName}`;
      this.invalid.push(reason);
      return { ctstate: 'INVALID', reason, retransmission, zeroWindow };
    }

    // bookkeeping for windows and Zeek states
    if (flags & TCP.SYN) {
      d.syn = true;
      if (wscale !== null) d.wscale = wscale;
      if (dir === 0 && !(flags & TCP.ACK)) this.origSynSeen = true;
      if (dir === 1 && flags & TCP.ACK) this.synAckSeen = true;
    }
    if (flags & TCP.FIN) d.fin = true;
    if (flags & TCP.RST) d.rst = true;
    const endNow = (seq + segLen) >>> 0;
    if (d.end < 0 || seqAfter(endNow, d.end)) d.end = endNow;
    if (flags & TCP.ACK) {
      const winEnd = (ack + (win << (flags & TCP.SYN ? 0 : d.wscale))) >>> 0;
      if (d.maxWinEnd < 0 || seqAfter(winEnd, d.maxWinEnd)) d.maxWinEnd = winEnd;
    }

    const wasNew = !this.replySeen;
    if (dir === 1) this.replySeen = true;
    if (next !== sIG && next !== this.state) {
      this.state = next;
      this.transitions.push({ ts, state: this.stateName });
    }
    const ctstate = dir === 0 && wasNew ? 'NEW' : 'ESTABLISHED';
    return { ctstate, reason: null, retransmission, zeroWindow };
  }

  /** Zeek conn_state code from what was seen. */
  connState(): string {
    const [o, r] = this.dirs;
    const established = this.origSynSeen && this.synAckSeen;
    if (!this.origSynSeen && !this.synAckSeen) {
      if (!o.syn && !r.syn) return 'OTH';
    }
    if (this.origSynSeen && !this.synAckSeen) {
      if (r.rst) return 'REJ';
      if (o.rst) return 'RSTOS0';
      if (o.fin) return 'SH';
      return 'S0';
    }
    if (!this.origSynSeen && this.synAckSeen) {
      if (r.rst) return 'RSTRH';
      if (r.fin) return 'SHR';
      return 'OTH';
    }
    if (established) {
      if (o.rst) return 'RSTO';
      if (r.rst) return 'RSTR';
      if (o.fin && r.fin) return 'SF';
      if (o.fin) return 'S2';
      if (r.fin) return 'S3';
      return 'S1';
    }
    return 'OTH';
  }

  /** True once a new SYN on this tuple would start a new connection (kernel: CLOSE/TIME_WAIT). */
  reusable(): boolean {
    return this.state === sCL || this.state === sTW;
  }

  /** True when the connection was accepted mid-stream (first orig packet a bare ACK). */
  get startedMidstream(): boolean {
    return this.transitions[0]?.state === 'ESTABLISHED';
  }
}

/** conntrack's default per-state timeouts in seconds (6.18), for idle expiry. */
export const TCP_TIMEOUTS: Record<TcpState, number> = {
  NONE: 120,
  SYN_SENT: 120,
  SYN_RECV: 60,
  ESTABLISHED: 432000,
  FIN_WAIT: 120,
  CLOSE_WAIT: 60,
  LAST_ACK: 30,
  TIME_WAIT: 120,
  CLOSE: 10,
  SYN_SENT2: 120,
};
