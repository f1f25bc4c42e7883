// Loopback HTTP transport of the API (for `pathlens serve` and the browser tests): the built
// renderer as static files, POST /api/<channel> with a per-run token, events as Server-Sent Events.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { API_EVENTS, isChannel } from '../../shared/api';
import type { Engine } from './engine';

/** A running server. */
export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Where the built renderer is (npm run build:web). */
export const RENDERER_DIR = resolve(import.meta.dirname, '../../../out/renderer');

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'application/json'): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

async function body(req: IncomingMessage, limit = 4 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new Error('request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts serving `engine` on host:port (port 0 = any free port). */
export async function startServer(
  engine: Engine,
  opts: { host?: string; port?: number; staticDir?: string; token?: string } = {},
): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(18).toString('base64url');
  const staticDir = opts.staticDir ?? RENDERER_DIR;
  let port = 0;
  const allowedHosts = (): Set<string> =>
    new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      // DNS-rebinding guard: only our own host names reach the API.
      if (!allowedHosts().has(req.headers.host ?? ''))
        return send(res, 403, JSON.stringify({ ok: false, error: 'bad host' }));
      if (url.pathname.startsWith('/api/')) {
        const given =
          (req.headers['x-pathlens-token'] as string | undefined) ?? url.searchParams.get('token');
        if (given !== token)
          return send(res, 401, JSON.stringify({ ok: false, error: 'missing or wrong token' }));
        if (url.pathname === '/api/events' && req.method === 'GET') {
          res.writeHead(200, {
            'content-type': 'text/event-stream',
            'cache-control': 'no-store',
            connection: 'keep-alive',
          });
          res.write(': connected\n\n');
          const offs = API_EVENTS.map((ev) =>
            engine.on(ev, (p) => res.write(`event: ${ev}\ndata: ${JSON.stringify(p)}\n\n`)),
          );
          const ping = setInterval(() => res.write(': ping\n\n'), 15000);
          req.on('close', () => {
            clearInterval(ping);
            offs.forEach((f) => f());
          });
          return;
        }
        const channel = url.pathname.slice(5);
        if (req.method !== 'POST') return send(res, 405, JSON.stringify({ ok: false, error: 'POST only' }));
        if (!isChannel(channel))
          return send(res, 404, JSON.stringify({ ok: false, error: `unknown channel ${channel}` }));
        try {
          const text = await body(req);
          const payload = text ? (JSON.parse(text) as unknown) : {};
          const result = await engine.handle(channel, payload as never);
          return send(res, 200, JSON.stringify({ ok: true, result }));
        } catch (e) {
          return send(
            res,
            400,
            JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) }),
          );
        }
      }
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, 'method not allowed', 'text/plain');
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || rel === '') rel = '/index.html';
      const file = normalize(join(staticDir, rel));
      if (!file.startsWith(resolve(staticDir) + sep) || !existsSync(file) || !statSync(file).isFile()) {
        if (!existsSync(join(staticDir, 'index.html')))
          return send(
            res,
            503,
            'the user interface is not built: run `npm run build:web`',
            'text/plain; charset=utf-8',
          );
        return send(res, 404, 'not found', 'text/plain');
      }
      return send(res, 200, readFileSync(file), MIME[extname(file)] ?? 'application/octet-stream');
    })().catch((e: unknown) => send(res, 500, JSON.stringify({ ok: false, error: String(e) })));
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, host, () => res());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
