// Packet: its journey across interfaces, the Netfilter hooks it passed with chains and rules under
// each, the verdict, the routing decision, each NAT rewrite, and its bytes.
import type { PacketDetail } from '../../shared/api';
import type { NatStepJson, ObservationJson, RouteJson } from '../../shared/report';
import type { AppState } from '../state';
import { useAppState, useController } from '../app-context';
import { Empty, LoadStatus } from '../Empty';
import { HookDiagram } from '../charts/HookDiagram';
import { endpoint, formatDelta, formatTime, hexDumpLines } from '../format';
import { groupByHook } from '../netfilter';

const selPacket = (s: AppState) => s.packet;
const selRoute = (s: AppState) => s.route;
const selContext = (s: AppState) => s.caseInfo.data?.context ?? null;

function Journey({ obs }: { obs: ObservationJson[] }) {
  const t0 = obs[0]?.ts ?? 0;
  return (
    <table className="grid-table" data-testid="journey">
      <thead>
        <tr>
          <th>#</th>
          <th>time</th>
          <th>interface</th>
          <th>dir</th>
          <th>source</th>
          <th>destination</th>
          <th className="num">ttl</th>
          <th>capture · frame</th>
        </tr>
      </thead>
      <tbody>
        {obs.map((o, i) => {
          const prev = obs[i - 1];
          const srcChanged = !!prev && endpoint(prev.src, prev.sport) !== endpoint(o.src, o.sport);
          const dstChanged = !!prev && endpoint(prev.dst, prev.dport) !== endpoint(o.dst, o.dport);
          return (
            <tr key={i} data-testid="journey-row">
              <td>{i + 1}</td>
              <td className="mono" title={formatTime(o.ts)}>
                {i === 0 ? formatTime(o.ts).slice(11) : formatDelta(o.ts - t0)}
              </td>
              <td className="mono">{o.iface ?? <span className="muted">unnamed</span>}</td>
              <td>{o.direction ?? <span className="muted">?</span>}</td>
              <td className={`mono${srcChanged ? ' changed' : ''}`}>{endpoint(o.src, o.sport)}</td>
              <td className={`mono${dstChanged ? ' changed' : ''}`}>{endpoint(o.dst, o.dport)}</td>
              <td className="num mono">{o.ttl ?? '—'}</td>
              <td className="mono muted">
                {o.capture} · {o.frame}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function RouteFacts({
  route,
  hasRoutes,
}: {
  route: RouteJson | null | undefined;
  hasRoutes: boolean | null;
}) {
  if (!route)
    return (
      <Empty testid="route-empty">
        {hasRoutes === false
          ? 'no ip route dump in this case: the routing decision is unknown'
          : 'no routing decision for this packet'}
      </Empty>
    );
  return (
    <dl className="route" data-testid="route">
      <dt>decision</dt>
      <dd>
        <b>{route.decision}</b>{' '}
        <span className={`badge ${route.source === 'ip-route' ? 'ev-conntrack' : ''}`}>
          {route.source ?? 'unknown source'}
        </span>
      </dd>
      <dt>table</dt>
      <dd className="mono">{route.table ?? '—'}</dd>
      <dt>prefix</dt>
      <dd className="mono">{route.prefix ?? '—'}</dd>
      <dt>gateway</dt>
      <dd className="mono">{route.gateway ?? 'direct'}</dd>
      <dt>device</dt>
      <dd className="mono">{route.dev ?? '—'}</dd>
      {route.pref_src && (
        <>
          <dt>pref src</dt>
          <dd className="mono">{route.pref_src}</dd>
        </>
      )}
      <dt>matches capture</dt>
      <dd data-testid="route-matches">
        {route.matches_observed === null
          ? 'not checkable (no capture of the way out)'
          : route.matches_observed
            ? '✓ the packet left where the route says'
            : '✗ the capture shows it leaving by another interface'}
      </dd>
    </dl>
  );
}

function NatSteps({ steps }: { steps: NatStepJson[] }) {
  if (steps.length === 0) return <p className="muted">no address rewrite for this packet</p>;
  return (
    <ul className="nat-steps" data-testid="packet-nat">
      {steps.map((s, i) => (
        <li key={i} data-testid="packet-nat-step">
          <span className="badge nat">{s.kind}</span> <span className="muted">at {s.hook}</span>{' '}
          <span className="mono">
            {endpoint(s.from.src, s.from.sport)} → {endpoint(s.from.dst, s.from.dport)}
          </span>{' '}
          ⇒{' '}
          <span className="mono">
            {endpoint(s.to.src, s.to.sport)} → {endpoint(s.to.dst, s.to.dport)}
          </span>
          {s.rule && <div className="mono small muted">{s.rule}</div>}
        </li>
      ))}
    </ul>
  );
}

function Netfilter({
  d,
  hasRuleset,
  hasTrace,
}: {
  d: PacketDetail;
  hasRuleset: boolean | null;
  hasTrace: boolean | null;
}) {
  const nf = d.packet.netfilter;
  const groups = groupByHook(nf, d.packet.nat ?? []);
  const passed = groups.filter((g) => g.passed).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  return (
    <section className="card" data-testid="netfilter">
      <div className="card-head">
        <h3>Netfilter path</h3>
        <span className={`badge src-${nf.source}`} data-testid="nf-source">
          {nf.source}
        </span>
        {nf.agrees_with_trace === false && (
          <span className="badge warn">inference disagrees with the trace</span>
        )}
        {nf.agrees_with_trace === true && <span className="badge ok">inference agrees with the trace</span>}
      </div>
      <HookDiagram nf={nf} route={d.packet.route} />
      <div className="verdict" data-testid="verdict">
        verdict <b>{nf.verdict ?? 'unknown'}</b>
        {nf.rule && (
          <>
            {' '}
            by <code className="mono">{nf.rule}</code>
          </>
        )}
      </div>
      {passed.length === 0 ? (
        <Empty>no hooks known for this packet</Empty>
      ) : (
        <div className="hook-columns">
          {passed.map((g) => (
            <div key={g.hook} className="hook-col" data-testid={`hook-detail-${g.hook}`}>
              <div className="hook-col-title">
                {g.order}. {g.hook}
              </div>
              {g.chains.length > 0 ? (
                <ol className="chains mono">
                  {g.chains.map((ch, i) => (
                    <li key={i}>
                      {ch.table && <span className="muted">{ch.table}:</span>}
                      {ch.chain}
                    </li>
                  ))}
                </ol>
              ) : (
                <p className="muted small">
                  {hasRuleset === false ? 'no ruleset: chains unknown' : 'no chains recorded'}
                </p>
              )}
              {g.rules.length > 0 && (
                <ul className="rules mono">
                  {g.rules.map((r, i) => (
                    <li key={i} title={r.chain}>
                      {r.rule}
                      {r.verdict && <b> → {r.verdict}</b>}
                    </li>
                  ))}
                </ul>
              )}
              {g.nat.map((s, i) => (
                <div key={i} className="hook-nat small">
                  <span className="badge nat">{s.kind}</span>{' '}
                  <span className="mono">
                    {s.kind === 'DNAT'
                      ? `${endpoint(s.from.dst, s.from.dport)} → ${endpoint(s.to.dst, s.to.dport)}`
                      : `${endpoint(s.from.src, s.from.sport)} → ${endpoint(s.to.src, s.to.sport)}`}
                  </span>
                </div>
              ))}
            </div>
          ))}
        </div>
      )}
      {nf.source === 'inferred' && (
        <p className="muted small">
          {hasTrace === false ? 'no trace input in this case: ' : ''}hooks inferred from where the packet came
          from and went
          {hasRuleset === false ? '; no ruleset, so no chains or rules' : ''}.
        </p>
      )}
    </section>
  );
}

function HexDump({ hex, linkType }: { hex: string; linkType: number | null }) {
  if (!hex) return <Empty testid="hex-empty">no bytes: the capture file is not available to re-read</Empty>;
  const lines = hexDumpLines(hex);
  return (
    <>
      <div className="muted small">
        {hex.length / 2} bytes captured{linkType !== null ? ` · link type ${linkType}` : ''}
      </div>
      <pre className="hexdump mono" data-testid="hexdump">
        {lines.map((l) => `${l.offset}  ${l.hex}  ${l.ascii}`).join('\n')}
      </pre>
    </>
  );
}

export function PacketView() {
  const c = useController();
  const route = useAppState(selRoute);
  const packet = useAppState(selPacket);
  const ctx = useAppState(selContext);
  const id = route.view === 'packet' ? String(route.id) : '';
  const d = packet.key === id ? packet.data : null;
  const p = d?.packet;

  return (
    <div className="view packet" data-testid="view-packet">
      <div className="view-head">
        <a
          href={p ? `#/flow/${encodeURIComponent(p.flow)}` : '#/flows'}
          className="back"
          onClick={(e) => {
            e.preventDefault();
            if (p) c.openFlow(p.flow);
            else c.back();
          }}
        >
          ← flow {p?.flow ?? ''}
        </a>
        <h2>
          Packet <span className="mono">{id}</span>
        </h2>
        {p && (
          <span className="muted">
            {p.dir} · {formatTime(p.ts)} · {p.len !== undefined ? `${p.len} bytes` : ''}{' '}
            {p.tcp_flags ? `· flags ${p.tcp_flags}` : ''}
            {p.seq !== null && p.seq !== undefined ? ` · seq ${p.seq}` : ''}
            {p.ack !== null && p.ack !== undefined ? ` ack ${p.ack}` : ''}
          </span>
        )}
      </div>
      {!d || !p ? (
        <LoadStatus status={packet.status} error={packet.error} what={`packet ${id}`} />
      ) : (
        <>
          <section className="card" data-testid="ctstate">
            conntrack state{' '}
            <b className={`ct ct-${(p.ctstate ?? 'none').toLowerCase()}`}>{p.ctstate ?? 'unknown'}</b>
            {p.ctstate_reason && <span className="muted"> · {p.ctstate_reason}</span>}
            {ctx && !ctx.conntrack && (
              <span className="muted"> · no conntrack log in this case: state inferred from captures</span>
            )}
          </section>
          <section className="card">
            <h3>Journey</h3>
            <Journey obs={p.observations} />
          </section>
          <Netfilter d={d} hasRuleset={ctx?.ruleset ?? null} hasTrace={ctx?.trace ?? null} />
          <div className="two-col">
            <section className="card">
              <h3>Routing decision</h3>
              <RouteFacts route={p.route} hasRoutes={ctx?.routes ?? null} />
            </section>
            <section className="card">
              <h3>NAT rewrites</h3>
              <NatSteps steps={p.nat ?? []} />
            </section>
          </div>
          {d.trace && d.trace.length > 0 && (
            <section className="card" data-testid="trace">
              <h3>Trace</h3>
              <table className="grid-table">
                <thead>
                  <tr>
                    <th className="num">line</th>
                    <th>chain</th>
                    <th>rule</th>
                    <th>verdict</th>
                  </tr>
                </thead>
                <tbody>
                  {d.trace.map((t, i) => (
                    <tr key={i}>
                      <td className="num mono">{t.line}</td>
                      <td className="mono">{t.chain}</td>
                      <td className="mono">{t.rule ?? '—'}</td>
                      <td>{t.verdict}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <div className="bytes-row">
            <section className="card" data-testid="layers">
              <h3>Layers</h3>
              {d.layers.length === 0 ? (
                <Empty>no decoded layers</Empty>
              ) : (
                d.layers.map((l, i) => (
                  <details key={i} open={i < 4}>
                    <summary>{l.name}</summary>
                    <table className="fields">
                      <tbody>
                        {l.fields.map(([k, v], j) => (
                          <tr key={j}>
                            <td className="muted">{k}</td>
                            <td className="mono">{v}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </details>
                ))
              )}
            </section>
            <section className="card">
              <h3>Bytes</h3>
              <HexDump hex={d.hex} linkType={d.linkType} />
            </section>
          </div>
        </>
      )}
    </div>
  );
}
