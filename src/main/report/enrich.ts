// Adds what is derived on demand to each packet: the route and the Netfilter path, from the
// context stored in the case (rulesets, routing tables) and the trace joined at ingest.
import type { PacketJson } from '../../shared/report';
import type { StoredContext, StoredJourneyDetail } from '../analysis/packet-infer';
import { packetInference } from '../analysis/packet-infer';
import type { Db } from '../store/db';

/** A packet as queried, with its stored analysis detail. */
export type PacketWithDetail = PacketJson & { detail?: unknown };

const cache = new WeakMap<Db, Promise<StoredContext | null>>();

/** Loads the case's context (once per open case) and returns a per-packet enricher (which also drops `detail`). */
export async function loadEnricher(db: Db, flowIds?: string[]): Promise<(p: PacketWithDetail) => PacketJson> {
  let ctxP = cache.get(db);
  if (!ctxP) {
    ctxP = db
      .get<{ value: string }>("SELECT value FROM meta WHERE key = 'context'")
      .then((row) => (row ? (JSON.parse(row.value) as StoredContext) : null));
    cache.set(db, ctxP);
  }
  const ctx = await ctxP;
  // the NAT each packet's flow got: only the flows asked for (a case may hold millions)
  const flows = new Map<string, { dnatTo: string | null; replySeen: boolean }>();
  const ids = flowIds ? [...new Set(flowIds)].map(Number) : null;
  const sql = 'SELECT id, dnat, reply_src, reply_sport, pkts_reply FROM flows';
  const rows: Array<{
    id: number;
    dnat: number;
    reply_src: string | null;
    reply_sport: number | null;
    pkts_reply: number;
  }> = [];
  if (ids) {
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      rows.push(
        ...(await db.all<(typeof rows)[number]>(
          `${sql} WHERE id IN (${part.map(() => '?').join(',')})`,
          part,
        )),
      );
    }
  } else rows.push(...(await db.all<(typeof rows)[number]>(sql)));
  for (const f of rows)
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
