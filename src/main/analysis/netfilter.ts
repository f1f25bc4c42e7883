// Netfilter path simulator over an iptables-save ruleset: hook order and table priorities (netfilter_ipv4.h,
// formats.md §5), x_tables chain traversal (ip_tables.c ipt_do_table) and the semantics of formats.md §4.2.
import type {
  IptablesChain,
  IptablesRule,
  IptablesRuleset,
  IptMatches,
  IptPortMatch,
} from '../context/iptables-save';

/** Which hooks a packet passes (formats.md §5); the loopback kinds are the two halves of local→local traffic. */
export type SimKind =
  'forward' | 'input' | 'output' | 'local-output-loopback' | 'local-input-loopback' | 'prerouting-only';

/** The packet to simulate, as seen at its first hook. */
export interface SimPacket {
  family: 'ipv4' | 'ipv6';
  kind: SimKind;
  iif?: string | null;
  oif?: string | null;
  src: string;
  dst: string;
  /** tcp, udp, icmp, icmpv6, sctp… or a protocol number; undefined = unknown. */
  proto?: string;
  sport?: number;
  dport?: number;
  /** ICMP type as a number or iptables name (`echo-request`). */
  icmpType?: string | number;
  icmpCode?: number;
  tcpFlags?: string[];
  mark?: number;
  ctState?: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | string;
  ctDir?: 'ORIGINAL' | 'REPLY' | string | null;
  /** Conntrack status bits (CONFIRMED, SEEN_REPLY, ASSURED, EXPECTED). */
  ctStatus?: string[];
  /** Virtual states SNAT/DNAT for `--ctstate SNAT|DNAT`. */
  ctNat?: string[];
  /** nat chains run only for the first packet of a connection (lab README item 2); default: NEW and not CONFIRMED. */
  isFirstPacketOfConnection?: boolean;
  /** Addresses of the host (for `-m addrtype --dst-type LOCAL`); undefined makes addrtype LOCAL unknown. */
  localAddresses?: string[];
}

/** Options for simulate(). */
export interface SimOptions {
  /** Primary address of an interface, for MASQUERADE and REDIRECT. */
  addressOf?: (iface: string) => string | undefined;
  /** The DNAT destination seen in evidence (`10.10.2.2:53` or an address): selects the statistic branch leading to it. */
  observedDnatTo?: string;
  /** For later packets of a DNATed connection: the translation conntrack applies after nat PREROUTING/OUTPUT. */
  conntrackDnat?: { dst?: string; dport?: number };
}

/** One evaluated rule (matched, or uncertain). */
export interface SimRuleEvent {
  chain: string;
  rule: string;
  index: number;
  verdict: string;
}

/** A NAT rewrite done by a matched rule. */
export interface SimRewrite {
  hook: string;
  kind: 'DNAT' | 'SNAT';
  target: string;
  rule: string;
  to: string;
}

/** Result of a simulation. */
export interface SimResult {
  hooks: string[];
  /** Chains in evaluation order like a trace's `chains`: base chains, user chains entered, chains returned to. */
  chains: string[];
  rules: SimRuleEvent[];
  verdict: 'ACCEPT' | 'DROP' | 'QUEUE';
  verdictChain: string | null;
  verdictRule: string | null;
  /** True when the drop came from REJECT (the kernel trace shows it as DROP). */
  rejected: boolean;
  rewrites: SimRewrite[];
  markChanges: { chain: string; rule: string; from: number; to: number }[];
  /** statistic matches not decided by evidence: each with its written and effective probability. */
  probabilistic: { chain: string; rule: string; probability: number; effective: number; taken: boolean }[];
  /** Rules whose matches could not be evaluated (unknown module, missing packet field); they were treated as not matching. */
  uncertain: { chain: string; rule: string; reason: string }[];
  certain: boolean;
  /** The packet after the last hook (DNAT applied; SNAT recorded in rewrites). */
  packetAfter: SimPacket;
}

const HOOKS_OF: Record<SimKind, string[]> = {
  forward: ['PREROUTING', 'FORWARD', 'POSTROUTING'],
  input: ['PREROUTING', 'INPUT'],
  output: ['OUTPUT', 'POSTROUTING'],
  'local-output-loopback': ['OUTPUT', 'POSTROUTING'],
  'local-input-loopback': ['PREROUTING', 'INPUT'],
  'prerouting-only': ['PREROUTING'],
};

/** Tables per hook in priority order (nat is DNAT −100 at PREROUTING/OUTPUT and SNAT +100 at INPUT/POSTROUTING). */
const TABLES_OF: Record<string, string[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

type Tri = true | false | 'unknown';

/** Parses an IPv4 or IPv6 address to a bigint and its bit width; undefined when not an address. */
export function parseIp(addr: string): { value: bigint; bits: 32 | 128 } | undefined {
  const a = addr.replace(/^\[|\]$/g, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) {
    const p = a.split('.').map(Number);
    if (p.some((x) => x > 255)) return undefined;
    return { value: BigInt(((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!), bits: 32 };
  }
  if (!a.includes(':')) return undefined;
  let s = a.toLowerCase();
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    tail = [(p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!];
    s = s.slice(0, v4.index) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...rest].map((g) =>
    parseInt(g, 16),
  );
  if (tail.length) groups.splice(6, 2, ...tail);
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return { value: v, bits: 128 };
}

/** True/false when `addr` is inside `prefix` (`a/len` or a bare address); unknown when either does not parse. */
export function inPrefix(addr: string, prefix: string): Tri {
  const [p, lenText] = prefix.split('/');
  const a = parseIp(addr);
  const b = parseIp(p ?? '');
  if (!a || !b) return 'unknown';
  if (a.bits !== b.bits) return false;
  let len: number;
  if (lenText === undefined) len = a.bits;
  else if (/^\d+$/.test(lenText)) len = Number(lenText);
  else {
    // Dotted netmask (`/255.255.0.0`) as older iptables printed it.
    const m = parseIp(lenText);
    if (!m) return 'unknown';
    return (a.value & m.value) === (b.value & m.value);
  }
  const shift = BigInt(a.bits - len);
  return a.value >> shift === b.value >> shift;
}

const PROTO_NUM: Record<string, string> = {
  '1': 'icmp',
  '6': 'tcp',
  '17': 'udp',
  '58': 'icmpv6',
  '132': 'sctp',
  '33': 'dccp',
  '136': 'udplite',
  '47': 'gre',
  '50': 'esp',
  '51': 'ah',
};

/** Normalises protocol names (`ipv6-icmp`, `icmp6`, `58` → `icmpv6`). */
function normProto(p: string): string {
  const l = p.toLowerCase();
  if (l === 'ipv6-icmp' || l === 'icmp6') return 'icmpv6';
  return PROTO_NUM[l] ?? l;
}

const ICMP_NAMES: Record<string, number> = {
  'echo-reply': 0,
  pong: 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  ping: 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'ttl-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
};
const ICMP6_NAMES: Record<string, number> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'ttl-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  ping: 128,
  'echo-reply': 129,
  pong: 129,
  'router-solicitation': 133,
  'router-advertisement': 134,
  'neighbour-solicitation': 135,
  'neighbor-solicitation': 135,
  'nd-neighbor-solicit': 135,
  'neighbour-advertisement': 136,
  'neighbor-advertisement': 136,
  'nd-neighbor-advert': 136,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  redirect: 137,
  'mld-listener-query': 130,
  'mld-listener-report': 131,
  'mld2-listener-report': 143,
};

/** Matches ports against a port match; unknown when the packet has no such field. */
function portsMatch(m: IptPortMatch, port: number | undefined): Tri {
  if (port === undefined) return 'unknown';
  const hit = m.ranges.some((r) => port >= r.from && port <= r.to);
  return hit !== m.negate;
}

function ifaceMatch(want: { name: string; negate: boolean; wildcard: boolean }, have: string): boolean {
  const hit = want.wildcard ? have.startsWith(want.name) && have !== '' : have === want.name;
  return hit !== want.negate;
}

/** Context of one hook evaluation. */
interface HookCtx {
  hook: string;
  inIface: string;
  outIface: string;
  pkt: SimPacket;
  mark: number;
}

/** Evaluates every match of a rule: false as soon as one fails, unknown when none fails but one cannot be decided. */
function evalMatches(m: IptMatches, c: HookCtx, reasons: string[]): Tri {
  const p = c.pkt;
  let unknown = false;
  const and = (r: Tri, why: string): boolean => {
    if (r === false) return false;
    if (r === 'unknown') {
      unknown = true;
      reasons.push(why);
    }
    return true;
  };
  if (m.src) {
    const r = inPrefix(p.src, m.src.addr);
    if (!and(r === 'unknown' ? r : r !== m.src.negate, `source ${m.src.addr}`)) return false;
  }
  if (m.dst) {
    const r = inPrefix(p.dst, m.dst.addr);
    if (!and(r === 'unknown' ? r : r !== m.dst.negate, `destination ${m.dst.addr}`)) return false;
  }
  if (m.inIface && !ifaceMatch(m.inIface, c.inIface)) return false;
  if (m.outIface && !ifaceMatch(m.outIface, c.outIface)) return false;
  if (m.proto && m.proto.name !== 'all' && m.proto.name !== '0') {
    const r: Tri =
      p.proto === undefined ? 'unknown' : (normProto(p.proto) === normProto(m.proto.name)) !== m.proto.negate;
    if (!and(r, 'protocol unknown')) return false;
  }
  if (m.fragment) {
    // Simulated packets are unfragmented (or the first fragment).
    if (!m.fragment.negate) return false;
  }
  if (m.sport && !and(portsMatch(m.sport, p.sport), 'source port unknown')) return false;
  if (m.dport && !and(portsMatch(m.dport, p.dport), 'destination port unknown')) return false;
  if (m.multiport) {
    if (m.multiport.sports && !and(portsMatch(m.multiport.sports, p.sport), 'source port unknown'))
      return false;
    if (m.multiport.dports && !and(portsMatch(m.multiport.dports, p.dport), 'destination port unknown'))
      return false;
    if (m.multiport.ports) {
      const mp = m.multiport.ports;
      const r: Tri =
        p.sport === undefined || p.dport === undefined
          ? 'unknown'
          : mp.ranges.some(
              (x) => (p.sport! >= x.from && p.sport! <= x.to) || (p.dport! >= x.from && p.dport! <= x.to),
            ) !== mp.negate;
      if (!and(r, 'ports unknown')) return false;
    }
  }
  const tracked = p.ctState !== undefined && p.ctState !== 'INVALID' && p.ctState !== 'UNTRACKED';
  for (const st of [m.ctstate, m.state]) {
    if (!st) continue;
    if (p.ctState === undefined) {
      if (!and('unknown', 'conntrack state unknown')) return false;
      continue;
    }
    const bits = new Set([p.ctState, ...(st === m.ctstate ? (p.ctNat ?? []) : [])]);
    const hit = st.values.some((v) => bits.has(v));
    if (hit === st.negate) return false;
  }
  // xt_conntrack: without a conntrack (INVALID/UNTRACKED) every non-state conntrack option fails, negated or not.
  if (m.ctdir) {
    if (p.ctState !== undefined && !tracked) return false;
    if (p.ctDir === undefined || p.ctDir === null) {
      if (!and('unknown', 'conntrack direction unknown')) return false;
    } else if ((p.ctDir === m.ctdir.dir) === m.ctdir.negate) return false;
  }
  if (m.ctstatus) {
    if (p.ctState !== undefined && !tracked) return false;
    if (p.ctStatus === undefined) {
      if (!and('unknown', 'conntrack status unknown')) return false;
    } else {
      const hit = m.ctstatus.values.some((v) => p.ctStatus!.includes(v));
      if (hit === m.ctstatus.negate) return false;
    }
  }
  if (m.mark && ((c.mark & m.mark.mask) >>> 0 === m.mark.value >>> 0) === m.mark.negate) return false;
  if (m.connmark && !and('unknown', 'connmark unknown')) return false;
  for (const at of m.addrtype ?? []) {
    if (at.limitIfaceIn || at.limitIfaceOut) {
      if (!and('unknown', 'addrtype --limit-iface')) return false;
    }
    for (const [types, addr] of [
      [at.srcType, p.src],
      [at.dstType, p.dst],
    ] as const) {
      if (!types) continue;
      const r = addrTypeIs(addr, types.values, p.localAddresses);
      if (!and(r === 'unknown' ? r : r !== types.negate, `addrtype ${types.values.join(',')}`)) return false;
    }
  }
  if (m.icmpType) {
    const r = icmpMatch(m.icmpType.type, p);
    if (!and(r === 'unknown' ? r : r !== m.icmpType.negate, 'icmp type unknown')) return false;
  }
  if (m.tcpFlags) {
    if (!p.tcpFlags) {
      if (!and('unknown', 'tcp flags unknown')) return false;
    } else {
      const expand = (l: string[]): string[] =>
        l.includes('ALL')
          ? ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR']
          : l.filter((x) => x !== 'NONE');
      const mask = expand(m.tcpFlags.mask);
      const comp = expand(m.tcpFlags.comp);
      const have = new Set(p.tcpFlags.map((f) => f.toUpperCase()));
      const hit = mask.every((f) => have.has(f) === comp.includes(f));
      if (hit === m.tcpFlags.negate) return false;
    }
  }
  if (m.physdev && !and('unknown', 'physdev (bridge port) unknown')) return false;
  if (m.set?.length && !and('unknown', `ipset ${m.set.map((s) => s.name).join(',')} contents unknown`))
    return false;
  if (m.recent && !and('unknown', 'recent list unknown')) return false;
  for (const u of m.unknown)
    if (!and('unknown', `unknown match ${u.module || u.args[0] || ''}`)) return false;
  return unknown ? 'unknown' : true;
}

/** addrtype types for an address: LOCAL from localAddresses, MULTICAST/BROADCAST from the address, UNICAST otherwise. */
function addrTypeIs(addr: string, types: string[], local: string[] | undefined): Tri {
  const ip = parseIp(addr);
  if (!ip) return 'unknown';
  const loopback = ip.bits === 32 ? ip.value >> 24n === 127n : ip.value === 1n;
  const multicast = ip.bits === 32 ? ip.value >> 28n === 0xen : ip.value >> 120n === 0xffn;
  const broadcast = ip.bits === 32 && ip.value === 0xffffffffn;
  let isLocal: Tri = loopback
    ? true
    : local === undefined
      ? 'unknown'
      : local.some((l) => parseIp(l)?.value === ip.value && parseIp(l)?.bits === ip.bits);
  if (multicast || broadcast) isLocal = false;
  let any: Tri = false;
  for (const t of types) {
    let r: Tri;
    switch (t) {
      case 'LOCAL':
        r = isLocal;
        break;
      case 'MULTICAST':
        r = multicast;
        break;
      case 'BROADCAST':
        r = broadcast ? true : 'unknown';
        if (!broadcast && ip.bits === 128) r = false;
        break;
      case 'UNICAST':
        r = multicast || broadcast ? false : isLocal === 'unknown' ? 'unknown' : !isLocal;
        break;
      default:
        r = 'unknown';
    }
    if (r === true) return true;
    if (r === 'unknown') any = 'unknown';
  }
  return any;
}

/** ICMP type match (`8`, `8/0`, `echo-request`, `any`). */
function icmpMatch(want: string, p: SimPacket): Tri {
  if (want === 'any') return true;
  const names = p.family === 'ipv6' ? ICMP6_NAMES : ICMP_NAMES;
  const [t, code] = want.split('/');
  const wantType = /^\d+$/.test(t ?? '') ? Number(t) : names[t ?? ''];
  if (wantType === undefined) return 'unknown';
  if (p.icmpType === undefined) return 'unknown';
  const have =
    typeof p.icmpType === 'number'
      ? p.icmpType
      : /^\d+$/.test(p.icmpType)
        ? Number(p.icmpType)
        : names[p.icmpType];
  if (have === undefined) return 'unknown';
  if (have !== wantType) return false;
  if (code !== undefined) return p.icmpCode === undefined ? 'unknown' : p.icmpCode === Number(code);
  return true;
}

/** Splits `ip[:port[-port]]`, `[v6]:port`, `ip-ip` into the first address and port. */
/** `addr:port`, with an IPv6 address in brackets (`[fd00::2]:80`) so the port stays readable. */
function natEndpoint(addr: string, port: number | undefined): string {
  if (port === undefined || Number.isNaN(port)) return addr;
  return `${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
}

function parseNatTo(to: string): { addr?: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?/.exec(to);
  if (v6) return { addr: v6[1]!.split('-')[0]!, ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  if ((to.match(/:/g) ?? []).length > 1) return { addr: to.split('-')[0]! };
  const m = /^([^:]*)(?::(\d+))?/.exec(to);
  const out: { addr?: string; port?: number } = {};
  if (m?.[1]) out.addr = m[1].split('-')[0]!;
  if (m?.[2]) out.port = Number(m[2]);
  return out;
}

/** True when a rule's DNAT (directly or through the chains it jumps to) sends to the observed destination. */
function leadsTo(
  rule: IptablesRule,
  observed: string,
  chains: Map<string, IptablesChain>,
  depth = 0,
): boolean {
  const obs = parseNatTo(observed.includes('.') || observed.startsWith('[') ? observed : `[${observed}]`);
  const t = rule.target;
  if (t.kind === 'DNAT' && t.toDestination) {
    const d = parseNatTo(t.toDestination);
    return d.addr === obs.addr && (obs.port === undefined || d.port === undefined || d.port === obs.port);
  }
  if ((t.kind === 'JUMP' || t.kind === 'GOTO') && t.chain && depth < 8) {
    const c = chains.get(t.chain);
    return !!c && c.rules.some((r) => leadsTo(r, observed, chains, depth + 1));
  }
  return false;
}

/** Simulates the packet through the ruleset's built-in chains; never throws on odd rulesets. */
export function simulate(ruleset: IptablesRuleset, packet: SimPacket, options: SimOptions = {}): SimResult {
  const hooks = HOOKS_OF[packet.kind];
  const res: SimResult = {
    hooks,
    chains: [],
    rules: [],
    verdict: 'ACCEPT',
    verdictChain: null,
    verdictRule: null,
    rejected: false,
    rewrites: [],
    markChanges: [],
    probabilistic: [],
    uncertain: [],
    certain: true,
    packetAfter: { ...packet },
  };
  const pkt: SimPacket = { ...packet };
  let mark = packet.mark ?? 0;
  const natRuns =
    packet.kind !== 'local-input-loopback' &&
    (packet.isFirstPacketOfConnection ??
      (packet.ctState === 'NEW' && !(packet.ctStatus ?? []).includes('CONFIRMED')));
  const tables = new Map<string, Map<string, IptablesChain>>();
  for (const t of ruleset.tables) {
    const m = tables.get(t.name) ?? new Map<string, IptablesChain>();
    for (const c of t.chains) if (!m.has(c.name)) m.set(c.name, c);
    tables.set(t.name, m);
  }
  let lastChain: string | null = null;
  const note = (chain: string): void => {
    if (lastChain !== chain) res.chains.push(chain);
    lastChain = chain;
  };

  for (const hook of hooks) {
    const isOutputPath = packet.kind === 'output' || packet.kind === 'local-output-loopback';
    const inIface =
      hook === 'PREROUTING' ||
      hook === 'INPUT' ||
      hook === 'FORWARD' ||
      (hook === 'POSTROUTING' && !isOutputPath)
        ? (pkt.iif ?? '')
        : '';
    const outIface = hook === 'OUTPUT' || hook === 'FORWARD' || hook === 'POSTROUTING' ? (pkt.oif ?? '') : '';
    for (const table of TABLES_OF[hook]!) {
      if (table === 'nat' && !natRuns) {
        // Later packets get the connection's DNAT from conntrack at the same priority.
        if ((hook === 'PREROUTING' || hook === 'OUTPUT') && options.conntrackDnat) {
          if (options.conntrackDnat.dst) pkt.dst = options.conntrackDnat.dst;
          if (options.conntrackDnat.dport !== undefined) pkt.dport = options.conntrackDnat.dport;
        }
        continue;
      }
      const chains = tables.get(table);
      const base = chains?.get(hook);
      if (!chains || !base || !base.builtin) continue;
      const ctx: HookCtx = { hook, inIface, outIface, pkt, mark };
      const out = runChain(table, base, chains, ctx, res, note, options);
      mark = ctx.mark;
      if (out === 'DROP' || out === 'QUEUE') {
        res.verdict = out;
        res.packetAfter = pkt;
        res.certain = res.uncertain.length === 0;
        return res;
      }
    }
  }
  res.packetAfter = { ...pkt, mark };
  res.certain = res.uncertain.length === 0;
  return res;
}

/** Runs one built-in chain with jumps, gotos and returns (ipt_do_table); returns the chain's verdict. */
function runChain(
  table: string,
  base: IptablesChain,
  chains: Map<string, IptablesChain>,
  ctx: HookCtx,
  res: SimResult,
  note: (chain: string) => void,
  options: SimOptions,
): 'ACCEPT' | 'DROP' | 'QUEUE' {
  const key = (c: IptablesChain): string => `${table}:${c.name}`;
  note(key(base));
  let cur = base;
  let idx = 0;
  const stack: { chain: IptablesChain; idx: number }[] = [];
  // Independent draws per statistic rule: the chance of reaching this point in the current chain.
  let reach = 1;
  const terminal = (
    verdict: 'ACCEPT' | 'DROP' | 'QUEUE',
    chain: string,
    rule: string | null,
  ): 'ACCEPT' | 'DROP' | 'QUEUE' => {
    res.verdictChain = chain;
    res.verdictRule = rule;
    return verdict;
  };
  for (let guard = 0; guard < 100000; guard++) {
    if (idx >= cur.rules.length) {
      if (cur === base || cur.builtin) {
        note(key(base));
        const policy = base.policy === 'DROP' ? 'DROP' : 'ACCEPT';
        res.rules.push({ chain: key(base), rule: '', index: 0, verdict: `POLICY:${policy}` });
        return terminal(policy, key(base), null);
      }
      const back = stack.pop();
      if (!back) {
        // End of a chain reached by -g with no return point: back to the built-in chain's policy.
        cur = base;
        idx = base.rules.length;
        continue;
      }
      cur = back.chain;
      idx = back.idx;
      reach = 1;
      continue;
    }
    const rule = cur.rules[idx]!;
    const chainKey = key(cur);
    const reasons: string[] = [];
    let m = evalMatches(rule.matches, ctx, reasons);
    const st = rule.matches.statistic;
    if (m !== false && st) {
      if (options.observedDnatTo !== undefined && st.mode === 'random') {
        m = leadsTo(rule, options.observedDnatTo, chains) ? m : false;
      } else {
        const p = st.mode === 'random' ? st.probability : 1 / Math.max(1, st.every);
        res.probabilistic.push({
          chain: chainKey,
          rule: rule.text,
          probability: p,
          effective: reach * p,
          taken: false,
        });
        reach *= 1 - p;
        m = false;
      }
    }
    if (m === 'unknown') {
      res.uncertain.push({ chain: chainKey, rule: rule.text, reason: reasons.join('; ') });
      idx++;
      continue;
    }
    if (m === false) {
      idx++;
      continue;
    }
    const t = rule.target;
    const ev = (verdict: string): void => {
      note(chainKey);
      res.rules.push({ chain: chainKey, rule: rule.text, index: rule.index, verdict });
    };
    switch (t.kind) {
      case 'ACCEPT':
        ev('ACCEPT');
        return terminal('ACCEPT', chainKey, rule.text);
      case 'DROP':
        ev('DROP');
        return terminal('DROP', chainKey, rule.text);
      case 'REJECT':
        ev('DROP');
        res.rejected = true;
        return terminal('DROP', chainKey, rule.text);
      case 'QUEUE':
      case 'NFQUEUE':
        ev('QUEUE');
        return terminal('QUEUE', chainKey, rule.text);
      case 'RETURN': {
        ev('RETURN');
        const back = stack.pop();
        if (!back || cur.builtin) {
          cur = base;
          idx = base.rules.length;
          continue;
        }
        cur = back.chain;
        idx = back.idx;
        reach = 1;
        continue;
      }
      case 'JUMP':
      case 'GOTO': {
        const next = t.chain ? chains.get(t.chain) : undefined;
        ev(`${t.kind}:${t.chain ?? ''}`);
        if (!next) {
          res.uncertain.push({
            chain: chainKey,
            rule: rule.text,
            reason: `target chain ${t.chain ?? '?'} not in ruleset`,
          });
          idx++;
          continue;
        }
        if (t.kind === 'JUMP') stack.push({ chain: cur, idx: idx + 1 });
        note(`${table}:${next.name}`);
        cur = next;
        idx = 0;
        reach = 1;
        continue;
      }
      case 'DNAT':
      case 'REDIRECT':
      case 'SNAT':
      case 'MASQUERADE':
      case 'NETMAP': {
        ev('ACCEPT');
        applyNat(rule, ctx, res, options);
        return terminal('ACCEPT', chainKey, rule.text);
      }
      case 'MARK':
      case 'CONNMARK': {
        ev('CONTINUE');
        if (t.kind === 'MARK' && t.setXmark) {
          const from = ctx.mark;
          ctx.mark = ((ctx.mark & ~t.setXmark.mask) ^ t.setXmark.value) >>> 0;
          res.markChanges.push({ chain: chainKey, rule: rule.text, from, to: ctx.mark });
        }
        idx++;
        continue;
      }
      case 'OTHER':
        ev('CONTINUE');
        res.uncertain.push({
          chain: chainKey,
          rule: rule.text,
          reason: `unknown target ${t.name}, assumed non-terminating`,
        });
        idx++;
        continue;
      default:
        // NONE, LOG, NFLOG, TRACE, CT, NOTRACK, TCPMSS, … do not end evaluation.
        ev('CONTINUE');
        idx++;
        continue;
    }
  }
  res.uncertain.push({ chain: key(base), rule: '', reason: 'evaluation loop limit reached' });
  return terminal('ACCEPT', key(base), null);
}

/** Applies a NAT target: DNAT/REDIRECT change what later hooks see; SNAT/MASQUERADE are recorded. */
function applyNat(rule: IptablesRule, ctx: HookCtx, res: SimResult, options: SimOptions): void {
  const t = rule.target;
  const p = ctx.pkt;
  if (
    t.kind === 'DNAT' ||
    t.kind === 'REDIRECT' ||
    (t.kind === 'NETMAP' && (ctx.hook === 'PREROUTING' || ctx.hook === 'OUTPUT'))
  ) {
    let addr: string | undefined;
    let port: number | undefined;
    if (t.kind === 'REDIRECT') {
      addr =
        ctx.hook === 'OUTPUT'
          ? p.family === 'ipv6'
            ? '::1'
            : '127.0.0.1'
          : (options.addressOf?.(ctx.inIface) ?? undefined);
      if (t.toPorts) port = Number(t.toPorts.split('-')[0]);
    } else {
      const to = parseNatTo(t.toDestination ?? '');
      addr = to.addr;
      port = to.port;
    }
    if (addr) p.dst = addr;
    if (port !== undefined && !Number.isNaN(port)) p.dport = port;
    res.rewrites.push({
      hook: ctx.hook,
      kind: 'DNAT',
      target: t.kind,
      rule: rule.text,
      to: natEndpoint(addr ?? p.dst, port),
    });
    return;
  }
  let addr: string | undefined;
  let port: number | undefined;
  if (t.kind === 'MASQUERADE') {
    addr = options.addressOf?.(ctx.outIface);
    if (t.toPorts) port = Number(t.toPorts.split('-')[0]);
  } else {
    const to = parseNatTo(t.toSource ?? t.toDestination ?? '');
    addr = to.addr;
    port = to.port;
  }
  res.rewrites.push({
    hook: ctx.hook,
    kind: 'SNAT',
    target: t.kind,
    rule: rule.text,
    to: natEndpoint(addr ?? '?', port),
  });
}
