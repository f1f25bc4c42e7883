// Overview: the inputs as read (kind, records, located warnings), what context the case has, the
// timeline, and counts by protocol, state and finding kind.
import { useState } from 'react';
import type { CaseInfo } from '../../shared/api';
import type { FindingJson, ReportInput } from '../../shared/report';
import type { AppState } from '../state';
import { useAppState, useController } from '../app-context';
import { Empty, LoadStatus } from '../Empty';
import { TimelineChart } from '../charts/TimelineChart';
import { formatBytes, formatCount, formatTime } from '../format';

const selCase = (s: AppState) => s.caseInfo;
const selFindings = (s: AppState) => s.findings;
const selTimeline = (s: AppState) => s.timeline;
const selZoom = (s: AppState) => s.zoom;
const selStates = (s: AppState) => s.stateCounts;

function InputRow({ input }: { input: ReportInput }) {
  const [open, setOpen] = useState(false);
  const n = input.warnings.length;
  return (
    <>
      <tr data-testid="input-row">
        <td className="mono wrap" title={input.path}>
          {input.path}
        </td>
        <td>
          <span className={`kind kind-${input.kind === 'unknown' ? 'unknown' : 'known'}`}>{input.kind}</span>
        </td>
        <td className="num">{formatCount(input.records)}</td>
        <td className="num">{input.size !== undefined ? formatBytes(input.size) : '—'}</td>
        <td>
          {n === 0 ? (
            <span className="muted">none</span>
          ) : (
            <button className="link" onClick={() => setOpen(!open)} aria-expanded={open}>
              {n} warning{n > 1 ? 's' : ''} {open ? '▾' : '▸'}
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr className="warnings-row">
          <td colSpan={5}>
            <ul className="warnings" data-testid="input-warnings">
              {input.warnings.map((w, i) => (
                <li key={i}>
                  <span className="mono muted">
                    {w.line !== undefined
                      ? `line ${w.line}`
                      : w.offset !== undefined
                        ? `offset ${w.offset}`
                        : ''}
                  </span>{' '}
                  {w.message}
                </li>
              ))}
            </ul>
          </td>
        </tr>
      )}
    </>
  );
}

const CONTEXT_TEXT: Record<keyof CaseInfo['context'], [string, string]> = {
  conntrack: ['conntrack log', 'no conntrack log in this case: NAT and states inferred from captures'],
  routes: ['routes (ip route)', 'no ip route dump: routing decisions inferred from captures'],
  ruleset: ['ruleset (iptables-save / nft)', 'no ruleset: chains and rules unknown, only hooks inferred'],
  trace: ['netfilter trace', 'no trace: hook paths inferred, not observed'],
};

function CountTable({
  title,
  rows,
  testid,
  link,
}: {
  title: string;
  rows: Array<[string, number]>;
  testid: string;
  link?: (k: string) => string;
}) {
  const total = rows.reduce((a, [, n]) => a + n, 0);
  return (
    <section className="card" data-testid={testid}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted">none</p>
      ) : (
        <table className="counts">
          <tbody>
            {rows.map(([k, n]) => (
              <tr key={k}>
                <td>{link ? <a href={link(k)}>{k}</a> : k}</td>
                <td className="num">{formatCount(n)}</td>
                <td className="bar-cell">
                  <span
                    className="count-bar"
                    style={{ width: `${total ? Math.max(2, (n / total) * 100) : 0}%` }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function sortedEntries(rec: Record<string, number> | undefined): Array<[string, number]> {
  return Object.entries(rec ?? {}).sort((a, b) => b[1] - a[1]);
}

function findingCounts(
  summary: CaseInfo['summary'],
  findings: FindingJson[] | null,
): Array<[string, number]> {
  if (summary.findings_by_kind) return sortedEntries(summary.findings_by_kind);
  const counts: Record<string, number> = {};
  for (const f of findings ?? []) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  return sortedEntries(counts);
}

const flowsLink = (filter: string) => `#/flows?filter=${encodeURIComponent(filter)}`;

export function OverviewView() {
  const c = useController();
  const info = useAppState(selCase);
  const findings = useAppState(selFindings);
  const timeline = useAppState(selTimeline);
  const zoom = useAppState(selZoom);
  const states = useAppState(selStates);
  const ci = info.data;

  return (
    <div className="view overview" data-testid="view-overview">
      {!ci ? (
        <LoadStatus status={info.status} error={info.error} what="the case" />
      ) : (
        <>
          <section className="card summary-strip" data-testid="case-summary">
            <div>
              <span className="big">{formatCount(ci.summary.flows)}</span> flows
            </div>
            <div>
              <span className="big">{formatCount(ci.summary.packets)}</span> packets
            </div>
            {ci.summary.conntrack_events !== undefined && (
              <div>
                <span className="big">{formatCount(ci.summary.conntrack_events)}</span> conntrack events
              </div>
            )}
            <div className="muted">
              {formatTime(ci.summary.first_ts)} → {formatTime(ci.summary.last_ts)} UTC
            </div>
            <div className="muted">
              host {ci.host.name ?? 'unnamed'} (
              {ci.host.source === 'none' ? 'no ip addr input' : ci.host.source}), {ci.host.interfaces.length}{' '}
              interfaces
            </div>
          </section>

          <section className="card" data-testid="inputs">
            <h3>Inputs</h3>
            {ci.inputs.length === 0 ? (
              <Empty>no inputs in this case: open a capture, a directory or a bundle</Empty>
            ) : (
              <table className="grid-table" data-testid="inputs-table">
                <thead>
                  <tr>
                    <th>file</th>
                    <th>kind</th>
                    <th className="num">records</th>
                    <th className="num">size</th>
                    <th>warnings</th>
                  </tr>
                </thead>
                <tbody>
                  {ci.inputs.map((input, i) => (
                    <InputRow key={i} input={input} />
                  ))}
                </tbody>
              </table>
            )}
            <ul className="context-list" data-testid="context">
              {(Object.keys(CONTEXT_TEXT) as Array<keyof CaseInfo['context']>).map((k) => (
                <li key={k} className={ci.context[k] ? 'ok' : 'missing'} data-testid={`context-${k}`}>
                  {ci.context[k] ? `✓ ${CONTEXT_TEXT[k][0]}` : `– ${CONTEXT_TEXT[k][1]}`}
                </li>
              ))}
            </ul>
          </section>

          <section className="card">
            <div className="card-head">
              <h3>Timeline</h3>
              {zoom && (
                <button onClick={() => c.zoom(null)} data-testid="timeline-reset">
                  reset zoom
                </button>
              )}
              {zoom && (
                <span className="muted">
                  {formatTime(zoom.from)} → {formatTime(zoom.to)}
                </span>
              )}
            </div>
            {timeline.data && timeline.data.buckets.length > 0 ? (
              <TimelineChart timeline={timeline.data} onZoom={(r) => c.zoom(r)} />
            ) : timeline.data ? (
              <Empty>no packets in this {zoom ? 'time range' : 'case'}: nothing to draw</Empty>
            ) : (
              <LoadStatus status={timeline.status} error={timeline.error} what="the timeline" />
            )}
            {timeline.data && !ci.context.conntrack && (
              <p className="muted">no conntrack log in this case: no conntrack event marks</p>
            )}
          </section>

          <div className="count-grid">
            <CountTable
              title="Flows by protocol"
              testid="counts-proto"
              rows={sortedEntries(ci.summary.flows_by_proto)}
              link={(k) => flowsLink(`proto == ${k}`)}
            />
            {states.data ? (
              <CountTable
                title="Flows by state (TCP or conntrack)"
                testid="counts-state"
                rows={states.data}
                link={(k) => flowsLink(`state == ${k}`)}
              />
            ) : (
              <section className="card">
                <h3>Flows by state</h3>
                <LoadStatus status={states.status} error={states.error} what="state counts" />
              </section>
            )}
            <CountTable
              title="Findings by kind"
              testid="counts-findings"
              rows={findingCounts(ci.summary, findings.data)}
              link={(k) => flowsLink(`finding == ${k}`)}
            />
            {ci.summary.anomalies && Object.keys(ci.summary.anomalies).length > 0 && (
              <CountTable
                title="Decode anomalies"
                testid="counts-anomalies"
                rows={sortedEntries(ci.summary.anomalies)}
              />
            )}
          </div>
        </>
      )}
    </div>
  );
}
