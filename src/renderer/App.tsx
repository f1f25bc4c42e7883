// The shell: navigation, theme, export, ingest progress, and the view of the current route.
import { useEffect, useState } from 'react';
import type { ReportFormat } from '../shared/api';
import type { AppState } from './state';
import { DEFAULT_SORT } from './state';
import { formatRoute } from './route';
import { useAppState, useController } from './app-context';
import { IngestBar } from './IngestBar';
import { OverviewView } from './views/OverviewView';
import { FlowsView } from './views/FlowsView';
import { FlowView } from './views/FlowView';
import { PacketView } from './views/PacketView';
import { FindingsView } from './views/FindingsView';

const selView = (s: AppState) => s.route.view;
const selTheme = (s: AppState) => s.theme;
const selExport = (s: AppState) => s.exporting;
const selCaseName = (s: AppState) => s.caseInfo.data?.name ?? null;
// The Flows tab returns to the table as it was left: filter, sort and selection.
const selFlowsHash = (s: AppState) =>
  formatRoute({
    view: 'flows',
    filter: s.flows.filter,
    sort:
      s.flows.sort.key === DEFAULT_SORT.key && s.flows.sort.dir === DEFAULT_SORT.dir ? null : s.flows.sort,
    sel: s.flows.selectedId,
  });

const FORMATS: ReportFormat[] = ['json', 'html', 'csv', 'md', 'pcapng'];

function ExportMenu() {
  const c = useController();
  const exporting = useAppState(selExport);
  const [format, setFormat] = useState<ReportFormat>('json');
  return (
    <div className="export">
      <select
        value={format}
        onChange={(e) => setFormat(e.target.value as ReportFormat)}
        aria-label="report format"
        data-testid="export-format"
      >
        {FORMATS.map((f) => (
          <option key={f} value={f}>
            {f}
          </option>
        ))}
      </select>
      <button
        onClick={() => void c.exportReport(format)}
        disabled={exporting.status === 'running'}
        data-testid="export-button"
        title="export the report for what is in view"
      >
        export
      </button>
      {exporting.message && (
        <span className={`export-status ${exporting.status}`} data-testid="export-status" role="status">
          {exporting.message}
        </span>
      )}
    </div>
  );
}

export function App() {
  const c = useController();
  const view = useAppState(selView);
  const theme = useAppState(selTheme);
  const name = useAppState(selCaseName);
  const flowsHref = useAppState(selFlowsHash);

  // Files, folders and bundles dropped on the window are ingested as a new case (desktop app: the
  // preload tells their paths; a browser page cannot know paths, so it says how instead).
  const [dropNote, setDropNote] = useState<string | null>(null);
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      const files = [...(e.dataTransfer?.files ?? [])];
      if (!files.length) return;
      e.preventDefault();
      const bridge = window.pathlens;
      const paths = bridge?.pathForFile ? files.map((f) => bridge.pathForFile!(f)).filter((p) => p) : [];
      if (!paths.length) {
        setDropNote(
          'A browser page cannot read file paths: run `pathlens serve FILES…` or open them in the desktop app.',
        );
        return;
      }
      setDropNote(null);
      void c.ingest(paths);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [c]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => c.onKey(e);
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [c]);

  useEffect(() => {
    document.title = name ? `${name} · pathlens` : 'pathlens';
  }, [name]);

  const tab = (v: string, href: string, label: string, active: boolean) => (
    <a
      href={href}
      className={`tab${active ? ' active' : ''}`}
      aria-current={active ? 'page' : undefined}
      data-testid={`nav-${v}`}
    >
      {label}
    </a>
  );

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">pathlens</span>
        {name && (
          <span className="case-name mono ellipsis" title={name} data-testid="case-name">
            {name}
          </span>
        )}
        <nav className="tabs">
          {tab('overview', '#/overview', 'Overview', view === 'overview')}
          {tab('flows', flowsHref, 'Flows', view === 'flows' || view === 'flow' || view === 'packet')}
          {tab('findings', '#/findings', 'Findings', view === 'findings')}
        </nav>
        <span className="spacer" />
        <ExportMenu />
        <button
          className="theme-toggle"
          onClick={() => c.toggleTheme()}
          title="switch between light and dark"
          data-testid="theme-toggle"
        >
          {theme === 'light' ? '☀ light' : theme === 'dark' ? '☾ dark' : '◐ system'}
        </button>
        {theme !== 'system' && (
          <button
            className="link"
            onClick={() => c.setTheme('system')}
            title="follow the system's colour scheme"
          >
            auto
          </button>
        )}
      </header>
      <IngestBar />
      {dropNote && (
        <div className="drop-note" role="status" data-testid="drop-note">
          {dropNote}
        </div>
      )}
      <main className="main">
        {view === 'overview' && <OverviewView />}
        {view === 'flows' && <FlowsView />}
        {view === 'flow' && <FlowView />}
        {view === 'packet' && <PacketView />}
        {view === 'findings' && <FindingsView />}
      </main>
    </div>
  );
}
