// Flows: the display-filter box and a virtualized flow table (only visible rows are in the DOM; rows
// come in pages from flows.list), sortable by the engine's sort keys, selection kept in the URL.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { SortKey } from '../../shared/api';
import type { FlowJson } from '../../shared/report';
import { FILTER_FIELDS, FILTER_FLAGS, flowCtState, tryParseFilter } from '../../shared/filter';
import type { AppState } from '../state';
import { filterDraftChanged, rowAt, rowSelected } from '../state';
import { useAppState, useController } from '../app-context';
import { Empty } from '../Empty';
import { endpoint, formatBytes, formatClock, formatCount, formatDuration, natBadge } from '../format';

const ROW_H = 26;
const OVERSCAN = 12;
const selFlows = (s: AppState) => s.flows;
const selContext = (s: AppState) => s.caseInfo.data?.context ?? null;

const EXAMPLES = [
  'nat',
  'dnat && tcp.port == 80',
  'ip.addr == 10.0.0.0/8',
  'finding == syn-unanswered',
  'state == ESTABLISHED',
  '!tcp && packets > 10',
];

function FilterBox() {
  const c = useController();
  const f = useAppState(selFlows);
  const [help, setHelp] = useState(false);
  const ref = useCallback(
    (el: HTMLInputElement | null) => {
      c.filterInput = el;
    },
    [c],
  );
  const dirty = f.draft.trim() !== f.filter;
  return (
    <div className="filter-box">
      <form
        className="filter-row"
        onSubmit={(e) => {
          e.preventDefault();
          c.applyFilter();
        }}
      >
        <label htmlFor="filter" className="filter-label">
          filter
        </label>
        <input
          id="filter"
          ref={ref}
          data-testid="filter-input"
          className={`filter-input mono ${f.filterError ? 'invalid' : dirty ? 'dirty' : f.filter ? 'applied' : ''}`}
          value={f.draft}
          placeholder="e.g. nat && tcp.port == 80   (press / to focus, Enter to apply)"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={!!f.filterError}
          aria-describedby={f.filterError ? 'filter-error' : undefined}
          onChange={(e) => c.store.dispatch(filterDraftChanged, e.target.value)}
        />
        <button type="submit" disabled={!!f.filterError} data-testid="filter-apply">
          apply
        </button>
        {f.filter && (
          <button
            type="button"
            onClick={() => c.navigate({ view: 'flows', filter: '', sort: f.sort, sel: null })}
          >
            clear
          </button>
        )}
        <button type="button" className="link" onClick={() => setHelp(!help)} aria-expanded={help}>
          syntax
        </button>
      </form>
      {f.filterError && (
        <div id="filter-error" className="filter-error" role="alert" data-testid="filter-error">
          {f.errorColumn !== null && (
            <pre className="caret mono" aria-hidden="true">
              {`${f.draft}\n${' '.repeat(Math.max(0, f.errorColumn - 1))}^`}
            </pre>
          )}
          {f.filterError}
        </div>
      )}
      {help && (
        <div className="filter-help" data-testid="filter-help">
          <p>
            Fields (compare with <code>== != &gt; &lt; &gt;= &lt;= contains</code>, combine with{' '}
            <code>&amp;&amp; || !</code> or <code>and or not</code> and parentheses):
          </p>
          <ul>
            {Object.entries(FILTER_FIELDS).map(([k, v]) => (
              <li key={k}>
                <code>{k}</code> {v.help}
              </li>
            ))}
            <li>
              bare words:{' '}
              {FILTER_FLAGS.map((w) => (
                <code key={w}>{w} </code>
              ))}
            </li>
          </ul>
          <p>
            Examples:{' '}
            {EXAMPLES.map((x) => (
              <button
                key={x}
                className="chip mono"
                onClick={() => c.navigate({ view: 'flows', filter: x, sort: f.sort, sel: null })}
              >
                {x}
              </button>
            ))}
          </p>
        </div>
      )}
    </div>
  );
}

interface Column {
  label: string;
  /** sort buttons: [label, key]; the engine sorts (flows.list), so only its keys are offered */
  sorts?: Array<[string, SortKey]>;
  className?: string;
}

const COLUMNS: Column[] = [
  { label: 'id' },
  { label: 'time', sorts: [['time', 'first_ts']] },
  { label: 'duration', sorts: [['duration', 'duration']], className: 'num' },
  { label: 'proto', sorts: [['proto', 'proto']] },
  {
    label: 'orig',
    sorts: [
      ['orig src', 'src'],
      ['dst', 'dst'],
      ['dport', 'dport'],
    ],
  },
  { label: 'reply (src → dst)' },
  { label: 'NAT' },
  { label: 'packets', sorts: [['packets', 'packets']], className: 'num' },
  { label: 'bytes', sorts: [['bytes', 'bytes']], className: 'num' },
  { label: 'state', sorts: [['state', 'state']] },
  { label: 'findings' },
];

function FlowRow({
  flow,
  index,
  selected,
  onSelect,
  onOpen,
}: {
  flow: FlowJson;
  index: number;
  selected: boolean;
  onSelect: (i: number) => void;
  onOpen: (id: string) => void;
}) {
  const nat = natBadge(flow);
  const state = flow.tcp?.state ?? flowCtState(flow);
  const bytes = flow.bytes ? flow.bytes.orig + flow.bytes.reply : null;
  return (
    <div
      role="row"
      aria-selected={selected}
      className={`flow-row${selected ? ' selected' : ''}${index % 2 ? ' odd' : ''}`}
      style={{ top: index * ROW_H }}
      data-testid="flow-row"
      data-flow-id={flow.id}
      data-nat={nat || undefined}
      onClick={() => onSelect(index)}
      onDoubleClick={() => onOpen(flow.id)}
    >
      <span role="gridcell" className="mono">
        <a href={`#/flow/${encodeURIComponent(flow.id)}`} tabIndex={-1}>
          {flow.id}
        </a>
      </span>
      <span role="gridcell" className="mono">
        {formatClock(flow.first_ts)}
      </span>
      <span role="gridcell" className="num mono">
        {formatDuration(flow.last_ts - flow.first_ts)}
      </span>
      <span role="gridcell">{flow.proto}</span>
      <span
        role="gridcell"
        className="mono ellipsis"
        title={`${endpoint(flow.orig.src, flow.orig.sport)} → ${endpoint(flow.orig.dst, flow.orig.dport)}`}
      >
        {endpoint(flow.orig.src, flow.orig.sport)} → {endpoint(flow.orig.dst, flow.orig.dport)}
      </span>
      <span
        role="gridcell"
        className="mono ellipsis"
        title={
          flow.reply
            ? `${endpoint(flow.reply.src, flow.reply.sport)} → ${endpoint(flow.reply.dst, flow.reply.dport)}`
            : 'reply tuple unknown'
        }
      >
        {flow.reply ? (
          <>
            <span className={flow.nat.dnat ? 'changed' : undefined}>
              {endpoint(flow.reply.src, flow.reply.sport)}
            </span>{' '}
            →{' '}
            <span className={flow.nat.snat ? 'changed' : undefined}>
              {endpoint(flow.reply.dst, flow.reply.dport)}
            </span>
          </>
        ) : (
          <span className="muted">unknown</span>
        )}
      </span>
      <span role="gridcell">
        {nat ? (
          <span className="badge nat" data-testid="nat-badge">
            {nat}
          </span>
        ) : (
          ''
        )}
      </span>
      <span
        role="gridcell"
        className="num mono"
        title={`${flow.packets.orig} orig, ${flow.packets.reply} reply`}
      >
        {formatCount(flow.packets.orig + flow.packets.reply)}
      </span>
      <span role="gridcell" className="num mono">
        {bytes === null ? '—' : formatBytes(bytes)}
      </span>
      <span role="gridcell" className="ellipsis">
        {state ?? ''} {flow.tcp?.conn_state && <span className="muted mono">{flow.tcp.conn_state}</span>}
      </span>
      <span role="gridcell" className="ellipsis" title={(flow.findings ?? []).join(', ')}>
        {(flow.findings ?? []).map((k) => (
          <span key={k} className="badge finding">
            {k}
          </span>
        ))}
      </span>
    </div>
  );
}

function FlowTable() {
  const c = useController();
  const f = useAppState(selFlows);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(500);
  const total = f.total ?? 0;
  const invalidApplied = !!f.filter && !tryParseFilter(f.filter).ok;

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A new query starts at the top.
  useEffect(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
    setScrollTop(0);
  }, [f.version]);

  const first = Math.floor(scrollTop / ROW_H);
  const count = Math.ceil(height / ROW_H) + 1;
  const from = Math.max(0, first - OVERSCAN);
  const to = Math.min(f.total ?? first + count + OVERSCAN, first + count + OVERSCAN);

  useEffect(() => {
    c.ensureRows(from, Math.max(to, from + 1));
  }, [c, from, to, f.version, f.total, f.pages]);

  // Keep the keyboard selection in view.
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const top = f.selected * ROW_H;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_H > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_H - el.clientHeight;
  }, [f.selected]);

  const rows: Array<{ index: number; flow: FlowJson | null }> = [];
  for (let i = from; i < to; i++) rows.push({ index: i, flow: rowAt(f, i) });
  const onSelect = useCallback((i: number) => c.store.dispatch(rowSelected, i), [c]);
  const onOpen = useCallback((id: string) => c.openFlow(id), [c]);

  return (
    <div className="flow-table" role="grid" aria-rowcount={total} data-testid="flow-table">
      <div className="flow-head" role="row">
        {COLUMNS.map((col) => {
          const active = col.sorts?.find(([, k]) => k === f.sort.key);
          return (
            <span
              key={col.label}
              role="columnheader"
              className={col.className}
              aria-sort={active ? (f.sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
            >
              {col.sorts
                ? col.sorts.map(([label, key]) => (
                    <button
                      key={key}
                      className={`sort${f.sort.key === key ? ' active' : ''}`}
                      onClick={() => c.setSort(key)}
                      data-testid={`sort-${key}`}
                    >
                      {label}
                      {f.sort.key === key ? (f.sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  ))
                : col.label}
            </span>
          );
        })}
      </div>
      <div className="flow-scroll" ref={scrollRef} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        {invalidApplied ? (
          <Empty testid="flows-empty">the filter in the URL does not parse: {f.filterError}</Empty>
        ) : f.loadError && total === 0 ? (
          <div className="error" role="alert">
            could not load flows: {f.loadError}
          </div>
        ) : f.total === 0 ? (
          <Empty testid="flows-empty">
            {f.filter
              ? `no flow matches “${f.filter}”`
              : 'no flows in this case: the inputs held no IP packets or conntrack entries'}
          </Empty>
        ) : (
          <div className="flow-body" style={{ height: total * ROW_H }}>
            {rows.map(({ index, flow }) =>
              flow ? (
                <FlowRow
                  key={index}
                  flow={flow}
                  index={index}
                  selected={index === f.selected}
                  onSelect={onSelect}
                  onOpen={onOpen}
                />
              ) : (
                <div
                  key={index}
                  className="flow-row placeholder"
                  style={{ top: index * ROW_H }}
                  aria-busy="true"
                >
                  <span className="muted">…</span>
                </div>
              ),
            )}
          </div>
        )}
      </div>
    </div>
  );
}

export function FlowsView() {
  const f = useAppState(selFlows);
  const ctx = useAppState(selContext);
  return (
    <div className="view flows" data-testid="view-flows">
      <FilterBox />
      <div className="table-status">
        <span data-testid="flow-count">
          {f.total === null
            ? 'loading flows…'
            : `${formatCount(f.total)} flow${f.total === 1 ? '' : 's'}${f.filter ? ' match' : ''}`}
        </span>
        {f.total ? (
          <span className="muted"> · row {formatCount(f.selected + 1)} selected · j/k move, Enter opens</span>
        ) : null}
        {ctx && !ctx.conntrack && (
          <span className="muted"> · no conntrack log in this case: NAT inferred from captures</span>
        )}
      </div>
      <FlowTable />
    </div>
  );
}
