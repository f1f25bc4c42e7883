// The packet mark at the routing decision: policy routing (`ip rule fwmark`) follows marks that
// mangle PREROUTING/OUTPUT rules set (MARK, CONNMARK), so the route is looked up with the mark the
// ruleset gives the packet — simulated, not assumed 0.
import type { IptablesRuleset } from '../context/iptables-save';
import { simulate } from './netfilter';

/** The mark a packet carries when it is routed, from the ruleset's mangle rules; null when unknown. */
export function markAtRouting(
  ruleset: IptablesRuleset | null,
  p: {
    family: 'ipv4' | 'ipv6';
    src: string;
    dst: string;
    proto?: string;
    sport?: number;
    dport?: number;
    iif?: string | null;
    local: boolean;
  },
): number | null {
  if (!ruleset) return 0;
  const r = simulate(ruleset, {
    family: p.family,
    kind: p.local ? 'output' : 'prerouting-only',
    iif: p.local ? null : (p.iif ?? null),
    src: p.src,
    dst: p.dst,
    proto: p.proto,
    sport: p.sport,
    dport: p.dport,
    ctState: 'NEW',
    ctDir: 'ORIGINAL',
    ctStatus: [],
    isFirstPacketOfConnection: true,
  });
  // only a rule that could set the mark makes the mark uncertain
  if (r.uncertain.some((u) => /MARK/.test(u.rule))) return null;
  return r.packetAfter.mark ?? 0;
}
