// A flow's states over time: TCP state segments (from transitions), conntrack events as marks, and
// one tick per packet (orig above, reply below), on a time axis relative to the flow's start.
import { useMemo, useRef } from 'react';
import { axisBottom, scaleLinear } from 'd3';
import type { FlowJson, PacketJson } from '../../shared/report';
import { useAxis, useWidth } from './use-d3';
import { formatDelta, formatTime } from '../format';

const M = { top: 8, right: 24, bottom: 28, left: 92 };
const LANE = 26;

function offsetTick(sec: number): string {
  const a = Math.abs(sec);
  if (a === 0) return '0';
  if (a < 1e-3) return `${(sec * 1e6).toFixed(0)} µs`;
  if (a < 1) return `${(sec * 1e3).toFixed(a < 0.01 ? 1 : 0)} ms`;
  return `${sec.toFixed(a < 10 ? 2 : 0)} s`;
}

export function StateTimeline({ flow, packets }: { flow: FlowJson; packets: PacketJson[] }) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const axisRef = useRef<SVGGElement>(null);
  const transitions = flow.tcp?.transitions ?? [];
  const events = (flow.conntrack?.events ?? []).filter((e): e is typeof e & { ts: number } => e.ts !== null);
  const t0 = Math.min(flow.first_ts, ...transitions.map((t) => t.ts), ...events.map((e) => e.ts));
  const t1 = Math.max(flow.last_ts, ...transitions.map((t) => t.ts), ...events.map((e) => e.ts), t0 + 1e-6);
  const innerW = Math.max(100, width - M.left - M.right);
  const x = useMemo(
    () =>
      scaleLinear()
        .domain([0, t1 - t0])
        .range([0, innerW])
        .nice(),
    [t0, t1, innerW],
  );
  useAxis(
    axisRef,
    useMemo(
      () =>
        axisBottom(x)
          .ticks(Math.max(2, Math.floor(innerW / 90)))
          .tickFormat((d) => offsetTick(Number(d))),
      [x, innerW],
    ),
  );
  // Events close together keep their glyph but only the first gets a label (the tooltip has all).
  const eventMarks = useMemo(() => {
    let freeFrom = -Infinity;
    return events.map((e) => {
      const px = x(e.ts - t0);
      const text = `${e.type}${e.state ? ` ${e.state}` : ''}`;
      const fits = px >= freeFrom && px + 8 + text.length * 6 < innerW + M.right;
      if (fits) freeFrom = px + 12 + text.length * 6;
      return { e, label: fits ? text : null };
    });
  }, [events, x, t0, innerW]);
  const lanes = ['TCP state', 'conntrack', 'packets'];
  const height = M.top + lanes.length * LANE + M.bottom;
  const end = x.domain()[1] ?? t1 - t0;

  return (
    <div ref={wrapRef} className="chart" data-testid="state-timeline">
      <svg width={width} height={height} role="img" aria-label="state transitions over time">
        <g transform={`translate(${M.left},${M.top})`}>
          {lanes.map((l, i) => (
            <g key={l} transform={`translate(0,${i * LANE})`}>
              <rect className="lane" width={innerW} height={LANE - 4} />
              <text className="lane-label" x={-8} y={LANE / 2} textAnchor="end">
                {l}
              </text>
            </g>
          ))}
          {transitions.map((t, i) => {
            const a = x(t.ts - t0);
            const b = x((transitions[i + 1]?.ts ?? flow.last_ts) - t0);
            const w = Math.max(2, b - a);
            return (
              <g key={i} data-testid="tcp-transition">
                <rect
                  className={`state-seg state-${t.state.toLowerCase()}`}
                  x={a}
                  y={1}
                  width={w}
                  height={LANE - 6}
                />
                {w > t.state.length * 6.5 && (
                  <text className="seg-label" x={a + 3} y={LANE / 2 + 1}>
                    {t.state}
                  </text>
                )}
                <title>{`${t.state} at ${formatTime(t.ts)} (${formatDelta(t.ts - t0)})`}</title>
              </g>
            );
          })}
          {transitions.length === 0 && (
            <text className="muted" x={4} y={LANE / 2 + 1}>
              {flow.proto === 'tcp' ? 'no TCP transitions recorded' : `not TCP (${flow.proto})`}
            </text>
          )}
          <g transform={`translate(0,${LANE})`}>
            {eventMarks.map(({ e, label }, i) => (
              <g key={i} transform={`translate(${x(e.ts - t0)},0)`} data-testid="ct-event">
                <path
                  className={`ev-glyph ev-${e.type.toLowerCase()}`}
                  d={`M0,2 L5,${LANE / 2 - 1} L0,${LANE - 6} L-5,${LANE / 2 - 1} Z`}
                />
                {label && (
                  <text className="ev-label" x={7} y={LANE / 2 + 1}>
                    {label}
                  </text>
                )}
                <title>{`conntrack ${e.type} ${e.state ?? ''} ${(e.status ?? []).join(' ')} at ${formatTime(e.ts)}${e.source ? ` (${e.source})` : ''}`}</title>
              </g>
            ))}
            {events.length === 0 && (
              <text className="muted" x={4} y={LANE / 2 + 1}>
                {flow.conntrack ? 'no timed conntrack events' : 'no conntrack events for this flow'}
              </text>
            )}
          </g>
          <g transform={`translate(0,${2 * LANE})`}>
            {packets.map((p, i) => (
              <line
                key={i}
                className={`pkt-tick ${p.dir}`}
                x1={x(p.ts - t0)}
                x2={x(p.ts - t0)}
                y1={p.dir === 'orig' ? 2 : LANE / 2}
                y2={p.dir === 'orig' ? LANE / 2 - 2 : LANE - 6}
              />
            ))}
          </g>
          <g ref={axisRef} className="axis" transform={`translate(0,${lanes.length * LANE})`} />
          <text className="axis-label" x={innerW} y={lanes.length * LANE + 26} textAnchor="end">
            since {formatTime(t0)} (span {offsetTick(end)})
          </text>
        </g>
      </svg>
    </div>
  );
}
