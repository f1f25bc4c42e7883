import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--no-first-run'] });
const p = await b.newPage({ viewport: { width: 1400, height: 900 } });
await p.setContent(readFileSync(process.argv[2], 'utf8'));
for (const [i, sel] of process.argv.slice(3).entries()) await p.locator(sel).screenshot({ path: `/tmp/shots/el${i}.png` });
await b.close();
