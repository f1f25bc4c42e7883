// NAT from the ruleset, for a connection whose reply tuple neither conntrack nor the capture showed
// (e.g. a capture taken on one side only): the nat rules its first packet would meet. A rewrite is
// concluded only when the walk is certain — a `statistic` choice among backends stays unknown, with
// its candidate rules listed.
import type { IptablesRuleset } from '../context/iptables-save';
import type { DTuple, Flow } from './flow-table';
import { protoName, toTuple } from './flow-table';
import type { HostContext } from './host-context';
import { simulate } from './netfilter';
import { routeLookup } from './routing';
import type { SimRewrite } from './netfilter';

/** What the ruleset says about a connection's NAT. */
export interface RulesetNat {
  /** the reply tuple conntrack would have, when certain */
  reply: DTuple | null;
  rules: string[];
}

function endpoint(to: string): { addr: string | null; port: number | null } {
  if (!to || to.startsWith('?')) return { addr: null, port: null };
  // `[v6]:port`, bare v6 (several colons), `v4:port` or bare v4
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(to);
  if (br) return { addr: br[1]!, port: br[2] ? Number(br[2]) : null };
  if (to.indexOf(':') !== to.lastIndexOf(':')) return { addr: to, port: null };
  const [addr, port] = to.split(':');
  return { addr: addr!, port: port ? Number(port) : null };
}

/** Walks the first packet of `f` through the nat chains of the ruleset. */
export function natFromRuleset(f: Flow, ctx: HostContext): RulesetNat | null {
  const ruleset: IptablesRuleset | null = f.l3 === 6 ? ctx.iptables.ipv6 : ctx.iptables.ipv4;
  if (!ruleset || !f.iif) return null;
  const o = toTuple(f.orig);
  const local = ctx.ifaces.flatMap((i) => i.addrs.map((a) => a.split('/')[0]!));
  const base = {
    family: f.l3 === 6 ? ('ipv6' as const) : ('ipv4' as const),
    iif: f.iif,
    src: o.src,
    dst: o.dst,
    proto: protoName(f.proto),
    sport: o.sport,
    dport: o.dport,
    icmpType: o.icmp_type,
    ctState: 'NEW',
    ctDir: 'ORIGINAL',
    ctStatus: [],
    isFirstPacketOfConnection: true,
    localAddresses: local.length ? local : undefined,
  };
  // where it goes is decided after PREROUTING's DNAT: walk PREROUTING, then route the result
  let oif = f.oif;
  const pre = simulate(ruleset, { ...base, kind: 'prerouting-only' });
  const dstAfter = pre.packetAfter.dst;
  const toLocal = local.includes(dstAfter);
  if (!oif && !toLocal && ctx.routes.length) {
    const rt = routeLookup(
      {
        routes: ctx.routes,
        // no `ip rule` dump: the kernel's default rules
        rules4: ctx.rules.length ? ctx.rules.filter((x) => x.family !== 'ipv6') : undefined,
        links: ctx.links,
      },
      { dst: dstAfter, src: o.src, iif: f.iif },
    );
    oif = rt.dev;
  }
  const r = simulate(
    ruleset,
    { ...base, kind: toLocal ? 'input' : 'forward', oif },
    { addressOf: (iface) => ctx.ifaces.find((i) => i.name === iface)?.addrs[0]?.split('/')[0] },
  );
  const rules = r.rewrites.map((w: SimRewrite) => w.rule);
  const open = r.probabilistic.some((p) => p.effective < 1 && p.effective > 0) || !r.certain;
  if (open) return { reply: null, rules: [...rules, ...r.probabilistic.map((p) => p.rule)] };
  // the reply tuple is the inverse of the packet as it leaves: DNAT changes where it goes, SNAT where it seems to come from
  let dst = f.orig.dst;
  let b = f.orig.b;
  let src = f.orig.src;
  let a = f.orig.a;
  for (const w of r.rewrites) {
    const e = endpoint(w.to);
    if (!e.addr) return { reply: null, rules };
    if (w.kind === 'DNAT') {
      dst = e.addr;
      if (e.port !== null && typeof b === 'number') b = e.port;
    } else {
      src = e.addr;
      if (e.port !== null && typeof a === 'number') a = e.port;
    }
  }
  const after: DTuple = { ...f.orig, src, dst, a, b };
  const reply: DTuple =
    after.b === 'q' || after.b === 'r'
      ? { ...after, src: after.dst, dst: after.src, b: after.b === 'q' ? 'r' : 'q' }
      : { ...after, src: after.dst, dst: after.src, a: after.b, b: after.a };
  return { reply, rules };
}
