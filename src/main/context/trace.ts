// Netfilter packet-path traces: iptables `xtables-monitor.c --trace`, nftables `netlink.c`/`trace.c` `nft monitor trace`,
// and legacy `ip_tables.c` trace_packet kernel-log lines (nf_log_syslog.c body).
import { parseRuleText } from './iptables-save';
import type { ParseResult, TextWarning } from './types';

/** Which tool produced a trace line. */
export type TraceFormat = 'xtables-monitor' | 'nft-monitor' | 'kernel-log';

/** Packet header fields as a trace prints them at one base chain (absent = not printed). */
export interface TraceHeader {
  in?: string;
  out?: string;
  macsrc?: string;
  macdst?: string;
  macproto?: string;
  loopback?: boolean;
  /** `LL=0x<arphrd> <hex>`: link type and bytes (sign extension undone). */
  llType?: number;
  llBytes?: string;
  src?: string;
  dst?: string;
  proto?: string;
  len?: number;
  tos?: string;
  ttl?: number;
  ipid?: number;
  df?: boolean;
  mf?: boolean;
  ce?: boolean;
  tc?: number;
  hoplimit?: number;
  flowlabel?: number;
  sport?: number;
  dport?: number;
  tcpflags?: string[];
  tcpWindow?: number;
  icmpType?: string;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  mark?: number;
  /** Tokens the parser did not interpret. */
  other?: string[];
}

/** One trace event (a rule, policy or return line, or an nft conntrack line). */
export interface TraceEvent {
  type: 'rule' | 'policy' | 'return' | 'conntrack';
  line: number;
  /** `table:chain`. */
  chain: string;
  /** nft rule handle (xtables prints it in hex); legacy kernel log gives a position instead. */
  handle?: number;
  position?: number;
  /** ACCEPT, DROP, CONTINUE, RETURN, JUMP:X, GOTO:X, QUEUE, STOLEN (upper case); absent in legacy kernel logs. */
  verdict?: string;
  rule?: string;
  mark?: number;
  /** nft ≥ 1.1.4 conntrack line. */
  ct?: { state?: string; direction?: string; status?: string[]; id?: number };
}

/** Events of one base chain evaluation, with the header printed there. */
export interface TraceStep {
  chain: string;
  packet: TraceHeader;
  packetLine?: number;
  events: TraceEvent[];
}

/** A rule that matched on the packet's way (instrumentation probes left out). */
export interface TraceRuleMatch {
  chain: string;
  handle?: number;
  verdict?: string;
  rule: string;
}

/** One packet's traversal of the hooks, reconstructed from the trace. */
export interface TraceTraversal {
  traceId: string;
  /** All trace ids that belong to this traversal (more than one when re-linked, e.g. br_netfilter). */
  traceIds: string[];
  format: TraceFormat;
  family: string;
  /** Line of the first event. */
  firstLine: number;
  /** User-space receive time from a `[sec.nsec]` prefix. */
  seenAt?: number;
  /** Kernel-log framing time (dmesg seconds since boot or the syslog stamp). */
  kernelTime?: string;
  kind: 'forward' | 'input' | 'output' | 'prerouting-only' | 'postrouting-only' | 'unknown';
  iif: string | null;
  oif: string | null;
  headerFirst: TraceHeader;
  headerLast: TraceHeader;
  /** Base chains in order (`raw:PREROUTING`, …). */
  path: string[];
  /** Chains including user chains, one entry each time evaluation enters or returns to a chain. */
  chains: string[];
  steps: TraceStep[];
  /** Returns the trace did not print (end of a jumped-to chain), inferred from the call stack. */
  implicitReturns: { from: string; to: string; line: number }[];
  verdict: string | null;
  verdictChain: string | null;
  verdictRule: string | null;
  ctState: string | null;
  ctDir: string | null;
  ctStatus: string[];
  ctNat: string[];
  rulesMatched: TraceRuleMatch[];
  natRules: TraceRuleMatch[];
}

/** Hook and priority of a base chain, for nft tables whose chain names do not say it. */
export interface BaseChainInfo {
  hook: string;
  priority: number;
}

/** Options of parseTrace. */
export interface TraceOptions {
  /** `table:chain` → hook/priority for non-iptables base chains (e.g. from the nft ruleset). */
  baseChains?: Record<string, BaseChainInfo>;
}

/** What parseTrace returns: traversals as records, plus the raw event count. */
export interface TraceParseResult extends ParseResult<TraceTraversal> {
  format: TraceFormat | null;
  /** Number of rule/policy/return/conntrack events read. */
  events: number;
  /** Number of packet header lines read. */
  packetLines: number;
}

const HOOKS: Record<string, string> = {
  PREROUTING: 'prerouting',
  INPUT: 'input',
  FORWARD: 'forward',
  OUTPUT: 'output',
  POSTROUTING: 'postrouting',
};
const HOOK_NEXT: Record<string, string[]> = {
  prerouting: ['input', 'forward'],
  forward: ['postrouting'],
  output: ['postrouting'],
  input: [],
  postrouting: [],
};
const XT_FAMILY: Record<string, string> = {
  '1': 'inet',
  '2': 'ipv4',
  '3': 'arp',
  '5': 'netdev',
  '7': 'bridge',
  '10': 'ipv6',
};
const NFT_FAMILY: Record<string, string> = {
  ip: 'ipv4',
  ip6: 'ipv6',
  inet: 'inet',
  arp: 'arp',
  bridge: 'bridge',
  netdev: 'netdev',
};
const TERMINAL = new Set(['ACCEPT', 'DROP', 'QUEUE', 'STOLEN']);
const ICMP_CODES: Record<string, number> = {
  'net-unreachable': 0,
  'host-unreachable': 1,
  'prot-unreachable': 2,
  'port-unreachable': 3,
  'frag-needed': 4,
  'net-prohibited': 9,
  'host-prohibited': 10,
  'admin-prohibited': 13,
};
const ICMPV6_CODES: Record<string, number> = {
  'no-route': 0,
  'admin-prohibited': 1,
  'addr-unreachable': 3,
  'port-unreachable': 4,
  'policy-fail': 5,
  'reject-route': 6,
};

/** Numeric priority of an iptables table at a hook (nat is −100 for DNAT hooks, +100 for SNAT hooks). */
export function iptablesPriority(table: string, hook: string): number | undefined {
  switch (table) {
    case 'raw':
      return -300;
    case 'mangle':
      return -150;
    case 'nat':
      return hook === 'prerouting' || hook === 'output' ? -100 : 100;
    case 'filter':
      return 0;
    case 'security':
      return 50;
  }
  return undefined;
}

/** Hook and priority of a `table:CHAIN` base chain, when known. */
function baseInfo(chain: string, opts: TraceOptions): BaseChainInfo | undefined {
  const given = opts.baseChains?.[chain];
  if (given) return given;
  const i = chain.indexOf(':');
  const hook = HOOKS[chain.slice(i + 1)];
  if (!hook) return undefined;
  const priority = iptablesPriority(chain.slice(0, i), hook) ?? 0;
  return { hook, priority };
}

/** True when a base chain can run after another for the same packet (same hook at a higher priority, or a later hook). */
export function canFollow(prev: string, next: string, opts: TraceOptions = {}): boolean {
  if (prev === next) return false;
  const a = baseInfo(prev, opts);
  const b = baseInfo(next, opts);
  if (!a || !b) return true;
  if (a.hook === b.hook) return b.priority >= a.priority;
  return (HOOK_NEXT[a.hook] ?? []).includes(b.hook);
}

/** Canonical (RFC 5952) text of an IPv6 address; other strings are returned unchanged. */
export function canonicalIPv6(addr: string): string {
  if (!addr.includes(':')) return addr;
  let s = addr.toLowerCase();
  let tail: number[] = [];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    s = s.slice(0, v4.index) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return addr;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return addr;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...rest].map((g) =>
    parseInt(g, 16),
  );
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) return addr;
  if (tail.length) groups.splice(6, 2, ...tail);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Zero-pads a MAC printed by ether_ntoa (`2:0:a:a:1:2` → `02:00:0a:0a:01:02`). */
export function canonicalMac(mac: string): string {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) return mac;
  return parts.map((p) => p.padStart(2, '0').toLowerCase()).join(':');
}

/** Undoes xtables-monitor's sign extension of link-layer bytes ≥ 0x80 (`fffffff4` → `f4`). */
export function decodeSignExtendedHex(hex: string): string {
  let out = '';
  let i = 0;
  while (i < hex.length) {
    const c = hex[i]!;
    if (c >= '0' && c <= '7') {
      out += hex.slice(i, i + 2);
      i += 2;
    } else if (hex.slice(i, i + 6).toLowerCase() === 'ffffff' && i + 8 <= hex.length) {
      out += hex.slice(i + 6, i + 8);
      i += 8;
    } else {
      out += hex.slice(i, i + 2);
      i += 2;
    }
  }
  return out.toLowerCase();
}

/** Maps an xtables-monitor verdict word (`0xfffffffb` is RETURN) to upper-case text. */
function xtVerdict(v: string): string {
  if (/^0x/i.test(v)) {
    const n = parseInt(v.slice(2), 16) | 0;
    const names: Record<number, string> = {
      [-5]: 'RETURN',
      [-1]: 'CONTINUE',
      [-2]: 'BREAK',
      [-3]: 'JUMP',
      [-4]: 'GOTO',
      0: 'DROP',
      1: 'ACCEPT',
      2: 'STOLEN',
      3: 'QUEUE',
      4: 'REPEAT',
    };
    return names[n] ?? v;
  }
  return v;
}

/** Maps an nft verdict (`jump CHK`, `accept`) to the xtables spelling (`JUMP:CHK`, `ACCEPT`). */
function nftVerdict(v: string): string {
  const p = v.trim().split(/\s+/);
  const w = (p[0] ?? '').toUpperCase();
  return (w === 'JUMP' || w === 'GOTO') && p[1] ? `${w}:${p[1]}` : w;
}

/** Parses the header tokens of an xtables-monitor PACKET line. */
function parseXtHeader(tokens: string[]): TraceHeader {
  const h: TraceHeader = {};
  const other: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const eq = t.indexOf('=');
    const k = eq > 0 ? t.slice(0, eq) : t;
    const v = eq > 0 ? t.slice(eq + 1) : '';
    switch (k) {
      case 'IN':
        if (v) h.in = v;
        break;
      case 'OUT':
        if (v) h.out = v;
        break;
      case 'MACSRC':
        h.macsrc = canonicalMac(v);
        break;
      case 'MACDST':
        h.macdst = canonicalMac(v);
        break;
      case 'MACPROTO':
        h.macproto = v;
        break;
      case 'LOOPBACK':
        h.loopback = true;
        break;
      case 'LL':
        h.llType = parseInt(v.replace(/^0x/i, ''), 16);
        if (tokens[i + 1] && /^[0-9a-f]+$/i.test(tokens[i + 1]!) && !tokens[i + 1]!.includes('='))
          h.llBytes = decodeSignExtendedHex(tokens[++i]!);
        break;
      case 'SRC':
        h.src = canonicalIPv6(v);
        break;
      case 'DST':
        h.dst = canonicalIPv6(v);
        break;
      case 'LEN':
        h.len = Number(v);
        break;
      case 'TOS':
        h.tos = v;
        break;
      case 'TTL':
        h.ttl = Number(v);
        break;
      case 'ID':
        h.ipid = Number(v);
        break;
      case 'TC':
        h.tc = Number(v);
        break;
      case 'HOPLIMIT':
        h.hoplimit = Number(v);
        break;
      case 'FLOWLBL':
        h.flowlabel = Number(v);
        break;
      case 'SPORT':
        h.sport = Number(v);
        break;
      case 'DPORT':
        h.dport = Number(v);
        break;
      case 'MARK':
        h.mark = parseInt(v.replace(/^0x/i, ''), 16);
        break;
      case 'DF':
        h.df = true;
        break;
      case 'MF':
        h.mf = true;
        break;
      case 'CE':
        h.ce = true;
        break;
      case 'SYN':
      case 'ACK':
      case 'FIN':
      case 'RST':
      case 'PSH':
      case 'URG':
      case 'ECE':
      case 'CWR':
        (h.tcpflags ??= []).push(k);
        break;
      case 'NFPROTO':
        break;
      default:
        other.push(t);
    }
  }
  // xtables-monitor prints L4 flags only for TCP; ICMP and others print no L4 fields.
  if (h.tcpflags) h.proto = 'tcp';
  if (other.length) h.other = other;
  return h;
}

/** Parses the LOG-format body of a legacy TRACE kernel-log line (bracketed inner packets skipped). */
function parseLogHeader(body: string): TraceHeader {
  const h: TraceHeader = {};
  const other: string[] = [];
  // Inner packet of ICMP errors and OPT (...) groups would repeat SRC=/DST=: drop them first.
  const text = body.replace(/\[[^\]]*\]/g, ' ').replace(/OPT \([^)]*\)/g, ' ');
  let proto: string | undefined;
  for (const t of text.split(/\s+/).filter(Boolean)) {
    const eq = t.indexOf('=');
    const k = eq > 0 ? t.slice(0, eq) : t;
    const v = eq > 0 ? t.slice(eq + 1) : '';
    switch (k) {
      case 'IN':
        if (v) h.in = v;
        break;
      case 'OUT':
        if (v) h.out = v;
        break;
      case 'MAC': {
        const b = v.split(':');
        if (b.length >= 14) {
          h.macdst = canonicalMac(b.slice(0, 6).join(':'));
          h.macsrc = canonicalMac(b.slice(6, 12).join(':'));
          h.macproto = b.slice(12, 14).join('');
        }
        break;
      }
      case 'SRC':
        if (h.src === undefined) h.src = canonicalIPv6(v);
        break;
      case 'DST':
        if (h.dst === undefined) h.dst = canonicalIPv6(v);
        break;
      case 'LEN':
        if (h.len === undefined) h.len = Number(v);
        break;
      case 'TOS':
        h.tos = v;
        break;
      case 'TTL':
        h.ttl = Number(v);
        break;
      case 'HOPLIMIT':
        h.hoplimit = Number(v);
        break;
      case 'TC':
        h.tc = Number(v);
        break;
      case 'FLOWLBL':
        h.flowlabel = Number(v);
        break;
      case 'ID':
        if (proto === 'icmp' || proto === 'icmpv6') h.icmpId = Number(v);
        else h.ipid = Number(v);
        break;
      case 'SEQ':
        if (proto === 'icmp' || proto === 'icmpv6') h.icmpSeq = Number(v);
        break;
      case 'PROTO':
        proto = v.toLowerCase();
        h.proto = proto;
        break;
      case 'SPT':
        h.sport = Number(v);
        break;
      case 'DPT':
        h.dport = Number(v);
        break;
      case 'WINDOW':
        h.tcpWindow = Number(v);
        break;
      case 'TYPE':
        h.icmpType = v;
        break;
      case 'CODE':
        h.icmpCode = Number(v);
        break;
      case 'MARK':
        h.mark = parseInt(v.replace(/^0x/i, ''), 16);
        break;
      case 'DF':
        h.df = true;
        break;
      case 'MF':
        h.mf = true;
        break;
      case 'CE':
        h.ce = true;
        break;
      case 'SYN':
      case 'ACK':
      case 'FIN':
      case 'RST':
      case 'PSH':
      case 'URG':
      case 'ECE':
      case 'CWR':
        // `ACK=` is the acknowledgement number; the bare word is the flag.
        if (proto === 'tcp' && eq < 0) (h.tcpflags ??= []).push(k);
        break;
      case 'PREC':
      case 'RES':
      case 'URGP':
      case 'ACK_SEQ':
      case 'UID':
      case 'GID':
        break;
      default:
        if (k !== 'SEQ') other.push(t);
    }
  }
  if (other.length) h.other = other;
  return h;
}

const NFT_L3 = new Set([
  'ether',
  'vlan',
  'arp',
  'ip',
  'ip6',
  'tcp',
  'udp',
  'udplite',
  'sctp',
  'dccp',
  'icmp',
  'icmpv6',
  'igmp',
  'meta',
  'ct',
  'th',
  'esp',
  'ah',
  'comp',
  'gre',
]);

/** Parses the payload expressions of an `nft monitor trace` packet line. */
function parseNftHeader(tokens: string[]): TraceHeader {
  const h: TraceHeader = {};
  const other: string[] = [];
  let l4: string | undefined;
  let paramProblem: number | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === 'iif' || t === 'oif') {
      const v = (tokens[++i] ?? '').replace(/^"|"$/g, '');
      if (t === 'iif') h.in = v;
      else h.out = v;
      continue;
    }
    if (!NFT_L3.has(t)) {
      other.push(t);
      continue;
    }
    const field = tokens[i + 1];
    if (field === undefined) break;
    i++;
    // Relational operators (`tcp flags == syn`) carry no information here.
    if (tokens[i + 1] === '==' || tokens[i + 1] === '!=') i++;
    let v = tokens[++i] ?? '';
    // `tcp flags == (syn | ack)` spreads over several tokens.
    if (v.startsWith('(')) while (!v.endsWith(')') && i + 1 < tokens.length) v += tokens[++i];
    const key = `${t} ${field}`;
    switch (key) {
      case 'ether saddr':
        h.macsrc = canonicalMac(v);
        break;
      case 'ether daddr':
        h.macdst = canonicalMac(v);
        break;
      case 'ether type':
        h.macproto = v === 'ip' ? '0800' : v === 'ip6' ? '86dd' : v === 'arp' ? '0806' : v;
        break;
      case 'ip saddr':
      case 'ip6 saddr':
        h.src = canonicalIPv6(v);
        break;
      case 'ip daddr':
      case 'ip6 daddr':
        h.dst = canonicalIPv6(v);
        break;
      case 'ip ttl':
        h.ttl = Number(v);
        break;
      case 'ip id':
        h.ipid = Number(v);
        break;
      case 'ip length':
        h.len = Number(v);
        break;
      case 'ip6 length':
        // nft prints the IPv6 payload length; LEN= elsewhere is the whole datagram.
        h.len = Number(v) + 40;
        break;
      case 'ip6 hoplimit':
        h.hoplimit = Number(v);
        break;
      case 'ip6 flowlabel':
        h.flowlabel = Number(v);
        break;
      case 'ip protocol':
      case 'ip6 nexthdr':
      case 'meta l4proto':
        if (!l4) l4 = v;
        break;
      case 'meta mark':
        h.mark = parseInt(v.replace(/^0x/i, ''), 16);
        break;
      case 'icmp type':
      case 'icmpv6 type':
        l4 = t;
        h.icmpType = v;
        break;
      case 'icmp code':
        h.icmpCode = ICMP_CODES[v] ?? (Number.isFinite(Number(v)) ? Number(v) : undefined);
        break;
      case 'icmpv6 code':
        h.icmpCode = ICMPV6_CODES[v] ?? (Number.isFinite(Number(v)) ? Number(v) : undefined);
        break;
      case 'icmp id':
      case 'icmpv6 id':
        h.icmpId = Number(v);
        break;
      case 'icmp sequence':
      case 'icmpv6 sequence':
        h.icmpSeq = Number(v);
        break;
      case 'icmpv6 parameter-problem':
        paramProblem = Number(v);
        break;
      case 'tcp flags':
        l4 = 'tcp';
        h.tcpflags = v
          .replace(/[()]/g, '')
          .split('|')
          .filter(Boolean)
          .map((f) => f.toUpperCase());
        if (/^0x[0-9a-f]+$/i.test(v)) h.tcpflags = tcpFlagsFromByte(parseInt(v.slice(2), 16));
        break;
      case 'tcp window':
        h.tcpWindow = Number(v);
        break;
      default:
        if (
          (t === 'tcp' || t === 'udp' || t === 'sctp' || t === 'udplite' || t === 'dccp') &&
          (field === 'sport' || field === 'dport')
        ) {
          l4 = t;
          if (field === 'sport') h.sport = Number(v);
          else h.dport = Number(v);
        } else if (t === 'ip' && (field === 'dscp' || field === 'ecn')) {
          // Kept out: TOS as a whole is not printed by nft.
        } else other.push(`${t} ${field} ${v}`);
    }
  }
  if (l4 && l4 !== 'ip') h.proto = l4;
  // nft 1.0.6 decodes ICMPv6 echo id/sequence as one 32-bit "parameter-problem" field: id<<16 | seq.
  if (
    paramProblem !== undefined &&
    (h.icmpType === 'echo-request' || h.icmpType === 'echo-reply') &&
    h.icmpId === undefined
  ) {
    h.icmpId = paramProblem >>> 16;
    h.icmpSeq = paramProblem & 0xffff;
  }
  if (other.length) h.other = other;
  return h;
}

/** Turns a TCP flags byte into names (FIN SYN RST PSH ACK URG ECE CWR). */
function tcpFlagsFromByte(b: number): string[] {
  const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
  return names.filter((_, i) => (b >> i) & 1);
}

type RawItem =
  | {
      kind: 'packet';
      line: number;
      format: TraceFormat;
      traceId: string;
      family: string;
      chain?: string;
      header: TraceHeader;
      seenAt?: number;
      kernelTime?: string;
    }
  | {
      kind: 'event';
      line: number;
      format: TraceFormat;
      traceId: string;
      family: string;
      event: TraceEvent;
      seenAt?: number;
      kernelTime?: string;
    };

const XT_PACKET = /^PACKET: (\d+) ([0-9a-f]{1,8}) ?(.*)$/;
const XT_TRACE = /^TRACE: (\d+) ([0-9a-f]{1,8}) ([^:\s]+):([^:\s]+):(rule|policy|return):?(.*)$/;
const NFT_LINE =
  /^trace id ([0-9a-f]{1,8}) (\S+) (\S+) (\S+) (packet:|rule|policy|verdict|unknown rule handle|conntrack:)\s?(.*)$/;
const KLOG = /TRACE: ([^:\s]+):([^:\s]+):(rule|return|policy):(\d+) (.*)$/;
const STDERR_SPLICE = /(Warning|Error|WARNING|ERROR): [^]*$/;

/** Splits one input line into a raw item; returns a message when the line is not a trace line. */
function lexLine(raw: string, lineNo: number): RawItem | string | null {
  let line = raw.replace(/\s+$/, '');
  if (line.trim() === '') return null;
  let seenAt: number | undefined;
  const ts = /^\[(\d+)\.(\d+)\]\s?/.exec(line);
  let stamp: string | undefined;
  if (ts) {
    stamp = `${ts[1]}.${ts[2]}`;
    line = line.slice(ts[0].length);
  }
  const body = line.replace(/^\s+/, '');
  const xp = XT_PACKET.exec(body);
  if (xp) {
    if (stamp) seenAt = Number(stamp);
    const item: RawItem = {
      kind: 'packet',
      line: lineNo,
      format: 'xtables-monitor',
      traceId: xp[2]!,
      family: XT_FAMILY[xp[1]!] ?? xp[1]!,
      header: parseXtHeader((xp[3] ?? '').split(/\s+/).filter(Boolean)),
    };
    if (seenAt !== undefined) item.seenAt = seenAt;
    return item;
  }
  const xt = XT_TRACE.exec(body);
  if (xt) {
    if (stamp) seenAt = Number(stamp);
    const chain = `${xt[3]}:${xt[4]}`;
    const type = xt[5] as 'rule' | 'policy' | 'return';
    const rest = xt[6] ?? '';
    const event: TraceEvent = { type, line: lineNo, chain };
    if (type === 'rule') {
      const m = /^(0x[0-9a-f]+|\d+):(\S+?)(?::(\S+))?(?:\s+(.*))?$/i.exec(rest);
      if (!m) return `bad rule event '${body.slice(0, 80)}'`;
      event.handle = parseInt(m[1]!, m[1]!.startsWith('0x') ? 16 : 10);
      const v = xtVerdict(m[2]!);
      event.verdict =
        (v === 'JUMP' || v === 'GOTO') && m[3]
          ? `${v}:${m[3]}`
          : m[3] && !/^0x/i.test(m[2]!)
            ? `${v}:${m[3]}`
            : v;
      const text = (m[4] ?? '').trim();
      if (text) event.rule = text;
    } else if (type === 'policy') {
      event.verdict = xtVerdict(rest.trim());
    } else {
      event.verdict = rest.trim() ? xtVerdict(rest.trim()) : 'RETURN';
    }
    const item: RawItem = {
      kind: 'event',
      line: lineNo,
      format: 'xtables-monitor',
      traceId: xt[2]!,
      family: XT_FAMILY[xt[1]!] ?? xt[1]!,
      event,
    };
    if (seenAt !== undefined) item.seenAt = seenAt;
    return item;
  }
  const nf = NFT_LINE.exec(body);
  if (nf) {
    if (stamp) seenAt = Number(stamp);
    const family = NFT_FAMILY[nf[2]!] ?? nf[2]!;
    const chain = `${nf[3]}:${nf[4]}`;
    const what = nf[5]!;
    const rest = (nf[6] ?? '').trim();
    const base = { line: lineNo, format: 'nft-monitor' as const, traceId: nf[1]!, family };
    if (what === 'packet:') {
      const item: RawItem = { kind: 'packet', ...base, chain, header: parseNftHeader(tokenizeNft(rest)) };
      if (seenAt !== undefined) item.seenAt = seenAt;
      return item;
    }
    const event: TraceEvent = { type: 'rule', line: lineNo, chain };
    if (what === 'rule' || what === 'unknown rule handle') {
      const m = /^(.*?)\s*\(verdict ([^)]*)\)\s*$/.exec(rest);
      const text = (m ? m[1]! : rest).trim();
      event.verdict = m ? nftVerdict(m[2]!) : 'CONTINUE';
      if (what === 'unknown rule handle') {
        const h = /^(\d+)/.exec(text);
        if (h) event.handle = Number(h[1]);
      } else {
        const h = /\s*# handle (\d+)$/.exec(text);
        if (h) event.handle = Number(h[1]);
        const t = h ? text.slice(0, h.index) : text;
        if (t) event.rule = t;
      }
    } else if (what === 'policy' || what === 'verdict') {
      event.type = what === 'policy' ? 'policy' : 'return';
      const m = /^(\S+(?: (?!meta\b)\S+)?)(?:\s+meta mark (0x[0-9a-f]+))?/i.exec(rest);
      event.verdict = nftVerdict(m ? m[1]! : rest);
      if (m?.[2]) event.mark = parseInt(m[2].slice(2), 16);
    } else {
      event.type = 'conntrack';
      event.ct = parseNftConntrack(rest);
    }
    const item: RawItem = { kind: 'event', ...base, event };
    if (seenAt !== undefined) item.seenAt = seenAt;
    return item;
  }
  const kl = KLOG.exec(line);
  if (kl) {
    const prefix = line.slice(0, kl.index);
    const dm = /\[\s*(\d+\.\d+)\]\s*$/.exec(prefix);
    const sys = /^(\w{3}\s+\d+ \d\d:\d\d:\d\d)\s/.exec(prefix);
    const kernelTime = dm ? dm[1]! : sys ? sys[1]! : stamp;
    const header = parseLogHeader(kl[5]!);
    const family = header.src?.includes(':') ? 'ipv6' : 'ipv4';
    const chain = `${kl[1]}:${kl[2]}`;
    // No trace id in kernel logs: identify the packet by fields no hook before POSTROUTING rewrites.
    const id =
      family === 'ipv6'
        ? `${header.src}|${header.flowlabel}|${header.proto}|${header.sport}|${header.len}`
        : `${header.src}|${header.ipid}|${header.proto}|${header.sport}`;
    const event: TraceEvent = {
      type: kl[3] as 'rule' | 'policy' | 'return',
      line: lineNo,
      chain,
      position: Number(kl[4]),
    };
    const items: RawItem = { kind: 'event', line: lineNo, format: 'kernel-log', traceId: id, family, event };
    if (kernelTime) items.kernelTime = kernelTime;
    // The header rides on every line; the assembler uses it when a new base chain starts.
    (items as RawItem & { header?: TraceHeader }).header = header;
    return items;
  }
  return `not a trace line: '${body.slice(0, 80)}'`;
}

/** Parses an nft ≥ 1.1.4 `conntrack:` line. */
function parseNftConntrack(rest: string): TraceEvent['ct'] {
  const ct: NonNullable<TraceEvent['ct']> = {};
  const m = rest.matchAll(/ct (direction|state|status|id) (\S+)/g);
  for (const x of m) {
    if (x[1] === 'direction') ct.direction = x[2]!.toUpperCase();
    else if (x[1] === 'state') ct.state = x[2]!.toUpperCase();
    else if (x[1] === 'status') ct.status = x[2]!.split(',').map((s) => s.toUpperCase().replace(/-/g, '_'));
    else if (x[1] === 'id') ct.id = Number(x[2]);
  }
  return ct;
}

/** Splits nft payload text on blanks, keeping quoted names together. */
function tokenizeNft(s: string): string[] {
  return s.match(/"[^"]*"|\S+/g) ?? [];
}

/** Removes a stderr warning spliced into a trace line; the rest of the trace line may continue on the next line. */
function unsplice(lines: string[]): { lines: string[]; spliced: number } {
  const out: string[] = [];
  let spliced = 0;
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    const start = /^(\[\d+\.\d+\]\s?)?\s*(trace id |PACKET: |TRACE: )/.test(l);
    if (!start) {
      out.push(l);
      continue;
    }
    const m = STDERR_SPLICE.exec(l);
    if (m && m.index > 0) {
      spliced++;
      const before = l.slice(0, m.index);
      const warningText = l.slice(m.index);
      // A libxtables warning ends with a path; whatever follows on the line is the rest of the trace line.
      const known =
        /^(?:Warning|Error|WARNING|ERROR): cannot open \S+?\.conf(?::[^\n]*?(?:directory|denied))?/.exec(
          warningText,
        );
      if (known && known[0].length < warningText.length)
        l = before + warningText.slice(known[0].length).replace(/^\s/, '');
      else {
        l = before;
        const next = lines[i + 1];
        if (
          next !== undefined &&
          !/^(\[\d+\.\d+\]\s?)?\s*(trace id |PACKET: |TRACE: )/.test(next) &&
          !/^(Warning|Error|WARNING|ERROR)/.test(next)
        ) {
          l += next;
          out.push(l);
          out.push('');
          i++;
          continue;
        }
      }
    }
    out.push(l);
  }
  return { lines: out, spliced };
}

interface Open {
  t: TraceTraversal;
  step: TraceStep | null;
  current: string | null;
  stack: string[];
  lastBase: string | null;
}

interface Pending {
  header: TraceHeader;
  line: number;
  chain?: string;
}

/** True when the chain name is an iptables built-in (base) chain, or given as a base chain. */
function isBase(chain: string, opts: TraceOptions): boolean {
  if (opts.baseChains?.[chain]) return true;
  return HOOKS[chain.slice(chain.indexOf(':') + 1)] !== undefined;
}

const ruleCache = new Map<string, ReturnType<typeof parseRuleText>>();

/** parseRuleText with a small cache: traces repeat the same few rule texts thousands of times. */
function parsedRule(text: string): ReturnType<typeof parseRuleText> {
  let r = ruleCache.get(text);
  if (!r) {
    if (ruleCache.size > 10000) ruleCache.clear();
    r = parseRuleText(text);
    ruleCache.set(text, r);
  }
  return r;
}

/** True for instrumentation-like rules that only matched (no target) or only turned tracing on. */
function passiveRule(e: TraceEvent, format: TraceFormat): boolean {
  if (e.verdict !== 'CONTINUE') return false;
  const text = e.rule ?? '';
  if (format === 'nft-monitor') {
    if (/\bmeta nftrace set 1\b/.test(text)) return true;
    return !/\b(set|log|snat|dnat|masquerade|redirect|notrack|queue|reject)\b/.test(
      text.replace(/"[^"]*"/g, ''),
    );
  }
  if (!text) return true;
  const r = parsedRule(text);
  return r.target.kind === 'NONE' || r.target.kind === 'TRACE';
}

const CT_STATES = new Set(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED']);

/** Learns conntrack facts from a rule that matched: single-valued, non-negated ct matches must hold for the packet. */
function learnCt(t: TraceTraversal, e: TraceEvent, format: TraceFormat): void {
  const text = e.rule;
  if (!text) return;
  const addStatus = (s: string): void => {
    if (s === 'SNAT' || s === 'DNAT') {
      if (!t.ctNat.includes(s)) t.ctNat.push(s);
    } else if (!t.ctStatus.includes(s)) t.ctStatus.push(s);
  };
  if (format === 'nft-monitor') {
    for (const m of text.matchAll(/\bct (state|direction|status) ([\w-]+)(?=\s|$)/g)) {
      const v = m[2]!.toUpperCase().replace(/-/g, '_');
      if (m[1] === 'state') t.ctState ??= v;
      else if (m[1] === 'direction') t.ctDir ??= v;
      else addStatus(v);
    }
    return;
  }
  const r = parsedRule(text);
  const st = r.matches.ctstate ?? r.matches.state;
  if (st && !st.negate && st.values.length === 1) {
    const v = st.values[0]!;
    if (CT_STATES.has(v)) t.ctState ??= v;
    else if (v === 'SNAT' || v === 'DNAT') addStatus(v);
  }
  if (r.matches.ctdir && !r.matches.ctdir.negate) t.ctDir ??= r.matches.ctdir.dir;
  const cs = r.matches.ctstatus;
  if (cs && !cs.negate && cs.values.length === 1) addStatus(cs.values[0]!);
}

/** Fills the summary fields of a finished traversal. */
function finish(t: TraceTraversal): void {
  const hooks = t.path.map((c) => c.slice(c.indexOf(':') + 1));
  t.kind = hooks.includes('FORWARD')
    ? 'forward'
    : hooks.includes('OUTPUT')
      ? 'output'
      : hooks.includes('INPUT')
        ? 'input'
        : hooks.includes('PREROUTING')
          ? 'prerouting-only'
          : hooks.includes('POSTROUTING')
            ? 'postrouting-only'
            : 'unknown';
  const headers = t.steps.map((s) => s.packet);
  t.headerFirst = headers[0] ?? {};
  t.headerLast = headers[headers.length - 1] ?? {};
  t.iif = headers.find((h) => h.in)?.in ?? null;
  t.oif = headers.find((h) => h.out)?.out ?? null;
  if (t.family === 'inet' && t.headerFirst.src) t.family = t.headerFirst.src.includes(':') ? 'ipv6' : 'ipv4';
  t.natRules = t.rulesMatched.filter((r) => isNatRule(r.rule));
}

/** True for DNAT/SNAT/MASQUERADE/REDIRECT/NETMAP rules in either syntax. */
function isNatRule(text: string): boolean {
  return (
    /\s-j (DNAT|SNAT|MASQUERADE|REDIRECT|NETMAP)\b/.test(` ${text}`) ||
    /(?<!status|state)\s(dnat|snat|masquerade|redirect)\b/.test(` ${text}`)
  );
}

/** True when the head of a file looks like one of the supported trace formats. */
export function sniffTrace(head: string): boolean {
  return head
    .split(/\r?\n/)
    .slice(0, 20)
    .some((l) => {
      const b = l.replace(/^\[\d+\.\d+\]\s?/, '').trim();
      return XT_PACKET.test(b) || XT_TRACE.test(b) || NFT_LINE.test(b) || KLOG.test(l);
    });
}

/** Parses a trace file into per-packet traversals (split on hook order, not on trace id); never throws. */
export function parseTrace(text: string, opts: TraceOptions = {}): TraceParseResult {
  const warnings: TextWarning[] = [];
  const records: TraceTraversal[] = [];
  const { lines } = unsplice(text.split(/\r?\n/));
  const open = new Map<string, Open>();
  const recent: Open[] = [];
  let format: TraceFormat | null = null;
  let events = 0;
  let packetLines = 0;
  const pendingById = new Map<string, Pending>();

  const newTraversal = (item: RawItem): Open => {
    const t: TraceTraversal = {
      traceId: item.traceId,
      traceIds: [item.traceId],
      format: item.format,
      family: item.family,
      firstLine: item.line,
      kind: 'unknown',
      iif: null,
      oif: null,
      headerFirst: {},
      headerLast: {},
      path: [],
      chains: [],
      steps: [],
      implicitReturns: [],
      verdict: null,
      verdictChain: null,
      verdictRule: null,
      ctState: null,
      ctDir: null,
      ctStatus: [],
      ctNat: [],
      rulesMatched: [],
      natRules: [],
    };
    if (item.kernelTime) t.kernelTime = item.kernelTime;
    records.push(t);
    const o: Open = { t, step: null, current: null, stack: [], lastBase: null };
    recent.push(o);
    if (recent.length > 256) recent.shift();
    return o;
  };

  // br_netfilter changes skb_iif mid-path, so the id changes: re-link a continuation to a matching open traversal.
  const relink = (item: RawItem, chain: string, header: TraceHeader): Open | null => {
    const info = baseInfo(chain, opts);
    if (!info || info.hook === 'prerouting' || info.hook === 'output') return null;
    for (let i = recent.length - 1; i >= 0; i--) {
      const o = recent[i]!;
      if (o.t.traceIds.includes(item.traceId) || !o.lastBase || !canFollow(o.lastBase, chain, opts)) continue;
      const h = o.t.steps[o.t.steps.length - 1]?.packet;
      if (
        !h ||
        h.src !== header.src ||
        h.ipid !== header.ipid ||
        h.len !== header.len ||
        h.sport !== header.sport ||
        (h.tcpflags ?? []).join() !== (header.tcpflags ?? []).join()
      )
        continue;
      if (h.ipid === undefined && h.sport === undefined) continue;
      o.t.traceIds.push(item.traceId);
      return o;
    }
    return null;
  };

  const startStep = (o: Open, chain: string, header: TraceHeader, packetLine: number | undefined): void => {
    const step: TraceStep = { chain, packet: header, events: [] };
    if (packetLine !== undefined) step.packetLine = packetLine;
    o.t.steps.push(step);
    o.t.path.push(chain);
    o.step = step;
    o.lastBase = chain;
    o.stack = [];
    if (o.current !== chain) o.t.chains.push(chain);
    o.current = chain;
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const item = lexLine(lines[i]!, lineNo);
    if (item === null) continue;
    if (typeof item === 'string') {
      if (!/^\s*(Warning|Error|WARNING|ERROR)\b/.test(lines[i]!))
        warnings.push({ line: lineNo, message: item });
      continue;
    }
    format ??= item.format;
    if (item.kind === 'packet') {
      packetLines++;
      const p: Pending = { header: item.header, line: item.line };
      if (item.chain) p.chain = item.chain;
      pendingById.set(item.traceId, p);
      continue;
    }
    events++;
    const e = item.event;
    let o = open.get(item.traceId);
    const kernelHeader = (item as RawItem & { header?: TraceHeader }).header;
    // A base chain evaluation starts at the first event after a packet line (legacy logs: at a new built-in chain).
    const pending = pendingById.get(item.traceId) ?? null;
    pendingById.delete(item.traceId);
    const startsBase =
      pending !== null ||
      (kernelHeader !== undefined &&
        isBase(e.chain, opts) &&
        (o?.step?.chain !== e.chain || o.step.events.some((x) => x.type === 'policy')));
    if (startsBase || !o) {
      const header = pending?.header ?? kernelHeader ?? {};
      if (!o || !o.lastBase || !canFollow(o.lastBase, e.chain, opts)) {
        o = relink(item, e.chain, header) ?? newTraversal(item);
        open.set(item.traceId, o);
      }
      if (o.t.steps.length === 0) {
        o.t.firstLine = e.line;
        if (item.seenAt !== undefined) o.t.seenAt = item.seenAt;
      }
      startStep(o, e.chain, header, pending?.line);
    }
    const step = o.step!;
    const t = o.t;
    // Chain bookkeeping: jumps push a return point, gotos do not, RETURN pops; an event in a caller means an implicit return.
    if (o.current !== e.chain) {
      const idx = o.stack.lastIndexOf(e.chain);
      if (idx >= 0) {
        t.implicitReturns.push({ from: o.current ?? '', to: e.chain, line: e.line });
        o.stack.length = idx;
      }
      t.chains.push(e.chain);
      o.current = e.chain;
    }
    step.events.push(e);
    if (e.type === 'conntrack' && e.ct) {
      if (e.ct.state) t.ctState ??= e.ct.state;
      if (e.ct.direction) t.ctDir ??= e.ct.direction;
      for (const s of e.ct.status ?? []) {
        if (s === 'SNAT' || s === 'DNAT') {
          if (!t.ctNat.includes(s)) t.ctNat.push(s);
        } else if (!t.ctStatus.includes(s)) t.ctStatus.push(s);
      }
      continue;
    }
    const v = e.verdict ?? '';
    if (e.type === 'rule') {
      learnCt(t, e, item.format);
      if (!passiveRule(e, item.format)) {
        const rm: TraceRuleMatch = { chain: e.chain, rule: e.rule ?? '' };
        if (e.handle !== undefined) rm.handle = e.handle;
        if (e.verdict !== undefined) rm.verdict = e.verdict;
        t.rulesMatched.push(rm);
      }
      const table = e.chain.slice(0, e.chain.indexOf(':'));
      if (v.startsWith('JUMP:')) {
        o.stack.push(e.chain);
        o.current = `${table}:${v.slice(5)}`;
        t.chains.push(o.current);
      } else if (v.startsWith('GOTO:')) {
        o.current = `${table}:${v.slice(5)}`;
        t.chains.push(o.current);
      } else if (v === 'RETURN') {
        const back = o.stack.pop();
        if (back) {
          o.current = back;
          t.chains.push(back);
        }
      }
    } else if (e.type === 'return') {
      const back = o.stack.pop();
      if (back && (v === 'CONTINUE' || v === 'RETURN' || v === '')) {
        o.current = back;
        t.chains.push(back);
      }
    }
    if (TERMINAL.has(v)) {
      t.verdict = v;
      t.verdictChain = e.chain;
      t.verdictRule = e.type === 'rule' ? (e.rule ?? null) : null;
    }
  }
  for (const t of records) finish(t);
  // A packet line with no event after it means the file was cut there.
  for (const p of pendingById.values())
    warnings.push({ line: p.line, message: 'packet line without events (truncated?)' });
  records.sort((a, b) => a.firstLine - b.firstLine);
  return { records, warnings, format, events, packetLines };
}
