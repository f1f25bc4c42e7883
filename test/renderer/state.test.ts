// The UI's pure actions: routing into the flow table, paging, selection, loads and theme.
import { describe, expect, it } from 'vitest';
import type { FlowPage } from '../../src/shared/api';
import type { FlowJson } from '../../src/shared/report';
import {
  MAX_PAGES,
  PAGE_SIZE,
  filterDraftChanged,
  flowsPageLoaded,
  flowsPageRequested,
  initialState,
  loadStarted,
  loadSucceeded,
  missingPages,
  routeChanged,
  rowAt,
  selectionMoved,
  themeToggled,
} from '../../src/renderer/state';

function flows(from: number, n: number): FlowJson[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(from + i + 1),
    l3: 'ipv4',
    proto: 'tcp',
    orig: { src: '10.0.0.1', dst: '10.0.0.2', sport: 1000 + i, dport: 80 },
    reply: null,
    nat: { snat: false, dnat: false, evidence: [] },
    first_ts: 1,
    last_ts: 2,
    packets: { orig: 1, reply: 0 },
  }));
}

function page(p: number, total: number): FlowPage {
  return { total, rows: flows(p * PAGE_SIZE, Math.min(PAGE_SIZE, total - p * PAGE_SIZE)) };
}

const table = { view: 'flows', filter: 'nat', sort: null, sel: null } as const;

describe('flow table state', () => {
  it('a new filter or sort starts a new query; the same one keeps the rows', () => {
    let s = initialState(table);
    expect(s.flows.filter).toBe('nat');
    const v = s.flows.version;
    s = flowsPageLoaded(s, { version: v, page: 0, result: page(0, 500) });
    expect(routeChanged(s, { ...table, sel: '3' }).flows.pages[0]).toBeDefined();
    expect(routeChanged(s, { ...table, sel: '3' }).flows.selected).toBe(2);
    const next = routeChanged(s, { ...table, filter: 'tcp' });
    expect(next.flows.version).toBe(v + 1);
    expect(next.flows.pages).toEqual({});
    expect(next.flows.total).toBeNull();
    expect(routeChanged(s, { ...table, sort: { key: 'bytes', dir: 'desc' } }).flows.version).toBe(v + 1);
  });

  it('a filter in the URL that does not parse is reported with its column', () => {
    const s = initialState({ ...table, filter: 'tcp &&' });
    expect(s.flows.filterError).toBe('expected expression at column 7');
    expect(s.flows.errorColumn).toBe(7);
    expect(filterDraftChanged(s, 'tcp && nat').flows.filterError).toBeNull();
  });

  it('asks only for missing pages, one first while the total is unknown', () => {
    let s = initialState(table);
    expect(missingPages(s.flows, 0, 450)).toEqual([0]);
    s = flowsPageRequested(s, { version: s.flows.version, page: 0 });
    expect(missingPages(s.flows, 0, 450)).toEqual([]);
    s = flowsPageLoaded(s, { version: s.flows.version, page: 0, result: page(0, 1000) });
    expect(missingPages(s.flows, 0, 450)).toEqual([1, 2]);
    expect(missingPages(s.flows, 990, 2000)).toEqual([4]);
  });

  it('drops answers for an older query', () => {
    const s = initialState(table);
    const stale = flowsPageLoaded(s, { version: s.flows.version - 1, page: 0, result: page(0, 10) });
    expect(stale).toBe(s);
  });

  it('keeps a bounded number of pages, nearest to the last one loaded', () => {
    let s = initialState(table);
    const total = PAGE_SIZE * (MAX_PAGES + 10);
    for (let p = 0; p < MAX_PAGES + 10; p++)
      s = flowsPageLoaded(s, { version: s.flows.version, page: p, result: page(p, total) });
    const kept = Object.keys(s.flows.pages).map(Number);
    expect(kept.length).toBe(MAX_PAGES);
    expect(kept).toContain(MAX_PAGES + 9);
    expect(kept).not.toContain(0);
  });

  it('moves the selection within the table and tracks the flow id', () => {
    let s = initialState(table);
    s = flowsPageLoaded(s, { version: s.flows.version, page: 0, result: page(0, 5) });
    expect(s.flows.selectedId).toBe('1');
    s = selectionMoved(s, 3);
    expect(s.flows.selected).toBe(3);
    expect(s.flows.selectedId).toBe('4');
    expect(rowAt(s.flows, 3)?.id).toBe('4');
    s = selectionMoved(s, 10);
    expect(s.flows.selected).toBe(4);
    s = selectionMoved(s, -100);
    expect(s.flows.selected).toBe(0);
  });

  it('selects the row named in the URL once its page arrives', () => {
    let s = initialState({ ...table, sel: '150' });
    s = flowsPageLoaded(s, { version: s.flows.version, page: 0, result: page(0, 300) });
    expect(s.flows.selected).toBe(149);
  });
});

describe('loads and theme', () => {
  it('ignores a late answer for another key', () => {
    let s = initialState({ view: 'flow', id: '1' });
    s = loadStarted(s, { slot: 'flow', key: '1' });
    s = loadStarted(s, { slot: 'flow', key: '2' });
    const late = loadSucceeded(s, {
      slot: 'flow',
      key: '1',
      data: { flow: flows(0, 1)[0] as FlowJson, packets: [], packetsTotal: 0, findings: [] },
    });
    expect(late).toBe(s);
    expect(s.flow.status).toBe('loading');
  });

  it('the toggle flips what is shown, starting from the system scheme', () => {
    const s = initialState({ view: 'overview' });
    expect(themeToggled(s, false).theme).toBe('dark');
    expect(themeToggled(s, true).theme).toBe('light');
    expect(themeToggled(themeToggled(s, false), false).theme).toBe('light');
  });
});
