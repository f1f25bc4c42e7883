// The renderer's one way to the engine: `window.pathlens` (Electron preload) when present, else the
// loopback HTTP transport of `pathlens serve`. The session token arrives once in the page URL
// (?token=…); it is kept in sessionStorage and removed from the visible URL and history.
import type { PathlensApi } from '../shared/api';
import { createHttpApi } from './http-transport';

declare global {
  interface Window {
    /** the preload bridge; `pathForFile` tells a dropped file's path (Electron hides it otherwise) */
    pathlens?: PathlensApi & { pathForFile?: (file: File) => string };
  }
}

const TOKEN_KEY = 'pathlens.token';

/** Takes the token out of the URL (keeping the hash route), remembering it for reloads. */
export function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function createApiClient(): PathlensApi {
  if (window.pathlens) return window.pathlens;
  const token = takeToken();
  const apiBase = new URL('api/', new URL('.', window.location.href)).href;
  return createHttpApi({
    apiBase,
    token,
    fetch: (url, init) => window.fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' }),
    eventSource: (url) => new EventSource(url),
  });
}
