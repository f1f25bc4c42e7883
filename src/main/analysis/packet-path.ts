// Per packet (journey): conntrack state, NAT rewrites seen between its copies, and the Netfilter
// hooks its observations imply (background.md "Netfilter hooks").
import type { Hook, NatStepJson, Tuple } from '../../shared/report';
import type { Assignment } from './flow-table';
import { obsTuple, toTuple } from './flow-table';
import type { DTuple } from './flow-table';
import type { HostContext } from './host-context';
import { isLocalAddress } from './host-context';
import type { Journey } from './journeys';
import type { Observation } from './observation';
import type { TraceRef } from './trace-join';

/** The packet's way through the host as far as its observations show. */
export interface PathGuess {
  kind: 'forward' | 'forward-dropped' | 'input' | 'output' | 'local' | 'unknown';
  hooks: Hook[];
  iif: string | null;
  oif: string | null;
}

function isLoopback(o: Observation): boolean {
  return (
    o.iface === 'lo' || (o.src !== null && (o.src.startsWith('127.') || o.src === '::1') && o.iface === null)
  );
}

const FORWARD: Hook[] = ['PREROUTING', 'FORWARD', 'POSTROUTING'];
const OUTPUT: Hook[] = ['OUTPUT', 'POSTROUTING'];
const INPUT: Hook[] = ['PREROUTING', 'INPUT'];

/** Hooks from where the packet was seen: in and out → forwarded; only out → local output; only in → local input. */
export function guessPath(j: Journey, ctx: HostContext, traces: TraceRef[] = []): PathGuess {
  // The kernel's trace, where there is one, says which way the packet went.
  const traced = fromTrace(traces);
  if (traced) return traced;
  // first copy seen arriving, last copy seen leaving (outer packets only)
  let inObs: Observation | null = null;
  let outObs: Observation | null = null;
  let loop = false;
  for (const o of j.obs) {
    if (isLoopback(o)) loop = true;
    if (o.tunnelOf !== null) continue;
    if (o.dir === 0 && !inObs) inObs = o;
    else if (o.dir === 1) outObs = o;
  }
  const first = j.obs[0]!;
  if (loop) {
    return {
      kind: 'local',
      hooks: ['OUTPUT', 'POSTROUTING', 'PREROUTING', 'INPUT'],
      iif: 'lo',
      oif: 'lo',
    };
  }
  if (inObs && outObs) return { kind: 'forward', hooks: FORWARD, iif: inObs.iface, oif: outObs.iface };
  if (outObs) return { kind: 'output', hooks: OUTPUT, iif: null, oif: outObs.iface };
  if (inObs) {
    const dst = first.dst;
    // Delivered locally when the destination is ours; an arriving packet that is not ours and never
    // left was routed to FORWARD (or dropped before) — without addresses we cannot tell.
    if (dst !== null && ctx.ifaces.length > 0 && !isLocalAddress(ctx, dst) && !isBroadcastish(dst))
      return { kind: 'forward-dropped', hooks: ['PREROUTING', 'FORWARD'], iif: inObs.iface, oif: null };
    return { kind: 'input', hooks: INPUT, iif: inObs.iface, oif: null };
  }
  return { kind: 'unknown', hooks: [], iif: first.iface, oif: null };
}

function fromTrace(traces: TraceRef[]): PathGuess | null {
  if (!traces.length) return null;
  if (traces.length === 2)
    return { kind: 'local', hooks: ['OUTPUT', 'POSTROUTING', 'PREROUTING', 'INPUT'], iif: 'lo', oif: 'lo' };
  const t = traces[0]!.t;
  const hooks: Hook[] = [];
  for (const c of t.path) {
    const h = c.split(':')[1] as Hook;
    if (hooks[hooks.length - 1] !== h) hooks.push(h);
  }
  const kind =
    t.kind === 'forward'
      ? hooks.includes('POSTROUTING')
        ? 'forward'
        : 'forward-dropped'
      : t.kind === 'input'
        ? 'input'
        : t.kind === 'output'
          ? 'output'
          : 'unknown';
  return { kind, hooks, iif: t.iif, oif: t.oif };
}

function isBroadcastish(ip: string): boolean {
  return ip.startsWith('224.') || ip.startsWith('239.') || ip === '255.255.255.255' || ip.startsWith('ff');
}

/** One stored copy of a packet (observations row) as a directed tuple. */
export function copyTuple(
  l3: 4 | 6,
  proto: number,
  c: { src: string; dst: string; sport: number | null; dport: number | null },
  icmpType: number | null,
  icmpCode: number | null,
): DTuple {
  // ICMP echo copies store the echo id in both port columns
  return (
    obsTuple({
      l3,
      proto,
      src: c.src,
      dst: c.dst,
      sport: proto === 1 || proto === 58 ? null : c.sport,
      dport: proto === 1 || proto === 58 ? null : c.dport,
      icmpType,
      icmpCode,
      icmpId: proto === 1 || proto === 58 ? c.sport : null,
    } as Observation) ?? { l3, proto, src: c.src, dst: c.dst, a: '', b: '' }
  );
}

/** NAT rewrites between the first and the last of a packet's tuples, placed at the hooks the path implies. */
export function natStepsOf(tuples: DTuple[], kind: string): NatStepJson[] {
  if (tuples.length < 2) return [];
  const path = { kind };
  const a = tuples[0]!;
  const b = tuples[tuples.length - 1]!;
  const steps: NatStepJson[] = [];
  const from: Tuple = toTuple(a);
  const dstChanged = a.dst !== b.dst || a.b !== b.b;
  const srcChanged = a.src !== b.src || a.a !== b.a;
  // ICMP echo ids live in `a` for both changes; an id change is a source manip (SNAT of the id).
  if (dstChanged && !(a.b === 'q' || a.b === 'r')) {
    const mid = { ...a, dst: b.dst, b: b.b };
    steps.push({
      hook: path.kind === 'output' || path.kind === 'local' ? 'OUTPUT' : 'PREROUTING',
      kind: 'DNAT',
      from,
      to: toTuple(mid),
    });
  } else if (a.dst !== b.dst) {
    const mid = { ...a, dst: b.dst };
    steps.push({
      hook: path.kind === 'output' ? 'OUTPUT' : 'PREROUTING',
      kind: 'DNAT',
      from,
      to: toTuple(mid),
    });
  }
  if (srcChanged) {
    const before = steps.length ? steps[steps.length - 1]!.to : from;
    steps.push({
      hook: path.kind === 'input' ? 'INPUT' : 'POSTROUTING',
      kind: 'SNAT',
      from: before,
      to: toTuple(b),
    });
  }
  return steps;
}

/** ctstate of a non-TCP packet from its flow's history. */
export function simpleCtState(
  asg: Assignment,
  o: Observation,
): { ctstate: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED'; reason: string | null } {
  if (asg.related) return { ctstate: 'RELATED', reason: 'ICMP error about a tracked connection' };
  if (o.l3 === 6 && o.proto === 58 && o.icmpType !== null && o.icmpType >= 130 && o.icmpType <= 143)
    return { ctstate: 'UNTRACKED', reason: 'ICMPv6 neighbour discovery / MLD is not tracked' };
  if (o.icmpError) return { ctstate: 'INVALID', reason: 'ICMP error about no known connection' };
  const f = asg.flow;
  if (asg.dir === 1) return { ctstate: 'ESTABLISHED', reason: null };
  return { ctstate: f.pkts[1] > 0 ? 'ESTABLISHED' : 'NEW', reason: null };
}
