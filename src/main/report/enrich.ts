// Adds what is derived on demand to each packet: the route and the Netfilter path, from the
// context stored in the case (rulesets, routing tables) and the trace joined at ingest.
import type { PacketJson } from '../../shared/report';
import type { StoredContext, StoredJourneyDetail } from '../analysis/packet-infer';
import { packetInference } from '../analysis/packet-infer';
import type { Db } from '../store/db';

/** A packet as queried, with its stored analysis detail. */
export type PacketWithDetail = PacketJson & { detail?: unknown };

/** Loads the case's context once and returns a per-packet enricher (which also drops `detail`). */
export async function loadEnricher(db: Db): Promise<(p: PacketWithDetail) => PacketJson> {
  const row = await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'context'");
  const ctx = row ? (JSON.parse(row.value) as StoredContext) : null;
  const flows = new Map<string, { dnatTo: string | null; replySeen: boolean }>();
  for (const f of await db.all<{
    id: number;
    dnat: number;
    reply_src: string | null;
    reply_sport: number | null;
    pkts_reply: number;
  }>('SELECT id, dnat, reply_src, reply_sport, pkts_reply FROM flows'))
    flows.set(String(f.id), {
      dnatTo:
        f.dnat && f.reply_src
          ? f.reply_sport !== null
            ? `${f.reply_src.includes(':') ? `[${f.reply_src}]` : f.reply_src}:${f.reply_sport}`
            : f.reply_src
          : null,
      replySeen: f.pkts_reply > 0,
    });
  const infer = ctx ? packetInference(ctx, (id) => flows.get(id) ?? null) : null;
  return (p) => {
    const { detail, ...rest } = p;
    const d = (detail ?? null) as StoredJourneyDetail | null;
    if (infer) return infer(rest, d);
    return d?.nf ? { ...rest, netfilter: d.nf } : rest;
  };
}
