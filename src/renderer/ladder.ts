// Layout of the ladder diagram of one flow: columns client · host interfaces · server, one row per
// packet, a point per observation, and marks where the packet's addresses changed between two
// observations (a rewrite seen in the captures) or where a NAT step says they changed (inferred).
import type { FlowJson, NatStepJson, ObservationJson, PacketJson } from '../shared/report';
import { endpoint, hasFlag } from './format';

export interface LadderColumn {
  key: string;
  label: string;
  sub: string;
}

export interface LadderPoint {
  col: number;
  obs: ObservationJson;
}

export interface LadderRewrite {
  col: number;
  text: string;
  source: 'capture' | 'nat';
}

export interface LadderRow {
  packet: PacketJson;
  /** column indexes the packet passed, in order (client/server ends included) */
  path: number[];
  points: LadderPoint[];
  rewrites: LadderRewrite[];
  retransmission: boolean;
  reset: boolean;
}

export interface Ladder {
  columns: LadderColumn[];
  rows: LadderRow[];
}

/** An observation's column: its interface, or its capture file when the capture has no names. */
export function obsColumnKey(o: ObservationJson): string {
  return o.iface ? `if:${o.iface}` : `cap:${o.capture}`;
}

function addrText(o: { src: string; dst: string; sport?: number; dport?: number }): [string, string] {
  return [endpoint(o.src, o.sport), endpoint(o.dst, o.dport)];
}

function rewriteText(a: ObservationJson, b: ObservationJson): string | null {
  const [as, ad] = addrText(a);
  const [bs, bd] = addrText(b);
  const parts: string[] = [];
  if (as !== bs) parts.push(`src ${as} → ${bs}`);
  if (ad !== bd) parts.push(`dst ${ad} → ${bd}`);
  return parts.length ? parts.join('; ') : null;
}

function natText(s: NatStepJson): string {
  const [fs, fd] = addrText(s.from);
  const [ts, td] = addrText(s.to);
  return s.kind === 'DNAT' ? `${s.kind} dst ${fd} → ${td}` : `${s.kind} src ${fs} → ${ts}`;
}

/** Builds the ladder. Packets keep their given (time) order. */
export function layoutLadder(flow: FlowJson, packets: PacketJson[]): Ladder {
  // Interface columns in the order the originator's packets met them, then any only replies used.
  const ifaceOrder: string[] = [];
  const dirs = new Map<string, Set<string>>();
  const sorted = [...packets].sort((a, b) => (a.dir === b.dir ? 0 : a.dir === 'orig' ? -1 : 1));
  for (const p of sorted) {
    const obs = p.dir === 'orig' ? p.observations : [...p.observations].reverse();
    for (const o of obs) {
      const k = obsColumnKey(o);
      if (!ifaceOrder.includes(k)) ifaceOrder.push(k);
      if (p.dir === 'orig' && o.direction) {
        const set = dirs.get(k) ?? new Set<string>();
        set.add(o.direction);
        dirs.set(k, set);
      }
    }
  }
  const server = flow.reply
    ? endpoint(flow.reply.src, flow.reply.sport)
    : endpoint(flow.orig.dst, flow.orig.dport);
  const columns: LadderColumn[] = [
    { key: 'client', label: 'client', sub: endpoint(flow.orig.src, flow.orig.sport) },
    ...ifaceOrder.map((k) => ({
      key: k,
      label: k.startsWith('if:') ? k.slice(3) : `capture ${k.slice(4)}`,
      sub: [...(dirs.get(k) ?? [])].sort().join('/') || 'host',
    })),
    { key: 'server', label: 'server', sub: server },
  ];
  const colIndex = new Map(columns.map((c, i) => [c.key, i]));
  const serverCol = columns.length - 1;

  const seen = new Map<string, number>();
  const rows: LadderRow[] = packets.map((p) => {
    const points = p.observations.map((o) => ({ col: colIndex.get(obsColumnKey(o)) ?? 0, obs: o }));
    const inner = points.map((pt) => pt.col);
    const path = p.dir === 'orig' ? [0, ...inner, serverCol] : [serverCol, ...inner, 0];
    const rewrites: LadderRewrite[] = [];
    for (let i = 1; i < points.length; i++) {
      const prev = points[i - 1] as LadderPoint;
      const cur = points[i] as LadderPoint;
      const text = rewriteText(prev.obs, cur.obs);
      if (text) rewrites.push({ col: cur.col, text, source: 'capture' });
    }
    if (rewrites.length === 0 && inner.length > 0) {
      // Captured on one side of the rewrite only: place the NAT step where its hook runs.
      for (const s of p.nat ?? []) {
        const early = s.hook === 'PREROUTING' || s.hook === 'OUTPUT';
        rewrites.push({
          col: (early ? inner[0] : inner[inner.length - 1]) as number,
          text: natText(s),
          source: 'nat',
        });
      }
    }
    // Heuristic: the same sequence number again in the same direction with SYN, FIN or PSH set.
    let retransmission = false;
    if (p.seq !== null && p.seq !== undefined && /[SFP]/.test(p.tcp_flags ?? '')) {
      const key = `${p.dir}:${p.seq}:${p.tcp_flags}`;
      retransmission = seen.has(key);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    return { packet: p, path, points, rewrites, retransmission, reset: hasFlag(p.tcp_flags, 'R') };
  });
  return { columns, rows };
}
