// Findings grouped by kind, most severe first, each linking to its flows.
import type { FindingJson } from '../../shared/report';
import type { AppState } from '../state';
import { useAppState } from '../app-context';
import { Empty, LoadStatus } from '../Empty';
import { formatTime } from '../format';

const selFindings = (s: AppState) => s.findings;
const RANK: Record<FindingJson['severity'], number> = { error: 0, warning: 1, info: 2 };
const MAX_FLOW_LINKS = 30;

/** Groups by kind; groups sorted by their worst severity, then size. */
export function groupFindings(
  findings: FindingJson[],
): Array<{ kind: string; severity: FindingJson['severity']; items: FindingJson[] }> {
  const groups = new Map<string, FindingJson[]>();
  for (const f of findings) groups.set(f.kind, [...(groups.get(f.kind) ?? []), f]);
  return [...groups.entries()]
    .map(([kind, items]) => ({
      kind,
      items,
      severity: items.reduce<FindingJson['severity']>(
        (s, f) => (RANK[f.severity] < RANK[s] ? f.severity : s),
        'info',
      ),
    }))
    .sort(
      (a, b) =>
        RANK[a.severity] - RANK[b.severity] ||
        b.items.length - a.items.length ||
        a.kind.localeCompare(b.kind),
    );
}

export function FindingsView() {
  const findings = useAppState(selFindings);
  return (
    <div className="view findings" data-testid="view-findings">
      <h2>Findings</h2>
      {!findings.data ? (
        <LoadStatus status={findings.status} error={findings.error} what="findings" />
      ) : findings.data.length === 0 ? (
        <Empty testid="findings-empty">
          no findings: nothing in the inputs matched a known problem pattern
        </Empty>
      ) : (
        groupFindings(findings.data).map((g) => (
          <section key={g.kind} className="card finding-group" data-testid="finding-group" data-kind={g.kind}>
            <div className="card-head">
              <span className={`sev sev-${g.severity}`}>{g.severity}</span>
              <h3 className="mono">{g.kind}</h3>
              <span className="muted">
                {g.items.length} finding{g.items.length > 1 ? 's' : ''}
              </span>
              <a
                href={`#/flows?filter=${encodeURIComponent(`finding == ${g.kind}`)}`}
                data-testid="finding-flows-link"
              >
                show its flows in the table
              </a>
            </div>
            <ul className="findings-list">
              {g.items.map((f, i) => (
                <li key={i}>
                  {g.items.some((x) => x.severity !== g.severity) && (
                    <span className={`sev sev-${f.severity}`}>{f.severity}</span>
                  )}{' '}
                  {f.summary}
                  {f.ts !== null && f.ts !== undefined && (
                    <span className="muted small"> · {formatTime(f.ts)}</span>
                  )}
                  {f.flows.length > 0 && (
                    <div className="flow-links">
                      flows:{' '}
                      {f.flows.slice(0, MAX_FLOW_LINKS).map((id) => (
                        <a
                          key={id}
                          className="chip mono"
                          href={`#/flow/${encodeURIComponent(id)}`}
                          data-testid="finding-flow-link"
                        >
                          {id}
                        </a>
                      ))}
                      {f.flows.length > MAX_FLOW_LINKS && (
                        <span className="muted"> and {f.flows.length - MAX_FLOW_LINKS} more</span>
                      )}
                    </div>
                  )}
                  {f.evidence && f.evidence.length > 0 && (
                    <details>
                      <summary className="muted small">evidence ({f.evidence.length})</summary>
                      <ul className="evidence mono">
                        {f.evidence.map((e, j) => (
                          <li key={j}>{e}</li>
                        ))}
                      </ul>
                    </details>
                  )}
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </div>
  );
}
