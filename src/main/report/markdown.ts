// Markdown export: a short summary, the findings and a flow table to paste into a ticket.
import type { FlowJson, ReportJson, Tuple } from '../../shared/report';

/** Escapes text for a Markdown table cell or line (captures are attacker-controlled). */
export function mdText(s: string): string {
  return s.replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function ep(t: Tuple, side: 'src' | 'dst'): string {
  const port = side === 'src' ? t.sport : t.dport;
  const ip = t[side];
  return port !== undefined ? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`) : ip;
}

function iso(ts: number | null | undefined): string {
  return ts === null || ts === undefined ? '–' : new Date(ts * 1000).toISOString();
}

function natText(f: FlowJson): string {
  const parts: string[] = [];
  if (f.nat.dnat && f.reply) parts.push(`DNAT ${ep(f.orig, 'dst')} → ${ep(f.reply, 'src')}`);
  if (f.nat.snat && f.reply) parts.push(`SNAT ${ep(f.orig, 'src')} → ${ep(f.reply, 'dst')}`);
  return parts.join(', ') || '–';
}

/** TCP state, else conntrack's last status (ASSURED / UNREPLIED), else –. */
function stateText(f: FlowJson): string {
  if (f.tcp?.state) return f.tcp.state;
  const ev = f.conntrack?.events.filter((e) => e.type !== 'SNAPSHOT').at(-1) ?? f.conntrack?.events.at(-1);
  if (!ev) return '–';
  const st = ev.status ?? [];
  return ev.type === 'DESTROY'
    ? 'destroyed'
    : st.includes('ASSURED')
      ? 'ASSURED'
      : st.includes('UNREPLIED')
        ? 'UNREPLIED'
        : 'replied';
}

/** The report as Markdown. */
export function reportMarkdown(doc: ReportJson, maxFlows = 200): string {
  const s = doc.summary;
  const out: string[] = [];
  out.push('# pathlens report', '');
  out.push(`- ${s.packets} packets, ${s.flows} flows, ${s.conntrack_events ?? 0} conntrack events`);
  out.push(`- from ${iso(s.first_ts)} to ${iso(s.last_ts)}`);
  out.push(`- inputs: ${doc.inputs.map((i) => `${mdText(i.path)} (${i.kind}, ${i.records})`).join('; ')}`);
  if (doc.host?.interfaces.length)
    out.push(
      `- host: ${doc.host.interfaces.map((i) => `${mdText(i.name)} ${i.addresses.map(mdText).join(' ')}`).join('; ')}`,
    );
  out.push('', '## Findings', '');
  if (!doc.findings.length) out.push('None.');
  for (const f of doc.findings) {
    out.push(
      `- **${f.severity}** \`${f.kind}\` — ${mdText(f.summary)}${f.flows.length ? ` (flows ${f.flows.slice(0, 10).join(', ')}${f.flows.length > 10 ? ', …' : ''})` : ''}`,
    );
  }
  out.push('', '## Flows', '');
  out.push('| id | proto | original | reply | NAT | packets o/r | state | findings |');
  out.push('|---:|---|---|---|---|---|---|---|');
  for (const f of doc.flows.slice(0, maxFlows)) {
    const reply = f.reply ? `${ep(f.reply, 'src')} → ${ep(f.reply, 'dst')}` : '–';
    out.push(
      `| ${f.id} | ${mdText(f.proto)} | ${mdText(`${ep(f.orig, 'src')} → ${ep(f.orig, 'dst')}`)} | ${mdText(reply)} | ${mdText(natText(f))} | ${f.packets.orig}/${f.packets.reply} | ${mdText(stateText(f))} | ${mdText((f.findings ?? []).join(', ') || '–')} |`,
    );
  }
  if (doc.flows.length > maxFlows)
    out.push('', `… and ${doc.flows.length - maxFlows} more flows (see the JSON or CSV export).`);
  out.push('');
  return out.join('\n');
}
