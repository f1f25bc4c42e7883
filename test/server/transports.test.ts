// Every API channel answers over both transports (loopback HTTP and the IPC dispatch the preload
// bridge uses) with the same result; unknown channels, foreign senders and missing tokens are refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, Req } from '../../src/shared/api';
import { API_CHANNELS } from '../../src/shared/api';
import { Engine } from '../../src/main/server/engine';
import { startServer } from '../../src/main/server/http';
import type { RunningServer } from '../../src/main/server/http';
import { dispatchIpc } from '../../src/main/server/dispatch';
import { ingest } from '../../src/main/ingest/pipeline';
import { LAB } from '../paths';

const tmp = mkdtempSync(join(tmpdir(), 'pathlens-api-'));
let engine: Engine;
let server: RunningServer;

beforeAll(async () => {
  const db = join(tmp, 'pf.sqlite');
  await ingest({ dbPath: db, inputs: [join(LAB, 'portforward')] });
  engine = new Engine(tmp);
  await engine.openCase(db);
  server = await startServer(engine, { port: 0 });
});
afterAll(async () => {
  await server.close();
  await engine.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function http(
  channel: string,
  req: unknown,
  token = server.token,
): Promise<{ status: number; body: { ok: boolean; result?: unknown; error?: string } }> {
  const r = await fetch(`http://127.0.0.1:${server.port}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pathlens-token': token },
    body: JSON.stringify(req),
  });
  return { status: r.status, body: (await r.json()) as { ok: boolean; result?: unknown; error?: string } };
}

// A real request for each channel; those that change state run last, on their own case.
const REQUESTS: { [C in Channel]: Req<C> } = {
  'case.info': {},
  'flows.list': { filter: 'nat && tcp', offset: 0, limit: 50, sort: { key: 'first_ts', dir: 'asc' } },
  'flows.get': { id: '1' },
  'packets.get': { id: 1 },
  'findings.list': {},
  'timeline.get': { buckets: 20 },
  'report.export': { format: 'csv' },
  'case.open': { path: '' },
  'ingest.cancel': { job: 'none' },
  'ingest.start': { paths: [] },
};

describe('API over both transports', () => {
  it('covers every channel of the contract', () => {
    expect(Object.keys(REQUESTS).sort()).toEqual([...API_CHANNELS].sort());
  });

  for (const channel of API_CHANNELS.filter((c) => !['case.open', 'ingest.start'].includes(c))) {
    it(`${channel}: same answer over HTTP and IPC`, async () => {
      const req = REQUESTS[channel];
      const h = await http(channel, req);
      expect(h.status, JSON.stringify(h.body)).toBe(200);
      const ipc = await dispatchIpc(engine, { channel, req }, true);
      expect(JSON.parse(JSON.stringify(ipc))).toEqual(h.body.result);
    });
  }

  it('case.open and ingest.start work over both', async () => {
    const db = join(tmp, 'pf.sqlite');
    const h = await http('case.open', { path: db });
    expect(h.body.ok).toBe(true);
    const ipc = (await dispatchIpc(engine, { channel: 'case.open', req: { path: db } }, true)) as {
      summary: { flows: number };
    };
    expect(ipc.summary.flows).toBeGreaterThan(0);
    const job = await http('ingest.start', { paths: [join(LAB, 'firewall', 'capture.pcap')] });
    expect(job.body.ok).toBe(true);
    await engine.settled();
    const info = (await dispatchIpc(engine, { channel: 'case.info', req: {} }, true)) as {
      inputs: Array<{ kind: string }>;
    };
    expect(info.inputs.map((i) => i.kind)).toEqual(['pcap']);
  });

  it('refuses unknown channels, foreign senders and missing tokens', async () => {
    expect((await http('fs.readFile', {})).status).toBe(404);
    expect((await http('case.info', {}, 'wrong')).status).toBe(401);
    await expect(dispatchIpc(engine, { channel: 'fs.readFile', req: {} }, true)).rejects.toThrow(
      /unknown channel/,
    );
    await expect(dispatchIpc(engine, { channel: 'case.info', req: {} }, false)).rejects.toThrow(
      /foreign sender/,
    );
    // DNS rebinding: a page on another name pointing at 127.0.0.1 is refused even with the token
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/case.info',
          method: 'POST',
          headers: { host: 'evil.example', 'x-pathlens-token': server.token },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });
});
