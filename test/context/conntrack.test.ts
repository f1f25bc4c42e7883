// conntrack(8) parsers: every output form of formats.md §1, the lab's real files, and damaged copies.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  invertTuple,
  isDnat,
  isSnat,
  parseConntrack,
  parseConntrackStats,
  sniffConntrack,
} from '../../src/main/context/conntrack';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = process.env.PATHLENS_SHARED ?? path.resolve(repoRoot, '../shared');
const labDir = path.join(shared, 'lab');
const scenarios = existsSync(labDir)
  ? readdirSync(labDir).filter((d) => existsSync(path.join(labDir, d, 'truth.json')))
  : [];

const one = (line: string) => {
  const r = parseConntrack(`${line}\n`);
  expect(r.warnings).toEqual([]);
  expect(r.records).toHaveLength(1);
  return r.records[0]!;
};

const lastIndex = (xs: string[], f: (x: string) => boolean): number => {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i]!)) return i;
  return -1;
};

// Deterministic "random" bytes: C0 controls and high bytes, never a newline.
function garbage(seed: number, n: number): string {
  let x = seed;
  let s = '\x00';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const pool = [0x01, 0x02, 0x07, 0x0b, 0x1b, 0x7f, 0x80, 0x9b, 0xc3, 0xff, 0xfe, 0x8f];
    s += String.fromCharCode(pool[x % pool.length]!);
  }
  return s;
}

describe('conntrack text lines (formats.md 1.7)', () => {
  it('plain NEW/UPDATE/DESTROY', () => {
    const n = one(
      '    [NEW] tcp      6 120 SYN_SENT src=10.10.1.2 dst=10.10.1.1 sport=37590 dport=8080 [UNREPLIED] src=10.10.2.2 dst=10.10.2.1 sport=80 dport=37590',
    );
    expect(n).toMatchObject({
      type: 'NEW',
      l3: 'ipv4',
      proto: 'tcp',
      protonum: 6,
      timeout: 120,
      state: 'SYN_SENT',
      status: ['UNREPLIED'],
      orig: { src: '10.10.1.2', dst: '10.10.1.1', sport: 37590, dport: 8080 },
      reply: { src: '10.10.2.2', dst: '10.10.2.1', sport: 80, dport: 37590 },
      counters: null,
      id: null,
      ts: null,
      format: 'text',
      kind: 'flow',
    });
    expect(isDnat(n)).toBe(true);
    expect(isSnat(n)).toBe(true);
    const d = one(
      '[DESTROY] tcp      6 TIME_WAIT src=10.10.1.2 dst=10.10.1.1 sport=37590 dport=8080 packets=6 bytes=398 src=10.10.2.2 dst=10.10.2.1 sport=80 dport=37590 packets=4 bytes=222 [ASSURED] delta-time=120',
    );
    expect(d).toMatchObject({
      type: 'DESTROY',
      timeout: null,
      state: 'TIME_WAIT',
      status: ['ASSURED'],
      deltaTime: 120,
      counters: { orig: { packets: 6, bytes: 398 }, reply: { packets: 4, bytes: 222 } },
    });
  });

  it('unknown protocol has no L4 tokens; zone', () => {
    const r = one(
      '[DESTROY] unknown  253 src=10.10.1.2 dst=10.10.2.2 packets=1 bytes=39 [UNREPLIED] src=10.10.2.2 dst=10.10.2.1 packets=0 bytes=0 zone=7 delta-time=600',
    );
    expect(r).toMatchObject({ proto: 'unknown', protonum: 253, zone: 7, timeout: null, state: null });
    expect(r.orig).toEqual({ src: '10.10.1.2', dst: '10.10.2.2' });
  });

  it('-o timestamp, zone-orig, id, [USERSPACE] portid progname', () => {
    const r = one(
      '[1795666811.700946]\t[DESTROY] udp      17 27 src=10.10.1.2 dst=10.10.2.2 sport=54671 dport=6000 zone-orig=3 packets=1 bytes=33 src=10.10.2.2 dst=10.10.2.1 sport=6000 dport=54671 packets=1 bytes=33 delta-time=2 id=739410591 [USERSPACE] portid=3723935825 progname=conntrack',
    );
    expect(r.ts).toBeCloseTo(1795666811.700946, 6);
    expect(r).toMatchObject({
      timeout: 27,
      zoneOrig: 3,
      id: 739410591,
      userspace: { portid: 3723935825, progname: 'conntrack' },
    });
  });

  it('-o extended,id ICMP: two id= keys, the flow id is the last', () => {
    const r = one(
      '    [NEW] ipv4     2 icmp     1 30 src=10.10.1.2 dst=10.10.2.2 type=8 code=0 id=9666 [UNREPLIED] src=10.10.2.2 dst=10.10.2.1 type=0 code=0 id=9666 id=1726007943',
    );
    expect(r.id).toBe(1726007943);
    expect(r.orig).toEqual({ src: '10.10.1.2', dst: '10.10.2.2', icmpType: 8, icmpCode: 0, icmpId: 9666 });
    expect(r.reply.icmpType).toBe(0);
    expect(r.reply.icmpId).toBe(9666);
    expect(isSnat(r)).toBe(true);
    // Without -o id the only ids are the tuples'.
    const p = one(
      'icmp     1 28 src=10.10.1.2 dst=10.10.1.1 type=8 code=0 id=4097 src=10.10.1.1 dst=10.10.1.2 type=0 code=0 id=4097 mark=0 use=1',
    );
    expect(p.id).toBeNull();
    expect(isDnat(p) || isSnat(p)).toBe(false);
  });

  it('ICMP SNAT-like: reply id differs', () => {
    const r = one(
      'icmp     1 28 src=10.0.0.2 dst=1.1.1.1 type=8 code=0 id=5 src=1.1.1.1 dst=10.0.0.2 type=0 code=0 id=77 mark=0 use=1',
    );
    expect(isSnat(r)).toBe(true);
    expect(isDnat(r)).toBe(false);
  });

  it('-L with helper, ktimestamp with spaces, labels', () => {
    const h = one(
      'tcp      6 117 TIME_WAIT src=10.10.1.2 dst=10.10.2.2 sport=51232 dport=21 packets=6 bytes=327 src=10.10.2.2 dst=10.10.2.1 sport=21 dport=51232 packets=5 bytes=275 [ASSURED] mark=0 delta-time=2 helper=ftp use=1',
    );
    expect(h).toMatchObject({ type: null, helper: 'ftp', mark: 0, use: 1 });
    const k = one(
      'tcp      6 117 TIME_WAIT src=10.10.1.2 dst=10.10.1.1 sport=44550 dport=8080 src=10.10.2.2 dst=10.10.2.1 sport=80 dport=44550 [ASSURED] mark=0 delta-time=2 [start=Thu Nov 26 04:20:09 2026] use=1',
    );
    expect(k.start).toBe('Thu Nov 26 04:20:09 2026');
    expect(k.startEpoch).toBe(Date.UTC(2026, 10, 26, 4, 20, 9) / 1000);
    expect(k.use).toBe(1);
    const d = one(
      '[DESTROY] tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] [start=Thu Nov  6 04:09:26 2026] [stop=Thu Nov  6 04:11:26 2026]',
    );
    expect(d.stopEpoch! - d.startEpoch!).toBe(120);
    const l = one(
      'icmp     1 28 src=10.10.1.2 dst=10.10.2.2 type=8 code=0 id=31597 packets=1 bytes=84 src=10.10.2.2 dst=10.10.2.1 type=0 code=0 id=31597 packets=1 bytes=84 mark=0 delta-time=1 use=1 labels=kube-svc,audited',
    );
    expect(l.labels).toEqual(['kube-svc', 'audited']);
  });

  it('/proc/net/nf_conntrack: fully expanded IPv6 is canonicalised, zone=0 kept', () => {
    const r = one(
      'ipv6     10 icmpv6   58 28 src=fd00:0001:0000:0000:0000:0000:0000:0002 dst=fd00:0002:0000:0000:0000:0000:0000:0002 type=128 code=0 id=31598 src=fd00:0002:0000:0000:0000:0000:0000:0002 dst=fd00:0002:0000:0000:0000:0000:0000:0001 type=129 code=0 id=31598 mark=0 zone=0 delta-time=1 use=2',
    );
    expect(r).toMatchObject({ l3: 'ipv6', proto: 'icmpv6', zone: 0, use: 2, format: 'proc' });
    expect(r.orig.src).toBe('fd00:1::2');
    expect(r.reply.dst).toBe('fd00:2::1');
  });

  it('every protocol: udplite, sctp, dccp, gre, IPv6 tcp, OFFLOAD, unknown flags and keys', () => {
    expect(
      one(
        '[NEW] udplite  136 30 src=10.0.0.1 dst=10.0.0.2 sport=5 dport=6 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=6 dport=5',
      ).proto,
    ).toBe('udplite');
    expect(
      one(
        '[NEW] sctp     132 10 CLOSED src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=6000 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=6000 dport=5000',
      ).state,
    ).toBe('CLOSED');
    expect(
      one(
        'dccp     33 600 OPEN src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=6000 src=10.0.0.2 dst=10.0.0.1 sport=6000 dport=5000 [ASSURED] mark=0 use=1',
      ).state,
    ).toBe('OPEN');
    const g = one(
      '[NEW] gre      47 30 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x4a1 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 srckey=0x4a1 dstkey=0x0',
    );
    expect(g.orig).toEqual({ src: '10.0.0.1', dst: '10.0.0.2', srcKey: '0x0', dstKey: '0x4a1' });
    expect(invertTuple(g.orig)).toEqual({ src: '10.0.0.2', dst: '10.0.0.1', srcKey: '0x4a1', dstKey: '0x0' });
    const v6 = one(
      ' [UPDATE] tcp      6 432000 ESTABLISHED src=fd00:10:1::2 dst=fd00:10:1::1 sport=41001 dport=8080 src=fd00:10:2::2 dst=fd00:10:2::1 sport=80 dport=41001 [ASSURED] id=3977272857',
    );
    expect(v6.l3).toBe('ipv6');
    const o = one(
      'tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] [FUTURE] mark=0 newkey=x use=1',
    );
    expect(o.status).toEqual(['OFFLOAD']);
    expect(o.extra).toEqual({ '[FUTURE]': '', newkey: 'x' });
    expect(o.timeout).toBeNull();
  });

  it('expectation events, with space-padded microseconds', () => {
    const r = parseConntrack(
      [
        '[1795666811.7009  ]\t    [NEW] 300 proto=6 src=10.10.1.2 dst=10.10.2.2 sport=0 dport=41234 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.10.1.2 master-dst=10.10.2.2 sport=51232 dport=21 class=0 helper=ftp',
        '[DESTROY] 299 proto=17 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=5060 PERMANENT,INACTIVE',
      ].join('\n') + '\n',
    );
    expect(r.warnings).toEqual([]);
    const [a, b] = r.records;
    expect(a).toMatchObject({
      kind: 'expect',
      type: 'NEW',
      timeout: 300,
      proto: 'tcp',
      protonum: 6,
      helper: 'ftp',
    });
    expect(a!.ts).toBeCloseTo(1795666811.007009, 6);
    expect(a!.orig).toMatchObject({ src: '10.10.1.2', dport: 41234 });
    expect(a!.expect!.master).toMatchObject({ src: '10.10.1.2', dst: '10.10.2.2', sport: 51232, dport: 21 });
    expect(a!.expect!.mask).toMatchObject({ src: '255.255.255.255', dport: 65535 });
    expect(b!.expect!.flags).toEqual(['PERMANENT', 'INACTIVE']);
    expect(isDnat(a!)).toBe(false);
  });

  it('summary line is ignored anywhere, also mid-line; comments skipped', () => {
    const line =
      ' [UPDATE] udp      17 30 src=10.10.1.2 dst=10.10.1.1 sport=1 dport=53 src=10.10.2.2 dst=10.10.1.2 sport=53 dport=1 id=5';
    const r = parseConntrack(
      [
        'conntrack v1.4.7 (conntrack-tools): 12 flow events have been shown.',
        line,
        '# conntrack v1.4.7 (conntrack-tools): 6 flow entries have been shown.',
        line,
      ].join('\n') + '\n',
    );
    expect(r.warnings).toEqual([]);
    expect(r.records.map((x) => x.line)).toEqual([2, 4]);
  });
});

describe('conntrack -o xml (formats.md 1.5)', () => {
  const meta = (dir: string, l3: string, src: string, dst: string, l4: string) =>
    `<meta direction="${dir}"><layer3 protonum="${l3 === 'ipv4' ? 2 : 10}" protoname="${l3}"><src>${src}</src><dst>${dst}</dst></layer3>${l4}</meta>`;
  const xml = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<conntrack>',
    `<flow type="new">${meta('original', 'ipv4', '10.10.1.2', '10.10.1.1', '<layer4 protonum="6" protoname="tcp"><sport>41001</sport><dport>8080</dport></layer4>')}${meta('reply', 'ipv4', '10.10.2.2', '10.10.2.1', '<layer4 protonum="6" protoname="tcp"><sport>80</sport><dport>41001</dport></layer4>')}<meta direction="independent"><state>SYN_SENT</state><timeout>120</timeout><id>1410778805</id><unreplied/></meta><when><hour>4</hour><min>09</min><sec>26</sec><wday>5</wday><day>26</day><month>11</month><year>2026</year></when></flow>`,
    `<flow type="update">${meta('original', 'ipv4', '10.0.0.1', '10.0.0.2', '<layer4 protonum="132" protoname="sctp"><sport>5000</sport><dport>6000</dport></layer4>')}${meta('reply', 'ipv4', '10.0.0.2', '10.0.0.1', '<layer4 protonum="132" protoname="sctp"><sport>6000</sport><dport>5000</dport></layer4>')}<meta direction="independent"><state>FIN_WAIT</state><timeout>210</timeout><assured/></meta></flow>`,
    `<flow type="destroy">${meta('original', 'ipv6', 'fd00:10:1::2', 'fd00:10:2::2', '<layer4 protonum="58" protoname="icmpv6"></layer4><counters><packets>3</packets><bytes>312</bytes></counters>')}${meta('reply', 'ipv6', 'fd00:10:2::2', 'fd00:10:2::1', '<layer4 protonum="58" protoname="icmpv6"></layer4><counters><packets>3</packets><bytes>312</bytes></counters>')}<meta direction="independent"><id>7</id><timestamp><start>1795666811000000000</start><stop>1795666813500000000</stop></timestamp><deltatime>2</deltatime></meta></flow> [USERSPACE] portid=3723935825 progname=conntrack`,
    `<flow>${meta('original', 'ipv4', '10.10.1.2', '10.10.2.2', '<layer4 protonum="6" protoname="tcp"><sport>51232</sport><dport>21</dport></layer4>')}${meta('reply', 'ipv4', '10.10.2.2', '10.10.2.1', '<layer4 protonum="6" protoname="tcp"><sport>21</sport><dport>51232</dport></layer4>')}<meta direction="independent"><state>ESTABLISHED</state><timeout>431999</timeout><mark>0</mark><use>1</use><id>9</id><assured/><labels><label>kube-svc</label></labels></meta><helper>ftp</helper></flow>`,
    `<flow type="new">${meta('original', 'ipv4', '10.0.0.1', '10.0.0.2', '<layer4 protonum="33" protoname="dccp"><sport>1</sport><dport>2</dport></layer4>')}${meta('reply', 'ipv4', '10.0.0.2', '10.0.0.1', '<layer4 protonum="33" protoname="dccp"><sport>2</sport><dport>1</dport></layer4>')}<meta direction="independent"><state>SYN_SENT</state></meta></flow>`,
    '</conntrack>',
  ].join('\n');

  it('parses each flow line, maps SCTP/DCCP states back, helper outside meta, [USERSPACE] after </flow>', () => {
    const r = parseConntrack(`${xml}\n`);
    expect(r.warnings).toEqual([]);
    expect(r.records.map((x) => x.line)).toEqual([3, 4, 5, 6, 7]);
    const [tcp, sctp, icmp, snap, dccp] = r.records;
    expect(tcp).toMatchObject({
      format: 'xml',
      type: 'NEW',
      state: 'SYN_SENT',
      timeout: 120,
      id: 1410778805,
      status: ['UNREPLIED'],
    });
    expect(tcp!.ts).toBe(Date.UTC(2026, 10, 26, 4, 9, 26) / 1000);
    expect(sctp!.state).toBe('ESTABLISHED');
    expect(dccp!.state).toBe('REQUEST');
    expect(icmp).toMatchObject({
      l3: 'ipv6',
      proto: 'icmpv6',
      deltaTime: 2,
      userspace: { portid: 3723935825, progname: 'conntrack' },
    });
    expect(icmp!.counters).toEqual({ orig: { packets: 3, bytes: 312 }, reply: { packets: 3, bytes: 312 } });
    expect(icmp!.stopEpoch! - icmp!.startEpoch!).toBeCloseTo(2.5, 6);
    expect(snap).toMatchObject({ type: null, helper: 'ftp', labels: ['kube-svc'], mark: 0, use: 1 });
    expect(sniffConntrack(xml)).toBe('conntrack-events');
  });

  it('a damaged XML line is a warning; the others stay', () => {
    const lines = xml.split('\n');
    lines[3] = lines[3]!.slice(0, 200);
    const r = parseConntrack(`${lines.join('\n')}\n`);
    expect(r.warnings.map((w) => w.line)).toEqual([4]);
    expect(r.records.map((x) => x.line)).toEqual([3, 5, 6, 7]);
  });
});

describe('conntrack -S / -C / /proc/net/stat/nf_conntrack', () => {
  it('-S rows, totals, -C count', () => {
    const r = parseConntrackStats(
      'cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=1 search_restart=0 clash_resolve=0 chaintoolong=0\n' +
        'cpu=1   \tfound=2 invalid=3 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=5 chaintoolong=0\n' +
        '42\n',
    );
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(1);
    const s = r.records[0]!;
    expect(s.source).toBe('conntrack -S');
    expect(s.cpus.map((c) => c.cpu)).toEqual([0, 1]);
    expect(s.totals).toMatchObject({ error: 1, invalid: 3, clash_resolve: 5, found: 2 });
    expect(s.count).toBe(42);
  });

  it('/proc/net/stat/nf_conntrack hex table; entries is global', () => {
    const text =
      'entries  clashres  found  new  invalid  ignore  delete  chainlength  insert  insert_failed  drop  early_drop  icmp_error  expect_new  expect_create  expect_delete  search_restart\n' +
      '00000006  00000001  00000000  00000000  0000000a  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000\n' +
      '00000006  00000002  00000000  00000000  00000001  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000  00000000\n';
    const r = parseConntrackStats(text);
    expect(r.warnings).toEqual([]);
    expect(r.records[0]!.source).toBe('/proc/net/stat/nf_conntrack');
    expect(r.records[0]!.totals).toMatchObject({ entries: 6, clashres: 3, invalid: 11 });
    expect(sniffConntrack(text)).toBe('conntrack-stats');
  });

  it('stats lines inside an event file go to .stats', () => {
    const r = parseConntrack(
      'cpu=0   \tfound=0 invalid=0 clash_resolve=2\n[NEW] udp 17 30 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1\n',
    );
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(1);
    expect(r.stats?.[0]?.totals['clash_resolve']).toBe(2);
  });
});

describe('sniffConntrack', () => {
  it('recognises each form', () => {
    expect(
      sniffConntrack(
        '[1795667558.222067]\t    [NEW] tcp      6 120 SYN_SENT src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2',
      ),
    ).toBe('conntrack-events');
    expect(
      sniffConntrack(
        'conntrack v1.4.7 (conntrack-tools): 2 flow events have been shown.\n [UPDATE] udp 17 30 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2',
      ),
    ).toBe('conntrack-events');
    expect(
      sniffConntrack('# conntrack -L\nipv4     2 tcp      6 117 TIME_WAIT src=1.1.1.1 dst=2.2.2.2 sport=1'),
    ).toBe('conntrack-table');
    expect(sniffConntrack('### before 1\n# conntrack -S\ncpu=0   \tfound=0 invalid=0')).toBe(
      'conntrack-stats',
    );
    expect(sniffConntrack('<?xml version="1.0" encoding="utf-8"?>\n<conntrack>\n<flow><meta')).toBe(
      'conntrack-table',
    );
    expect(sniffConntrack('hello world')).toBeNull();
    expect(sniffConntrack('')).toBeNull();
  });
});

describe.skipIf(scenarios.length === 0)('lab files', () => {
  const recordLines = (text: string) =>
    text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;

  for (const s of scenarios) {
    for (const f of ['conntrack.log', 'conntrack-ext.log', 'conntrack-table.txt']) {
      it(`${s}/${f}: zero warnings, one record per line`, () => {
        const text = readFileSync(path.join(labDir, s, f), 'utf8');
        const r = parseConntrack(text);
        expect(r.warnings).toEqual([]);
        expect(r.records).toHaveLength(recordLines(text));
        expect(sniffConntrack(text.slice(0, 2000))).toBe(
          f.endsWith('.log') ? 'conntrack-events' : 'conntrack-table',
        );
        for (const rec of r.records) expect(rec.id).not.toBeNull();
      });
    }
    it(`${s}/conntrack-stats.txt: before/after kept apart`, () => {
      const text = readFileSync(path.join(labDir, s, 'conntrack-stats.txt'), 'utf8');
      const r = parseConntrackStats(text);
      expect(r.warnings).toEqual([]);
      expect(r.records.map((x) => x.label)).toEqual(['before', 'after']);
      const cpuLines = text.split('\n').filter((l) => l.startsWith('cpu=')).length;
      expect(r.records.reduce((n, x) => n + x.cpus.length, 0)).toBe(cpuLines);
      for (const sec of r.records) {
        expect(sec.count).not.toBeNull();
        expect(sec.ts).toBeGreaterThan(1e9);
      }
      expect(sniffConntrack(text)).toBe('conntrack-stats');
    });
  }

  it('udp-dns: clash_resolve after > 0, the -C count matches the table', () => {
    const dir = path.join(labDir, 'udp-dns');
    if (!existsSync(dir)) return;
    const after = parseConntrackStats(readFileSync(path.join(dir, 'conntrack-stats.txt'), 'utf8'))
      .records[1]!;
    expect(after.totals['clash_resolve']).toBeGreaterThan(0);
    const table = parseConntrack(readFileSync(path.join(dir, 'conntrack-table.txt'), 'utf8'));
    expect(after.count).toBe(table.records.length);
  });

  it('truth.json flows agree with conntrack-ext.log on tuples and NAT', () => {
    for (const s of scenarios) {
      const truth = JSON.parse(readFileSync(path.join(labDir, s, 'truth.json'), 'utf8')) as {
        flows: { id: number; orig: Record<string, number | string>; nat: { snat: boolean; dnat: boolean } }[];
      };
      const recs = parseConntrack(readFileSync(path.join(labDir, s, 'conntrack-ext.log'), 'utf8')).records;
      for (const f of truth.flows) {
        const rec = recs.find((r) => r.id === f.id);
        expect(rec, `${s} flow ${f.id}`).toBeDefined();
        expect(rec!.orig.src).toBe(f.orig['src']);
        expect(isDnat(rec!)).toBe(f.nat.dnat);
        expect(isSnat(rec!)).toBe(f.nat.snat);
      }
    }
  });
});

describe.skipIf(scenarios.length === 0)('damaged copies', () => {
  const files: [string, 'events' | 'stats'][] = [
    ['portforward/conntrack.log', 'events'],
    ['ipv6/conntrack-ext.log', 'events'],
    ['local/conntrack-table.txt', 'events'],
    ['udp-dns/conntrack-stats.txt', 'stats'],
  ];
  const parse = (kind: 'events' | 'stats', t: string) =>
    kind === 'stats' ? parseConntrackStats(t) : parseConntrack(t);
  const count = (kind: 'events' | 'stats', t: string) => {
    const r = parse(kind, t);
    return kind === 'stats'
      ? (r as ReturnType<typeof parseConntrackStats>).records.reduce((n, s) => n + s.cpus.length, 0)
      : r.records.length;
  };

  for (const [f, kind] of files) {
    const text = () => readFileSync(path.join(labDir, f), 'utf8');
    it(`${f}: cut mid-line`, () => {
      const lines = text().split('\n');
      const target =
        kind === 'stats' ? lastIndex(lines, (l: string) => l.startsWith('cpu=')) : lines.length - 2;
      const cut = [
        ...lines.slice(0, target),
        lines[target]!.slice(0, Math.floor(lines[target]!.length / 2)),
      ].join('\n');
      const r = parse(kind, cut);
      expect(r.warnings.map((w) => w.line)).toContain(target + 1);
      expect(r.warnings.every((w) => w.line === target + 1)).toBe(true);
      const before = count(kind, `${lines.slice(0, target).join('\n')}\n`);
      expect(count(kind, cut)).toBeGreaterThanOrEqual(before);
    });
    it(`${f}: random bytes spliced into a line`, () => {
      const lines = text().split('\n');
      const m =
        kind === 'stats' ? lines.findIndex((l) => l.startsWith('cpu=')) : Math.floor(lines.length / 2);
      const l = lines[m]!;
      lines[m] = l.slice(0, l.length >> 1) + garbage(m, 6) + l.slice(l.length >> 1);
      const r = parse(kind, lines.join('\n'));
      expect(r.warnings.map((w) => w.line)).toEqual([m + 1]);
      expect(count(kind, lines.join('\n'))).toBe(count(kind, text()) - 1);
    });
    it(`${f}: a line of binary garbage`, () => {
      const lines = text().split('\n');
      const m = Math.floor(lines.length / 2);
      lines.splice(m, 0, garbage(7, 40));
      const r = parse(kind, lines.join('\n'));
      expect(r.warnings.map((w) => w.line)).toEqual([m + 1]);
      expect(count(kind, lines.join('\n'))).toBe(count(kind, text()));
    });
  }
  it('empty file', () => {
    expect(parseConntrack('')).toEqual({ records: [], warnings: [] });
    expect(parseConntrackStats('')).toEqual({ records: [], warnings: [] });
  });
  it('garbled tokens: bad address, bad port, missing reply tuple', () => {
    const r = parseConntrack(
      [
        '[NEW] tcp 6 120 SYN_SENT src=10.10.1.999 dst=10.10.1.1 sport=1 dport=2 src=10.10.1.1 dst=10.10.1.2 sport=2 dport=1',
        '[NEW] tcp 6 120 SYN_SENT src=10.10.1.2 dst=10.10.1.1 sport=99999 dport=2 src=10.10.1.1 dst=10.10.1.2 sport=2 dport=1',
        '[NEW] tcp 6 120 SYN_SENT src=10.10.1.2 dst=10.10.1.1 sport=1 dport=2',
        '[NEW] tcp 6 120 SYN_SENT src=10.10.1.2 dst=10.10.1.1 sport=1 dport=2 src=10.10.1.1 dst=10.10.1.2 sport=2 dport=1',
        'tcp',
      ].join('\n') + '\n',
    );
    expect(r.warnings.map((w) => w.line)).toEqual([1, 2, 3, 5]);
    expect(r.records.map((x) => x.line)).toEqual([4]);
  });
});
