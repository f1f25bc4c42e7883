// Findings: problems and notable kernel behaviour, each with the evidence that shows it
// (report.schema.json `finding`). Kinds are stable identifiers.
import type { FindingJson } from '../../shared/report';
import type { CtConnection } from './conntrack-join';
import type { Flow } from './flow-table';
import type { DTuple, FlowTable } from './flow-table';
import { dkey, dnatOf, snatOf, toTuple, tupleHash } from './flow-table';
import type { HostContext } from './host-context';
import type { RoutingState } from './routing';
import { routeLookup } from './routing';
import { markAtRouting } from './route-mark';
import { rpFilter } from '../context/sysctl';

function fmt(f: Pick<Flow, 'l3' | 'proto' | 'orig'>): string {
  const t = toTuple(f.orig);
  const a = t.sport !== undefined ? `${t.src}:${t.sport}` : t.src;
  const b = t.dport !== undefined ? `${t.dst}:${t.dport}` : t.dst;
  return `${['', '', '', '', 'ipv4', '', 'ipv6'][f.l3] ?? ''} ${f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : f.proto === 1 ? 'icmp' : f.proto === 58 ? 'icmpv6' : f.proto} ${a} → ${b}`.trim();
}

/** A finished flow in brief, kept after the flow itself is evicted (for findings across flows). */
interface FlowBrief {
  id: number;
  label: string;
  firstT: number;
  lastT: number;
}

/** A finished SNAT flow, kept while a later one could share its reply tuple at the same time. */
interface SnatSeen {
  id: number;
  firstT: number;
  lastT: number;
  l3: 4 | 6;
  proto: number;
  orig: DTuple;
  reply: DTuple;
}

type Add = (
  f: Flow | FlowBrief | null,
  kind: string,
  severity: FindingJson['severity'],
  summary: string,
  evidence: string[],
  flows?: Array<{ id: number; firstT: number }>,
) => void;

/**
 * Collects findings: each flow's own ones when the flow is final (evicted during ingest, or at the
 * end), then those that need several flows, the conntrack log or its counters.
 */
export class FindingCollector {
  readonly out: FindingJson[] = [];
  /** finished SNAT flows by tupleHash(reply) (chains may mix tuples: grouped exactly at the end) */
  private readonly snatByReply = new Map<number, SnatSeen[]>();
  private readonly routing: RoutingState | null;
  private readonly sys: Record<string, string>;

  constructor(private readonly ctx: HostContext) {
    this.routing = ctx.routes.length
      ? {
          routes: ctx.routes,
          rules4: ctx.rules.length ? ctx.rules.filter((r) => r.family !== 'ipv6') : undefined,
          links: ctx.links,
        }
      : null;
    this.sys = Object.fromEntries(ctx.sysctls);
  }

  readonly add: Add = (f, kind, severity, summary, evidence, flows) => {
    const list = flows ?? (f ? [f] : []);
    this.out.push({
      kind,
      severity,
      summary,
      flows: list.map((x) => String(x.id)),
      ts: list[0]?.firstT ?? null,
      evidence,
    });
  };

  /** A flow's own findings (it will not change any more). */
  flow(f: Flow): void {
    const add = this.add;
    const ctx = this.ctx;
    const tcp = f.tcp;
    if (tcp) {
      const cs = tcp.connState();
      if (cs === 'S0' && f.pkts[0] > 0) {
        add(
          f,
          'syn-unanswered',
          'warning',
          `${fmt(f)}: ${f.pkts[0]} SYN${f.pkts[0] > 1 ? 's' : ''}, no answer`,
          [
            `${f.pkts[0]} packet(s) from the originator, none back`,
            `conn_state S0, history ${tcp.history}`,
            ...(f.ct.length
              ? []
              : [
                  'no conntrack event for this connection (an unconfirmed entry: dropped before POSTROUTING/INPUT confirmation, or no log)',
                ]),
          ],
        );
      }
      if (cs === 'REJ')
        add(f, 'rst-refused', 'warning', `${fmt(f)}: connection refused (SYN answered by RST)`, [
          `conn_state REJ, history ${tcp.history}`,
        ]);
      if (tcp.retransmissions > 0 && cs !== 'S0')
        add(f, 'retransmission', 'info', `${fmt(f)}: ${tcp.retransmissions} retransmitted segment(s)`, [
          `history ${tcp.history}`,
        ]);
      if (tcp.zeroWindows > 0)
        add(f, 'zero-window', 'warning', `${fmt(f)}: ${tcp.zeroWindows} zero-window advertisement(s)`, [
          `history ${tcp.history}`,
        ]);
    }
    const unreach = f.relatedIcmp.filter((t) => t.startsWith('3/') || t.startsWith('1/'));
    if (unreach.length && !(tcp && tcp.connState() === 'REJ'))
      add(
        f,
        'rst-refused',
        'warning',
        `${fmt(f)}: refused with ICMP unreachable (${unreach.join(', ')}), ctstate RELATED`,
        unreach.map((t) => `ICMP type/code ${t} quoting this flow`),
      );
    const invalid = f.ctstates['INVALID'] ?? 0;
    if (invalid > 0) {
      const reasons = tcp ? [...new Set(tcp.invalid)] : ['no tracked connection'];
      add(
        f,
        'invalid-packet',
        'warning',
        `${fmt(f)}: ${invalid} packet(s) conntrack calls INVALID (${reasons.join('; ')})`,
        reasons,
      );
    }
    if (f.martian)
      add(
        f,
        'loopback-martian',
        'error',
        `${fmt(f)}: loopback address on a non-loopback interface (CVE-2020-8558 exposure)`,
        [f.martian],
      );
    if (f.reply && dnatOf(f) && f.reply.src === f.orig.src)
      add(
        f,
        'hairpin',
        'info',
        `${fmt(f)}: hairpin — the service sent the client to itself (${f.reply.src})`,
        [`reply tuple source ${f.reply.src} equals the original source`],
      );
    if (f.proto === 17 && dnatOf(f) && f.pkts[0] >= 3 && f.origSinceReply >= 3)
      add(
        f,
        'stale-udp-backend',
        'warning',
        `${fmt(f)}: the last ${f.origSinceReply} datagrams DNATed to ${f.reply?.src ?? '?'} got no answer${f.pkts[1] ? ` (${f.pkts[1]} answered before)` : ''}`,
        [
          'conntrack keeps sending a UDP flow to the backend it chose first until the entry expires, even when the rules now point elsewhere',
          ...(f.lastReplyT !== null ? [`last answer at ${new Date(f.lastReplyT * 1000).toISOString()}`] : []),
        ],
      );
    if (f.tcp && f.bigRetrans >= 2 && !f.relatedIcmp.some((t) => t === '3/4' || t.startsWith('2/')))
      add(
        f,
        'mtu-blackhole',
        'error',
        `${fmt(f)}: ${f.bigRetrans} full-size segments (up to ${f.bigRetransLen} bytes) retransmitted, no ICMP frag-needed seen`,
        [
          `largest retransmitted IP packet ${f.bigRetransLen} bytes`,
          `interface MTUs: ${
            ctx.ifaces
              .filter((x) => x.mtu !== null && x.name !== 'lo')
              .map((x) => `${x.name} ${x.mtu}`)
              .join(', ') || 'unknown'
          }`,
          'no ICMP fragmentation-needed / packet-too-big reached the sender (dropped by a firewall, or never sent)',
        ],
      );
    if (f.raceWith !== null && !f.ct.length)
      // seen in the capture alone (a conntrack log, when there is one, tells it better below)
      add(
        f,
        'conntrack-insert-race',
        f.pkts[1] === 0 ? 'error' : 'warning',
        `${fmt(f)}: sent ${(f.raceGap * 1000).toFixed(2)} ms after flow ${f.raceWith} on the same tuple and NATed to another backend (${f.reply?.src ?? '?'})${f.pkts[1] === 0 ? ', never answered' : ''}`,
        [
          `flow ${f.raceWith} and flow ${f.id} share the original tuple; their reply tuples differ: two conntrack entries raced to insert (clash)`,
          'a resolver whose query went unanswered retries after its timeout (5 s for glibc)',
        ],
      );
    // SNAT had to pick another source port: another connection held the original one
    if (
      f.reply &&
      snatOf(f) &&
      typeof f.orig.a === 'number' &&
      typeof f.reply.b === 'number' &&
      f.reply.b !== f.orig.a
    )
      add(
        f,
        'snat-port-reuse',
        'info',
        `${fmt(f)}: SNAT remapped source port ${f.orig.a} → ${f.reply.b} (the port was in use on ${f.reply.dst})`,
        [`reply tuple ${f.reply.src}:${f.reply.a} → ${f.reply.dst}:${f.reply.b}`],
      );
    if (this.routing) routeChecks(f, ctx, this.routing, this.sys, add);
    if (f.reply && snatOf(f) && f.pkts[0] > 0) {
      const k = tupleHash(f.reply);
      const b: SnatSeen = {
        id: f.id,
        firstT: f.firstT,
        lastT: f.lastT,
        l3: f.l3,
        proto: f.proto,
        orig: f.orig,
        reply: f.reply,
      };
      const l = this.snatByReply.get(k);
      if (l) l.push(b);
      else this.snatByReply.set(k, [b]);
    }
  }

  /**
   * Forgets finished SNAT flows no later flow can overlap: none of the table's live flows holds
   * their reply tuple from before they ended (a flow not yet seen starts later). Memory then follows
   * the live connections, not the capture's length. Flows that already overlap another are kept.
   */
  prune(table: FlowTable): void {
    for (const [k, l] of this.snatByReply) {
      const kept = l.filter((s) => {
        const owner = table.ownerOf(s.reply);
        if (owner && owner.id !== s.id && owner.firstT <= s.lastT) return true;
        return l.some((x) => x !== s && x.firstT <= s.lastT && s.firstT <= x.lastT);
      });
      if (kept.length === 0) this.snatByReply.delete(k);
      else if (kept.length !== l.length) this.snatByReply.set(k, kept);
    }
  }

  private brief(c: CtConnection): FlowBrief {
    const o = c.orig;
    const ep = (a: string, p?: number): string => (p !== undefined ? `${a}:${p}` : a);
    return {
      id: c.flowId!,
      label: `${c.l3 === 6 ? 'ipv6' : 'ipv4'} ${c.proto} ${ep(o.src, o.sport)} → ${ep(o.dst, o.dport)}`,
      firstT: c.firstTs ?? 0,
      lastT: c.lastTs ?? 0,
    };
  }

  /** Findings across flows, from the conntrack log and its counters; returns every finding. */
  finish(conns: CtConnection[]): FindingJson[] {
    const add = this.add;
    const ctx = this.ctx;
    // A tuple reused while conntrack still held it in TIME_WAIT (the old entry is destroyed early).
    const reused = conns.filter((c) =>
      c.events.some((e) => e.rec.type === 'DESTROY' && e.rec.state === 'TIME_WAIT' && e.rec.timeout !== null),
    );
    for (const c of reused) {
      const f = c.flowId !== null ? this.brief(c) : undefined;
      if (f)
        add(
          f,
          'snat-port-reuse',
          'info',
          `${f.label}: tuple reused while conntrack held it in TIME_WAIT (entry ${c.key} destroyed early)`,
          [`DESTROY in TIME_WAIT with timeout left`],
        );
    }

    // SNAT port reuse: connections alive at the same time whose replies carry the same tuple.
    const byTuple = new Map<string, SnatSeen[]>();
    for (const chain of this.snatByReply.values()) {
      if (chain.length < 2) continue;
      for (const s of chain) {
        const k = dkey(s.reply);
        const l = byTuple.get(k);
        if (l) l.push(s);
        else byTuple.set(k, [s]);
      }
    }
    for (const l of byTuple.values()) {
      if (l.length < 2) continue;
      // only connections alive at the same time collide; a tuple reused later is not a clash
      l.sort((a, b) => a.firstT - b.firstT);
      if (!l.some((f, k) => k > 0 && f.firstT <= l[k - 1]!.lastT)) continue;
      add(
        null,
        'snat-port-reuse',
        'warning',
        `${l.length} connections share one post-SNAT tuple`,
        l.map((f) => fmt(f)),
        l,
      );
    }

    // conntrack insert race: losers of a clash appear as connections without a NEW event.
    const noNew = conns.filter(
      (c) =>
        c.events.length > 0 &&
        !c.events.some((e) => e.rec.type === 'NEW' || e.rec.type === null) &&
        c.protonum === 17,
    );
    const stats = counterDelta(ctx);
    if (noNew.length || (stats.clash_resolve ?? 0) > 0 || (stats.insert_failed ?? 0) > 0) {
      const flows = noNew
        .map((c) => (c.flowId !== null ? this.brief(c) : undefined))
        .filter((f): f is FlowBrief => !!f);
      add(
        null,
        'conntrack-insert-race',
        (stats.insert_failed ?? 0) > 0 ? 'error' : 'warning',
        `UDP conntrack insert race: ${noNew.length} connection(s) without a NEW event, clash_resolve ${stats.clash_resolve ?? 0}, insert_failed ${stats.insert_failed ?? 0}`,
        [
          ...noNew
            .slice(0, 20)
            .map(
              (c) =>
                `conntrack id ${c.key}: first event ${c.events[0]!.rec.type} (line ${c.events[0]!.rec.line})`,
            ),
          `conntrack -S: clash_resolve +${stats.clash_resolve ?? 0}, insert_failed +${stats.insert_failed ?? 0}`,
        ],
        flows,
      );
    }
    if ((stats.drop ?? 0) > 0 || (stats.early_drop ?? 0) > 0 || ctx.ctTableFull.length) {
      add(
        null,
        'conntrack-table-full',
        'error',
        `conntrack dropped packets: drop ${stats.drop ?? 0}, early_drop ${stats.early_drop ?? 0}${ctx.ctTableFull.length ? `, ${ctx.ctTableFull.length} kernel "table full, dropping packet" message(s)` : ''}`,
        [
          `conntrack -S: drop +${stats.drop ?? 0}, early_drop +${stats.early_drop ?? 0}`,
          ...ctx.ctTableFull.slice(0, 5).map((l) => `kernel log line ${l.line}: ${l.text}`),
          ...(ctx.ctTableFull.length > 5
            ? [`… ${ctx.ctTableFull.length - 5} more such kernel log lines`]
            : []),
        ],
      );
    }
    return this.out;
  }
}

/** Packets the routing tables would not send back the way they came (rp_filter), or that left by another interface than the route says. */
function routeChecks(
  f: Flow,
  ctx: HostContext,
  state: RoutingState,
  sys: Record<string, string>,
  add: Add,
): void {
  // a bridge port is part of its bridge's L3 interface: routes name the bridge
  const l3 = (name: string): string => ctx.links.find((l) => l.ifname === name)?.master ?? name;
  if (f.iif && f.iif !== 'lo' && f.l3 === 4) {
    // reverse path: where would the host send a packet to this source?
    const back = routeLookup(state, { dst: f.orig.src });
    if (back.dev && back.dev !== l3(f.iif) && back.decision !== 'local') {
      const rp = rpFilter(sys, l3(f.iif)).effective;
      if (rp === 1)
        add(
          f,
          'rp-filter-drop',
          f.pkts[1] === 0 ? 'error' : 'warning',
          `${fmt(f)}: arrived on ${f.iif}, but the route back to ${f.orig.src} leaves by ${back.dev}: strict rp_filter drops it`,
          [
            `ip route get ${f.orig.src} → dev ${back.dev} (${back.prefix ?? '?'} in table ${back.table ?? '?'})`,
            `rp_filter on ${f.iif}: 1 (strict)`,
            `${f.pkts[0]} packet(s) in, ${f.pkts[1]} answered`,
          ],
        );
      else
        add(
          f,
          'asymmetric-route',
          'info',
          `${fmt(f)}: arrived on ${f.iif}, the route back to ${f.orig.src} leaves by ${back.dev}`,
          [`ip route get ${f.orig.src} → dev ${back.dev}`, `rp_filter on ${f.iif}: ${rp ?? 'unknown'}`],
        );
    }
  }
  if (f.oif && f.iif && f.l3 === 4 && f.reply) {
    // forwarded: the route to the (post-DNAT) destination must be the interface it left by
    const t = toTuple(f.orig);
    const mark = markAtRouting(ctx.iptables.ipv4, {
      family: 'ipv4',
      src: t.src,
      dst: t.dst,
      proto: f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : String(f.proto),
      sport: t.sport,
      dport: t.dport,
      iif: f.iif,
      local: false,
    });
    // a mark the ruleset sets but the simulation cannot settle: the route is unknown, say nothing
    if (mark === null) return;
    const fwd = routeLookup(state, { dst: f.reply.src, src: f.orig.src, iif: l3(f.iif), mark });
    if (fwd.dev && fwd.decision === 'forward' && fwd.dev !== l3(f.oif))
      add(
        f,
        'asymmetric-route',
        'warning',
        `${fmt(f)}: routed to ${fwd.dev} (${fwd.prefix}) but seen leaving by ${f.oif}`,
        [
          `ip route get ${f.reply.src} from ${f.orig.src} iif ${f.iif} → dev ${fwd.dev}`,
          `capture: left by ${f.oif}`,
        ],
      );
  }
}

/** Counter increase between the first and last conntrack -S snapshot (or the last snapshot's values). */
export function counterDelta(ctx: HostContext): Record<string, number> {
  const s = ctx.ctStats.filter((x) => Object.keys(x.totals).length > 1);
  if (!s.length) return {};
  const last = s[s.length - 1]!.totals;
  if (s.length === 1) return { ...last };
  const first = s[0]!.totals;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(last)) out[k] = v - (first[k] ?? 0);
  return out;
}
