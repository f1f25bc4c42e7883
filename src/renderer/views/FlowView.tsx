// Flow: its two conntrack tuples and the NAT between them, evidence and rules, the state timeline,
// the ladder of its packets, and its findings.
import type { FlowDetail } from '../../shared/api';
import type { FlowJson, PacketJson } from '../../shared/report';
import type { AppState } from '../state';
import { useAppState, useController } from '../app-context';
import { Empty, LoadStatus } from '../Empty';
import { LadderDiagram } from '../charts/LadderDiagram';
import { StateTimeline } from '../charts/StateTimeline';
import { endpoint, formatBytes, formatCount, formatDuration, formatTime, natChanges } from '../format';
import { flowCtState } from '../../shared/filter';

const selFlow = (s: AppState) => s.flow;
const selRoute = (s: AppState) => s.route;
const selContext = (s: AppState) => s.caseInfo.data?.context ?? null;

function TupleBox({
  title,
  t,
  changed,
  testid,
}: {
  title: string;
  t: FlowJson['orig'] | null;
  changed: { src: boolean; dst: boolean };
  testid: string;
}) {
  return (
    <div className="tuple" data-testid={testid}>
      <div className="tuple-title">{title}</div>
      {t ? (
        <div className="mono tuple-body">
          <span className={changed.src ? 'changed' : undefined} data-testid={`${testid}-src`}>
            {endpoint(t.src, t.sport)}
          </span>
          <span className="arrow"> → </span>
          <span className={changed.dst ? 'changed' : undefined} data-testid={`${testid}-dst`}>
            {endpoint(t.dst, t.dport)}
          </span>
          {t.icmp_type !== undefined && (
            <span className="muted">
              {' '}
              icmp type {t.icmp_type} code {t.icmp_code ?? 0}
              {t.icmp_id !== undefined ? ` id ${t.icmp_id}` : ''}
            </span>
          )}
        </div>
      ) : (
        <div className="muted">unknown: no reply seen and no conntrack entry</div>
      )}
    </div>
  );
}

function NatPanel({ flow, hasConntrack }: { flow: FlowJson; hasConntrack: boolean | null }) {
  const changes = natChanges(flow);
  const dnat = changes.find((c) => c.kind === 'DNAT');
  const snat = changes.find((c) => c.kind === 'SNAT');
  return (
    <section className="card nat-panel" data-testid="nat-panel">
      <h3>Tuples and NAT</h3>
      <div className="tuples">
        <TupleBox
          title="original (as the client sent it)"
          t={flow.orig}
          changed={{ src: !!snat, dst: !!dnat }}
          testid="tuple-orig"
        />
        <div className="nat-between">
          {changes.length === 0 ? (
            <span className="muted" data-testid="nat-none">
              {flow.reply ? 'no NAT: the reply tuple mirrors the original' : 'NAT unknown'}
            </span>
          ) : (
            changes.map((c) => (
              <div
                key={c.kind}
                className={`nat-change ${c.kind.toLowerCase()}`}
                data-testid={`nat-${c.kind.toLowerCase()}`}
              >
                <span className="badge nat">{c.kind}</span> {c.side}{' '}
                <span className="mono" data-testid={`nat-${c.kind.toLowerCase()}-before`}>
                  {c.before}
                </span>{' '}
                →{' '}
                <span className="mono" data-testid={`nat-${c.kind.toLowerCase()}-after`}>
                  {c.after}
                </span>
                <div className="muted small">
                  {c.kind === 'DNAT'
                    ? 'orig.dst became reply.src (the real server)'
                    : 'orig.src became reply.dst (what the server sees)'}
                </div>
              </div>
            ))
          )}
        </div>
        <TupleBox
          title="reply (as conntrack expects it)"
          t={flow.reply}
          changed={{ src: !!dnat, dst: !!snat }}
          testid="tuple-reply"
        />
      </div>
      <div className="nat-evidence">
        <span className="muted">evidence: </span>
        {flow.nat.evidence.length ? (
          flow.nat.evidence.map((e) => (
            <span key={e} className={`badge ev-${e}`} data-testid="nat-evidence">
              {e}
            </span>
          ))
        ) : (
          <span className="muted">none</span>
        )}
        {hasConntrack === false && (
          <span className="muted"> · no conntrack log in this case: NAT inferred from captures</span>
        )}
      </div>
      {flow.nat.rules && flow.nat.rules.length > 0 && (
        <div className="nat-rules">
          <div className="muted">rules</div>
          <ul className="rules mono" data-testid="nat-rules">
            {flow.nat.rules.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function FlowFacts({ d }: { d: FlowDetail }) {
  const f = d.flow;
  const ct = flowCtState(f);
  return (
    <section className="card facts" data-testid="flow-facts">
      <dl>
        <dt>protocol</dt>
        <dd>
          {f.proto} ({f.l3})
        </dd>
        <dt>time</dt>
        <dd>
          {formatTime(f.first_ts)} · {formatDuration(f.last_ts - f.first_ts)}
        </dd>
        <dt>packets</dt>
        <dd>
          {formatCount(f.packets.orig)} orig · {formatCount(f.packets.reply)} reply
          {f.observations !== undefined && (
            <span className="muted"> · {formatCount(f.observations)} capture records</span>
          )}
        </dd>
        {f.bytes && (
          <>
            <dt>bytes</dt>
            <dd>
              {formatBytes(f.bytes.orig)} orig · {formatBytes(f.bytes.reply)} reply
            </dd>
          </>
        )}
        <dt>state</dt>
        <dd>
          {f.tcp?.state ?? '—'}
          {f.tcp?.conn_state && <span className="badge">{f.tcp.conn_state}</span>}
          {f.tcp?.history && <span className="mono muted"> history {f.tcp.history}</span>}
          {ct && <span className="muted"> · conntrack {ct}</span>}
        </dd>
        <dt>interfaces</dt>
        <dd className="mono">{(f.interfaces ?? []).join(', ') || '—'}</dd>
        {f.conntrack && f.conntrack.ids.length > 0 && (
          <>
            <dt>conntrack ids</dt>
            <dd className="mono">{f.conntrack.ids.join(', ')}</dd>
          </>
        )}
        {f.outer && (
          <>
            <dt>tunnel</dt>
            <dd>
              carried in <a href={`#/flow/${encodeURIComponent(f.outer)}`}>flow {f.outer}</a>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

export function FlowView() {
  const c = useController();
  const route = useAppState(selRoute);
  const flow = useAppState(selFlow);
  const ctx = useAppState(selContext);
  const id = route.view === 'flow' ? route.id : '';
  const d = flow.key === id ? flow.data : null;
  const open = (p: PacketJson) => p.id !== undefined && c.openPacket(p.id, d?.flow.id ?? null);

  return (
    <div className="view flow" data-testid="view-flow">
      <div className="view-head">
        <a
          href="#/flows"
          onClick={(e) => {
            e.preventDefault();
            c.back();
          }}
          className="back"
        >
          ← flows
        </a>
        <h2>
          Flow <span className="mono">{id}</span>
        </h2>
        {d && (
          <span className="mono muted">
            {d.flow.proto} {endpoint(d.flow.orig.src, d.flow.orig.sport)} →{' '}
            {endpoint(d.flow.orig.dst, d.flow.orig.dport)}
          </span>
        )}
      </div>
      {!d ? (
        <LoadStatus status={flow.status} error={flow.error} what={`flow ${id}`} />
      ) : (
        <>
          <div className="two-col">
            <NatPanel flow={d.flow} hasConntrack={ctx?.conntrack ?? null} />
            <FlowFacts d={d} />
          </div>
          {d.findings.length > 0 && (
            <section className="card" data-testid="flow-findings">
              <h3>Findings</h3>
              <ul className="findings-list">
                {d.findings.map((f, i) => (
                  <li key={i}>
                    <span className={`sev sev-${f.severity}`}>{f.severity}</span> <b>{f.kind}</b> {f.summary}
                    {f.evidence && f.evidence.length > 0 && (
                      <ul className="evidence mono">
                        {f.evidence.map((e, j) => (
                          <li key={j}>{e}</li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section className="card">
            <h3>State over time</h3>
            <StateTimeline flow={d.flow} packets={d.packets} />
          </section>
          <section className="card">
            <div className="card-head">
              <h3>Ladder</h3>
              <span className="muted">
                {d.packets.length < d.packetsTotal
                  ? `first ${formatCount(d.packets.length)} of ${formatCount(d.packetsTotal)} packets`
                  : `${formatCount(d.packetsTotal)} packets`}{' '}
                · dots: captured there · ◆ addresses rewritten · click a packet for its journey
              </span>
            </div>
            {d.packets.length === 0 ? (
              <Empty>no packets of this flow in the captures (known from the conntrack log only)</Empty>
            ) : (
              <LadderDiagram flow={d.flow} packets={d.packets} onOpen={open} />
            )}
          </section>
        </>
      )}
    </div>
  );
}
