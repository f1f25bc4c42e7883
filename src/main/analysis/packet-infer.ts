// Per-packet inference from the host's context: the routing decision (ip rule → table → prefix) and
// the Netfilter path (hooks, tables, rules, verdict) simulated over the ruleset; compared with the
// trace where the packet was traced.
import type { NatStepJson, NetfilterJson, PacketJson, RouteJson } from '../../shared/report';
import type { IptablesRuleset } from '../context/iptables-save';
import type { IpLink } from '../context/ip-addr';
import type { RouteRecord } from '../context/ip-route';
import type { RuleRecord } from '../context/ip-rule';
import type { SimKind, SimPacket } from './netfilter';
import { simulate } from './netfilter';
import { protoName } from './flow-table';
import { tcpFlagNames } from './observation';
import type { RoutingState } from './routing';
import { routeLookup } from './routing';
import { markAtRouting } from './route-mark';
import type { HostIface } from './host-context';

/** The context stored with a case (meta 'context'). */
export interface StoredContext {
  ifaces: HostIface[];
  iptables: { ipv4: IptablesRuleset | null; ipv6: IptablesRuleset | null };
  routes: RouteRecord[];
  rules: RuleRecord[];
  links: IpLink[];
  sysctls: Record<string, string>;
  traced: boolean;
}

/** What the analysis stored per journey (see analyse.ts). */
export interface StoredJourneyDetail {
  k: string;
  h: string[];
  i: string | null;
  o: string | null;
  p?: number | null;
  it?: number;
  fl?: number;
  f?: number;
  nf?: NetfilterJson;
  nat?: NatStepJson[];
  rt?: number;
  zw?: number;
}

/** Builds the per-packet inference for a case's context. */
export function packetInference(
  ctx: StoredContext,
  flowNat: (flowId: string) => { dnatTo: string | null; replySeen: boolean } | null,
): (p: PacketJson, d: StoredJourneyDetail | null) => PacketJson {
  const routing: RoutingState | null = ctx.routes.length
    ? {
        routes: ctx.routes,
        rules4: ctx.rules.some((r) => r.family !== 'ipv6')
          ? ctx.rules.filter((r) => r.family !== 'ipv6')
          : undefined,
        rules6: ctx.rules.some((r) => r.family !== 'ipv4')
          ? ctx.rules.filter((r) => r.family !== 'ipv4')
          : undefined,
        links: ctx.links,
      }
    : null;
  const local = ctx.ifaces.flatMap((i) => i.addrs.map((a) => a.split('/')[0]!));
  const addressOf = (iface: string): string | undefined =>
    ctx.ifaces.find((i) => i.name === iface)?.addrs[0]?.split('/')[0];

  return (p, d) => {
    const out: PacketJson = { ...p };
    const first = p.observations[0];
    if (!first || !d) return out;
    const l3: 'ipv4' | 'ipv6' = first.src.includes(':') ? 'ipv6' : 'ipv4';
    const inObs = p.observations.find((o) => o.direction === 'in') ?? null;
    const outObs = [...p.observations].reverse().find((o) => o.direction === 'out') ?? null;
    // The route is decided after PREROUTING's DNAT: use the last copy's destination.
    const after = p.observations[p.observations.length - 1]!;
    if (routing && d.k !== 'unknown') {
      const q =
        d.k === 'output' || d.k === 'local'
          ? { dst: after.dst, src: after.src }
          : { dst: after.dst, src: first.src, iif: inObs?.iface ?? d.i ?? undefined };
      if (q.iif === undefined && d.k !== 'output' && d.k !== 'local') delete (q as { iif?: string }).iif;
      const mark = markAtRouting(l3 === 'ipv6' ? ctx.iptables.ipv6 : ctx.iptables.ipv4, {
        family: l3,
        src: first.src,
        dst: first.dst,
        proto: d.p != null ? protoName(d.p) : undefined,
        sport: first.sport,
        dport: first.dport,
        iif: inObs?.iface ?? d.i,
        local: d.k === 'output' || d.k === 'local',
      });
      const r = routeLookup(routing, mark ? { ...q, mark } : q);
      const decision = ['local', 'forward', 'output', 'blackhole', 'unreachable', 'prohibit'].includes(
        r.decision,
      )
        ? (r.decision as RouteJson['decision'])
        : r.decision === 'broadcast' || r.decision === 'multicast'
          ? 'local'
          : 'unreachable';
      const observedOut = outObs?.iface ?? null;
      out.route = {
        decision,
        table: r.table,
        prefix: r.prefix,
        gateway: r.gateway,
        dev: r.dev,
        pref_src: r.prefsrc,
        matches_observed:
          observedOut && r.dev && decision !== 'local'
            ? r.dev === observedOut
            : decision === 'local' && d.k === 'input'
              ? true
              : null,
        source: 'ip-route',
      };
    } else if (d.k !== 'unknown') {
      // No routing tables in the case: the decision as the capture shows it, and said so.
      const decision: RouteJson['decision'] =
        d.k === 'input' || d.k === 'local' ? 'local' : d.k === 'output' ? 'output' : 'forward';
      out.route = {
        decision,
        table: null,
        prefix: null,
        gateway: null,
        dev: d.k === 'input' || d.k === 'local' ? (d.k === 'local' ? 'lo' : null) : (outObs?.iface ?? null),
        pref_src: null,
        matches_observed: null,
        source: 'inferred',
      };
    }
    const ruleset = l3 === 'ipv6' ? ctx.iptables.ipv6 : ctx.iptables.ipv4;
    let inferred: NetfilterJson | null = null;
    if (ruleset && p.ctstate !== null && d.k !== 'unknown') {
      const kinds: SimKind[] =
        d.k === 'local'
          ? ['local-output-loopback', 'local-input-loopback']
          : d.k === 'forward' || d.k === 'forward-dropped'
            ? ['forward']
            : d.k === 'input'
              ? ['input']
              : ['output'];
      const nat = flowNat(p.flow);
      const chains: string[] = [];
      const rules: NonNullable<NetfilterJson['rules']> = [];
      const hooks: NetfilterJson['hooks'] = [];
      let verdict: string | null = null;
      let rule: string | null = null;
      let certain = true;
      for (const kind of kinds) {
        const base = kind === 'local-input-loopback' ? after : first;
        const pkt: SimPacket = {
          family: l3,
          kind,
          iif:
            kind === 'local-input-loopback'
              ? 'lo'
              : kind === 'output' || kind === 'local-output-loopback'
                ? null
                : (inObs?.iface ?? d.i),
          oif:
            kind === 'local-output-loopback'
              ? 'lo'
              : kind === 'input' || kind === 'local-input-loopback'
                ? null
                : (outObs?.iface ?? d.o),
          src: base.src,
          dst: base.dst,
          proto: d.p != null ? protoName(d.p) : undefined,
          sport: base.sport,
          dport: base.dport,
          icmpType: d.it,
          tcpFlags: d.fl !== undefined ? tcpFlagNames(d.fl) : undefined,
          ctState: p.ctstate,
          ctDir: p.dir === 'orig' ? 'ORIGINAL' : 'REPLY',
          ctStatus:
            p.ctstate === 'NEW' && d.f
              ? []
              : ['CONFIRMED', ...(p.dir === 'reply' || nat?.replySeen ? ['SEEN_REPLY'] : [])],
          // the looped-back half skips nat: both manips were settled in OUTPUT/POSTROUTING
          isFirstPacketOfConnection: d.f === 1 && kind !== 'local-input-loopback',
          localAddresses: local.length ? local : undefined,
        };
        const r = simulate(ruleset, pkt, { addressOf, observedDnatTo: nat?.dnatTo ?? undefined });
        // a dropped packet reaches no hook after the one that dropped it
        const lastHook = r.verdict === 'DROP' && r.verdictChain ? r.verdictChain.split(':')[1] : null;
        for (const h of r.hooks) {
          hooks.push(h as NetfilterJson['hooks'][number]);
          if (h === lastHook) break;
        }
        chains.push(...r.chains);
        for (const e of r.rules) rules.push({ chain: e.chain, rule: e.rule, verdict: e.verdict });
        verdict = r.rejected ? 'REJECT' : r.verdict;
        rule = r.verdictRule;
        certain &&= r.certain;
        if (r.verdict === 'DROP') break;
      }
      inferred = { hooks, chains, verdict: certain ? verdict : verdict, source: 'inferred', rule, rules };
    }
    if (d.nf) {
      const nf: NetfilterJson = { ...d.nf };
      if (inferred) {
        const tv = nf.verdict === 'DROP' && inferred.verdict === 'REJECT' ? 'REJECT' : nf.verdict;
        nf.agrees_with_trace =
          JSON.stringify(inferred.chains) === JSON.stringify(nf.chains) && inferred.verdict === tv;
      }
      out.netfilter = nf;
    } else if (inferred) out.netfilter = inferred;
    else
      out.netfilter = { hooks: d.h as NetfilterJson['hooks'], source: 'inferred', verdict: null, rule: null };
    return out;
  };
}
