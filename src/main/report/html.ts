// HTML export of the report (shared/spec/report.schema.json; HTML Living Standard, inline SVG 1.1).
// One self-contained page: inline CSS and SVG, no script, no external reference, reads offline and
// prints. Every string from an input is escaped, because captures are attacker-controlled.
import type {
  ConntrackEventJson,
  FindingJson,
  FlowJson,
  NatStepJson,
  ObservationJson,
  PacketJson,
  ReportInput,
  ReportJson,
  RouteJson,
  Tuple,
} from '../../shared/report';

/** Limits that keep the page usable on large cases. */
export interface HtmlOptions {
  /** packets drawn and listed per flow (default 200) */
  maxPacketsPerFlow?: number;
  /** flows that get a detail section (default 200; flows with findings first) */
  maxFlowSections?: number;
  /** rows of the flow table (default 5000) */
  maxFlowRows?: number;
}

/** Escapes text for HTML element content and quoted attribute values (also inside inline SVG). */
export function esc(s: unknown): string {
  return (
    String(s ?? '')
      // also `=`, backtick and `/`: escaped text never reads as an attribute (quoted or not), a
      // closing tag or a URL (`https://` from a capture stays text, and no scanner sees a link)
      .replace(/[&<>"'=`/]/g, (c) => `&#${c.charCodeAt(0)};`)
      // C0 controls (other than tab, LF, CR) are parse errors in HTML; show them as U+FFFD.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
  );
}

/** The fragment id of a flow: `flow-ID`, with characters outside [A-Za-z0-9_-] hex-coded. */
export function flowAnchor(id: string): string {
  return `flow-${id.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}`)}`;
}

function ep(t: Tuple, side: 'src' | 'dst'): string {
  const port = side === 'src' ? t.sport : t.dport;
  const ip = t[side];
  return port !== undefined ? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`) : ip;
}

function tupleText(t: Tuple): string {
  const icmp = [
    t.icmp_type !== undefined ? `type ${t.icmp_type}` : '',
    t.icmp_code !== undefined ? `code ${t.icmp_code}` : '',
    t.icmp_id !== undefined ? `id ${t.icmp_id}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${ep(t, 'src')} → ${ep(t, 'dst')}${icmp ? ` (${icmp})` : ''}`;
}

/** ISO time with microseconds (report times are float seconds). */
function iso(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return '–';
  const us = Math.round(ts * 1e6);
  const base = new Date(Math.floor(us / 1000)).toISOString();
  return `${base.slice(0, -1)}${String(((us % 1000) + 1000) % 1000).padStart(3, '0')}Z`;
}

function rel(ts: number, t0: number): string {
  return `+${((ts - t0) * 1000).toFixed(3)} ms`;
}

function duration(a: number, b: number): string {
  const d = b - a;
  return d < 1 ? `${(d * 1000).toFixed(3)} ms` : `${d.toFixed(3)} s`;
}

function natParts(f: FlowJson): Array<{ kind: 'DNAT' | 'SNAT'; text: string }> {
  const out: Array<{ kind: 'DNAT' | 'SNAT'; text: string }> = [];
  if (f.nat.dnat && f.reply) out.push({ kind: 'DNAT', text: `${ep(f.orig, 'dst')} → ${ep(f.reply, 'src')}` });
  if (f.nat.snat && f.reply) out.push({ kind: 'SNAT', text: `${ep(f.orig, 'src')} → ${ep(f.reply, 'dst')}` });
  return out;
}

// Fixed palettes: colours never come from input strings, so nothing from a capture reaches CSS.
const STATE_COLOR: Record<string, string> = {
  SYN_SENT: '#f2c14e',
  SYN_SENT2: '#f2c14e',
  SYN_RECV: '#f5a65b',
  ESTABLISHED: '#59a14f',
  FIN_WAIT: '#76b7b2',
  CLOSE_WAIT: '#4e9fcf',
  LAST_ACK: '#9c89c9',
  TIME_WAIT: '#b0b7c3',
  CLOSE: '#d37474',
  NONE: '#dddddd',
};
const EVENT_COLOR: Record<string, string> = { NEW: '#2e7d32', UPDATE: '#1565c0', DESTROY: '#c62828' };
const DIR_COLOR = { orig: '#1f5fa8', reply: '#b5571b' } as const;

const CSS = `:root{--ink:#1c1f24;--mute:#5d6673;--line:#d5d9e2;--head:#eef1f6;--orig:${DIR_COLOR.orig};--reply:${DIR_COLOR.reply}}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:24px 28px;max-width:1400px;color:var(--ink);background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:30px 0 10px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:14px 0 4px;color:var(--mute);text-transform:uppercase;letter-spacing:.04em}
.sub{color:var(--mute);margin:0 0 14px}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:4px 0 8px}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--head);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even) td{background:#fafbfd}
td.t,.nw,.nat{white-space:nowrap}
code,.mono,td.t{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;font-size:12px}
.wrap{overflow-wrap:anywhere}
a{color:#1f5fa8}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;font-size:13px;margin:6px 0}
.kv dt{color:var(--mute)}.kv dd{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 4px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:var(--mute);font-size:12px}
.sev{display:inline-block;border-radius:3px;padding:0 6px;font-size:11px;font-weight:700;text-transform:uppercase;color:#fff}
.sev-error{background:#b00020}.sev-warning{background:#a15c00}.sev-info{background:#2d5b9a}
.findings{list-style:none;padding:0;margin:0}.findings>li{border:1px solid var(--line);border-left:4px solid #888;border-radius:4px;padding:6px 10px;margin:0 0 8px}
.findings>li.f-error{border-left-color:#b00020}.findings>li.f-warning{border-left-color:#a15c00}.findings>li.f-info{border-left-color:#2d5b9a}
.findings ul{margin:4px 0 0;padding-left:20px;color:var(--mute);font-size:12.5px}
.nat{color:#6a1b9a;font-weight:600}
.natbox{border:1px solid #d9c4e6;background:#faf5fd;border-radius:6px;padding:8px 12px;margin:8px 0}
.natbox .rw{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.dir-orig{color:var(--orig);font-weight:600}.dir-reply{color:var(--reply);font-weight:600}
.bad{color:#b00020;font-weight:600}.ok{color:#2e7d32}
.muted{color:var(--mute)}.note{color:var(--mute);font-style:italic;font-size:12.5px}
.flow{border-top:3px solid #1c1f24;margin-top:36px;padding-top:4px}
.flow h2{border:none;margin-top:8px}
.toc{columns:4 220px;font-size:12.5px;padding-left:18px}
svg{display:block;max-width:100%;height:auto;font-family:system-ui,sans-serif}
svg text{font-size:11px;fill:var(--ink)}
svg .lbl{font-size:10px;fill:var(--mute)}
svg .mono{font-family:ui-monospace,Menlo,Consolas,monospace}
.legend{font-size:12px;color:var(--mute);margin:2px 0 10px}
.ladder{margin:6px 0 12px}
.chips span{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 7px;margin:0 3px 2px 0;font-size:11.5px;background:#f6f7fa}
@page{size:A4 landscape;margin:10mm}
@media print{
  body{padding:0;max-width:none;font-size:11px}
  table{font-size:9.5px}code,.mono,td.t{font-size:9.5px}
  .flow{break-before:page;border-top:none;margin-top:0}
  h2,h3,h4{break-after:avoid}
  tr,.ladder,.timeline,.natbox,.findings>li,.card{break-inside:avoid}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
  tbody tr:nth-child(even) td{background:none}
}`;

function table(head: string[], rows: string[], cls: string[] = []): string {
  const th = head.map((h, i) => `<th${cls[i] ? ` class="${cls[i]}"` : ''}>${h}</th>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function td(content: string, cls?: string): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${content}</td>`;
}

// ---------------------------------------------------------------- summary

function inputsTable(inputs: ReportInput[]): string {
  const rows = inputs.map((i) => {
    const shown = i.warnings.slice(0, 10);
    const ws = shown.length
      ? `<ul class="muted">${shown
          .map((w) => {
            const where =
              w.line !== undefined
                ? `line ${w.line}: `
                : w.offset !== undefined
                  ? `offset ${w.offset}: `
                  : '';
            return `<li>${esc(where + w.message)}</li>`;
          })
          .join(
            '',
          )}${i.warnings.length > shown.length ? `<li>… ${i.warnings.length - shown.length} more</li>` : ''}</ul>`
      : '';
    return `<tr>${td(esc(i.path), 'wrap')}${td(esc(i.kind), i.kind === 'unknown' ? 'muted' : undefined)}${td(String(i.records), 'n')}${td(
      i.size !== undefined ? String(i.size) : '–',
      'n',
    )}${td(`${i.warnings.length ? `<span class="bad">${i.warnings.length}</span>` : '0'}${ws}`)}</tr>`;
  });
  return table(['file', 'kind', 'records', 'bytes', 'warnings'], rows, ['', '', 'n', 'n', '']);
}

function summarySection(doc: ReportJson): string {
  const s = doc.summary;
  const card = (v: unknown, l: string): string =>
    `<div class="card"><b>${esc(v)}</b><span>${esc(l)}</span></div>`;
  const warnings = doc.inputs.reduce((n, i) => n + i.warnings.length, 0);
  const kinds = new Map<string, number>();
  for (const i of doc.inputs) kinds.set(i.kind, (kinds.get(i.kind) ?? 0) + 1);
  const range =
    s.first_ts !== null && s.last_ts !== null
      ? `${esc(iso(s.first_ts))} — ${esc(iso(s.last_ts))} (${esc(duration(s.first_ts, s.last_ts))})`
      : 'no packets';
  const protos = Object.entries(s.flows_by_proto ?? {})
    .map(([k, n]) => `<span>${esc(k)} ${n}</span>`)
    .join('');
  const anomalies = Object.entries(s.anomalies ?? {})
    .map(([k, n]) => `<span>${esc(k)} ${n}</span>`)
    .join('');
  const host = doc.host;
  const hostRows = (host?.interfaces ?? []).map(
    (i) =>
      `<tr>${td(i.index !== null ? String(i.index) : '–', 'n')}${td(esc(i.name))}${td(esc(i.addresses.join(', ')), 'mono')}${td(
        esc(i.mac ?? '–'),
        'mono',
      )}</tr>`,
  );
  return `<h2 id="summary">Summary</h2>
<div class="cards">${card(s.packets, 'capture records')}${s.journeys !== undefined ? card(s.journeys, 'distinct packets') : ''}${card(
    s.flows,
    'flows',
  )}${card(s.conntrack_events ?? 0, 'conntrack events')}${card(doc.findings.length, 'findings')}${card(doc.inputs.length, 'inputs')}${card(
    warnings,
    'input warnings',
  )}</div>
<dl class="kv"><dt>time range</dt><dd>${range}</dd>
<dt>flows by protocol</dt><dd class="chips">${protos || '–'}</dd>
<dt>input kinds</dt><dd class="chips">${[...kinds].map(([k, n]) => `<span>${esc(k)} ${n}</span>`).join('')}</dd>
${anomalies ? `<dt>decode anomalies</dt><dd class="chips">${anomalies}</dd>` : ''}
${doc.tool ? `<dt>tool</dt><dd>${esc(doc.tool.name)} ${esc(doc.tool.version)}</dd>` : ''}</dl>
<h3>Host${host?.name ? ` <code>${esc(host.name)}</code>` : ''}</h3>
${
  hostRows.length
    ? `<p class="muted">interfaces from ${esc(host?.source ?? 'none')}</p>${table(['index', 'interface', 'addresses', 'MAC'], hostRows, ['n'])}`
    : `<p class="note">No host interfaces known (source: ${esc(host?.source ?? 'none')}).</p>`
}
<h3>Inputs</h3>${inputsTable(doc.inputs)}`;
}

// ---------------------------------------------------------------- findings

/** A flow id as a link when the page has its anchor (a --flow report may not), else as text. */
function flowLink(id: string, known: ReadonlySet<string>, text = id): string {
  return known.has(id) ? `<a href="#${flowAnchor(id)}">${esc(text)}</a>` : esc(text);
}

function flowLinks(ids: string[], known: ReadonlySet<string>, max = 20): string {
  const shown = ids.slice(0, max).map((id) => flowLink(id, known));
  return shown.join(', ') + (ids.length > max ? `, … ${ids.length - max} more` : '');
}

function findingItem(f: FindingJson, known: ReadonlySet<string>): string {
  const sev = ['error', 'warning', 'info'].includes(f.severity) ? f.severity : 'info';
  return `<li class="f-${sev}"><span class="sev sev-${sev}">${esc(f.severity)}</span> <code>${esc(f.kind)}</code> — ${esc(f.summary)}${
    f.ts !== undefined && f.ts !== null ? ` <span class="muted">at ${esc(iso(f.ts))}</span>` : ''
  }${f.flows.length ? `<div>flows: ${flowLinks(f.flows, known)}</div>` : ''}${
    f.evidence?.length ? `<ul>${f.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''
  }</li>`;
}

function findingsSection(doc: ReportJson, known: ReadonlySet<string>): string {
  const order = { error: 0, warning: 1, info: 2 } as Record<string, number>;
  const sorted = [...doc.findings].sort((a, b) => (order[a.severity] ?? 3) - (order[b.severity] ?? 3));
  return `<h2 id="findings">Findings (${doc.findings.length})</h2>${
    sorted.length
      ? `<ul class="findings">${sorted.map((x) => findingItem(x, known)).join('')}</ul>`
      : '<p>None.</p>'
  }`;
}

// ---------------------------------------------------------------- flow table

function flowRow(f: FlowJson, hasSection: boolean): string {
  const reply = f.reply ? esc(tupleText(f.reply)) : '–';
  const nat = natParts(f)
    .map((n) => `${n.kind} ${esc(n.text)}`)
    .join('<br>');
  const idCell = hasSection
    ? `<a href="#${flowAnchor(f.id)}">${esc(f.id)}</a>`
    : // Without a detail section the row itself carries the anchor, so finding links still land.
      esc(f.id);
  const state = [f.tcp?.state, f.tcp?.conn_state, f.tcp?.history].filter(Boolean).join(' · ');
  // conntrack's last word: the latest state it named, else the latest event (a snapshot has no time)
  const ev = f.conntrack?.events ?? [];
  const ctState =
    [...ev].reverse().find((e) => e.state)?.state ?? ev.filter((e) => e.type !== 'SNAPSHOT').at(-1)?.type;
  return `<tr${hasSection ? '' : ` id="${flowAnchor(f.id)}"`}>${td(idCell, 'n')}${td(esc(f.proto))}${td(esc(tupleText(f.orig)), 'mono')}${td(
    reply,
    'mono',
  )}${td(nat || '–', 'nat mono')}${td(`${f.packets.orig}/${f.packets.reply}`, 'n')}${td(
    f.bytes ? `${f.bytes.orig}/${f.bytes.reply}` : '–',
    'n',
  )}${td(esc((f.interfaces ?? []).join(', ')))}${td(esc(state || ctState || '–'))}${td(esc((f.findings ?? []).join(', ')))}</tr>`;
}

// ---------------------------------------------------------------- per flow

/** One observation per interface, in time order (two captures of one interface are one point). */
function points(p: PacketJson): ObservationJson[] {
  const seen = new Map<string, ObservationJson>();
  for (const o of p.observations) {
    const k = ifaceKey(o);
    const prev = seen.get(k);
    // a pcapng without direction and an SLL2 capture of the same interface: keep the direction
    if (!prev) seen.set(k, o);
    else if (!prev.direction && o.direction) seen.set(k, { ...prev, direction: o.direction });
  }
  return [...seen.values()];
}

function ifaceKey(o: ObservationJson): string {
  return o.iface ?? `capture ${o.capture}`;
}

/** Interface columns in the order packets cross them (orig direction left to right). */
function columnOrder(packets: PacketJson[]): string[] {
  const order: string[] = [];
  const merge = (seq: string[]): void => {
    let at = -1;
    for (const k of seq) {
      const i = order.indexOf(k);
      if (i >= 0) at = i;
      else order.splice(++at, 0, k);
    }
  };
  for (const p of packets) if (p.dir === 'orig') merge(points(p).map(ifaceKey));
  for (const p of packets) if (p.dir === 'reply') merge(points(p).map(ifaceKey).reverse());
  return order;
}

function sameTuple(a: ObservationJson, b: ObservationJson): boolean {
  return a.src === b.src && a.dst === b.dst && a.sport === b.sport && a.dport === b.dport;
}

function obsEp(o: ObservationJson, side: 'src' | 'dst'): string {
  return ep({ src: o.src, dst: o.dst, sport: o.sport, dport: o.dport }, side);
}

/** What changed between two observations of one packet, named from conntrack's point of view. */
function rewrite(
  a: ObservationJson,
  b: ObservationJson,
  dir: PacketJson['dir'],
): { label: string; detail: string } {
  const src = a.src !== b.src || a.sport !== b.sport;
  const dst = a.dst !== b.dst || a.dport !== b.dport;
  const names: string[] = [];
  const detail: string[] = [];
  // In the reply direction conntrack undoes the NAT: a source change reverses DNAT.
  if (dst) {
    names.push(dir === 'orig' ? 'DNAT' : 'un-SNAT');
    detail.push(`dst ${obsEp(a, 'dst')} → ${obsEp(b, 'dst')}`);
  }
  if (src) {
    names.push(dir === 'orig' ? 'SNAT' : 'un-DNAT');
    detail.push(`src ${obsEp(a, 'src')} → ${obsEp(b, 'src')}`);
  }
  return { label: names.join('+') || 'rewrite', detail: `${names.join('+')}: ${detail.join('; ')}` };
}

const LADDER_CHUNK = 50;

/** Which ends of a flow are this host: its orig packets start in OUTPUT, or end in INPUT. */
interface LocalEnds {
  originator: boolean;
  responder: boolean;
}

function ladderSvg(f: FlowJson, packets: PacketJson[], local: LocalEnds): string {
  const localResponder = local.responder;
  const ifaces = columnOrder(packets);
  const cols = ['originator', ...ifaces, 'responder'];
  const colW = Math.max(150, Math.min(220, 900 / cols.length));
  const left = 118;
  const width = left + 40 + colW * (cols.length - 1) + colW / 2;
  const x = (i: number): number => left + 40 + i * colW;
  const t0 = f.first_ts;
  const colIndex = new Map(ifaces.map((k, i) => [k, i + 1]));
  const responder = f.reply ? ep(f.reply, 'src') : ep(f.orig, 'dst');
  const headLines: Array<[string, string]> = [
    [local.originator ? 'originator (this host)' : 'originator', ep(f.orig, 'src')],
    ...ifaces.map((k): [string, string] => ['host interface', k]),
    [localResponder ? 'responder (this host)' : 'responder', responder],
  ];
  const chunks: string[] = [];
  for (let c = 0; c < packets.length; c += LADDER_CHUNK) {
    const part = packets.slice(c, c + LADDER_CHUNK);
    const rowH = 34;
    const top = 46;
    const height = top + part.length * rowH + 8;
    const g: string[] = [];
    // host box behind the interface columns, and behind an end that is this host
    const from = local.originator ? 0 : 1;
    const to = localResponder ? cols.length - 1 : ifaces.length;
    if (to >= from)
      g.push(
        `<rect x="${x(from) - colW / 2 + 14}" y="4" width="${colW * (to - from + 1) - 28}" height="${height - 6}" rx="6" fill="#f3f5f9" stroke="#d5d9e2"/>`,
      );
    cols.forEach((_, i) => {
      const [kind, name] = headLines[i]!;
      g.push(`<text x="${x(i)}" y="17" text-anchor="middle" class="lbl">${esc(kind)}</text>`);
      // long names are cut to the column; the whole name is in the tooltip and the tables
      const fit = Math.floor((colW - 12) / 7);
      const shown = name.length > fit ? `${name.slice(0, fit - 1)}…` : name;
      g.push(
        `<text x="${x(i)}" y="32" text-anchor="middle" class="mono" font-weight="600"><title>${esc(name)}</title>${esc(shown)}</text>`,
      );
      g.push(
        `<line x1="${x(i)}" y1="38" x2="${x(i)}" y2="${height - 4}" stroke="#9aa3b2" stroke-dasharray="${i === 0 || i === cols.length - 1 ? '0' : '3 3'}"/>`,
      );
    });
    part.forEach((p, r) => {
      const y = top + r * rowH + 14;
      const color = DIR_COLOR[p.dir];
      const pts = points(p);
      const px = pts.map((o) => x(colIndex.get(ifaceKey(o)) ?? 1));
      // A packet the host made itself (ICMP error, REJECT's RST) starts at its first capture point
      // unless that end of the flow is the host anyway.
      const hostMade =
        p.netfilter.hooks[0] === 'OUTPUT' &&
        !(p.dir === 'orig' ? local.originator : localResponder) &&
        px.length > 0;
      const start = hostMade ? px[0]! : p.dir === 'orig' ? x(0) : x(cols.length - 1);
      const end = p.dir === 'orig' ? x(cols.length - 1) : x(0);
      const sgn = p.dir === 'orig' ? 1 : -1;
      g.push(
        `<text x="${left - 6}" y="${y + 4}" text-anchor="end" class="lbl mono">${esc(rel(p.ts, t0))}</text>`,
      );
      g.push(`<g><title>${esc(`${p.dir} ${p.tcp_flags ?? ''} ${iso(p.ts)}`)}</title>`);
      const seg = (a: number, b: number, dashed: boolean): void => {
        g.push(
          `<line x1="${a}" y1="${y}" x2="${b}" y2="${y}" stroke="${color}" stroke-width="${dashed ? 1.2 : 2}"${dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
        );
      };
      const head = (at: number): void => {
        g.push(
          `<polygon points="${at},${y} ${at - 8 * sgn},${y - 4} ${at - 8 * sgn},${y + 4}" fill="${color}"/>`,
        );
      };
      if (!px.length) {
        seg(start, end, true);
        head(end);
      } else {
        // dashed: inferred from the endpoint to the first capture point; solid: between captures
        if (hostMade)
          g.push(
            `<rect x="${start - 5}" y="${y - 5}" width="10" height="10" fill="${color}"><title>sent by this host</title></rect>`,
          );
        else seg(start, px[0]!, true);
        for (let i = 1; i < px.length; i++) seg(px[i - 1]!, px[i]!, false);
        const last = px[px.length - 1]!;
        const lastCol = colIndex.get(ifaceKey(pts[pts.length - 1]!)) ?? 1;
        const outermost = p.dir === 'orig' ? lastCol === ifaces.length : lastCol === 1;
        const verdict = p.netfilter.verdict ?? '';
        const hooks = p.netfilter.hooks;
        // known to have left the host (or reached a local socket) unless the path says otherwise
        const leaves = !hooks.length || hooks.includes('POSTROUTING') || hooks.includes('INPUT');
        if (/drop|reject/i.test(verdict)) {
          const cx = last + 12 * sgn;
          g.push(
            `<path d="M${cx - 5},${y - 5}L${cx + 5},${y + 5}M${cx - 5},${y + 5}L${cx + 5},${y - 5}" stroke="#b00020" stroke-width="2.5"/><text x="${cx + 10 * sgn}" y="${y + 4}" text-anchor="${sgn > 0 ? 'start' : 'end'}" class="mono" fill="#b00020" font-size="10" font-weight="700">${esc(verdict)}</text>`,
          );
        } else if (leaves && (outermost || (p.dir === 'orig' && localResponder))) {
          seg(last, end, true);
          head(end);
        } else {
          // not seen beyond its last interface: a bar, not an arrowhead
          g.push(
            `<line x1="${last + 4 * sgn}" y1="${y - 6}" x2="${last + 4 * sgn}" y2="${y + 6}" stroke="#b00020" stroke-width="2.5"/>`,
          );
        }
        for (const q of px)
          g.push(`<circle cx="${q}" cy="${y}" r="3" fill="#fff" stroke="${color}" stroke-width="1.5"/>`);
        for (let i = 1; i < pts.length; i++) {
          const a = pts[i - 1]!;
          const b = pts[i]!;
          if (sameTuple(a, b)) continue;
          const rw = rewrite(a, b, p.dir);
          const mx = (px[i - 1]! + px[i]!) / 2;
          g.push(
            `<g><title>${esc(rw.detail)}</title><polygon points="${mx},${y - 6} ${mx + 6},${y} ${mx},${y + 6} ${mx - 6},${y}" fill="#6a1b9a"/><text x="${mx}" y="${y + 17}" text-anchor="middle" class="lbl" fill="#6a1b9a">${esc(rw.label)}</text></g>`,
          );
        }
      }
      // a TCP/UDP flow's packet without flags that conntrack calls RELATED is an ICMP error about it
      const what =
        p.tcp_flags ||
        (f.proto.startsWith('icmp') ? f.proto : p.ctstate === 'RELATED' ? 'ICMP error' : p.dir);
      const label = [
        hostMade ? `${what} from host` : what,
        p.len !== undefined ? `len ${p.len}` : '',
        p.ctstate ?? '',
      ]
        .filter(Boolean)
        .join(' · ');
      // over the lead-in from the sender, where no rewrite marker sits (host-made: the lead-out)
      const lx = hostMade ? (start + end) / 2 : (start + (px[0] ?? end)) / 2;
      g.push(
        `<text x="${lx}" y="${y - 6}" text-anchor="middle" class="mono" fill="${color}" font-size="10">${esc(label)}</text>`,
      );
      g.push('</g>');
    });
    chunks.push(
      `<svg class="ladder" role="img" aria-label="ladder diagram of flow ${esc(f.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${g.join('')}</svg>`,
    );
  }
  return chunks.join('');
}

interface Mark {
  ts: number;
  text: string;
  color: string;
}

function timelineSvg(f: FlowJson, packets: PacketJson[]): string {
  const trans = f.tcp?.transitions ?? [];
  const events = (f.conntrack?.events ?? []).filter(
    (e): e is ConntrackEventJson & { ts: number } => typeof e.ts === 'number',
  );
  const times = [f.first_ts, f.last_ts, ...trans.map((t) => t.ts), ...events.map((e) => e.ts)];
  const t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 - t0 < 1e-6) t1 = t0 + 1e-3;
  const left = 118;
  const w = 1000;
  const right = 40;
  const sx = (t: number): number => left + ((t - t0) / (t1 - t0)) * (w - left - right);
  const g: string[] = [];
  let y = 10;
  const lane = (name: string, h: number): number => {
    g.push(`<text x="${left - 8}" y="${y + h / 2 + 4}" text-anchor="end" class="lbl">${esc(name)}</text>`);
    g.push(`<line x1="${left}" y1="${y + h}" x2="${w - right}" y2="${y + h}" stroke="#eceff4"/>`);
    const at = y;
    y += h + 6;
    return at;
  };
  // packets: orig ticks up, reply ticks down
  const py = lane('packets', 34);
  const mid = py + 17;
  g.push(`<line x1="${left}" y1="${mid}" x2="${w - right}" y2="${mid}" stroke="#c7ccd6"/>`);
  for (const p of packets) {
    const xx = sx(p.ts);
    const up = p.dir === 'orig';
    g.push(
      `<line x1="${xx}" y1="${mid}" x2="${xx}" y2="${up ? mid - 14 : mid + 14}" stroke="${DIR_COLOR[p.dir]}" stroke-width="1.3"><title>${esc(`${p.dir} ${p.tcp_flags ?? ''} ${rel(p.ts, t0)}`)}</title></line>`,
    );
  }
  // TCP transitions as coloured bands
  if (trans.length) {
    const ty = lane('TCP state', 22);
    trans.forEach((t, i) => {
      const a = sx(t.ts);
      const b = sx(trans[i + 1]?.ts ?? t1);
      const color = STATE_COLOR[t.state] ?? '#c9ced8';
      g.push(
        `<rect x="${a}" y="${ty}" width="${Math.max(1.5, b - a)}" height="22" fill="${color}"><title>${esc(`${t.state} at ${rel(t.ts, t0)}`)}</title></rect>`,
      );
    });
    g.push(
      ...staggered(
        trans.map((t) => ({ ts: t.ts, text: t.state, color: '#1c1f24' })),
        sx,
        y,
        3,
        w - 4,
      ),
    );
    y += 3 * 13 + 6;
  }
  if (events.length) {
    const cy = lane('conntrack', 16);
    for (const e of events) {
      g.push(
        `<circle cx="${sx(e.ts)}" cy="${cy + 8}" r="5" fill="${EVENT_COLOR[e.type] ?? '#777'}"><title>${esc(`${e.type} ${e.state ?? ''} ${(e.status ?? []).join(',')} ${e.source ?? ''}`)}</title></circle>`,
      );
    }
    const marks: Mark[] = events.map((e) => ({
      ts: e.ts,
      text: `${e.type}${e.state ? ` ${e.state}` : ''}`,
      color: EVENT_COLOR[e.type] ?? '#777',
    }));
    g.push(...staggered(marks, sx, y, 3, w - 4));
    y += 3 * 13 + 6;
  }
  // time axis, relative to the flow's start
  g.push(`<line x1="${left}" y1="${y}" x2="${w - right}" y2="${y}" stroke="#5d6673"/>`);
  for (let i = 0; i <= 5; i++) {
    const t = t0 + ((t1 - t0) * i) / 5;
    const xx = sx(t);
    g.push(
      `<line x1="${xx}" y1="${y}" x2="${xx}" y2="${y + 4}" stroke="#5d6673"/><text x="${xx}" y="${y + 16}" text-anchor="middle" class="lbl mono">${esc(rel(t, t0))}</text>`,
    );
  }
  const height = y + 24;
  return `<svg class="timeline" role="img" aria-label="state timeline of flow ${esc(f.id)}" viewBox="0 0 ${w} ${height}" width="${w}" height="${height}">${g.join('')}</svg>`;
}

/** Labels on rows below a lane, each in the first row where it does not overlap the previous one. */
function staggered(
  marks: Mark[],
  sx: (t: number) => number,
  y: number,
  rows: number,
  maxX: number,
): string[] {
  const lastEnd = new Array<number>(rows).fill(-Infinity);
  const out: string[] = [];
  for (const m of [...marks].sort((a, b) => a.ts - b.ts)) {
    const x0 = sx(m.ts);
    const wd = m.text.length * 6.2 + 6;
    // near the right edge the label hangs to the left of its mark instead of being cut off
    const flip = x0 + wd > maxX;
    const from = flip ? x0 - wd : x0;
    let row = lastEnd.findIndex((e) => e < from);
    if (row < 0) row = lastEnd.indexOf(Math.min(...lastEnd));
    lastEnd[row] = from + wd;
    const yy = y + 10 + row * 13;
    out.push(`<line x1="${x0}" y1="${y - 4}" x2="${x0}" y2="${yy - 8}" stroke="#c7ccd6"/>`);
    out.push(
      `<text x="${flip ? x0 - 2 : x0 + 2}" y="${yy}"${flip ? ' text-anchor="end"' : ''} class="lbl" fill="${m.color}">${esc(m.text)}</text>`,
    );
  }
  return out;
}

function tupleShort(t: Tuple): string {
  return `${ep(t, 'src')} → ${ep(t, 'dst')}`;
}

function natStep(n: NatStepJson): string {
  const what =
    n.kind === 'DNAT'
      ? `dst ${ep(n.from, 'dst')} → ${ep(n.to, 'dst')}`
      : `src ${ep(n.from, 'src')} → ${ep(n.to, 'src')}`;
  return `<div><b>${esc(n.hook)}</b> ${esc(n.kind)} <span class="mono nw">${esc(what)}</span>${n.rule ? `<div class="muted mono wrap">${esc(n.rule)}</div>` : ''}</div>`;
}

function routeCell(r: RouteJson | null | undefined): string {
  if (!r) return '–';
  const parts = [
    r.decision,
    r.prefix ? r.prefix : '',
    r.gateway ? `via ${r.gateway}` : '',
    r.dev ? `dev ${r.dev}` : '',
    r.pref_src ? `src ${r.pref_src}` : '',
    r.table ? `table ${r.table}` : '',
  ].filter(Boolean);
  const m =
    r.matches_observed === false
      ? ' <span class="bad">≠ observed</span>'
      : r.matches_observed
        ? ' <span class="ok">✓</span>'
        : '';
  return `<span class="mono">${esc(parts.join(' '))}</span>${m}${r.source ? ` <span class="muted">(${esc(r.source)})</span>` : ''}`;
}

function netfilterCell(p: PacketJson): string {
  const nf = p.netfilter;
  const out: string[] = [];
  if (nf.chains?.length) out.push(`<div class="mono">${esc(nf.chains.join(' → '))}</div>`);
  for (const r of nf.rules ?? [])
    out.push(
      `<div class="mono wrap">${esc(r.chain)}: ${esc(r.rule)}${r.verdict ? ` ⇒ <b>${esc(r.verdict)}</b>` : ''}</div>`,
    );
  if (nf.rule && !(nf.rules ?? []).some((r) => r.rule === nf.rule))
    out.push(`<div class="mono wrap">${esc(nf.rule)}</div>`);
  if (nf.verdict)
    out.push(
      `<div>verdict <b class="${/drop|reject/i.test(nf.verdict) ? 'bad' : ''}">${esc(nf.verdict)}</b></div>`,
    );
  return out.join('') || '–';
}

function seenOn(p: PacketJson): string {
  return points(p)
    .map((o) => {
      const t = `${obsEp(o, 'src')} → ${obsEp(o, 'dst')}`;
      return `<span class="nw" title="${esc(t)}">${esc(ifaceKey(o))}${o.direction ? ` ${esc(o.direction)}` : ''}</span>`;
    })
    .join(' → ');
}

function pathTable(f: FlowJson, packets: PacketJson[]): string {
  const rows = packets.map((p, i) => {
    const src =
      p.netfilter.source === 'trace'
        ? 'trace'
        : `inferred${p.netfilter.agrees_with_trace === false ? ' <span class="bad">(disagrees with trace)</span>' : ''}`;
    const ct = p.ctstate
      ? `<span class="${p.ctstate === 'INVALID' ? 'bad' : ''}">${esc(p.ctstate)}</span>${p.ctstate_reason ? `<div class="muted">${esc(p.ctstate_reason)}</div>` : ''}`
      : '–';
    return `<tr>${td(String(i + 1), 'n')}${td(`${esc(rel(p.ts, f.first_ts))}`, 't')}${td(esc(p.dir), `dir-${p.dir}`)}${td(esc(p.tcp_flags ?? '–'), 'mono')}${td(
      p.len !== undefined ? String(p.len) : '–',
      'n',
    )}${td(ct)}${td(esc(p.netfilter.hooks.join(' → ') || '–'), 'mono')}${td(netfilterCell(p))}${td(src)}${td(routeCell(p.route))}${td(
      (p.nat ?? []).map(natStep).join('') || '–',
    )}${td(seenOn(p), 'mono')}</tr>`;
  });
  return table(
    [
      '#',
      'time',
      'dir',
      'flags',
      'len',
      'ctstate',
      'hooks',
      'chains / rules / verdict',
      'source',
      'route',
      'NAT before → after',
      'seen on',
    ],
    rows,
    ['n', '', '', '', 'n'],
  );
}

function eventsTable(events: ConntrackEventJson[], t0: number): string {
  const rows = events.map(
    (e) =>
      `<tr>${td(e.ts !== null ? esc(rel(e.ts, t0)) : 'snapshot', 't')}${td(esc(e.type))}${td(esc(e.state ?? '–'))}${td(esc((e.status ?? []).join(' ') || '–'))}${td(
        e.timeout !== undefined && e.timeout !== null ? String(e.timeout) : '–',
        'n',
      )}${td(e.counters ? `${e.counters.orig.packets}/${e.counters.orig.bytes} · ${e.counters.reply.packets}/${e.counters.reply.bytes}` : '–', 'n')}${td(
        esc(e.source ?? '–'),
        'muted',
      )}</tr>`,
  );
  return table(['time', 'event', 'state', 'status', 'timeout s', 'pkts/bytes orig · reply', 'source'], rows, [
    '',
    '',
    '',
    '',
    'n',
    'n',
  ]);
}

function flowSection(
  f: FlowJson,
  all: PacketJson[],
  findings: FindingJson[],
  maxPackets: number,
  known: ReadonlySet<string>,
): string {
  const packets = all.slice(0, maxPackets);
  const nat = natParts(f);
  const local: LocalEnds = {
    originator: all.some((p) => p.dir === 'orig' && p.netfilter.hooks[0] === 'OUTPUT'),
    responder: all.some((p) => p.dir === 'orig' && p.netfilter.hooks.includes('INPUT')),
  };
  const mine = findings.filter((x) => x.flows.includes(f.id));
  const icmp = f.orig.icmp_type !== undefined ? ` type ${f.orig.icmp_type}` : '';
  const natBox = `<div class="natbox"><h4 style="margin-top:0">NAT</h4>${
    nat.length
      ? nat
          .map(
            (n) =>
              `<div class="rw"><span class="nat">${n.kind}</span> ${n.kind === 'DNAT' ? 'orig.dst → reply.src' : 'orig.src → reply.dst'}: <b>${esc(n.text)}</b></div>`,
          )
          .join('')
      : '<div>none: the reply tuple is the inverted original tuple</div>'
  }<div class="muted">evidence: ${esc(f.nat.evidence.join(', ') || 'none')}</div>${
    f.nat.rules?.length
      ? `<div>rules:</div><ul>${f.nat.rules.map((r) => `<li class="mono wrap">${esc(r)}</li>`).join('')}</ul>`
      : ''
  }</div>`;
  const ct = f.conntrack;
  return `<section class="flow" id="${flowAnchor(f.id)}">
<h2>Flow ${esc(f.id)} · ${esc(f.proto)}${esc(icmp)} <span class="mono">${esc(tupleShort(f.orig))}</span></h2>
${mine.length ? `<ul class="findings">${mine.map((x) => findingItem(x, known)).join('')}</ul>` : ''}
<dl class="kv">
<dt>original tuple</dt><dd class="mono">${esc(tupleText(f.orig))}</dd>
<dt>reply tuple</dt><dd class="mono">${f.reply ? esc(tupleText(f.reply)) : 'unknown'}</dd>
<dt>time</dt><dd>${esc(iso(f.first_ts))} — ${esc(iso(f.last_ts))} (${esc(duration(f.first_ts, f.last_ts))})</dd>
<dt>packets orig / reply</dt><dd>${f.packets.orig} / ${f.packets.reply}${f.bytes ? ` (${f.bytes.orig} / ${f.bytes.reply} bytes)` : ''}${
    f.observations !== undefined ? `, ${f.observations} capture records` : ''
  }</dd>
<dt>interfaces</dt><dd>${esc((f.interfaces ?? []).join(', ') || '–')}</dd>
${f.tcp ? `<dt>TCP</dt><dd>${esc(f.tcp.state ?? '–')}${f.tcp.conn_state ? ` · conn_state ${esc(f.tcp.conn_state)}` : ''}${f.tcp.history ? ` · history <code>${esc(f.tcp.history)}</code>` : ''}</dd>` : ''}
${ct?.ids.length ? `<dt>conntrack ids</dt><dd class="mono">${esc(ct.ids.join(', '))}</dd>` : ''}
${f.outer ? `<dt>carried in</dt><dd>${flowLink(f.outer, known, `flow ${f.outer}`)}</dd>` : ''}
</dl>
${natBox}
<h3>State timeline</h3>
<div class="legend"><span class="dir-orig">▮ orig packets (up)</span> · <span class="dir-reply">▮ reply packets (down)</span> · TCP state bands · conntrack events: <span style="color:${EVENT_COLOR.NEW}">● NEW</span> <span style="color:${EVENT_COLOR.UPDATE}">● UPDATE</span> <span style="color:${EVENT_COLOR.DESTROY}">● DESTROY</span></div>
${timelineSvg(f, all)}
${ct?.events.length ? `<h4>conntrack events</h4>${eventsTable(ct.events, f.first_ts)}` : ''}
<h3>Ladder</h3>
<div class="legend">one arrow per packet; solid: between capture points, dashed: to or from an endpoint (not captured); <span style="color:#6a1b9a">◆</span> tuple rewritten between two capture points; <span class="bad">✕</span> dropped or rejected by a rule; ■ sent by this host; <span class="bad">|</span> not seen beyond this interface</div>
${all.length > packets.length ? `<p class="note">Showing the first ${packets.length} of ${all.length} packets of this flow; the JSON export has them all.</p>` : ''}
${ladderSvg(f, packets, local)}
<h3>Netfilter path</h3>
${pathTable(f, packets)}
</section>`;
}

/** The report as one self-contained HTML document. */
export function reportHtml(doc: ReportJson, opts: HtmlOptions = {}): string {
  const maxPackets = opts.maxPacketsPerFlow ?? 200;
  const maxSections = opts.maxFlowSections ?? 200;
  const maxRows = opts.maxFlowRows ?? 5000;
  const byFlow = new Map<string, PacketJson[]>();
  for (const p of doc.packets ?? []) {
    const l = byFlow.get(p.flow);
    if (l) l.push(p);
    else byFlow.set(p.flow, [p]);
  }
  for (const l of byFlow.values()) l.sort((a, b) => a.ts - b.ts);
  let detail = doc.flows.filter((f) => byFlow.has(f.id));
  if (detail.length > maxSections) {
    // Flows a finding points at matter most; the rest fill up in report order.
    const flagged = new Set(doc.findings.flatMap((x) => x.flows));
    const keep = new Set(
      [...detail.filter((f) => flagged.has(f.id)), ...detail.filter((f) => !flagged.has(f.id))].slice(
        0,
        maxSections,
      ),
    );
    detail = detail.filter((f) => keep.has(f));
  }
  const withSection = new Set(detail.map((f) => f.id));
  const rows = doc.flows.slice(0, maxRows).map((f) => flowRow(f, withSection.has(f.id)));
  // ids with an anchor on this page: a detail section or a row of the flow table
  const known = new Set([...withSection, ...doc.flows.slice(0, maxRows).map((f) => f.id)]);
  const flowsHidden = doc.flows.length - rows.length;
  const hiddenSections = doc.flows.filter((f) => byFlow.has(f.id)).length - detail.length;
  const toc = detail.length
    ? `<ol class="toc">${detail.map((f) => `<li><a href="#${flowAnchor(f.id)}">${esc(f.id)}</a> <span class="mono">${esc(f.proto)} ${esc(tupleShort(f.orig))}</span></li>`).join('')}</ol>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pathlens report</title>
<style>${CSS}</style></head><body>
<h1>pathlens report</h1>
<p class="sub">${doc.host?.name ? `host <code>${esc(doc.host.name)}</code> · ` : ''}${doc.summary.packets} capture records, ${doc.summary.flows} flows, ${doc.findings.length} findings</p>
${summarySection(doc)}
${findingsSection(doc, known)}
<h2 id="flows">Flows (${doc.flows.length})</h2>
${table(['id', 'proto', 'original', 'reply', 'NAT', 'packets o/r', 'bytes o/r', 'interfaces', 'state', 'findings'], rows, ['n', '', '', '', '', 'n', 'n'])}
${flowsHidden > 0 ? `<p class="note">… ${flowsHidden} more flows; the JSON and CSV exports have them all.</p>` : ''}
${
  detail.length
    ? `<h3>Flow details</h3>${toc}${hiddenSections > 0 ? `<p class="note">${hiddenSections} more flows have packets but no detail section; report them with --flow ID.</p>` : ''}`
    : '<p class="note">No packet-level detail in this report.</p>'
}
${detail.map((f) => flowSection(f, byFlow.get(f.id) ?? [], doc.findings, maxPackets, known)).join('\n')}
</body></html>
`;
}
