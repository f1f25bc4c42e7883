// Ladder diagram of a flow: client · host interfaces · server as columns, one row per packet with
// a dot where it was captured and a diamond where its addresses were rewritten.
import { useMemo } from 'react';
import { scalePoint } from 'd3';
import type { FlowJson, PacketJson } from '../../shared/report';
import { layoutLadder } from '../ladder';
import { useWidth } from './use-d3';
import { formatDelta } from '../format';

const ROW = 24;
const HEAD = 54;
const GUTTER = 150;

export function LadderDiagram({
  flow,
  packets,
  onOpen,
}: {
  flow: FlowJson;
  packets: PacketJson[];
  onOpen: (p: PacketJson) => void;
}) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const ladder = useMemo(() => layoutLadder(flow, packets), [flow, packets]);
  const x = useMemo(
    () =>
      scalePoint<number>()
        .domain(ladder.columns.map((_, i) => i))
        .range([GUTTER + 60, Math.max(GUTTER + 200, width - 90)]),
    [ladder, width],
  );
  const cx = (i: number) => x(i) ?? 0;
  const height = HEAD + ladder.rows.length * ROW + 10;
  const t0 = packets[0]?.ts ?? flow.first_ts;
  // Label a rewrite the first time it appears; later rows carry the same one as a bare diamond.
  const labelled = new Set<string>();

  return (
    <div ref={wrapRef} className="chart ladder" data-testid="ladder">
      <svg width={width} height={height} role="img" aria-label="ladder diagram of the flow's packets">
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
          </marker>
        </defs>
        {ladder.columns.map((col, i) => (
          <g key={col.key} data-testid="ladder-column">
            <text className="col-label" x={cx(i)} y={16} textAnchor="middle">
              {col.label}
            </text>
            <text className="col-sub mono" x={cx(i)} y={32} textAnchor="middle">
              {col.sub}
            </text>
            <line className="col-line" x1={cx(i)} x2={cx(i)} y1={HEAD - 12} y2={height} />
          </g>
        ))}
        {ladder.rows.map((row, r) => {
          const y = HEAD + r * ROW + ROW / 2;
          const p = row.packet;
          const xs = row.path.map(cx);
          const d = xs.map((px, i) => `${i === 0 ? 'M' : 'L'}${px},${y}`).join(' ');
          const cls = `ladder-line ${p.dir}${row.reset ? ' reset' : ''}${row.retransmission ? ' retrans' : ''}`;
          return (
            <g
              key={r}
              className="ladder-row"
              data-testid="ladder-row"
              data-packet-id={p.id}
              onClick={() => p.id !== undefined && onOpen(p)}
              role={p.id !== undefined ? 'link' : undefined}
            >
              <rect className="row-hit" x={0} y={y - ROW / 2} width={width} height={ROW} />
              <text className="row-label mono" x={4} y={y + 4}>
                {formatDelta(p.ts - t0)}
              </text>
              <text className="row-flags mono" x={GUTTER - 40} y={y + 4}>
                {p.tcp_flags ?? ''}
              </text>
              <path className={cls} d={d} markerEnd="url(#arrow)" />
              {row.points.map((pt, i) => (
                <circle key={i} className="obs-dot" cx={cx(pt.col)} cy={y} r={3.5}>
                  <title>{`${pt.obs.iface ?? `capture ${pt.obs.capture}`} ${pt.obs.direction ?? ''} frame ${pt.obs.frame}: ${pt.obs.src}${pt.obs.sport !== undefined ? `:${pt.obs.sport}` : ''} → ${pt.obs.dst}${pt.obs.dport !== undefined ? `:${pt.obs.dport}` : ''}`}</title>
                </circle>
              ))}
              {row.rewrites.map((rw, i) => (
                <g key={`rw${i}`} transform={`translate(${cx(rw.col)},${y})`} data-testid="ladder-rewrite">
                  <path className={`rewrite ${rw.source}`} d="M0,-7 L7,0 L0,7 L-7,0 Z" />
                  {!labelled.has(rw.text) && labelled.add(rw.text) && (
                    <text className="rewrite-label" x={10} y={-5}>
                      {rw.text}
                    </text>
                  )}
                  <title>{`${rw.source === 'capture' ? 'rewrite seen between captures' : 'NAT step (inferred)'}: ${rw.text}`}</title>
                </g>
              ))}
              {(row.reset || row.retransmission) && (
                <text
                  className={`row-mark ${row.reset ? 'reset' : 'retrans'}`}
                  x={width - 8}
                  y={y + 4}
                  textAnchor="end"
                >
                  {row.reset ? 'RST' : 'retransmission'}
                </text>
              )}
              <title>{`${p.dir} packet ${p.id ?? ''} ${p.tcp_flags ?? ''} ${p.ctstate ?? ''}: click for its journey`}</title>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
