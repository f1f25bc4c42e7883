// The app's UI state as plain data, and every change to it as a named pure function
// `(state, payload) => state` (Excalidraw's actions). Side effects live in controller.ts.
import type { CaseInfo, FlowDetail, FlowPage, IngestProgress, PacketDetail, Timeline } from '../shared/api';
import type { FindingJson, FlowJson } from '../shared/report';
import { tryParseFilter } from '../shared/filter';
import type { FlowSort, Route } from './route';

export interface Loadable<T> {
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** what was asked for (flow id, packet id, zoom range…), so late answers to old asks are dropped */
  key: string | null;
  data: T | null;
  error: string | null;
}

export interface SlotData {
  caseInfo: CaseInfo;
  findings: FindingJson[];
  stateCounts: Array<[string, number]>;
  timeline: Timeline;
  flow: FlowDetail;
  packet: PacketDetail;
}
export type Slot = keyof SlotData;

export const PAGE_SIZE = 200;
/** Pages of flow rows kept around the view; farther ones are dropped to bound memory. */
export const MAX_PAGES = 30;
export const DEFAULT_SORT: FlowSort = { key: 'first_ts', dir: 'asc' };

export interface FlowsState {
  /** the applied filter (from the URL) */
  filter: string;
  /** the text in the filter box */
  draft: string;
  /** parse error of the draft (client side) or of the applied filter (server side) */
  filterError: string | null;
  errorColumn: number | null;
  sort: FlowSort;
  /** bumps whenever filter or sort change: answers for older versions are dropped */
  version: number;
  total: number | null;
  pages: Record<number, FlowJson[]>;
  pending: number[];
  loadError: string | null;
  /** selected row index, and that row's flow id (kept in the URL) */
  selected: number;
  selectedId: string | null;
}

export type Theme = 'light' | 'dark' | 'system';

export interface ExportState {
  status: 'idle' | 'running' | 'done' | 'error';
  message: string | null;
}

export interface AppState {
  route: Route;
  theme: Theme;
  caseInfo: Loadable<CaseInfo>;
  findings: Loadable<FindingJson[]>;
  stateCounts: Loadable<Array<[string, number]>>;
  timeline: Loadable<Timeline>;
  /** the brushed time range of the overview timeline, seconds */
  zoom: { from: number; to: number } | null;
  flows: FlowsState;
  flow: Loadable<FlowDetail>;
  packet: Loadable<PacketDetail>;
  ingest: IngestProgress | null;
  exporting: ExportState;
}

function idle<T>(): Loadable<T> {
  return { status: 'idle', key: null, data: null, error: null };
}

export function initialState(route: Route, theme: Theme = 'system'): AppState {
  const base: AppState = {
    route: { view: 'overview' },
    theme,
    caseInfo: idle(),
    findings: idle(),
    stateCounts: idle(),
    timeline: idle(),
    zoom: null,
    flows: {
      filter: '',
      draft: '',
      filterError: null,
      errorColumn: null,
      sort: DEFAULT_SORT,
      version: 0,
      total: null,
      pages: {},
      pending: [],
      loadError: null,
      selected: 0,
      selectedId: null,
    },
    flow: idle(),
    packet: idle(),
    ingest: null,
    exporting: { status: 'idle', message: null },
  };
  return routeChanged(base, route);
}

function sameSort(a: FlowSort, b: FlowSort): boolean {
  return a.key === b.key && a.dir === b.dir;
}

/** The hash changed. Entering the flow table with another filter or sort starts a new query. */
export function routeChanged(state: AppState, route: Route): AppState {
  if (route.view !== 'flows') return { ...state, route };
  const sort = route.sort ?? DEFAULT_SORT;
  const f = state.flows;
  const parsed = tryParseFilter(route.filter);
  const error = parsed.ok ? null : parsed.error;
  const column = parsed.ok ? null : parsed.column;
  if (route.filter === f.filter && sameSort(sort, f.sort)) {
    const selectedId = route.sel ?? f.selectedId;
    return { ...state, route, flows: { ...f, selectedId, selected: indexOf(f, selectedId) ?? f.selected } };
  }
  return {
    ...state,
    route,
    flows: {
      ...f,
      filter: route.filter,
      draft: route.filter,
      filterError: error,
      errorColumn: column,
      sort,
      version: f.version + 1,
      total: null,
      pages: {},
      pending: [],
      loadError: null,
      selected: 0,
      selectedId: route.sel,
    },
  };
}

/** The case changed under the table (an ingest finished): ask again for the same query. */
export function flowsInvalidated(state: AppState): AppState {
  const f = state.flows;
  return {
    ...state,
    flows: { ...f, version: f.version + 1, total: null, pages: {}, pending: [], loadError: null },
  };
}

export function themeChanged(state: AppState, theme: Theme): AppState {
  return { ...state, theme };
}

/** Flips what is shown (light ↔ dark); `systemDark` says what "system" currently shows. */
export function themeToggled(state: AppState, systemDark: boolean): AppState {
  const shown = state.theme === 'system' ? (systemDark ? 'dark' : 'light') : state.theme;
  return { ...state, theme: shown === 'dark' ? 'light' : 'dark' };
}

export function loadStarted<S extends Slot>(state: AppState, p: { slot: S; key: string }): AppState {
  const prev = state[p.slot] as Loadable<SlotData[S]>;
  // Keep showing the previous data of the same key while it reloads (e.g. case info after ingest).
  const data = prev.key === p.key ? prev.data : null;
  return { ...state, [p.slot]: { status: 'loading', key: p.key, data, error: null } };
}

export function loadSucceeded<S extends Slot>(
  state: AppState,
  p: { slot: S; key: string; data: SlotData[S] },
): AppState {
  if ((state[p.slot] as Loadable<unknown>).key !== p.key) return state;
  return { ...state, [p.slot]: { status: 'ready', key: p.key, data: p.data, error: null } };
}

export function loadFailed(state: AppState, p: { slot: Slot; key: string; error: string }): AppState {
  const prev = state[p.slot] as Loadable<unknown>;
  if (prev.key !== p.key) return state;
  return { ...state, [p.slot]: { ...prev, status: 'error', error: p.error } };
}

/** Typing in the filter box: parse as you type so the error shows inline before applying. */
export function filterDraftChanged(state: AppState, draft: string): AppState {
  const parsed = tryParseFilter(draft);
  return {
    ...state,
    flows: {
      ...state.flows,
      draft,
      filterError: parsed.ok ? null : parsed.error,
      errorColumn: parsed.ok ? null : parsed.column,
    },
  };
}

/** Pages covering rows [from, to) that are neither loaded nor asked for. */
export function missingPages(flows: FlowsState, from: number, to: number): number[] {
  // With no total yet, ask for one page only: its answer tells how many there are.
  if (flows.total === null && flows.pending.length > 0) return [];
  const out: number[] = [];
  const last =
    flows.total === null
      ? Math.floor(Math.max(from, to - 1) / PAGE_SIZE)
      : Math.ceil(flows.total / PAGE_SIZE) - 1;
  for (
    let p = Math.max(0, Math.floor(from / PAGE_SIZE));
    p <= Math.min(last, Math.floor((to - 1) / PAGE_SIZE));
    p++
  ) {
    if (!flows.pages[p] && !flows.pending.includes(p)) out.push(p);
  }
  return flows.total === null ? out.slice(0, 1) : out;
}

export function flowsPageRequested(state: AppState, p: { version: number; page: number }): AppState {
  const f = state.flows;
  if (p.version !== f.version || f.pending.includes(p.page)) return state;
  return { ...state, flows: { ...f, pending: [...f.pending, p.page] } };
}

export function flowsPageLoaded(
  state: AppState,
  p: { version: number; page: number; result: FlowPage },
): AppState {
  const f = state.flows;
  if (p.version !== f.version) return state;
  const pages: Record<number, FlowJson[]> = { ...f.pages, [p.page]: p.result.rows };
  const keys = Object.keys(pages).map(Number);
  if (keys.length > MAX_PAGES) {
    keys.sort((a, b) => Math.abs(b - p.page) - Math.abs(a - p.page));
    for (const k of keys.slice(0, keys.length - MAX_PAGES)) delete pages[k];
  }
  const next: FlowsState = {
    ...f,
    pages,
    pending: f.pending.filter((x) => x !== p.page),
    total: p.result.total,
    loadError: null,
    filterError: p.result.filterError ?? f.filterError,
  };
  return { ...state, flows: withSelection(next, next.selected, f.selectedId) };
}

export function flowsPageFailed(
  state: AppState,
  p: { version: number; page: number; error: string },
): AppState {
  const f = state.flows;
  if (p.version !== f.version) return state;
  return { ...state, flows: { ...f, pending: f.pending.filter((x) => x !== p.page), loadError: p.error } };
}

/** The loaded row at an index, if its page is here. */
export function rowAt(flows: FlowsState, index: number): FlowJson | null {
  return flows.pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE] ?? null;
}

function indexOf(flows: FlowsState, id: string | null): number | null {
  if (id === null) return null;
  for (const [page, rows] of Object.entries(flows.pages)) {
    const i = rows.findIndex((r) => r.id === id);
    if (i >= 0) return Number(page) * PAGE_SIZE + i;
  }
  return null;
}

/** Places the selection: on the row with `preferId` when it is loaded, else on `index`. */
function withSelection(f: FlowsState, index: number, preferId: string | null): FlowsState {
  const byId = indexOf(f, preferId);
  if (byId !== null) return { ...f, selected: byId, selectedId: preferId };
  const max = Math.max(0, (f.total ?? 0) - 1);
  const selected = Math.max(0, Math.min(index, max));
  return { ...f, selected, selectedId: rowAt(f, selected)?.id ?? preferId };
}

/** j/k, arrows, PageUp/PageDown: move the selection by `delta` rows, clamped to the table. */
export function selectionMoved(state: AppState, delta: number): AppState {
  const f = state.flows;
  if (!f.total) return state;
  const selected = Math.max(0, Math.min(f.selected + delta, f.total - 1));
  return { ...state, flows: { ...f, selected, selectedId: rowAt(f, selected)?.id ?? null } };
}

export function rowSelected(state: AppState, index: number): AppState {
  const f = state.flows;
  return { ...state, flows: { ...f, selected: index, selectedId: rowAt(f, index)?.id ?? null } };
}

export function timelineZoomed(state: AppState, zoom: { from: number; to: number } | null): AppState {
  return { ...state, zoom };
}

export function ingestProgressed(state: AppState, progress: IngestProgress): AppState {
  return { ...state, ingest: progress };
}

export function ingestDismissed(state: AppState): AppState {
  return { ...state, ingest: null };
}

export function exportChanged(state: AppState, exporting: ExportState): AppState {
  return { ...state, exporting };
}
