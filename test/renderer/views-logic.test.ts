// Pure logic behind the views: NAT reading of the tuples, hex dump, hook grouping, ladder layout,
// and the HTTP transport's envelope handling.
import { describe, expect, it } from 'vitest';
import type { FlowJson, NetfilterJson, PacketJson } from '../../src/shared/report';
import { hexDumpLines, natChanges, tupleText } from '../../src/renderer/format';
import { groupByHook, passedEdges } from '../../src/renderer/netfilter';
import { layoutLadder } from '../../src/renderer/ladder';
import { ApiError, createHttpApi } from '../../src/renderer/http-transport';

// kube-proxy style: client 10.10.1.2 → service 10.10.1.1:8080, DNAT to pod 10.10.2.2:80, MASQUERADE
// to 10.10.2.1 on the way out (the shape of the sample incident's first flow).
const flow: FlowJson = {
  id: '1',
  l3: 'ipv4',
  proto: 'tcp',
  orig: { src: '10.10.1.2', dst: '10.10.1.1', sport: 41001, dport: 8080 },
  reply: { src: '10.10.2.2', dst: '10.10.2.1', sport: 80, dport: 41001 },
  nat: { snat: true, dnat: true, evidence: ['conntrack'] },
  first_ts: 100,
  last_ts: 101,
  packets: { orig: 2, reply: 1 },
};

function packet(p: Partial<PacketJson> & Pick<PacketJson, 'dir' | 'observations'>): PacketJson {
  return { ts: 100, flow: '1', ctstate: null, netfilter: { hooks: [], source: 'inferred' }, ...p };
}

const syn = packet({
  id: 3,
  dir: 'orig',
  tcp_flags: 'S',
  seq: 5,
  observations: [
    {
      capture: 1,
      frame: 3,
      ts: 100,
      iface: 'eth0',
      direction: 'in',
      src: '10.10.1.2',
      dst: '10.10.1.1',
      sport: 41001,
      dport: 8080,
    },
    {
      capture: 1,
      frame: 6,
      ts: 100.1,
      iface: 'eth1',
      direction: 'out',
      src: '10.10.2.1',
      dst: '10.10.2.2',
      sport: 41001,
      dport: 80,
    },
  ],
});

describe('NAT from the tuples', () => {
  it('DNAT: orig.dst → reply.src; SNAT: orig.src → reply.dst', () => {
    expect(natChanges(flow)).toEqual([
      { kind: 'DNAT', side: 'dst', before: '10.10.1.1:8080', after: '10.10.2.2:80' },
      { kind: 'SNAT', side: 'src', before: '10.10.1.2:41001', after: '10.10.2.1:41001' },
    ]);
  });
  it('no NAT when the reply mirrors the original, nothing when the reply is unknown', () => {
    const plain: FlowJson = {
      ...flow,
      reply: { src: '10.10.1.1', dst: '10.10.1.2', sport: 8080, dport: 41001 },
      nat: { snat: false, dnat: false, evidence: [] },
    };
    expect(natChanges(plain)).toEqual([]);
    expect(natChanges({ ...flow, reply: null })).toEqual([]);
  });
  it('IPv6 endpoints are bracketed', () => {
    expect(tupleText({ src: 'fd00::1', dst: 'fd00::2', sport: 1, dport: 2 })).toBe(
      '[fd00::1]:1 → [fd00::2]:2',
    );
  });
});

describe('hex dump', () => {
  it('prints offset, 16 bytes in two groups and printable ASCII', () => {
    const hex = '4500003c' + '41'.repeat(14) + '0a';
    const lines = hexDumpLines(hex);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      offset: '0000',
      hex: '45 00 00 3c 41 41 41 41  41 41 41 41 41 41 41 41',
      ascii: 'E..<AAAAAAAAAAAA',
    });
    expect(lines[1]?.offset).toBe('0010');
    expect(lines[1]?.ascii).toBe('AA.');
    expect(lines[1]?.hex).toHaveLength(48);
  });
  it('empty input, no lines', () => expect(hexDumpLines('')).toEqual([]));
});

describe('netfilter grouping', () => {
  const nf: NetfilterJson = {
    hooks: ['PREROUTING', 'FORWARD', 'POSTROUTING'],
    source: 'trace',
    chains: [
      'raw:PREROUTING',
      'nat:PREROUTING',
      'nat:KUBE-SERVICES',
      'nat:KUBE-SVC-X',
      'filter:FORWARD',
      'nat:POSTROUTING',
      'nat:KUBE-POSTROUTING',
    ],
    rules: [
      { chain: 'nat:KUBE-SVC-X', rule: '-j DNAT --to-destination 10.10.2.2:80', verdict: 'DNAT' },
      { chain: 'nat:KUBE-POSTROUTING', rule: '-j MASQUERADE', verdict: 'ACCEPT' },
    ],
  };
  it('user chains belong to the hook of the built-in chain that jumped to them', () => {
    const g = groupByHook(nf);
    expect(g.map((x) => [x.hook, x.passed, x.order])).toEqual([
      ['PREROUTING', true, 1],
      ['INPUT', false, null],
      ['FORWARD', true, 2],
      ['OUTPUT', false, null],
      ['POSTROUTING', true, 3],
    ]);
    expect(g[0]?.chains.map((c) => c.chain)).toEqual([
      'PREROUTING',
      'PREROUTING',
      'KUBE-SERVICES',
      'KUBE-SVC-X',
    ]);
    expect(g[0]?.rules.map((r) => r.verdict)).toEqual(['DNAT']);
    expect(g[4]?.rules.map((r) => r.rule)).toEqual(['-j MASQUERADE']);
  });
  it('edges of the path, including the loopback re-entry', () => {
    expect([...passedEdges(['OUTPUT', 'POSTROUTING', 'PREROUTING', 'INPUT'])]).toEqual([
      'OUTPUT>POSTROUTING',
      'POSTROUTING>PREROUTING',
      'PREROUTING>INPUT',
    ]);
  });
});

describe('ladder layout', () => {
  it('columns client · interfaces in the order met · server; rewrites where addresses changed', () => {
    const reply = packet({
      id: 6,
      dir: 'reply',
      tcp_flags: 'SA',
      observations: [
        {
          capture: 1,
          frame: 7,
          ts: 100.2,
          iface: 'eth1',
          direction: 'in',
          src: '10.10.2.2',
          dst: '10.10.2.1',
          sport: 80,
          dport: 41001,
        },
        {
          capture: 1,
          frame: 8,
          ts: 100.3,
          iface: 'eth0',
          direction: 'out',
          src: '10.10.1.1',
          dst: '10.10.1.2',
          sport: 8080,
          dport: 41001,
        },
      ],
    });
    const again = { ...syn, id: 9, ts: 101 };
    const rst = packet({
      id: 10,
      dir: 'reply',
      tcp_flags: 'R',
      observations: [reply.observations[0] as PacketJson['observations'][number]],
    });
    const l = layoutLadder(flow, [syn, reply, again, rst]);
    expect(l.columns.map((c) => c.label)).toEqual(['client', 'eth0', 'eth1', 'server']);
    expect(l.columns[3]?.sub).toBe('10.10.2.2:80');
    expect(l.rows[0]?.path).toEqual([0, 1, 2, 3]);
    expect(l.rows[1]?.path).toEqual([3, 2, 1, 0]);
    expect(l.rows[0]?.rewrites).toEqual([
      {
        col: 2,
        text: 'src 10.10.1.2:41001 → 10.10.2.1:41001; dst 10.10.1.1:8080 → 10.10.2.2:80',
        source: 'capture',
      },
    ]);
    expect(l.rows[1]?.rewrites[0]?.col).toBe(1);
    expect(l.rows[2]?.retransmission).toBe(true);
    expect(l.rows[0]?.retransmission).toBe(false);
    expect(l.rows[3]?.reset).toBe(true);
  });
  it('a packet seen on one side only shows its NAT step where the hook runs', () => {
    const one = packet({
      id: 1,
      dir: 'orig',
      observations: [syn.observations[0] as PacketJson['observations'][number]],
      nat: [
        {
          hook: 'PREROUTING',
          kind: 'DNAT',
          from: flow.orig,
          to: { ...flow.orig, dst: '10.10.2.2', dport: 80 },
        },
      ],
    });
    const l = layoutLadder(flow, [one]);
    expect(l.rows[0]?.rewrites).toEqual([
      { col: 1, text: 'DNAT dst 10.10.1.1:8080 → 10.10.2.2:80', source: 'nat' },
    ]);
  });
});

describe('HTTP transport', () => {
  function fake(status: number, body: string) {
    const calls: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    const api = createHttpApi({
      apiBase: 'http://127.0.0.1:1/api/',
      token: 'tok',
      fetch: async (url, init) => {
        calls.push({ url, headers: init.headers, body: init.body });
        return { ok: status < 400, status, text: async () => body };
      },
    });
    return { api, calls };
  }
  it('posts the request with the token and unwraps the result', async () => {
    const { api, calls } = fake(200, JSON.stringify({ ok: true, result: [] }));
    expect(await api.call('findings.list', {})).toEqual([]);
    expect(calls[0]).toEqual({
      url: 'http://127.0.0.1:1/api/findings.list',
      headers: { 'content-type': 'application/json', 'x-pathlens-token': 'tok' },
      body: '{}',
    });
  });
  it('turns {ok: false} and non-JSON answers into ApiError', async () => {
    await expect(
      fake(401, JSON.stringify({ ok: false, error: 'missing or wrong token' })).api.call('case.info', {}),
    ).rejects.toThrow('case.info: missing or wrong token');
    await expect(fake(502, '<html>').api.call('case.info', {})).rejects.toBeInstanceOf(ApiError);
  });
  it('delivers server-sent events to listeners and closes the stream after the last one leaves', () => {
    const handlers = new Map<string, (ev: { data: string }) => void>();
    let closed = false;
    let opened = '';
    const api = createHttpApi({
      apiBase: 'http://h/api/',
      token: 't k',
      fetch: async () => ({ ok: true, status: 200, text: async () => '' }),
      eventSource: (url) => {
        opened = url;
        return { addEventListener: (t, l) => handlers.set(t, l), close: () => (closed = true) };
      },
    });
    const got: unknown[] = [];
    const off = api.on('ingest.progress', (p) => got.push(p.phase));
    expect(opened).toBe('http://h/api/events?token=t%20k');
    handlers.get('ingest.progress')?.({ data: JSON.stringify({ phase: 'capture' }) });
    handlers.get('ingest.progress')?.({ data: 'not json' });
    expect(got).toEqual(['capture']);
    off();
    expect(closed).toBe(true);
  });
});
