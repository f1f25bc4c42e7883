// The HTML report in a real browser (Debian's Chromium via playwright-core): full-page screenshots
// to look at, no network request, and the browser-print path to PDF (issue 7's "PDF from serve").
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/main/ingest/pipeline';
import { reportHtml } from '../../src/main/report/html';
import { renderReport } from '../../src/main/report/render';
import { openCase } from '../../src/main/store/db';
import { LAB, REPO } from '../paths';
import { hostileReport } from './fixtures';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(REPO, 'test-results/screenshots');
const tmp = mkdtempSync(join(tmpdir(), 'pathlens-shots-'));

async function labHtml(name: string): Promise<string> {
  const dbPath = join(tmp, `${name}.sqlite`);
  await ingest({ dbPath, inputs: [join(LAB, name)] });
  const db = await openCase(dbPath);
  try {
    return (await renderReport(db, 'html')).content;
  } finally {
    await db.close();
  }
}

describe.skipIf(!existsSync(CHROMIUM))('HTML report in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const { chromium } = await import('playwright-core');
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
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function shoot(html: string, name: string): Promise<{ requests: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(html, { waitUntil: 'load' });
    await page.screenshot({ path: join(OUT, `report-${name}.png`), fullPage: true });
    // the first flow section alone, readable at full size
    const first = page.locator('section.flow').first();
    if (await first.count()) await first.screenshot({ path: join(OUT, `report-${name}-flow.png`) });
    await page.close();
    return { requests, errors };
  }

  it.each(['portforward', 'firewall', 'local'])(
    'lab/%s renders without a request or an error',
    async (name) => {
      if (!existsSync(join(LAB, name))) return;
      const html = await labHtml(name);
      writeFileSync(join(OUT, `report-${name}.html`), html);
      const r = await shoot(html, name);
      expect(r.requests).toEqual([]);
      expect(r.errors).toEqual([]);
      expect(existsSync(join(OUT, `report-${name}.png`))).toBe(true);
    },
  );

  it('the hostile document renders its payloads as text', async () => {
    const r = await shoot(reportHtml(hostileReport()), 'hostile');
    expect(r.requests).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('prints to a multi-page PDF, one flow per page', async () => {
    const html = existsSync(join(OUT, 'report-portforward.html'))
      ? readFileSync(join(OUT, 'report-portforward.html'), 'utf8')
      : await labHtml('portforward');
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: join(OUT, 'report-portforward-print.png'), fullPage: true });
    const pdf = await page.pdf({
      format: 'A4',
      landscape: true,
      printBackground: true,
      preferCSSPageSize: true,
    });
    await page.close();
    writeFileSync(join(OUT, 'report-portforward.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-8).toString('latin1')).toContain('%%EOF');
    expect(pdf.length).toBeGreaterThan(50_000);
    // 8 flows, each starting a page, after the summary pages
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
    expect(pages).toBeGreaterThanOrEqual(9);
  });
});
