// Builds the JSON report document (shared/spec/report.schema.json) from a case file; every other
// format is rendered from this document.
import type { PacketJson, ReportJson } from '../../shared/report';
import type { Db } from '../store/db';
import {
  allFlows,
  hostInfo,
  journeys,
  listFindings,
  listInputs,
  stripDetail,
  summary,
} from '../store/queries';
import { TOOL_VERSION } from '../version';

/** What to put in the report. */
export interface ReportOptions {
  /** only these flows (ids as strings); findings are kept when they concern one of them */
  flows?: string[];
  /** add the per-packet array */
  packets?: boolean;
  /** enriches each packet (netfilter path, route) from the case's context; drops its stored detail */
  enrich?: (p: PacketJson & { detail?: unknown }) => PacketJson;
}

/** The report document of a case. */
export async function buildReport(db: Db, opts: ReportOptions = {}): Promise<ReportJson> {
  const flows = await allFlows(db, opts.flows);
  let findings = await listFindings(db);
  if (opts.flows?.length) {
    const keep = new Set(flows.map((f) => f.id));
    findings = findings.filter((f) => f.flows.some((id) => keep.has(id)));
  }
  const report: ReportJson = {
    schema: 'pathlens.report/1',
    tool: { name: 'pathlens', version: TOOL_VERSION },
    inputs: await listInputs(db),
    host: await hostInfo(db),
    summary: await summary(db),
    flows,
    findings,
  };
  if (opts.packets) {
    const pk = await journeys(db, opts.flows?.length ? { flowIds: opts.flows.map(Number) } : {});
    report.packets = pk
      .filter((p) => p.flow !== '')
      .map((p) => (opts.enrich ? opts.enrich(p) : stripDetail(p)));
  }
  return report;
}
