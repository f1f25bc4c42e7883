// What the kernel's own records say about the host: everything the text inputs contributed,
// gathered for the analysis of captured packets.
import type { CtEvent } from './conntrack-join';
import type { IptablesRuleset } from '../context/iptables-save';
import type { NftRuleset } from '../context/nft';
import type { IpLink } from '../context/ip-addr';
import type { RouteRecord } from '../context/ip-route';
import type { RuleRecord } from '../context/ip-rule';
import type { TraceTraversal } from '../context/trace';

/** One interface of the host with its addresses (CIDR). */
export interface HostIface {
  ifindex: number | null;
  name: string;
  mac: string | null;
  mtu: number | null;
  addrs: string[];
}

/** The host's state, from ip/conntrack/ruleset/trace/sysctl inputs. */
export interface HostContext {
  ifaces: HostIface[];
  ifaceSource: 'ip-addr' | 'inferred' | 'none';
  ctEvents: CtEvent[];
  ctStats: Array<{ section: string | null; totals: Record<string, number> }>;
  /** kernel log lines `nf_conntrack: table full, dropping packet`, with where they were */
  ctTableFull: Array<{ line: number; text: string }>;
  iptables: { ipv4: IptablesRuleset | null; ipv6: IptablesRuleset | null };
  nft: NftRuleset[];
  sysctls: Map<string, string>;
  /** `ip addr`/`ip link` as parsed (routing needs them for source selection) */
  links: IpLink[];
  routes: RouteRecord[];
  rules: RuleRecord[];
  /** traced traversals of the richest trace input (others of the same packets are duplicates) */
  traces: TraceTraversal[];
  /** every trace traversal with the input it came from and its trace_packets row id */
  traceInputs: Array<{ input: number; traversals: Array<{ t: TraceTraversal; rowId: number }> }>;
}

/** An empty context. */
export function emptyContext(): HostContext {
  return {
    ifaces: [],
    ifaceSource: 'none',
    ctEvents: [],
    ctStats: [],
    ctTableFull: [],
    iptables: { ipv4: null, ipv6: null },
    nft: [],
    sysctls: new Map(),
    links: [],
    routes: [],
    rules: [],
    traces: [],
    traceInputs: [],
  };
}

/** Interface name for a kernel ifindex, when ip addr/link told us. */
export function ifaceName(ctx: HostContext, ifindex: number): string | null {
  for (const i of ctx.ifaces) if (i.ifindex === ifindex) return i.name;
  return null;
}

/** True when `ip` is one of the host's own addresses. */
export function isLocalAddress(ctx: HostContext, ip: string): boolean {
  for (const i of ctx.ifaces) for (const a of i.addrs) if (a.split('/')[0] === ip) return true;
  return false;
}
