// Side effects of the app: API calls, hash routing, keyboard, downloads and ingest events. Each one
// ends in dispatching a pure action from state.ts; components call these and read the store.
import type { IngestProgress, PathlensApi, ReportFormat } from '../shared/api';
import { tryParseFilter } from '../shared/filter';
import type { AppState, Slot, SlotData, Theme } from './state';
import {
  PAGE_SIZE,
  exportChanged,
  flowsInvalidated,
  flowsPageFailed,
  flowsPageLoaded,
  flowsPageRequested,
  ingestDismissed,
  ingestProgressed,
  loadFailed,
  loadStarted,
  loadSucceeded,
  missingPages,
  routeChanged,
  rowAt,
  selectionMoved,
  themeChanged,
  themeToggled,
  timelineZoomed,
} from './state';
import type { Route } from './route';
import { formatRoute, parentRoute, parseRoute } from './route';
import type { Store } from './store';

/** conntrack-style TCP states counted on the overview (flows.list totals with `state == X`). */
export const COUNTED_STATES = [
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
];
const TIMELINE_BUCKETS = 240;
const FLOW_PACKET_LIMIT = 1000;
const THEME_KEY = 'pathlens.theme';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Controller {
  /** the last flow-table route, so Esc from a flow returns to the same filter */
  private flowsRoute: Route = { view: 'flows', filter: '', sort: null, sel: null };
  filterInput: HTMLInputElement | null = null;

  constructor(
    readonly api: PathlensApi,
    readonly store: Store<AppState>,
  ) {}

  private get state(): AppState {
    return this.store.getState();
  }

  /** Wires the URL, theme and engine events; call once. */
  start(): () => void {
    const onHash = () => this.applyRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    const offProgress = this.api.on('ingest.progress', (p) => this.onProgress(p));
    const unsub = this.store.subscribe(() => this.syncSelectionToUrl());
    this.applyTheme(this.state.theme);
    this.applyRoute(this.state.route);
    return () => {
      window.removeEventListener('hashchange', onHash);
      offProgress();
      unsub();
    };
  }

  navigate(route: Route): void {
    const hash = formatRoute(route);
    if (window.location.hash === hash) this.applyRoute(route);
    else window.location.hash = hash;
  }

  private applyRoute(route: Route): void {
    this.store.dispatch(routeChanged, route);
    if (route.view === 'flows') this.flowsRoute = { ...route, sel: null };
    void this.load('caseInfo', 'case', () => this.api.call('case.info', {}));
    switch (route.view) {
      case 'overview':
        void this.load('findings', 'all', () => this.api.call('findings.list', {}));
        void this.loadTimeline();
        void this.load('stateCounts', 'all', () => this.countStates());
        break;
      case 'findings':
        void this.load('findings', 'all', () => this.api.call('findings.list', {}));
        break;
      case 'flow':
        void this.load('flow', route.id, () =>
          this.api.call('flows.get', { id: route.id, limit: FLOW_PACKET_LIMIT }),
        );
        break;
      case 'packet':
        void this.load('packet', String(route.id), () => this.api.call('packets.get', { id: route.id }));
        break;
      case 'flows':
        break;
    }
  }

  private async load<S extends Slot>(
    slot: S,
    key: string,
    fetch: () => Promise<SlotData[S]>,
    force = false,
  ): Promise<void> {
    const cur = this.state[slot];
    if (!force && cur.key === key && (cur.status === 'ready' || cur.status === 'loading')) return;
    this.store.dispatch(loadStarted<S>, { slot, key });
    try {
      const data = await fetch();
      this.store.dispatch(loadSucceeded<S>, { slot, key, data });
    } catch (e) {
      this.store.dispatch(loadFailed, { slot, key, error: message(e) });
    }
  }

  private async countStates(): Promise<Array<[string, number]>> {
    // the case summary counts flows per state in one query
    const info = await this.api.call('case.info', {});
    const byState = info.summary.flows_by_state;
    if (byState)
      return Object.entries(byState)
        .filter(([k, n]) => k !== 'none' && n > 0)
        .sort((a, b) => b[1] - a[1]);
    const totals = await Promise.all(
      COUNTED_STATES.map((s) =>
        this.api.call('flows.list', { filter: `state == ${s}`, offset: 0, limit: 1 }),
      ),
    );
    return COUNTED_STATES.map((s, i): [string, number] => [s, totals[i]?.total ?? 0]).filter(
      ([, n]) => n > 0,
    );
  }

  loadTimeline(force = false): Promise<void> {
    const zoom = this.state.zoom;
    const key = zoom ? `${zoom.from}-${zoom.to}` : 'all';
    return this.load(
      'timeline',
      key,
      () =>
        this.api.call(
          'timeline.get',
          zoom ? { ...zoom, buckets: TIMELINE_BUCKETS } : { buckets: TIMELINE_BUCKETS },
        ),
      force,
    );
  }

  zoom(range: { from: number; to: number } | null): void {
    this.store.dispatch(timelineZoomed, range);
    void this.loadTimeline();
  }

  /** Makes sure the rows [from, to) of the flow table are loaded or on their way. */
  ensureRows(from: number, to: number): void {
    const f = this.state.flows;
    // An applied filter that does not parse (typed into the URL): the server would answer with every
    // flow, which would look like a match; the table shows the error instead.
    if (f.filter && !tryParseFilter(f.filter).ok) return;
    for (const page of missingPages(f, from, to)) void this.loadPage(page);
  }

  private async loadPage(page: number): Promise<void> {
    const f = this.state.flows;
    const version = f.version;
    this.store.dispatch(flowsPageRequested, { version, page });
    try {
      const result = await this.api.call('flows.list', {
        filter: f.filter || undefined,
        sort: f.sort,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      this.store.dispatch(flowsPageLoaded, { version, page, result });
    } catch (e) {
      this.store.dispatch(flowsPageFailed, { version, page, error: message(e) });
    }
  }

  /** Applies the filter box's text (only when it parses; the error stays inline otherwise). */
  applyFilter(): void {
    const f = this.state.flows;
    if (f.filterError) return;
    this.navigate({ view: 'flows', filter: f.draft.trim(), sort: f.sort, sel: null });
  }

  setSort(key: AppState['flows']['sort']['key']): void {
    const f = this.state.flows;
    const dir = f.sort.key === key && f.sort.dir === 'asc' ? 'desc' : 'asc';
    this.navigate({ view: 'flows', filter: f.filter, sort: { key, dir }, sel: null });
  }

  openFlow(id: string): void {
    this.navigate({ view: 'flow', id });
  }

  openPacket(id: number, flow: string | null): void {
    this.navigate({ view: 'packet', id, flow });
  }

  /** The selection lives in the URL too, replaced rather than pushed so Back leaves the table. */
  private syncSelectionToUrl(): void {
    const { route, flows } = this.state;
    if (route.view !== 'flows' || flows.selectedId === route.sel || flows.selectedId === null) return;
    const next: Route = { ...route, sel: flows.selectedId };
    window.history.replaceState(window.history.state, '', formatRoute(next));
    this.store.dispatch(routeChanged, next);
  }

  toggleTheme(): void {
    this.store.dispatch(themeToggled, window.matchMedia('(prefers-color-scheme: dark)').matches);
    this.applyTheme(this.state.theme);
  }

  private applyTheme(theme: Theme): void {
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      // storage may be unavailable (private mode); the theme then lasts for this page only
    }
  }

  static savedTheme(): Theme {
    try {
      const t = localStorage.getItem(THEME_KEY);
      return t === 'light' || t === 'dark' ? t : 'system';
    } catch {
      return 'system';
    }
  }

  setTheme(theme: Theme): void {
    this.store.dispatch(themeChanged, theme);
    this.applyTheme(theme);
  }

  /** Exports the report for what is in view: the open flow, the filtered table, or the case. */
  async exportReport(format: ReportFormat): Promise<void> {
    const { route, flows } = this.state;
    const req =
      route.view === 'flow'
        ? { format, flows: [route.id], packets: true }
        : route.view === 'flows' && flows.filter
          ? { format, filter: flows.filter }
          : { format };
    this.store.dispatch(exportChanged, { status: 'running', message: `exporting ${format}…` });
    try {
      const res = await this.api.call('report.export', req);
      const body =
        res.encoding === 'base64'
          ? Uint8Array.from(atob(res.content), (ch) => ch.charCodeAt(0))
          : res.content;
      const blob = new Blob([body], { type: res.mime });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = res.filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.store.dispatch(exportChanged, {
        status: 'done',
        message: `exported ${res.filename} (${blob.size} bytes)`,
      });
    } catch (e) {
      this.store.dispatch(exportChanged, { status: 'error', message: `export failed: ${message(e)}` });
    }
  }

  /** Starts ingesting files into a new case (dropped on the window, or chosen in the app). */
  async ingest(paths: string[]): Promise<void> {
    try {
      await this.api.call('ingest.start', { paths });
    } catch (e) {
      this.store.dispatch(exportChanged, { status: 'error', message: `could not open: ${message(e)}` });
    }
  }

  async cancelIngest(): Promise<void> {
    const job = this.state.ingest?.job;
    if (!job) return;
    try {
      await this.api.call('ingest.cancel', { job });
    } catch (e) {
      this.store.dispatch(ingestProgressed, {
        ...(this.state.ingest as IngestProgress),
        message: message(e),
      });
    }
  }

  dismissIngest(): void {
    this.store.dispatch(ingestDismissed, undefined);
  }

  private lastLiveRefresh = 0;

  private onProgress(p: IngestProgress): void {
    this.store.dispatch(ingestProgressed, p);
    const now = Date.now();
    if (p.phase === 'capture' && now - this.lastLiveRefresh > 3000) {
      // flows appear while the ingest runs: the engine commits them every few seconds
      this.lastLiveRefresh = now;
      void this.load('caseInfo', 'case', () => this.api.call('case.info', {}), true);
      this.store.dispatch(flowsInvalidated, undefined);
    }
    if (p.phase === 'done') {
      // New data: everything derived from the case is asked for again.
      void this.load('caseInfo', 'case', () => this.api.call('case.info', {}), true);
      void this.load('findings', 'all', () => this.api.call('findings.list', {}), true);
      void this.load('stateCounts', 'all', () => this.countStates(), true);
      void this.loadTimeline(true);
      this.store.dispatch(flowsInvalidated, undefined);
    }
  }

  /** Goes up one level (packet → flow → flow table); false when already at the top. */
  back(): boolean {
    const parent = parentRoute(this.state.route, this.flowsRoute);
    if (parent) this.navigate(parent);
    return parent !== null;
  }

  /** Keyboard: j/k or arrows move, Enter opens, Esc goes back, / focuses the filter. */
  onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    const typing =
      !!target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable);
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing) {
      if (e.key === 'Escape') target?.blur();
      return;
    }
    const { route } = this.state;
    if (e.key === '/') {
      e.preventDefault();
      if (route.view !== 'flows') this.navigate(this.flowsRoute);
      setTimeout(() => this.filterInput?.focus(), 0);
      return;
    }
    if (e.key === 'Escape') {
      if (this.back()) e.preventDefault();
      return;
    }
    if (route.view !== 'flows') return;
    const moves: Record<string, number> = {
      j: 1,
      ArrowDown: 1,
      k: -1,
      ArrowUp: -1,
      PageDown: 20,
      PageUp: -20,
    };
    const delta = moves[e.key];
    if (delta !== undefined) {
      e.preventDefault();
      this.store.dispatch(selectionMoved, delta);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      const f = this.state.flows;
      this.store.dispatch(selectionMoved, e.key === 'Home' ? -f.selected : (f.total ?? 0) - f.selected);
    } else if (e.key === 'Enter') {
      const row = rowAt(this.state.flows, this.state.flows.selected);
      if (row) {
        e.preventDefault();
        this.openFlow(row.id);
      }
    }
  }
}
