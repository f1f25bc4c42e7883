// The Netfilter hooks as the kernel wires them (PREROUTING → routing decision → INPUT or FORWARD;
// OUTPUT → POSTROUTING), with the hooks and edges this packet passed highlighted and numbered.
import type { Hook, NetfilterJson, RouteJson } from '../../shared/report';
import { passedEdges } from '../netfilter';

interface Box {
  x: number;
  y: number;
  w: number;
  label: string;
}

const H = 34;
const BOXES: Record<Hook | 'ROUTE' | 'LOCAL', Box> = {
  PREROUTING: { x: 36, y: 34, w: 120, label: 'PREROUTING' },
  ROUTE: { x: 192, y: 34, w: 136, label: 'routing decision' },
  FORWARD: { x: 364, y: 34, w: 110, label: 'FORWARD' },
  POSTROUTING: { x: 574, y: 34, w: 128, label: 'POSTROUTING' },
  INPUT: { x: 192, y: 128, w: 136, label: 'INPUT' },
  LOCAL: { x: 364, y: 128, w: 110, label: 'local process' },
  OUTPUT: { x: 494, y: 128, w: 96, label: 'OUTPUT' },
};

type Node = keyof typeof BOXES;

/** Diagram edges and the hook-to-hook steps (FROM>TO) that light each up. */
const EDGES: Array<{
  from: Node | 'IN';
  to: Node | 'OUT';
  lit: (steps: Set<string>, hooks: Hook[]) => boolean;
}> = [
  { from: 'IN', to: 'PREROUTING', lit: (_s, h) => h.includes('PREROUTING') },
  { from: 'PREROUTING', to: 'ROUTE', lit: (s) => s.has('PREROUTING>FORWARD') || s.has('PREROUTING>INPUT') },
  { from: 'ROUTE', to: 'FORWARD', lit: (s) => s.has('PREROUTING>FORWARD') },
  { from: 'FORWARD', to: 'POSTROUTING', lit: (s) => s.has('FORWARD>POSTROUTING') },
  { from: 'ROUTE', to: 'INPUT', lit: (s) => s.has('PREROUTING>INPUT') },
  { from: 'INPUT', to: 'LOCAL', lit: (_s, h) => h.includes('INPUT') },
  { from: 'LOCAL', to: 'OUTPUT', lit: (_s, h) => h.includes('OUTPUT') },
  { from: 'OUTPUT', to: 'POSTROUTING', lit: (s) => s.has('OUTPUT>POSTROUTING') },
  { from: 'POSTROUTING', to: 'OUT', lit: (_s, h) => h.includes('POSTROUTING') },
];

function anchor(n: Node | 'IN' | 'OUT', side: 'from' | 'to'): [number, number] {
  if (n === 'IN') return [4, BOXES.PREROUTING.y + H / 2];
  if (n === 'OUT') return [736, BOXES.POSTROUTING.y + H / 2];
  const b = BOXES[n];
  return side === 'from' ? [b.x + b.w, b.y + H / 2] : [b.x, b.y + H / 2];
}

function edgePath(from: Node | 'IN', to: Node | 'OUT'): string {
  // Vertical hops (routing → INPUT, OUTPUT → POSTROUTING) leave from the box's bottom or top.
  if (from === 'ROUTE' && to === 'INPUT') {
    const b = BOXES.ROUTE;
    return `M${b.x + b.w / 2},${b.y + H} L${b.x + b.w / 2},${BOXES.INPUT.y}`;
  }
  if (from === 'OUTPUT' && to === 'POSTROUTING') {
    const o = BOXES.OUTPUT;
    const p = BOXES.POSTROUTING;
    return `M${o.x + o.w},${o.y + H / 2} L${p.x + p.w / 2},${o.y + H / 2} L${p.x + p.w / 2},${p.y + H}`;
  }
  const [x1, y1] = anchor(from, 'from');
  const [x2, y2] = anchor(to, 'to');
  return `M${x1},${y1} L${x2},${y2}`;
}

export function HookDiagram({ nf, route }: { nf: NetfilterJson; route: RouteJson | null | undefined }) {
  const steps = passedEdges(nf.hooks);
  const loopback = steps.has('POSTROUTING>PREROUTING');
  return (
    <svg
      className="hook-diagram"
      viewBox="0 0 744 190"
      role="img"
      aria-label={`netfilter hooks passed: ${nf.hooks.join(', ') || 'none'}`}
      data-testid="hook-diagram"
    >
      <defs>
        <marker
          id="hook-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto-start-reverse"
        >
          <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
        </marker>
      </defs>
      <text className="edge-label" x={4} y={BOXES.PREROUTING.y - 6}>
        in
      </text>
      <text className="edge-label" x={716} y={BOXES.POSTROUTING.y - 6}>
        out
      </text>
      {EDGES.map((e) => (
        <path
          key={`${e.from}-${e.to}`}
          className={`hook-edge${e.lit(steps, nf.hooks) ? ' lit' : ''}`}
          d={edgePath(e.from, e.to)}
          markerEnd="url(#hook-arrow)"
        />
      ))}
      {loopback && (
        <g data-testid="hook-loopback">
          <path
            className="hook-edge lit loop"
            d={`M${BOXES.POSTROUTING.x + BOXES.POSTROUTING.w / 2},${BOXES.POSTROUTING.y} C${BOXES.POSTROUTING.x + 40},2 ${BOXES.PREROUTING.x + 60},2 ${BOXES.PREROUTING.x + BOXES.PREROUTING.w / 2},${BOXES.PREROUTING.y}`}
            markerEnd="url(#hook-arrow)"
          />
          <text className="edge-label" x={380} y={12} textAnchor="middle">
            re-entry via lo
          </text>
        </g>
      )}
      {(Object.keys(BOXES) as Node[]).map((k) => {
        const b = BOXES[k];
        const isHook = k !== 'ROUTE' && k !== 'LOCAL';
        const order = isHook ? nf.hooks.indexOf(k as Hook) : -1;
        const passed = isHook
          ? order >= 0
          : k === 'ROUTE'
            ? !!route || steps.has('PREROUTING>FORWARD') || steps.has('PREROUTING>INPUT')
            : nf.hooks.includes('INPUT') || nf.hooks.includes('OUTPUT');
        return (
          <g
            key={k}
            className={`hook-box ${isHook ? 'hook' : 'aux'}${passed ? ' passed' : ''}`}
            data-testid={isHook ? `hook-${k}` : undefined}
            data-passed={isHook ? String(passed) : undefined}
          >
            <rect x={b.x} y={b.y} width={b.w} height={H} rx={k === 'ROUTE' || k === 'LOCAL' ? 17 : 4} />
            <text x={b.x + b.w / 2} y={b.y + H / 2 + 4} textAnchor="middle">
              {b.label}
            </text>
            {order >= 0 && (
              <g transform={`translate(${b.x + b.w - 2},${b.y + 2})`}>
                <circle r={9} className="order-dot" />
                <text y={4} textAnchor="middle" className="order-text">
                  {order + 1}
                </text>
              </g>
            )}
          </g>
        );
      })}
      {route && (
        <text
          className="route-note mono"
          x={BOXES.ROUTE.x + BOXES.ROUTE.w / 2 + 6}
          y={BOXES.ROUTE.y + H + 20}
        >
          {route.decision}
          {route.dev ? ` dev ${route.dev}` : ''}
        </text>
      )}
    </svg>
  );
}
