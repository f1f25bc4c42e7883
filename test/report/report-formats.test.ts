// Report formats of a real lab case (shared/spec/cli.md `report`, shared/spec/report.schema.json):
// the HTML shows NAT and Netfilter paths and stays self-contained, the JSON validates against the
// schema with and without --packets, the CSV parses back to the JSON's flows, Markdown has findings.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/main/report/csv';
import { esc } from '../../src/main/report/html';
import { mdText } from '../../src/main/report/markdown';
import type { FlowJson, ReportJson } from '../../src/shared/report';
import { LAB, SHARED } from '../paths';
import { runCli } from './fixtures';

const DIR = join(LAB, 'portforward');
const tmp = mkdtempSync(join(tmpdir(), 'pathlens-formats-'));
const db = join(tmp, 'pf.sqlite');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields with "" for a quote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      if (c === '\n' || c === '"') throw new Error(`RFC 4180: bare ${JSON.stringify(c)} at ${i}`);
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error('RFC 4180: unterminated quoted field');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

async function report(format: string, ...more: string[]): Promise<string> {
  const out = join(tmp, `${format}-${more.join('_').replace(/\W/g, '')}.${format}`);
  const r = await runCli(['report', '--db', db, '--format', format, '--out', out, ...more]);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

const have = existsSync(DIR);

describe.skipIf(!have)('reports of lab/portforward', () => {
  let json: ReportJson;
  beforeAll(async () => {
    const r = await runCli(['ingest', DIR, '--db', db, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    json = JSON.parse(await report('json', '--packets')) as ReportJson;
  });

  it('HTML (ingesting the directory) shows the DNAT and SNAT, the path rows, and nothing external', async () => {
    const out = join(tmp, 'dir.html');
    const r = await runCli(['report', DIR, '--format', 'html', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    // flow 1: 10.10.1.2:41001 → 10.10.1.1:8080, DNAT to the server, MASQUERADE on eth1
    expect(html).toContain('DNAT 10.10.1.1:8080 → 10.10.2.2:80');
    expect(html).toMatch(/SNAT 10\.10\.1\.2(:\d+)? → 10\.10\.2\.1/);
    expect(html).toContain('orig.dst → reply.src: <b>10.10.1.1:8080 → 10.10.2.2:80</b>');
    expect(html).toContain('orig.src → reply.dst: <b>10.10.1.2:41001 → 10.10.2.1:41001</b>');
    // self-contained
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script|\bsrc\s*=|url\(|@import/i);
    for (const m of html.matchAll(/\shref="([^"]*)"/g)) expect(m[1]).toMatch(/^#flow-/);
    // every flow has a detail section whose path table lists each of its packets
    const byFlow = new Map<string, number>();
    for (const p of json.packets ?? []) byFlow.set(p.flow, (byFlow.get(p.flow) ?? 0) + 1);
    for (const f of json.flows) {
      const at = html.indexOf(`<section class="flow" id="flow-${f.id}">`);
      expect(at, `section of flow ${f.id}`).toBeGreaterThan(0);
      const section = html.slice(at, html.indexOf('</section>', at));
      const path = section.slice(section.indexOf('<h3>Netfilter path</h3>'));
      const rows = path.match(/<tr><td class="n">/g) ?? [];
      expect(rows.length, `path rows of flow ${f.id}`).toBe(Math.min(200, byFlow.get(f.id) ?? 0));
      expect(section).toContain('<svg class="ladder"');
      expect(section).toContain('<svg class="timeline"');
    }
    // forwarded packets cross PREROUTING → FORWARD → POSTROUTING; the first is NEW
    expect(html).toContain(esc('PREROUTING → FORWARD → POSTROUTING'));
    expect(html).toMatch(/<td>(<span class="">)?NEW/);
    // a rewrite marker in the ladder of a NATed flow
    expect(html).toContain('DNAT+SNAT</text>');
    // findings link to their flows
    for (const f of json.findings) for (const id of f.flows) expect(html).toContain(`href="#flow-${id}"`);
  });

  it('HTML with --flow has only those flows', async () => {
    const html = await report('html', '--flow', '1', '--flow', '6');
    expect(html).toContain('id="flow-1"');
    expect(html).toContain('id="flow-6"');
    expect(html).not.toContain('id="flow-2"');
  });

  it('JSON validates against report.schema.json, with and without --packets', async () => {
    const schema = JSON.parse(readFileSync(join(SHARED, 'spec/report.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const plain = JSON.parse(await report('json')) as ReportJson;
    expect(plain.packets).toBeUndefined();
    for (const doc of [plain, json]) {
      const ok = validate(doc);
      expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
    }
    expect(json.packets?.length).toBeGreaterThan(0);
    expect(plain.flows.map((f) => f.id)).toEqual(json.flows.map((f) => f.id));
    // the schema rejects what it should: a sanity check that validation is not vacuous
    expect(validate({ ...plain, flows: [{ ...plain.flows[0], l3: 'ipx' }] })).toBe(false);
  });

  it('CSV parses back to the same flow ids and tuples as the JSON', async () => {
    const rows = parseCsv(await report('csv'));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const col = (name: (typeof CSV_COLUMNS)[number]): number => CSV_COLUMNS.indexOf(name);
    const body = rows.slice(1);
    expect(body).toHaveLength(json.flows.length);
    const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
    body.forEach((r, i) => {
      const f: FlowJson = json.flows[i]!;
      expect(r).toHaveLength(CSV_COLUMNS.length);
      expect(r[col('id')]).toBe(f.id);
      expect(r[col('proto')]).toBe(f.proto);
      expect([r[col('orig_src')], r[col('orig_sport')], r[col('orig_dst')], r[col('orig_dport')]]).toEqual([
        f.orig.src,
        s(f.orig.sport),
        f.orig.dst,
        s(f.orig.dport),
      ]);
      expect([
        r[col('reply_src')],
        r[col('reply_sport')],
        r[col('reply_dst')],
        r[col('reply_dport')],
      ]).toEqual([s(f.reply?.src), s(f.reply?.sport), s(f.reply?.dst), s(f.reply?.dport)]);
      expect(r[col('dnat')]).toBe(f.nat.dnat ? '1' : '0');
      expect(r[col('snat')]).toBe(f.nat.snat ? '1' : '0');
      expect(Number(r[col('packets_orig')])).toBe(f.packets.orig);
    });
  });

  it('the CSV parser handles RFC 4180 quoting', () => {
    expect(parseCsv('a,"b,c","d""e","f\r\ng"\r\n,x\r\n')).toEqual([
      ['a', 'b,c', 'd"e', 'f\r\ng'],
      ['', 'x'],
    ]);
    expect(() => parseCsv('a,"b\r\n')).toThrow();
  });

  it('Markdown has the findings and the flow table', async () => {
    const md = await report('md');
    expect(md).toContain('## Findings');
    expect(json.findings.length).toBeGreaterThan(0);
    for (const f of json.findings) {
      expect(md).toContain(`\`${f.kind}\``);
      expect(md).toContain(mdText(f.summary));
    }
    expect(md).toContain('| id | proto | original | reply | NAT | packets o/r | state | findings |');
    for (const f of json.flows) expect(md).toMatch(new RegExp(`^\\| ${f.id} \\| ${f.proto} \\|`, 'm'));
    expect(md).toContain('DNAT 10.10.1.1:8080 → 10.10.2.2:80');
  });
});
