// Ingest progress from `ingest.progress` events: bytes done of total, records/s, ETA, cancel.
import type { AppState } from './state';
import { useAppState, useController } from './app-context';
import { formatBytes, formatCount } from './format';

const selIngest = (s: AppState) => s.ingest;
const FINISHED = new Set(['done', 'error', 'cancelled']);

function eta(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return 'ETA unknown';
  if (sec < 60) return `ETA ${Math.ceil(sec)} s`;
  return `ETA ${Math.floor(sec / 60)} min ${Math.ceil(sec % 60)} s`;
}

export function IngestBar() {
  const c = useController();
  const p = useAppState(selIngest);
  if (!p) return null;
  const finished = FINISHED.has(p.phase);
  const pct = p.bytesTotal > 0 ? Math.min(100, (p.bytesDone / p.bytesTotal) * 100) : null;
  return (
    <div className={`ingest-bar phase-${p.phase}`} role="status" data-testid="ingest-bar">
      <span className="ingest-phase">ingest: {p.phase}</span>
      {p.file && <span className="mono ellipsis ingest-file">{p.file}</span>}
      <progress max={100} value={pct ?? undefined} aria-label="ingest progress" />
      <span className="mono">
        {pct !== null ? `${pct.toFixed(0)}% · ` : ''}
        {formatBytes(p.bytesDone)} / {formatBytes(p.bytesTotal)} · {formatCount(p.records)} records ·{' '}
        {formatCount(Math.round(p.recordsPerSec))} records/s · {formatCount(p.flows)} flows
        {!finished && ` · ${eta(p.etaSec)}`}
      </span>
      {p.message && <span className="muted">{p.message}</span>}
      {finished ? (
        <button onClick={() => c.dismissIngest()}>dismiss</button>
      ) : (
        <button onClick={() => void c.cancelIngest()} data-testid="ingest-cancel">
          cancel
        </button>
      )}
    </div>
  );
}
