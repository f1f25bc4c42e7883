// HTML export structure (src/main/report/html.ts): caps with a note, links only to anchors on the
// page, ladder split into printable chunks, NAT shown as orig → reply.
import { describe, expect, it } from 'vitest';
import { reportHtml } from '../../src/main/report/html';
import type { PacketJson, ReportJson } from '../../src/shared/report';
import { hostileReport } from './fixtures';

function manyPackets(n: number): ReportJson {
  const doc = hostileReport();
  const p = doc.packets![0]!;
  doc.packets = Array.from({ length: n }, (_, i): PacketJson => ({ ...p, id: i + 1, ts: p.ts + i * 1e-4 }));
  return doc;
}

describe('reportHtml structure', () => {
  it('caps the packets drawn per flow and says so', () => {
    const html = reportHtml(manyPackets(130), { maxPacketsPerFlow: 120 });
    expect(html).toContain('Showing the first 120 of 130 packets of this flow');
    const path = html.slice(html.indexOf('<h3>Netfilter path</h3>'));
    expect(path.match(/<tr><td class="n">/g)).toHaveLength(120);
    // 50 packets per ladder chunk, so a printed page never cuts an arrow
    expect(html.match(/<svg class="ladder"/g)).toHaveLength(3);
  });

  it('links a finding only to flows the page has', () => {
    const doc = hostileReport();
    doc.findings[0]!.flows.push('99');
    const html = reportHtml(doc);
    expect(html).not.toContain('href="#flow-99"');
    expect(html).toMatch(/, 99<\/div>/);
  });

  it('caps detail sections, keeping flows with findings first', () => {
    const doc = hostileReport();
    const base = doc.flows[0]!;
    doc.flows = ['1', '2', '3'].map((id) => ({ ...base, id, findings: [] }));
    doc.packets = doc.flows.map((f) => ({ ...doc.packets![0]!, flow: f.id }));
    doc.findings = [{ kind: 'x', severity: 'info', summary: 's', flows: ['3'] }];
    const html = reportHtml(doc, { maxFlowSections: 1 });
    expect(html).toContain('<section class="flow" id="flow-3">');
    expect(html).not.toContain('<section class="flow" id="flow-1">');
    expect(html).toContain('2 more flows have packets but no detail section');
    // the others keep an anchor on their table row
    expect(html).toContain('<tr id="flow-1">');
  });

  it('shows DNAT as orig.dst → reply.src and SNAT as orig.src → reply.dst', () => {
    const html = reportHtml(hostileReport());
    expect(html).toContain('orig.dst → reply.src: <b>10.0.0.2:80 → 10.9.9.9:8080</b>');
    expect(html).toContain('orig.src → reply.dst: <b>10.0.0.1:1234 → 10.0.0.100:1234</b>');
  });

  it('renders a report without packets', () => {
    const doc = hostileReport();
    delete doc.packets;
    const html = reportHtml(doc);
    expect(html).toContain('No packet-level detail in this report.');
    expect(html).not.toContain('<section');
  });
});
