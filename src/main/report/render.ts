// Renders a case as one of the report formats; the app's Export and the CLI share this.
import type { ExportResult, ReportFormat } from '../../shared/api';
import type { Db } from '../store/db';
import type { ReportOptions } from './build';
import { buildReport } from './build';
import { reportCsv } from './csv';
import { reportMarkdown } from './markdown';
import { reportHtml } from './html';
import { loadEnricher } from './enrich';

/** Renders the report of a case (or of some of its flows) in a format. */
export async function renderReport(
  db: Db,
  format: ReportFormat,
  opts: Omit<ReportOptions, 'enrich'> = {},
): Promise<ExportResult> {
  const enrich = await loadEnricher(db);
  // HTML draws each selected flow's packets, so it needs them even without --packets.
  const doc = await buildReport(db, { ...opts, packets: opts.packets || format === 'html', enrich });
  switch (format) {
    case 'json':
      return { filename: 'pathlens-report.json', mime: 'application/json', content: JSON.stringify(doc, null, 1) };
    case 'csv':
      return { filename: 'pathlens-flows.csv', mime: 'text/csv', content: reportCsv(doc) };
    case 'md':
      return { filename: 'pathlens-report.md', mime: 'text/markdown', content: reportMarkdown(doc) };
    case 'html':
      return { filename: 'pathlens-report.html', mime: 'text/html', content: reportHtml(doc) };
  }
}
