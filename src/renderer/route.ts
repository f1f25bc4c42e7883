// Hash routes of the app (#/overview, #/flows?filter=…, #/flow/ID, #/packet/ID, #/findings): the URL
// is the source of truth for where the user is, so reload, back/forward and links all work.
import type { SortKey } from '../shared/api';

export interface FlowSort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export type Route =
  | { view: 'overview' }
  | { view: 'flows'; filter: string; sort: FlowSort | null; sel: string | null }
  | { view: 'flow'; id: string }
  | { view: 'packet'; id: number; flow: string | null }
  | { view: 'findings' };

export const SORT_KEYS: readonly SortKey[] = [
  'first_ts',
  'last_ts',
  'proto',
  'src',
  'dst',
  'sport',
  'dport',
  'packets',
  'bytes',
  'state',
  'duration',
];

function parseSort(text: string | null): FlowSort | null {
  if (!text) return null;
  const [key, dir] = text.split('.');
  if (!key || !(SORT_KEYS as readonly string[]).includes(key)) return null;
  return { key: key as SortKey, dir: dir === 'desc' ? 'desc' : 'asc' };
}

/** Reads a location hash ("#/flows?filter=nat"); anything unknown is the overview. */
export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const path = q < 0 ? body : body.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : body.slice(q + 1));
  const [head = '', arg] = path.split('/');
  switch (head) {
    case 'flows':
      return {
        view: 'flows',
        filter: params.get('filter') ?? '',
        sort: parseSort(params.get('sort')),
        sel: params.get('sel'),
      };
    case 'flow':
      if (arg) return { view: 'flow', id: decodeURIComponent(arg) };
      break;
    case 'packet': {
      const id = Number(arg);
      if (arg && Number.isInteger(id)) return { view: 'packet', id, flow: params.get('flow') };
      break;
    }
    case 'findings':
      return { view: 'findings' };
  }
  return { view: 'overview' };
}

/** The hash for a route; parseRoute(formatRoute(r)) equals r. */
export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'overview':
      return '#/overview';
    case 'findings':
      return '#/findings';
    case 'flow':
      return `#/flow/${encodeURIComponent(route.id)}`;
    case 'packet':
      return `#/packet/${route.id}${route.flow ? `?flow=${encodeURIComponent(route.flow)}` : ''}`;
    case 'flows': {
      const params = new URLSearchParams();
      if (route.filter) params.set('filter', route.filter);
      if (route.sort) params.set('sort', `${route.sort.key}.${route.sort.dir}`);
      if (route.sel) params.set('sel', route.sel);
      const qs = params.toString();
      return `#/flows${qs ? `?${qs}` : ''}`;
    }
  }
}

/** Where Esc goes: packet → its flow, flow → the flow table, others stay. */
export function parentRoute(route: Route, flowsRoute: Route): Route | null {
  if (route.view === 'packet') return route.flow ? { view: 'flow', id: route.flow } : flowsRoute;
  if (route.view === 'flow')
    return flowsRoute.view === 'flows' ? { ...flowsRoute, sel: route.id } : flowsRoute;
  return null;
}
