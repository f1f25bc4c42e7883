/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// UI benchmark (issue 6): on a case of ≥ 1M capture records, how fast the flows view shows its
// first rows, whether scrolling stalls, and how fast a flow's detail opens — in Debian's Chromium
// against `pathlens serve`. Usage: npm run bench -- ui [CASE.sqlite]
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { synthCapture } from './synth';
import { ingest } from '../src/main/ingest/pipeline';

const root = resolve(import.meta.dirname, '..');
const dataDir = join(root, 'bench/.data');
let db = process.argv[2];
if (!db) {
  db = join(dataDir, 'ui-1m.pathlens.sqlite');
  if (!existsSync(db)) {
    const pcap = join(dataDir, 'nat-1200000.pcap');
    if (!existsSync(pcap)) synthCapture(pcap, 1_200_000);
    for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
    const r = await ingest({ dbPath: db, inputs: [pcap] });
    console.log(`case: ${r.packets} records, ${r.flows} flows (ingested in ${r.seconds.toFixed(1)} s)`);
  }
}

const server = spawn(process.execPath, [join(root, 'bin/pathlens.mjs'), 'serve', '--db', db, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((res, rej) => {
  const rl = createInterface({ input: server.stdout! });
  rl.once('line', (l) => res(l.replace(/^listening on /, '')));
  server.once('exit', (c) => rej(new Error(`server exited ${c}`)));
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(() => {
    (window as unknown as { __long: number[] }).__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) (window as unknown as { __long: number[] }).__long.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const flowsUrl = url.replace('/?', '/?') + '#/flows';
  const t0 = Date.now();
  await page.goto(flowsUrl);
  await page.locator('[data-testid=flow-row]').first().waitFor();
  const firstRows = Date.now() - t0;
  const total = await page.locator('[data-testid=flow-count]').textContent();
  console.log(`flows view: first rows ${firstRows} ms after opening the page (${total?.trim()})`);

  // scroll through the table in 60 steps of one screen, waiting for each screen's rows
  await page.evaluate(() => ((window as unknown as { __long: number[] }).__long = []));
  const steps: number[] = [];
  for (let i = 1; i <= 60; i++) {
    const s = Date.now();
    await page.evaluate((k) => {
      const el = document.querySelector('.flow-scroll') as HTMLElement;
      el.scrollTop = k * 20000;
    }, i);
    await page.waitForFunction((k) => {
      const el = document.querySelector('.flow-scroll') as HTMLElement;
      const rows = [...document.querySelectorAll('[data-testid=flow-row]')] as HTMLElement[];
      const top = k * 20000;
      return rows.some(
        (r) =>
          Math.abs(parseFloat(r.style.top) - top) < el.clientHeight &&
          r.textContent &&
          !r.textContent.includes('…'),
      );
    }, i);
    steps.push(Date.now() - s);
  }
  const long = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
  steps.sort((a, b) => a - b);
  console.log(
    `scroll: 60 jumps of 20000 px, rows shown after median ${steps[30]} ms, p95 ${steps[56]} ms, max ${steps[59]} ms; ` +
      `main-thread long tasks: ${long.length} (max ${Math.round(Math.max(0, ...long))} ms)`,
  );

  // open flow details by id, as the table does
  const ids = [1, 1000, 20000, 50000, 70000];
  const times: number[] = [];
  for (const id of ids) {
    const s = Date.now();
    await page.evaluate((x) => (location.hash = `#/flow/${x}`), id);
    await page
      .locator('[data-testid=view-flow] [data-testid=orig-tuple], [data-testid=view-flow] .tuple')
      .first()
      .waitFor();
    times.push(Date.now() - s);
  }
  console.log(`flow detail: opened in ${times.join(', ')} ms (flows ${ids.join(', ')})`);
} finally {
  await browser.close();
  server.kill('SIGINT');
}
