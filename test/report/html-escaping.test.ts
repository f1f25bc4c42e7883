// HTML export (src/main/report/html.ts) against hostile inputs: strings from captures, logs and
// file names are escaped everywhere, the page has no script and references nothing outside itself.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { esc, reportHtml } from '../../src/main/report/html';
import { HOSTILE, hostilePcapng, hostileReport, runCli } from './fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'pathlens-html-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The checks every generated page must pass, whatever went into it. */
function expectInert(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  expect(html).not.toMatch(/<iframe|<object|<embed|<link|<base|<meta http-equiv="refresh"/i);
  expect(html).not.toMatch(/\bon[a-z]+\s*=/i); // onerror=, onload=, …
  expect(html).not.toMatch(/\bsrc\s*=/i);
  expect(html).not.toMatch(/https?:\/\//i);
  expect(html).not.toMatch(/javascript:[^<]*"/i); // never inside an attribute value
  expect(html).not.toMatch(/url\(|@import/i);
  // exactly one style element, ours, and it ends where it should
  expect(html.match(/<style>/g)).toHaveLength(1);
  expect(html.match(/<\/style>/g)).toHaveLength(1);
  // every link is a fragment of this document, and every fragment exists
  const ids = new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]));
  for (const m of html.matchAll(/\shref="([^"]*)"/g)) {
    expect(m[1]).toMatch(/^#[A-Za-z0-9_-]+$/);
    expect(ids.has(m[1]!.slice(1)), `anchor ${m[1]} exists`).toBe(true);
  }
  // attribute values are always quoted: no `name=value` without a quote after `=` inside a tag
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? [])
    expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/=[^"]/);
}

describe('reportHtml escaping', () => {
  it('escapes hostile strings in every field and stays inert', () => {
    const html = reportHtml(hostileReport());
    expectInert(html);
    for (const p of HOSTILE) {
      // `javascript:alert(3)` has nothing to escape: as text it is harmless, and no href carries it
      if (esc(p) !== p) expect(html).not.toContain(p);
      expect(html).toContain(esc(p));
    }
    // the escaped text is really there, where a reader looks for it
    expect(html).toContain('&#60;script&#62;alert(1)&#60;&#47;script&#62;');
    expect(html).toContain('&#34;&#62;&#60;img src&#61;x onerror&#61;alert(1)&#62;');
    expect(html).toContain('&#60;&#47;style&#62;');
    expect(html).toContain('javascript:alert(3)');
  });

  it('escapes the characters that matter and control characters', () => {
    expect(esc(`<a href="x" onclick='y'>&\`=/`)).toBe(
      '&#60;a href&#61;&#34;x&#34; onclick&#61;&#39;y&#39;&#62;&#38;&#96;&#61;&#47;',
    );
    expect(esc('a\u0000b\u001bc\td')).toBe('a\ufffdb\ufffdc\td');
    expect(esc(null)).toBe('');
  });

  it('keeps a hostile flow id out of fragment names', () => {
    const html = reportHtml(hostileReport());
    expect(html).toContain('id="flow-7_22_3e_3cimg_20src_3dx_20onerror_3dalert_281_29_3e"');
  });
});

describe('end to end: a capture with HTML in its interface name, comments and payload', () => {
  const payload = '<script>alert("pwn")</script><img src=x onerror=alert(1)>';
  const ifName = '"><script>alert(1)</script>';
  // the file name is hostile too (no slash: it is one path component)
  const file = join(tmp, `cap"><img src=x onerror=alert(1)>.pcapng`);
  writeFileSync(file, hostilePcapng(ifName, payload));

  it.each(['html', 'md', 'csv', 'json'] as const)(
    'report --format %s does not carry it raw',
    async (format) => {
      const out = join(tmp, `r.${format}`);
      const r = await runCli(['report', file, '--format', format, '--packets', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const text = readFileSync(out, 'utf8');
      if (format === 'json') {
        // JSON carries strings as data; it must still show the interface and the flow
        const doc = JSON.parse(text) as { flows: Array<{ interfaces?: string[] }> };
        expect(doc.flows).toHaveLength(1);
        expect(doc.flows[0]!.interfaces).toEqual([ifName]);
        expect(text).not.toContain('alert("pwn")'); // payload bytes are never in a report
        return;
      }
      // the payload is never displayed, in any format
      expect(text).not.toContain('alert("pwn")');
      // CSV is data: the interface name is there as written, in a quoted field
      if (format === 'csv') expect(text).toContain('"""><script>alert(1)</script>"');
      // Markdown: every `<` is backslash-escaped, so no renderer sees a tag
      if (format === 'md') expect(text).not.toMatch(/(^|[^\\])</m);
      if (format === 'html') {
        expectInert(text);
        expect(text).toContain(esc(ifName));
        expect(text).toContain('192.0.2.1:40000 → 192.0.2.2:80');
      }
    },
  );

  it.skipIf(!existsSync('/usr/bin/chromium'))(
    'a browser finds no script, image or request in the page',
    async () => {
      const { chromium } = await import('playwright-core');
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
        const page = await browser.newPage();
        const requests: string[] = [];
        const dialogs: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        await page.setContent(reportHtml(hostileReport()), { waitUntil: 'load' });
        const counts = {
          scripts: await page.locator('script').count(),
          images: await page.locator('img, iframe, object, embed, link, base').count(),
          // any element with any on* attribute
          handlers: await page.locator(`xpath=//*[@*[starts-with(name(), 'on')]]`).count(),
          text: await page.locator('body').innerText(),
        };
        expect(counts.scripts).toBe(0);
        expect(counts.images).toBe(0);
        expect(counts.handlers).toBe(0);
        expect(counts.text).toContain('<script>alert(1)</script>');
        expect(counts.text).toContain('"><img src=x onerror=alert(1)>');
        expect(requests).toEqual([]);
        expect(dialogs).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
