// End-to-end: `pathlens serve` on the bundled sample incident, driven in Debian's Chromium. Each step
// checks what the page shows against what the API answers, and saves a screenshot of the view.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiChannels, Channel } from '../../src/shared/api';
import type { ReportJson, Tuple } from '../../src/shared/report';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = resolve(ROOT, 'test-results/screenshots');
const SAMPLE = 'examples/sample-incident';
const CHROMIUM = '/usr/bin/chromium';
const ready =
  existsSync(resolve(ROOT, 'src/main/cli/main.ts')) &&
  existsSync(resolve(ROOT, SAMPLE)) &&
  existsSync(CHROMIUM);

let server: ChildProcess | null = null;
let browser: Browser | null = null;
let page: Page;
let base = '';
let token = '';
let pageUrl = '';
const pageErrors: string[] = [];

async function api<C extends Channel>(
  channel: C,
  req: ApiChannels[C]['req'],
): Promise<ApiChannels[C]['res']> {
  const res = await fetch(`${base}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pathlens-token': token },
    body: JSON.stringify(req),
  });
  const body = (await res.json()) as { ok: boolean; result?: ApiChannels[C]['res']; error?: unknown };
  if (!body.ok) throw new Error(`${channel}: ${JSON.stringify(body.error)}`);
  return body.result as ApiChannels[C]['res'];
}

function endpoint(addr: string, port?: number): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

async function shot(name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage });
}

/** Starts the server and resolves with the URL of its first stdout line. */
function startServer(): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['bin/pathlens.mjs', 'serve', SAMPLE, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => rej(new Error(`serve exited with ${code}: ${stderr}`)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (m?.[1]) res(m[1]);
      else rej(new Error(`unexpected first line: ${line}`));
    });
  });
}

describe.skipIf(!ready)('pathlens in the browser', () => {
  beforeAll(async () => {
    if (!existsSync(resolve(ROOT, 'out/renderer/index.html')))
      throw new Error('run `npm run build:web` first');
    mkdirSync(SHOTS, { recursive: true });
    const url = await startServer();
    const u = new URL(url);
    base = u.origin;
    token = u.searchParams.get('token') ?? '';
    // The server ingests the sample in the background; wait until the case is complete.
    for (let i = 0; i < 600; i++) {
      const info = await api('case.info', {}).catch(() => null);
      if (info && !info.ingesting && info.summary.flows > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      colorScheme: 'light',
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    pageUrl = url;
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.removeAllListeners('exit');
      server.kill('SIGTERM');
    }
  });

  it('shows the inputs on the overview and hides the token', async () => {
    const info = await api('case.info', {});
    await page.getByTestId('view-overview').waitFor();
    await page.getByTestId('input-row').first().waitFor();
    expect(await page.getByTestId('input-row').count()).toBe(info.inputs.length);
    const text = await page.getByTestId('inputs-table').innerText();
    for (const input of info.inputs) {
      expect(text).toContain(input.path);
      expect(text).toContain(input.kind);
    }
    expect(page.url()).not.toContain('token=');
    await page.getByTestId('timeline').waitFor();
    await page.getByTestId('counts-proto').waitFor();
    await shot('overview');
    await shot('overview-full', true);

    // Brushing the timeline zooms (timeline.get with from/to); reset goes back.
    const box = await page.locator('[data-testid=timeline] .brush').boundingBox();
    if (!box) throw new Error('no brush area');
    const zoomed = page.waitForResponse((r) => r.url().endsWith('/api/timeline.get'));
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const req = JSON.parse((await zoomed).request().postData() ?? '{}') as { from?: number; to?: number };
    expect(req.from).toBeLessThan(req.to as number);
    await page.getByTestId('timeline-reset').click();
    await expect.poll(() => page.getByTestId('timeline-reset').count()).toBe(0);
  });

  it('filters the flow table with the display filter', async () => {
    await page.getByTestId('nav-flows').click();
    await page.getByTestId('view-flows').waitFor();
    await page.getByTestId('flow-row').first().waitFor();
    const all = await api('flows.list', { offset: 0, limit: 1 });
    await expect
      .poll(() => page.getByTestId('flow-count').innerText())
      .toBe(`${all.total} flow${all.total === 1 ? '' : 's'}`);

    // A broken filter shows its located error inline and is not applied.
    await page.keyboard.press('/');
    await page.getByTestId('filter-input').fill('ip.addr ==');
    await expect
      .poll(() => page.getByTestId('filter-error').innerText())
      .toContain('expected value at column 11');
    await shot('flows-filter-error');

    await page.getByTestId('filter-input').fill('nat');
    await page.getByTestId('filter-input').press('Enter');
    await expect.poll(() => page.url()).toContain('#/flows?filter=nat');
    const nat = await api('flows.list', { filter: 'nat', offset: 0, limit: 500 });
    expect(nat.total).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('flow-count').innerText())
      .toBe(`${nat.total} flow${nat.total === 1 ? '' : 's'} match`);
    const rows = page.getByTestId('flow-row');
    if (nat.total <= 20) await expect.poll(() => rows.count()).toBe(nat.total);
    const ids = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-flow-id')));
    expect(ids).toEqual(nat.rows.slice(0, ids.length).map((r) => r.id));
    for (const badge of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-nat'))))
      expect(badge).toMatch(/NAT/);
    await shot('flows');
  });

  it('opens a NATed flow and shows the DNAT and SNAT from the API', async () => {
    const nat = await api('flows.list', { filter: 'nat', offset: 0, limit: 50 });
    // Prefer a flow with both rewrites (kube-proxy DNAT + MASQUERADE), else the first.
    const index = Math.max(
      0,
      nat.rows.findIndex((f) => f.nat.dnat && f.nat.snat),
    );
    const target = nat.rows[index];
    if (!target) throw new Error('no NATed flow in the sample');
    await page.getByTestId('filter-input').press('Escape');
    for (let i = 0; i < index; i++) await page.keyboard.press('j');
    await expect.poll(() => page.url()).toContain(`sel=${target.id}`);
    await page.keyboard.press('Enter');
    await page.getByTestId('view-flow').waitFor();
    await expect.poll(() => page.url()).toContain(`#/flow/${target.id}`);
    const detail = await api('flows.get', { id: target.id, limit: 1000 });
    const f = detail.flow;
    const reply = f.reply as Tuple;
    await page.getByTestId('nat-panel').waitFor();
    if (f.nat.dnat) {
      expect(await page.getByTestId('nat-dnat-before').innerText()).toBe(endpoint(f.orig.dst, f.orig.dport));
      expect(await page.getByTestId('nat-dnat-after').innerText()).toBe(endpoint(reply.src, reply.sport));
    }
    if (f.nat.snat) {
      expect(await page.getByTestId('nat-snat-before').innerText()).toBe(endpoint(f.orig.src, f.orig.sport));
      expect(await page.getByTestId('nat-snat-after').innerText()).toBe(endpoint(reply.dst, reply.dport));
    }
    expect(await page.getByTestId('tuple-orig').innerText()).toContain(endpoint(f.orig.src, f.orig.sport));
    expect(await page.getByTestId('tuple-reply').innerText()).toContain(endpoint(reply.src, reply.sport));
    await page.getByTestId('ladder').waitFor();
    expect(await page.getByTestId('ladder-row').count()).toBe(detail.packets.length);
    if (detail.packets.some((p) => p.observations.length > 1 && p.nat?.length))
      expect(await page.getByTestId('ladder-rewrite').count()).toBeGreaterThan(0);
    await page.getByTestId('state-timeline').waitFor();
    await shot('flow');
  });

  it('opens a packet and highlights the hooks it passed', async () => {
    const rowEl = page.getByTestId('ladder-row').first();
    const id = Number(await rowEl.getAttribute('data-packet-id'));
    await rowEl.click();
    await page.getByTestId('view-packet').waitFor();
    const d = await api('packets.get', { id });
    await page.getByTestId('hook-diagram').waitFor();
    for (const hook of ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']) {
      const passed = d.packet.netfilter.hooks.includes(hook as never);
      expect(await page.getByTestId(`hook-${hook}`).getAttribute('data-passed'), hook).toBe(String(passed));
    }
    expect(d.packet.netfilter.hooks.length).toBeGreaterThan(0);
    for (const hook of d.packet.netfilter.hooks) await page.getByTestId(`hook-detail-${hook}`).waitFor();
    expect(await page.getByTestId('nf-source').innerText()).toBe(d.packet.netfilter.source);
    expect(await page.getByTestId('journey-row').count()).toBe(d.packet.observations.length);
    if (d.hex)
      expect(await page.getByTestId('hexdump').innerText()).toContain(
        `0000  ${d.hex.slice(0, 2)} ${d.hex.slice(2, 4)}`,
      );
    await shot('packet');
    await page.getByTestId('hexdump').scrollIntoViewIfNeeded();
    await shot('packet-bytes');

    // Esc goes back up: packet → flow.
    await page.keyboard.press('Escape');
    await page.getByTestId('view-flow').waitFor();
  });

  it('exports the report as JSON', async () => {
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('view-overview').waitFor();
    await page.getByTestId('export-format').selectOption('json');
    const [download, response] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForResponse((r) => r.url().endsWith('/api/report.export')),
      page.getByTestId('export-button').click(),
    ]);
    expect(response.status()).toBe(200);
    const path = await download.path();
    const report = JSON.parse(readFileSync(path, 'utf8')) as ReportJson;
    expect(report.schema).toBe('pathlens.report/1');
    const info = await api('case.info', {});
    expect(report.flows.length).toBe(info.summary.flows);
    await expect
      .poll(() => page.getByTestId('export-status').innerText())
      .toContain(`exported ${download.suggestedFilename()}`);
  });

  it('lists findings by kind with links to their flows', async () => {
    const findings = await api('findings.list', {});
    await page.getByTestId('nav-findings').click();
    await page.getByTestId('view-findings').waitFor();
    if (findings.length === 0) await page.getByTestId('findings-empty').waitFor();
    else {
      const kinds = new Set(findings.map((f) => f.kind));
      expect(await page.getByTestId('finding-group').count()).toBe(kinds.size);
    }
    await shot('findings');
  });

  it('switches to the dark theme', async () => {
    await page.getByTestId('theme-toggle').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.getByTestId('nav-overview').click();
    await page.getByTestId('timeline').waitFor();
    await shot('overview-dark');
  });

  it('virtualizes a table of 300,000 flows and shows ingest progress (stubbed API)', async () => {
    // The sample is small; here flows.list, the event stream and ingest.cancel are answered by the
    // test so the table's paging and the progress bar can be seen at scale.
    const TOTAL = 300_000;
    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 800 } });
    const offsets: number[] = [];
    const cancels: unknown[] = [];
    await context.route('**/api/flows.list', async (route) => {
      const q = JSON.parse(route.request().postData() ?? '{}') as { offset: number; limit: number };
      offsets.push(q.offset);
      const n = Math.max(0, Math.min(q.limit, TOTAL - q.offset));
      const rows = Array.from({ length: n }, (_, i) => {
        const k = q.offset + i;
        return {
          id: String(k + 1),
          l3: 'ipv4',
          proto: 'tcp',
          orig: {
            src: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
            dst: '10.96.0.10',
            sport: 30000 + (k % 30000),
            dport: 80,
          },
          reply: { src: '10.244.1.7', dst: '10.0.0.5', sport: 8080, dport: 30000 + (k % 30000) },
          nat: { snat: true, dnat: true, evidence: ['capture'] },
          first_ts: 1_700_000_000 + k / 1000,
          last_ts: 1_700_000_000 + k / 1000 + 0.01,
          packets: { orig: 3, reply: 2 },
        };
      });
      await route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ ok: true, result: { total: TOTAL, rows } }),
      });
    });
    const progress = {
      job: 'job-7',
      phase: 'capture',
      file: 'big.pcapng',
      bytesDone: 3_000_000_000,
      bytesTotal: 8_000_000_000,
      records: 41_000_000,
      recordsPerSec: 1_250_000,
      etaSec: 95,
      flows: 300_000,
    };
    await context.route('**/api/events**', (route) =>
      route.fulfill({
        contentType: 'text/event-stream',
        body: `retry: 600000\nevent: ingest.progress\ndata: ${JSON.stringify(progress)}\n\n`,
      }),
    );
    await context.route('**/api/ingest.cancel', async (route) => {
      cancels.push(JSON.parse(route.request().postData() ?? 'null'));
      await route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ ok: true, result: { cancelled: true } }),
      });
    });
    const p = await context.newPage();
    try {
      await p.goto(`${pageUrl}#/flows?filter=nat`);
      await expect.poll(() => p.getByTestId('flow-count').innerText()).toBe('300,000 flows match');
      await p.getByTestId('flow-row').first().waitFor();
      // Only the rows in view (plus a small overscan) are in the DOM.
      expect(await p.getByTestId('flow-row').count()).toBeLessThan(80);
      await p.getByTestId('filter-input').press('Escape');
      await p.keyboard.press('End');
      await expect
        .poll(() => p.locator('[data-testid=flow-row][aria-selected=true]').getAttribute('data-flow-id'))
        .toBe(String(TOTAL));
      expect(Math.max(...offsets)).toBeGreaterThanOrEqual(TOTAL - 400);
      expect(await p.getByTestId('flow-row').count()).toBeLessThan(80);
      await expect.poll(() => p.url()).toContain(`sel=${TOTAL}`);
      await p.getByTestId('ingest-bar').waitFor();
      const bar = await p.getByTestId('ingest-bar').innerText();
      expect(bar).toContain('38%');
      expect(bar).toContain('1,250,000 records/s');
      expect(bar).toContain('ETA 1 min 35 s');
      await p.screenshot({ path: resolve(SHOTS, 'flows-300k-ingest.png') });
      await p.getByTestId('ingest-cancel').click();
      await expect.poll(() => cancels).toEqual([{ job: 'job-7' }]);
    } finally {
      await context.close();
    }
  });

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
