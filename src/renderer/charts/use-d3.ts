// The few places d3 touches the DOM (axes and brushes); marks are JSX computed from d3 scales.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';
import { brushX, select } from 'd3';
import type { Axis, AxisDomain } from 'd3';

/** Draws `axis` into the <g> behind `ref` whenever `axis` changes (make it with useMemo). */
export function useAxis<D extends AxisDomain>(
  ref: RefObject<SVGGElement | null>,
  axis: Axis<D> | null,
): void {
  useEffect(() => {
    if (!ref.current || !axis) return;
    select(ref.current).call(axis);
  }, [ref, axis]);
}

/**
 * A horizontal brush over [x0, x1] × [y0, y1]; `onEnd` gets the brushed pixel range, after which the
 * brush is cleared (the zoomed chart redraws with the new domain).
 */
export function useBrushX(
  ref: RefObject<SVGGElement | null>,
  extent: [[number, number], [number, number]],
  onEnd: (range: [number, number]) => void,
): void {
  const cb = useRef(onEnd);
  cb.current = onEnd;
  const [[x0, y0], [x1, y1]] = extent;
  useEffect(() => {
    if (!ref.current || x1 <= x0) return;
    const g = select(ref.current);
    const brush = brushX<unknown>()
      .extent([
        [x0, y0],
        [x1, y1],
      ])
      .on('end', (ev: { selection: [number, number] | null; sourceEvent?: unknown }) => {
        if (!ev.selection || !ev.sourceEvent) return;
        const [a, b] = ev.selection;
        g.call(brush.move, null);
        if (b - a >= 3) cb.current([a, b]);
      });
    g.call(brush);
    return () => {
      g.on('.brush', null).selectAll('*').remove();
    };
  }, [ref, x0, y0, x1, y1]);
}

/** The content width of an element, following resizes. */
export function useWidth<T extends HTMLElement>(initial = 800): [RefObject<T | null>, number] {
  const ref = useRef<T | null>(null);
  const [width, setWidth] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || initial);
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w) setWidth(Math.floor(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [initial]);
  return [ref, width];
}
