// iptables-save(8) / ip6tables-save(8) output (iptables 1.8.x, legacy and nf_tables backends), with and without -c counters.
import type { ParseResult, TextWarning } from './types';

/** Address family of an iptables dump: iptables-save is ipv4, ip6tables-save is ipv6. */
export type IptFamily = 'ipv4' | 'ipv6';

/** Packet and byte counters, `[pkts:bytes]`. */
export interface IptCounters {
  packets: number;
  bytes: number;
}

/** `-s` / `-d`: an address or prefix (always `/len` in saved form), possibly negated. */
export interface IptAddrMatch {
  addr: string;
  negate: boolean;
}

/** `-i` / `-o`: an interface name; a trailing `+` matches every name with that prefix. */
export interface IptIfaceMatch {
  name: string;
  negate: boolean;
  wildcard: boolean;
}

/** A port or port range `a[:b]`; `from === to` for a single port. */
export interface IptPortRange {
  from: number;
  to: number;
}

/** A set of port ranges (`--dport`, `--dports`), possibly negated. */
export interface IptPortMatch {
  ranges: IptPortRange[];
  negate: boolean;
}

/** A list-valued match such as `--ctstate NEW,ESTABLISHED`, possibly negated. */
export interface IptListMatch {
  values: string[];
  negate: boolean;
}

/** `-m mark --mark v[/m]`: matches when `(mark & mask) === value`. */
export interface IptMarkMatch {
  value: number;
  mask: number;
  negate: boolean;
}

/** `-m addrtype`: source/destination address types, optionally limited to the in/out interface. */
export interface IptAddrtypeMatch {
  srcType?: IptListMatch;
  dstType?: IptListMatch;
  limitIfaceIn?: boolean;
  limitIfaceOut?: boolean;
}

/** `-m statistic`: random with a (kernel-quantised) probability, or every n-th packet. */
export type IptStatisticMatch =
  | { mode: 'random'; probability: number; negate: boolean }
  | { mode: 'nth'; every: number; packet: number; negate: boolean };

/** `--tcp-flags mask comp` (or `--syn` = `SYN,RST,ACK,FIN SYN`). */
export interface IptTcpFlagsMatch {
  mask: string[];
  comp: string[];
  negate: boolean;
}

/** A match module with its raw arguments, kept when it is not interpreted (or in addition). */
export interface IptModuleArgs {
  module: string;
  args: string[];
}

/** Every match of a rule, structured where the simulator understands it. */
export interface IptMatches {
  src?: IptAddrMatch;
  dst?: IptAddrMatch;
  inIface?: IptIfaceMatch;
  outIface?: IptIfaceMatch;
  proto?: { name: string; negate: boolean };
  fragment?: { negate: boolean };
  sport?: IptPortMatch;
  dport?: IptPortMatch;
  multiport?: { sports?: IptPortMatch; dports?: IptPortMatch; ports?: IptPortMatch };
  ctstate?: IptListMatch;
  state?: IptListMatch;
  ctdir?: { dir: string; negate: boolean };
  ctstatus?: IptListMatch;
  mark?: IptMarkMatch;
  connmark?: IptMarkMatch;
  addrtype?: IptAddrtypeMatch[];
  statistic?: IptStatisticMatch;
  comment?: string;
  icmpType?: { type: string; negate: boolean };
  tcpFlags?: IptTcpFlagsMatch;
  physdev?: IptModuleArgs;
  set?: { name: string; flags: string[]; negate: boolean }[];
  recent?: IptModuleArgs;
  /** Modules (or options of known modules) that are not interpreted: the simulator treats them as unknown. */
  unknown: IptModuleArgs[];
  /** The module names in the order they appear (`-m tcp`, `-m comment`…). */
  modules: string[];
}

/** Kinds of iptables targets; user chains appear as JUMP/GOTO. */
export type IptTargetKind =
  | 'ACCEPT'
  | 'DROP'
  | 'REJECT'
  | 'RETURN'
  | 'QUEUE'
  | 'JUMP'
  | 'GOTO'
  | 'DNAT'
  | 'SNAT'
  | 'MASQUERADE'
  | 'REDIRECT'
  | 'NETMAP'
  | 'MARK'
  | 'CONNMARK'
  | 'LOG'
  | 'NFLOG'
  | 'TRACE'
  | 'CT'
  | 'NOTRACK'
  | 'NFQUEUE'
  | 'TCPMSS'
  | 'TPROXY'
  | 'CLASSIFY'
  | 'DSCP'
  | 'TOS'
  | 'TTL'
  | 'HL'
  | 'CHECKSUM'
  | 'SET'
  | 'OTHER'
  | 'NONE';

/** The target of a rule with its interpreted options; `args` keeps every option token. */
export interface IptTarget {
  kind: IptTargetKind;
  /** The target name as written (`KUBE-SVC-…`, `DNAT`, `MYTARGET`). */
  name: string;
  /** Jump/goto destination chain. */
  chain?: string;
  toDestination?: string;
  toSource?: string;
  toPorts?: string;
  random?: boolean;
  randomFully?: boolean;
  persistent?: boolean;
  /** MARK/CONNMARK as value/mask with `mark = (mark & ~mask) ^ value`. */
  setXmark?: { value: number; mask: number };
  rejectWith?: string;
  logPrefix?: string;
  logLevel?: string;
  notrack?: boolean;
  args: string[];
}

/** One `-A` rule: original text plus structure. */
export interface IptablesRule {
  family: IptFamily;
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  index: number;
  /** The rule exactly as in the file, from `-A` on (counters prefix removed). */
  text: string;
  /** 1-based line number in the input. */
  line: number;
  counters?: IptCounters;
  matches: IptMatches;
  target: IptTarget;
}

/** A chain declaration `:NAME POLICY [pkts:bytes]` and its rules. */
export interface IptablesChain {
  family: IptFamily;
  table: string;
  name: string;
  builtin: boolean;
  /** ACCEPT/DROP for built-in chains, null for user chains (`-`). */
  policy: string | null;
  counters?: IptCounters;
  line: number;
  rules: IptablesRule[];
}

/** A `*table` … `COMMIT` section. */
export interface IptablesTable {
  family: IptFamily;
  name: string;
  line: number;
  committed: boolean;
  chains: IptablesChain[];
}

/** The whole dump: tables in file order. */
export interface IptablesRuleset {
  family: IptFamily;
  /** `nf_tables` or `legacy` from the `# Generated by` header when present. */
  backend?: string;
  tables: IptablesTable[];
}

/** What parseIptablesSave returns: every rule as a record, and the table/chain structure. */
export interface IptablesSaveResult extends ParseResult<IptablesRule> {
  ruleset: IptablesRuleset;
}

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** A shell-like token; `quoted` tells a quoted `"-x"` value from an option. */
export interface ShellToken {
  value: string;
  quoted: boolean;
}

/** Splits a line like a POSIX shell would for iptables-save output (double quotes with `\"`/`\\`, single quotes). */
export function tokenizeShell(line: string): { tokens: ShellToken[]; error?: string } {
  const tokens: ShellToken[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    let value = '';
    let quoted = false;
    while (i < n && line[i] !== ' ' && line[i] !== '\t') {
      const c = line[i]!;
      if (c === '"') {
        quoted = true;
        i++;
        let closed = false;
        while (i < n) {
          const d = line[i]!;
          if (d === '\\' && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === '\\')) {
            value += line[i + 1];
            i += 2;
          } else if (d === '"') {
            closed = true;
            i++;
            break;
          } else {
            value += d;
            i++;
          }
        }
        if (!closed) return { tokens: [...tokens, { value, quoted }], error: 'unterminated double quote' };
      } else if (c === "'") {
        quoted = true;
        const end = line.indexOf("'", i + 1);
        if (end < 0)
          return {
            tokens: [...tokens, { value: value + line.slice(i + 1), quoted }],
            error: 'unterminated single quote',
          };
        value += line.slice(i + 1, end);
        i = end + 1;
      } else if (c === '\\' && i + 1 < n) {
        value += line[i + 1];
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    tokens.push({ value, quoted });
  }
  return { tokens };
}

/** Parses `[pkts:bytes]`. */
function parseCounters(s: string): IptCounters | undefined {
  const m = /^\[(\d+):(\d+)\]$/.exec(s);
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : undefined;
}

/** Parses a number in decimal or 0x hex (marks, masks). */
function parseNum(s: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16) >>> 0;
  if (/^\d+$/.test(s)) return Number(s) >>> 0;
  return undefined;
}

/** Parses `v[/m]`; without a mask the whole 32 bits are compared. */
function parseMarkValue(s: string): { value: number; mask: number } | undefined {
  const [v, m] = s.split('/');
  const value = parseNum(v ?? '');
  const mask = m === undefined ? 0xffffffff : parseNum(m);
  if (value === undefined || mask === undefined) return undefined;
  return { value, mask };
}

/** Parses a port list `a,b:c` (service names are kept out: they give undefined). */
function parsePorts(s: string, negate: boolean): IptPortMatch | undefined {
  const ranges: IptPortRange[] = [];
  for (const part of s.split(',')) {
    const m = /^(\d*)(?::(\d*))?$/.exec(part);
    if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
    const from = m[1] === '' ? 0 : Number(m[1]);
    const to = m[2] === undefined ? from : m[2] === '' ? 65535 : Number(m[2]);
    ranges.push({ from, to });
  }
  return { ranges, negate };
}

const TARGET_KINDS: Record<string, IptTargetKind> = {
  ACCEPT: 'ACCEPT',
  DROP: 'DROP',
  REJECT: 'REJECT',
  RETURN: 'RETURN',
  QUEUE: 'QUEUE',
  DNAT: 'DNAT',
  SNAT: 'SNAT',
  MASQUERADE: 'MASQUERADE',
  REDIRECT: 'REDIRECT',
  NETMAP: 'NETMAP',
  MARK: 'MARK',
  CONNMARK: 'CONNMARK',
  LOG: 'LOG',
  NFLOG: 'NFLOG',
  TRACE: 'TRACE',
  CT: 'CT',
  NOTRACK: 'NOTRACK',
  NFQUEUE: 'NFQUEUE',
  TCPMSS: 'TCPMSS',
  TPROXY: 'TPROXY',
  CLASSIFY: 'CLASSIFY',
  DSCP: 'DSCP',
  TOS: 'TOS',
  TTL: 'TTL',
  HL: 'HL',
  CHECKSUM: 'CHECKSUM',
  SET: 'SET',
};

/** Declared chains win (`-j CHK`); then extension targets; an undeclared unknown name is a jump when no chain list is known. */
function targetKind(name: string, goto: boolean, chains: Set<string> | undefined): IptTargetKind {
  if (goto) return 'GOTO';
  if (chains?.has(name)) return 'JUMP';
  const known = TARGET_KINDS[name];
  if (known) return known;
  return chains ? 'OTHER' : 'JUMP';
}

/** Fills target fields from option tokens. */
function interpretTarget(target: IptTarget): void {
  const a = target.args;
  for (let i = 0; i < a.length; i++) {
    const opt = a[i]!;
    const val = a[i + 1];
    switch (opt) {
      case '--to-destination':
        target.toDestination = val;
        break;
      case '--to-source':
        target.toSource = val;
        break;
      case '--to-ports':
      case '--to-port':
        target.toPorts = val;
        break;
      case '--to':
        if (target.kind === 'NETMAP') target.toDestination = val;
        break;
      case '--random':
        target.random = true;
        break;
      case '--random-fully':
        target.randomFully = true;
        break;
      case '--persistent':
        target.persistent = true;
        break;
      case '--reject-with':
        target.rejectWith = val;
        break;
      case '--log-prefix':
      case '--nflog-prefix':
        target.logPrefix = val;
        break;
      case '--log-level':
        target.logLevel = val;
        break;
      case '--notrack':
        target.notrack = true;
        break;
      case '--set-xmark':
      case '--set-mark': {
        const mv = val !== undefined ? parseMarkValue(val) : undefined;
        if (mv) target.setXmark = mv;
        break;
      }
      case '--or-mark': {
        const v = val !== undefined ? parseNum(val) : undefined;
        if (v !== undefined) target.setXmark = { value: v, mask: v };
        break;
      }
      case '--and-mark': {
        const v = val !== undefined ? parseNum(val) : undefined;
        if (v !== undefined) target.setXmark = { value: 0, mask: ~v >>> 0 };
        break;
      }
      case '--xor-mark': {
        const v = val !== undefined ? parseNum(val) : undefined;
        if (v !== undefined) target.setXmark = { value: v, mask: 0 };
        break;
      }
    }
  }
  if (target.kind === 'REJECT' && target.rejectWith === undefined)
    target.rejectWith = 'icmp-port-unreachable';
}

interface OptGroup {
  module: string | null;
  opt: string;
  negate: boolean;
  args: string[];
}

/** Interprets one option group of a known module; returns false when it is not understood. */
function applyOption(m: IptMatches, g: OptGroup): boolean {
  const v = g.args[0];
  const mod = g.module;
  switch (g.opt) {
    case '-s':
    case '--source':
      if (v === undefined) return false;
      m.src = { addr: v, negate: g.negate };
      return true;
    case '-d':
    case '--destination':
      if (v === undefined) return false;
      m.dst = { addr: v, negate: g.negate };
      return true;
    case '-i':
    case '--in-interface':
    case '-o':
    case '--out-interface': {
      if (v === undefined) return false;
      const im: IptIfaceMatch = {
        name: v.endsWith('+') ? v.slice(0, -1) : v,
        negate: g.negate,
        wildcard: v.endsWith('+'),
      };
      if (g.opt === '-i' || g.opt === '--in-interface') m.inIface = im;
      else m.outIface = im;
      return true;
    }
    case '-p':
    case '--protocol':
      if (v === undefined) return false;
      m.proto = { name: v.toLowerCase(), negate: g.negate };
      return true;
    case '-f':
    case '--fragment':
      m.fragment = { negate: g.negate };
      return true;
  }
  if (mod === null) return false;
  switch (mod) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'dccp':
    case 'udplite':
      if ((g.opt === '--dport' || g.opt === '--destination-port') && v !== undefined) {
        const p = parsePorts(v, g.negate);
        if (!p) return false;
        m.dport = p;
        return true;
      }
      if ((g.opt === '--sport' || g.opt === '--source-port') && v !== undefined) {
        const p = parsePorts(v, g.negate);
        if (!p) return false;
        m.sport = p;
        return true;
      }
      if (g.opt === '--tcp-flags' && g.args.length >= 2) {
        m.tcpFlags = {
          mask: g.args[0]!.split(','),
          comp: g.args[1] === 'NONE' ? [] : g.args[1]!.split(','),
          negate: g.negate,
        };
        return true;
      }
      if (g.opt === '--syn') {
        m.tcpFlags = { mask: ['SYN', 'RST', 'ACK', 'FIN'], comp: ['SYN'], negate: g.negate };
        return true;
      }
      return false;
    case 'multiport': {
      if (v === undefined) return false;
      const p = parsePorts(v, g.negate);
      if (!p) return false;
      m.multiport ??= {};
      if (g.opt === '--dports' || g.opt === '--destination-ports') m.multiport.dports = p;
      else if (g.opt === '--sports' || g.opt === '--source-ports') m.multiport.sports = p;
      else if (g.opt === '--ports') m.multiport.ports = p;
      else return false;
      return true;
    }
    case 'conntrack':
      if (g.opt === '--ctstate' && v !== undefined) {
        m.ctstate = { values: v.split(','), negate: g.negate };
        return true;
      }
      if (g.opt === '--ctdir' && v !== undefined) {
        m.ctdir = { dir: v, negate: g.negate };
        return true;
      }
      if (g.opt === '--ctstatus' && v !== undefined) {
        m.ctstatus = { values: v.split(','), negate: g.negate };
        return true;
      }
      return false;
    case 'state':
      if (g.opt === '--state' && v !== undefined) {
        m.state = { values: v.split(','), negate: g.negate };
        return true;
      }
      return false;
    case 'mark':
    case 'connmark': {
      if (g.opt !== '--mark' || v === undefined) return false;
      const mv = parseMarkValue(v);
      if (!mv) return false;
      m[mod] = { ...mv, negate: g.negate };
      return true;
    }
    case 'addrtype': {
      m.addrtype ??= [];
      let at = m.addrtype[m.addrtype.length - 1];
      if (!at) {
        at = {};
        m.addrtype.push(at);
      }
      if (g.opt === '--src-type' && v !== undefined) at.srcType = { values: v.split(','), negate: g.negate };
      else if (g.opt === '--dst-type' && v !== undefined)
        at.dstType = { values: v.split(','), negate: g.negate };
      else if (g.opt === '--limit-iface-in') at.limitIfaceIn = true;
      else if (g.opt === '--limit-iface-out') at.limitIfaceOut = true;
      else return false;
      return true;
    }
    case 'statistic':
      // Collected whole by the caller (mode/probability/every/packet come as separate options).
      return true;
    case 'comment':
      if (g.opt === '--comment' && v !== undefined) {
        m.comment = v;
        return true;
      }
      return false;
    case 'icmp':
    case 'icmp6':
    case 'icmpv6':
      if ((g.opt === '--icmp-type' || g.opt === '--icmpv6-type') && v !== undefined) {
        m.icmpType = { type: v, negate: g.negate };
        return true;
      }
      return false;
  }
  return false;
}

/** Parses the statistic module's options collected for one `-m statistic`. */
function statisticOf(groups: OptGroup[]): IptStatisticMatch | undefined {
  let mode: string | undefined;
  let probability: number | undefined;
  let every: number | undefined;
  let packet = 0;
  let negate = false;
  for (const g of groups) {
    const v = g.args[0];
    if (g.opt === '--mode') mode = v;
    else if (g.opt === '--probability' && v !== undefined) {
      probability = Number(v);
      negate ||= g.negate;
    } else if (g.opt === '--every' && v !== undefined) {
      every = Number(v);
      negate ||= g.negate;
    } else if (g.opt === '--packet' && v !== undefined) packet = Number(v);
  }
  if (mode === 'random' && probability !== undefined && Number.isFinite(probability))
    return { mode: 'random', probability, negate };
  if (mode === 'nth' && every !== undefined && Number.isFinite(every))
    return { mode: 'nth', every, packet, negate };
  return undefined;
}

/** Options known to take no argument; everything else takes the following non-option tokens. */
const FLAG_OPTIONS = new Set([
  '--syn',
  '--set',
  '--rcheck',
  '--update',
  '--remove',
  '--rsource',
  '--rdest',
  '--rttl',
  '--random',
  '--random-fully',
  '--persistent',
  '--notrack',
  '--physdev-is-in',
  '--physdev-is-out',
  '--physdev-is-bridged',
  '--limit-iface-in',
  '--limit-iface-out',
  '--log-uid',
  '--log-tcp-sequence',
  '--log-tcp-options',
  '--log-ip-options',
  '--log-macdecode',
  '-f',
  '--fragment',
]);

/** Parses one rule's option tokens (everything after `-A CHAIN`) into matches and a target. */
export function parseRuleTokens(
  tokens: ShellToken[],
  chains?: Set<string>,
): { matches: IptMatches; target: IptTarget; problems: string[] } {
  const matches: IptMatches = { unknown: [], modules: [] };
  const target: IptTarget = { kind: 'NONE', name: '', args: [] };
  const problems: string[] = [];
  let module: string | null = null;
  let negateNext = false;
  const moduleGroups = new Map<number, { module: string; groups: OptGroup[] }>();
  let moduleSeq = -1;
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (!t.quoted && t.value === '!') {
      negateNext = true;
      i++;
      continue;
    }
    if (!t.quoted && (t.value === '-m' || t.value === '--match')) {
      const name = tokens[i + 1]?.value;
      if (name === undefined) {
        problems.push('-m without a module name');
        break;
      }
      module = name;
      matches.modules.push(name);
      moduleSeq++;
      moduleGroups.set(moduleSeq, { module: name, groups: [] });
      i += 2;
      continue;
    }
    if (!t.quoted && (t.value === '-j' || t.value === '--jump' || t.value === '-g' || t.value === '--goto')) {
      const name = tokens[i + 1]?.value;
      if (name === undefined) {
        problems.push(`${t.value} without a target`);
        break;
      }
      const goto = t.value === '-g' || t.value === '--goto';
      const kind = targetKind(name, goto, chains);
      target.kind = kind;
      target.name = name;
      if (kind === 'JUMP' || kind === 'GOTO') target.chain = name;
      target.args = tokens.slice(i + 2).map((x) => x.value);
      interpretTarget(target);
      break;
    }
    if (!t.quoted && t.value.startsWith('-') && t.value.length > 1) {
      const args: string[] = [];
      let j = i + 1;
      if (!FLAG_OPTIONS.has(t.value)) {
        while (j < tokens.length) {
          const a = tokens[j]!;
          if (
            !a.quoted &&
            ((a.value.startsWith('-') && a.value.length > 1 && !/^-\d/.test(a.value)) || a.value === '!')
          )
            break;
          args.push(a.value);
          j++;
        }
      }
      const g: OptGroup = {
        module: t.value.startsWith('--') ? module : null,
        opt: t.value,
        negate: negateNext,
        args,
      };
      negateNext = false;
      // Short options (-s -d -i -o -p -f) belong to no module even after -m.
      const known = applyOption(matches, g);
      if (g.module !== null) {
        const mg = moduleGroups.get(moduleSeq);
        if (mg) mg.groups.push(g);
        if (!known) {
          if (!KNOWN_MODULES.has(g.module)) {
            // Collected per module below.
          } else {
            matches.unknown.push({ module: g.module, args: [...(g.negate ? ['!'] : []), g.opt, ...g.args] });
          }
        }
      } else if (!known) {
        matches.unknown.push({ module: '', args: [...(g.negate ? ['!'] : []), g.opt, ...g.args] });
      }
      i = j;
      continue;
    }
    problems.push(`unexpected token '${t.value}'`);
    i++;
  }
  for (const { module: mod, groups } of moduleGroups.values()) {
    const args = groups.flatMap((g) => [...(g.negate ? ['!'] : []), g.opt, ...g.args]);
    if (mod === 'statistic') {
      const s = statisticOf(groups);
      if (s) matches.statistic = s;
      else matches.unknown.push({ module: mod, args });
    } else if (mod === 'physdev') matches.physdev = { module: mod, args };
    else if (mod === 'recent') matches.recent = { module: mod, args };
    else if (mod === 'set') {
      matches.set ??= [];
      for (const g of groups) {
        if (g.opt === '--match-set' && g.args[0] !== undefined)
          matches.set.push({
            name: g.args[0],
            flags: (g.args[1] ?? '').split(',').filter(Boolean),
            negate: g.negate,
          });
      }
    } else if (!KNOWN_MODULES.has(mod)) matches.unknown.push({ module: mod, args });
  }
  return { matches, target, problems };
}

const KNOWN_MODULES = new Set([
  'tcp',
  'udp',
  'sctp',
  'dccp',
  'udplite',
  'multiport',
  'conntrack',
  'state',
  'mark',
  'connmark',
  'addrtype',
  'statistic',
  'comment',
  'icmp',
  'icmp6',
  'icmpv6',
  'physdev',
  'recent',
  'set',
]);

/** Parses a rule text such as `-A FORWARD -p tcp -j ACCEPT` or a trace's `-4 -t nat -A POSTROUTING …`. */
export function parseRuleText(text: string): {
  table?: string;
  chain?: string;
  family?: IptFamily;
  matches: IptMatches;
  target: IptTarget;
  problems: string[];
} {
  const { tokens, error } = tokenizeShell(text);
  let table: string | undefined;
  let chain: string | undefined;
  let family: IptFamily | undefined;
  const rest: ShellToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.quoted && t.value === '-4') family = 'ipv4';
    else if (!t.quoted && t.value === '-6') family = 'ipv6';
    else if (!t.quoted && (t.value === '-t' || t.value === '--table') && chain === undefined)
      table = tokens[++i]?.value;
    else if (
      !t.quoted &&
      (t.value === '-A' || t.value === '--append' || t.value === '-I') &&
      chain === undefined
    )
      chain = tokens[++i]?.value;
    else if (!t.quoted && (t.value === 'iptables' || t.value === 'ip6tables') && i === 0)
      family = t.value === 'ip6tables' ? 'ipv6' : 'ipv4';
    else rest.push(t);
  }
  const r = parseRuleTokens(rest);
  if (error) r.problems.push(error);
  return { table, chain, family, ...r };
}

/** True when the head of a file looks like iptables-save / ip6tables-save output. */
export function sniffIptablesSave(head: string): boolean {
  if (/^# Generated by ip6?tables(-legacy|-nft)?-save/m.test(head)) return true;
  const table = /^\*(filter|nat|mangle|raw|security)\s*$/m.test(head);
  return (
    table && (/^(\[\d+:\d+\] )?-A \S+/m.test(head) || /^:\S+ (ACCEPT|DROP|-)( \[\d+:\d+\])?\s*$/m.test(head))
  );
}

/** Parses iptables-save / ip6tables-save text (several concatenated dumps allowed); never throws. */
export function parseIptablesSave(text: string, options: { family?: IptFamily } = {}): IptablesSaveResult {
  const warnings: TextWarning[] = [];
  const records: IptablesRule[] = [];
  const lines = text.split(/\r?\n/);
  let family: IptFamily = options.family ?? (/^# Generated by ip6tables/m.test(text) ? 'ipv6' : 'ipv4');
  const ruleset: IptablesRuleset = { family, tables: [] };
  const headerFamilyLocked = options.family !== undefined;
  let table: IptablesTable | null = null;
  // Chain names per table for telling jumps from extension targets (user chains are declared before rules).
  let chainIndex = new Map<string, IptablesChain>();
  let chainNames = new Set<string>();
  const warn = (line: number, message: string): void => {
    warnings.push({ line, message });
  };
  for (let ln = 0; ln < lines.length; ln++) {
    const lineNo = ln + 1;
    const raw = lines[ln]!;
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const gen = /^# Generated by (ip6?)tables(?:-legacy|-nft)?-save v[\d.]+(?: \(([^)]+)\))?/.exec(line);
      if (gen) {
        if (!headerFamilyLocked) family = gen[1] === 'ip6' ? 'ipv6' : 'ipv4';
        if (gen[2]) ruleset.backend ??= gen[2];
      }
      continue;
    }
    if (line.startsWith('*')) {
      if (table && !table.committed) warn(table.line, `table ${table.name} has no COMMIT`);
      const name = line.slice(1).trim();
      if (!/^[\w-]+$/.test(name)) {
        warn(lineNo, `bad table line '${line}'`);
        table = null;
        continue;
      }
      table = { family, name, line: lineNo, committed: false, chains: [] };
      ruleset.tables.push(table);
      chainIndex = new Map();
      chainNames = new Set();
      continue;
    }
    if (line === 'COMMIT') {
      if (!table) warn(lineNo, 'COMMIT outside a table');
      else table.committed = true;
      continue;
    }
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+(\[\d+:\d+\]))?\s*$/.exec(line);
      if (!m || !table) {
        warn(lineNo, table ? `bad chain declaration '${line}'` : 'chain declaration outside a table');
        continue;
      }
      const name = m[1]!;
      const chain: IptablesChain = {
        family: table.family,
        table: table.name,
        name,
        builtin: BUILTIN_CHAINS.has(name),
        policy: m[2] === '-' ? null : m[2]!,
        counters: m[3] ? parseCounters(m[3]) : undefined,
        line: lineNo,
        rules: [],
      };
      if (chain.counters === undefined) delete chain.counters;
      if (chainIndex.has(name)) warn(lineNo, `chain ${name} declared twice`);
      else {
        table.chains.push(chain);
        chainIndex.set(name, chain);
        chainNames.add(name);
      }
      continue;
    }
    // A rule: optional [pkts:bytes] then -A CHAIN …
    let body = line;
    let counters: IptCounters | undefined;
    const cm = /^(\[\d+:\d+\])\s+/.exec(body);
    if (cm) {
      counters = parseCounters(cm[1]!);
      body = body.slice(cm[0].length);
    }
    if (!/^(-A|--append)\s+\S+/.test(body)) {
      warn(lineNo, `unrecognised line '${line.length > 80 ? line.slice(0, 80) + '…' : line}'`);
      continue;
    }
    if (!table) {
      warn(lineNo, 'rule outside a table');
      continue;
    }
    const { tokens, error } = tokenizeShell(body);
    const chainName = tokens[1]!.value;
    let chain = chainIndex.get(chainName);
    if (!chain) {
      warn(lineNo, `rule for undeclared chain ${chainName}`);
      chain = {
        family: table.family,
        table: table.name,
        name: chainName,
        builtin: BUILTIN_CHAINS.has(chainName),
        policy: BUILTIN_CHAINS.has(chainName) ? 'ACCEPT' : null,
        line: lineNo,
        rules: [],
      };
      table.chains.push(chain);
      chainIndex.set(chainName, chain);
      chainNames.add(chainName);
    }
    const { matches, target, problems } = parseRuleTokens(tokens.slice(2), chainNames);
    // One warning per line, however many problems it has.
    const issues = [...(error ? [`${error} in rule`] : []), ...problems];
    if (issues.length) warn(lineNo, issues.join('; '));
    const rule: IptablesRule = {
      family: table.family,
      table: table.name,
      chain: chainName,
      index: chain.rules.length + 1,
      text: body.trimEnd(),
      line: lineNo,
      matches,
      target,
    };
    if (counters) rule.counters = counters;
    chain.rules.push(rule);
    records.push(rule);
  }
  if (table && !table.committed) warn(table.line, `table ${table.name} has no COMMIT (truncated?)`);
  if (ruleset.tables.length > 0) ruleset.family = ruleset.tables[0]!.family;
  else ruleset.family = family;
  return { records, warnings, ruleset };
}

/** The text xtables-monitor 1.8.9 prints for a rule: `-4 -t <table> -A …`. */
export function ruleTraceText(rule: IptablesRule): string {
  return `${rule.family === 'ipv6' ? '-6' : '-4'} -t ${rule.table} ${rule.text}`;
}

/** Finds a chain by table and name. */
export function findChain(ruleset: IptablesRuleset, table: string, name: string): IptablesChain | undefined {
  for (const t of ruleset.tables) {
    if (t.name !== table) continue;
    const c = t.chains.find((x) => x.name === name);
    if (c) return c;
  }
  return undefined;
}
