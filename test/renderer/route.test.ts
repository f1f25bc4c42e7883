// Hash routes round-trip and Esc goes up one level.
import { describe, expect, it } from 'vitest';
import type { Route } from '../../src/renderer/route';
import { formatRoute, parentRoute, parseRoute } from '../../src/renderer/route';

describe('routes', () => {
  const routes: Route[] = [
    { view: 'overview' },
    { view: 'findings' },
    { view: 'flows', filter: '', sort: null, sel: null },
    { view: 'flows', filter: 'nat && ip.addr == 10.0.0.0/8', sort: { key: 'bytes', dir: 'desc' }, sel: '12' },
    { view: 'flow', id: '12' },
    { view: 'packet', id: 7, flow: '12' },
    { view: 'packet', id: 7, flow: null },
  ];
  for (const r of routes) it(formatRoute(r), () => expect(parseRoute(formatRoute(r))).toEqual(r));

  it('reads hand-written hashes', () => {
    expect(parseRoute('#/flows?filter=finding%20==%20syn-unanswered')).toEqual({
      view: 'flows',
      filter: 'finding == syn-unanswered',
      sort: null,
      sel: null,
    });
    expect(parseRoute('')).toEqual({ view: 'overview' });
    expect(parseRoute('#/nowhere')).toEqual({ view: 'overview' });
    expect(parseRoute('#/packet/abc')).toEqual({ view: 'overview' });
    expect(parseRoute('#/flows?sort=nonsense.desc')).toMatchObject({ sort: null });
  });

  it('Esc: packet → flow → flow table (with its filter) → nowhere', () => {
    const table: Route = { view: 'flows', filter: 'nat', sort: null, sel: null };
    expect(parentRoute({ view: 'packet', id: 3, flow: '1' }, table)).toEqual({ view: 'flow', id: '1' });
    expect(parentRoute({ view: 'flow', id: '1' }, table)).toEqual({ ...table, sel: '1' });
    expect(parentRoute(table, table)).toBeNull();
    expect(parentRoute({ view: 'overview' }, table)).toBeNull();
  });
});
