// Renders a case as one of the report formats; the app's Export and the CLI share this.
import type { ExportResult, ReportFormat } from '../../shared/api';
import type { Db } from '../store/db';
import type { ReportOptions } from './build';
import { buildReport } from './build';
import { reportCsv } from './csv';
import { reportMarkdown } from './markdown';
import { reportHtml } from './html';
import { loadEnricher } from './enrich';
import { exportPcapng } from './export-pcap';
import { allFlows } from '../store/queries';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Renders the report of a case (or of some of its flows) in a format. */
export async function renderReport(
  db: Db,
  format: ReportFormat,
  opts: Omit<ReportOptions, 'enrich'> = {},
): Promise<ExportResult> {
  if (format === 'pcapng') {
    // the packets themselves, re-read from the original captures
    const ids = opts.flows?.length ? opts.flows : (await allFlows(db)).map((f) => f.id);
    const dir = mkdtempSync(join(tmpdir(), 'pathlens-slice-'));
    try {
      const out = join(dir, 'slice.pcapng');
      await exportPcapng(db, ids, out);
      return {
        filename: 'pathlens-flows.pcapng',
        mime: 'application/x-pcapng',
        content: readFileSync(out).toString('base64'),
        encoding: 'base64',
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const enrich = await loadEnricher(db);
  // HTML draws each selected flow's packets, so it needs them even without --packets.
  const doc = await buildReport(db, { ...opts, packets: opts.packets || format === 'html', enrich });
  switch (format) {
    case 'json':
      return {
        filename: 'pathlens-report.json',
        mime: 'application/json',
        content: JSON.stringify(doc, null, 1),
      };
    case 'csv':
      return { filename: 'pathlens-flows.csv', mime: 'text/csv', content: reportCsv(doc) };
    case 'md':
      return { filename: 'pathlens-report.md', mime: 'text/markdown', content: reportMarkdown(doc) };
    case 'html':
      return { filename: 'pathlens-report.html', mime: 'text/html', content: reportHtml(doc) };
  }
}
