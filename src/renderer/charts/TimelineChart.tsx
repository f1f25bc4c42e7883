// Overview timeline: packets per bucket (bars), flow starts (line, right axis) and conntrack events
// as marks in a strip below; brushing a range zooms (timeline.get with from/to).
import { useMemo, useRef } from 'react';
import { axisBottom, axisLeft, axisRight, format, max, scaleLinear, scaleTime } from 'd3';
import type { Timeline } from '../../shared/api';
import { useAxis, useBrushX, useWidth } from './use-d3';
import { formatTime } from '../format';

const HEIGHT = 210;
const M = { top: 16, right: 48, bottom: 58, left: 56 };
const EVENT_STRIP = 14;

const EVENT_CLASS: Record<string, string> = { NEW: 'ev-new', UPDATE: 'ev-update', DESTROY: 'ev-destroy' };

export function TimelineChart({
  timeline,
  onZoom,
}: {
  timeline: Timeline;
  onZoom: (range: { from: number; to: number }) => void;
}) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const xAxisRef = useRef<SVGGElement>(null);
  const yAxisRef = useRef<SVGGElement>(null);
  const y2AxisRef = useRef<SVGGElement>(null);
  const brushRef = useRef<SVGGElement>(null);

  const innerW = Math.max(100, width - M.left - M.right);
  const plotH = HEIGHT - M.top - M.bottom - EVENT_STRIP;
  const from = timeline.from ?? timeline.buckets[0]?.t ?? 0;
  const to = Math.max(timeline.to ?? from, from + timeline.bucketSec);

  const x = useMemo(
    () =>
      scaleTime()
        .domain([new Date(from * 1000), new Date(to * 1000)])
        .range([0, innerW]),
    [from, to, innerW],
  );
  const y = useMemo(
    () =>
      scaleLinear()
        .domain([0, Math.max(1, max(timeline.buckets, (b) => b.packets) ?? 1)])
        .nice()
        .range([plotH, 0]),
    [timeline, plotH],
  );
  const y2 = useMemo(
    () =>
      scaleLinear()
        .domain([0, Math.max(1, max(timeline.buckets, (b) => b.flowsStarted) ?? 1)])
        .nice()
        .range([plotH, 0]),
    [timeline, plotH],
  );
  useAxis(
    xAxisRef,
    useMemo(() => axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 110))), [x, innerW]),
  );
  // Counts are whole numbers: no 0.5-packet ticks on small cases.
  const intTicks = (s: typeof y) => Math.min(4, Math.max(1, s.domain()[1] ?? 1));
  useAxis(
    yAxisRef,
    useMemo(() => axisLeft(y).ticks(intTicks(y)).tickFormat(format('~s')), [y]),
  );
  useAxis(
    y2AxisRef,
    useMemo(() => axisRight(y2).ticks(intTicks(y2)).tickFormat(format('~s')), [y2]),
  );
  useBrushX(
    brushRef,
    [
      [0, 0],
      [innerW, plotH],
    ],
    ([a, b]) => onZoom({ from: x.invert(a).getTime() / 1000, to: x.invert(b).getTime() / 1000 }),
  );

  const barW = Math.max(
    1,
    (x(new Date((from + timeline.bucketSec) * 1000)) - x(new Date(from * 1000))) * 0.9,
  );
  const mid = (b: Timeline['buckets'][number]) => x(new Date((b.t + timeline.bucketSec / 2) * 1000));

  // One mark per pixel column and event type: a million events must not mean a million nodes.
  const marks = useMemo(() => {
    const seen = new Map<
      string,
      { px: number; type: string; n: number; first: (typeof timeline.events)[number] }
    >();
    for (const ev of timeline.events) {
      const px = Math.round(x(new Date(ev.t * 1000)));
      if (px < 0 || px > innerW) continue;
      const k = `${px}:${ev.type}`;
      const m = seen.get(k);
      if (m) m.n++;
      else seen.set(k, { px, type: ev.type, n: 1, first: ev });
    }
    return [...seen.values()];
  }, [timeline, x, innerW]);

  return (
    <div ref={wrapRef} className="chart" data-testid="timeline">
      <svg width={width} height={HEIGHT} role="img" aria-label="packet rate and flow starts over time">
        <g transform={`translate(${M.left},${M.top})`}>
          {timeline.buckets.map((b) => (
            <rect
              key={b.t}
              className="bar-packets"
              x={x(new Date(b.t * 1000))}
              y={y(b.packets)}
              width={barW}
              height={plotH - y(b.packets)}
            >
              <title>{`${formatTime(b.t)}: ${b.packets} packets, ${b.flowsStarted} flows started, ${b.bytes} bytes`}</title>
            </rect>
          ))}
          {timeline.buckets
            .filter((b) => b.flowsStarted > 0)
            .map((b) => (
              <g key={`f${b.t}`} className="flow-starts">
                <line className="line-flows" x1={mid(b)} x2={mid(b)} y1={plotH} y2={y2(b.flowsStarted)} />
                <circle className="dot-flows" cx={mid(b)} cy={y2(b.flowsStarted)} r={3} />
                <title>{`${b.flowsStarted} flow${b.flowsStarted > 1 ? 's' : ''} started at ${formatTime(b.t)}`}</title>
              </g>
            ))}
          <g ref={yAxisRef} className="axis" />
          <g ref={y2AxisRef} className="axis" transform={`translate(${innerW},0)`} />
          <g transform={`translate(0,${plotH + 4})`} data-testid="timeline-events">
            <rect className="event-strip" width={innerW} height={EVENT_STRIP - 4} />
            {marks.map((m) => (
              <line
                key={`${m.px}:${m.type}`}
                className={`ev-mark ${EVENT_CLASS[m.type] ?? 'ev-other'}`}
                x1={m.px}
                x2={m.px}
                y1={0}
                y2={EVENT_STRIP - 4}
              >
                <title>{`${m.n} conntrack ${m.type}${m.n > 1 ? ' events' : ` ${m.first.state ?? ''}`} at ${formatTime(m.first.t)}`}</title>
              </line>
            ))}
          </g>
          <g ref={xAxisRef} className="axis" transform={`translate(0,${plotH + EVENT_STRIP})`} />
          <g ref={brushRef} className="brush" />
          <text className="axis-label" x={-M.left + 4} y={-2}>
            packets
          </text>
          <text className="axis-label" x={innerW + M.right - 2} y={-2} textAnchor="end">
            flows
          </text>
        </g>
        <g className="legend" transform={`translate(${M.left},${HEIGHT - 12})`}>
          <rect className="bar-packets" width={10} height={10} y={-9} />
          <text x={14}>
            packets /{' '}
            {timeline.bucketSec < 1
              ? `${(timeline.bucketSec * 1000).toFixed(0)} ms`
              : `${timeline.bucketSec} s`}
          </text>
          <circle className="dot-flows" cx={158} cy={-4} r={3} />
          <text x={170}>flows started</text>
          <line className="ev-mark ev-new" x1={280} x2={280} y1={-10} y2={0} />
          <text x={286}>conntrack NEW</text>
          <line className="ev-mark ev-update" x1={390} x2={390} y1={-10} y2={0} />
          <text x={396}>UPDATE</text>
          <line className="ev-mark ev-destroy" x1={460} x2={460} y1={-10} y2={0} />
          <text x={466}>DESTROY</text>
          <text x={560} className="muted">
            drag to zoom
          </text>
        </g>
      </svg>
    </div>
  );
}
