// HTML export: one self-contained page (inline CSS, no scripts, no external references) that reads
// offline and prints. Every string from an input is escaped: captures are attacker-controlled.
import type { FlowJson, ReportJson, Tuple } from '../../shared/report';

/** Escapes text for HTML element content and attribute values. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function ep(t: Tuple, side: 'src' | 'dst'): string {
  const port = side === 'src' ? t.sport : t.dport;
  const ip = t[side];
  return port !== undefined ? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`) : ip;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1c1f24;background:#fff}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccd;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{border:1px solid #dde;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f1f3f7}code{font-family:ui-monospace,monospace}.sev-error{color:#b00020}.sev-warning{color:#a15c00}.sev-info{color:#2d5b9a}
.nat{color:#6a1b9a;font-weight:600}@media print{body{margin:0}h2{page-break-after:avoid}}`;

function flowRow(f: FlowJson): string {
  const reply = f.reply ? `${esc(ep(f.reply, 'src'))} → ${esc(ep(f.reply, 'dst'))}` : '–';
  const nat = [f.nat.dnat ? 'DNAT' : '', f.nat.snat ? 'SNAT' : ''].filter(Boolean).join('+') || '–';
  return `<tr><td>${esc(f.id)}</td><td>${esc(f.proto)}</td><td>${esc(ep(f.orig, 'src'))} → ${esc(ep(f.orig, 'dst'))}</td><td>${reply}</td><td class="nat">${esc(nat)}</td><td>${f.packets.orig}/${f.packets.reply}</td><td>${esc(f.tcp?.state ?? '–')}</td><td>${esc((f.findings ?? []).join(', '))}</td></tr>`;
}

/** The report as one HTML document. */
export function reportHtml(doc: ReportJson): string {
  const s = doc.summary;
  const findings = doc.findings
    .map((f) => `<li class="sev-${esc(f.severity)}"><b>${esc(f.kind)}</b> — ${esc(f.summary)}<ul>${(f.evidence ?? []).map((e) => `<li>${esc(e)}</li>`).join('')}</ul></li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"><title>pathlens report</title><style>${CSS}</style></head><body>
<h1>pathlens report</h1>
<p>${s.packets} packets, ${s.flows} flows, ${s.conntrack_events ?? 0} conntrack events.</p>
<h2>Inputs</h2><table><tr><th>file</th><th>kind</th><th>records</th><th>warnings</th></tr>${doc.inputs
    .map((i) => `<tr><td>${esc(i.path)}</td><td>${esc(i.kind)}</td><td>${i.records}</td><td>${i.warnings.length}</td></tr>`)
    .join('')}</table>
<h2>Findings</h2>${findings ? `<ul>${findings}</ul>` : '<p>None.</p>'}
<h2>Flows</h2><table><tr><th>id</th><th>proto</th><th>original</th><th>reply</th><th>NAT</th><th>packets o/r</th><th>state</th><th>findings</th></tr>${doc.flows.map(flowRow).join('')}</table>
</body></html>
`;
}
