// The browser transport of the API (for `pathlens serve`): POST /api/<channel> with a JSON body and
// the session token in `x-pathlens-token`; events over Server-Sent Events at /api/events. Its
// dependencies are passed in so it runs under test without a browser.
import type { ApiEvents, Channel, EventName, PathlensApi, Req, Res } from '../shared/api';
import { API_EVENTS } from '../shared/api';

/** The part of EventSource this transport uses. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (ev: { data: string }) => void): void;
  close(): void;
}

export interface HttpTransportOptions {
  /** absolute URL of the API root, ending in "/api/" */
  apiBase: string;
  token: string;
  fetch: (
    url: string,
    init: { method: string; headers: Record<string, string>; body: string },
  ) => Promise<{
    ok: boolean;
    status: number;
    text(): Promise<string>;
  }>;
  eventSource?: (url: string) => EventSourceLike;
}

/** An API call the engine refused or could not serve. */
export class ApiError extends Error {
  readonly status: number;
  readonly channel: string;
  constructor(channel: string, status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.channel = channel;
  }
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'message' in error)
    return String((error as { message: unknown }).message);
  return JSON.stringify(error);
}

interface Envelope {
  ok?: boolean;
  result?: unknown;
  error?: unknown;
}

/** The response envelope, or undefined when the body is not JSON (a proxy's error page…). */
function parseBody(text: string): Envelope | null | undefined {
  try {
    return JSON.parse(text) as Envelope | null;
  } catch {
    return undefined;
  }
}

export function createHttpApi(opts: HttpTransportOptions): PathlensApi {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let source: EventSourceLike | null = null;

  function openEvents(): void {
    if (source || !opts.eventSource) return;
    source = opts.eventSource(`${opts.apiBase}events?token=${encodeURIComponent(opts.token)}`);
    for (const name of API_EVENTS) {
      source.addEventListener(name, (ev) => {
        let payload: unknown;
        try {
          payload = JSON.parse(ev.data);
        } catch {
          return;
        }
        for (const l of listeners.get(name) ?? []) (l as (p: unknown) => void)(payload);
      });
    }
  }

  return {
    async call<C extends Channel>(channel: C, req: Req<C>): Promise<Res<C>> {
      const res = await opts.fetch(`${opts.apiBase}${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-pathlens-token': opts.token },
        body: JSON.stringify(req),
      });
      const text = await res.text();
      const body = parseBody(text);
      if (body === undefined)
        throw new ApiError(channel, res.status, `${channel}: HTTP ${res.status} ${text.slice(0, 200)}`);
      if (!res.ok || !body || body.ok !== true) {
        throw new ApiError(
          channel,
          res.status,
          `${channel}: ${errorText(body?.error ?? `HTTP ${res.status}`)}`,
        );
      }
      return body.result as Res<C>;
    },
    on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      openEvents();
      return () => {
        set.delete(listener as (payload: never) => void);
        if ([...listeners.values()].every((s) => s.size === 0) && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}
