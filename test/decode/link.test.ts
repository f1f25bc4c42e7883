// Link layers (libpcap pcap-linktype(7), formats.md 6.3): SLL2, SLL, Ethernet/VLAN, NULL/LOOP, RAW, NFLOG, ARP.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/main/decode/decode-frame';
import * as fx from './fixtures';

describe('LINUX_SLL2 (276)', () => {
  it('incoming: pkttype HOST, ifindex, sender MAC', () => {
    const p = decodeFrame(276, fx.sll2SynIn);
    expect(p).toMatchObject({
      link: 'sll2',
      ifindex: 2,
      pktType: 0,
      direction: 'in',
      macSrc: '02:00:0a:0a:01:02',
      macDst: null,
      etherType: 0x0800,
      l3: 'ipv4',
      src: '10.10.1.2',
      dst: '10.10.1.1',
      proto: 6,
      sport: 41001,
      dport: 8080,
      anomalies: [],
    });
  });

  it('outgoing: pkttype OUTGOING on another interface', () => {
    const p = decodeFrame(276, fx.sll2SynOut);
    expect(p).toMatchObject({
      ifindex: 3,
      pktType: 4,
      direction: 'out',
      src: '10.10.2.1',
      dst: '10.10.2.2',
      ttl: 63,
    });
    expect(p.anomalies).toEqual([]);
  });

  it('broadcast ARP is "in"; ARP sender/target IPs are src/dst', () => {
    const p = decodeFrame(276, fx.sll2ArpBroadcast);
    expect(p).toMatchObject({
      pktType: 1,
      direction: 'in',
      etherType: 0x0806,
      l3: 'arp',
      src: '10.10.1.2',
      dst: '10.10.1.1',
      proto: null,
      anomalies: [],
    });
  });

  it('a cooked header protocol below 0x0600 (ETH_P_802_2…) has no network layer', () => {
    const b = fx.sll2SynIn.slice();
    b[0] = 0x00;
    b[1] = 0x04;
    const p = decodeFrame(276, b);
    expect(p).toMatchObject({ l3: null, payloadOffset: 20, anomalies: [] });
  });
});

describe('LINUX_SLL (113)', () => {
  it('outgoing TCP', () => {
    const p = decodeFrame(113, fx.sllSynOut);
    expect(p).toMatchObject({
      link: 'sll',
      pktType: 4,
      direction: 'out',
      ifindex: null,
      macSrc: '02:00:0a:0a:01:02',
    });
    expect(p).toMatchObject({ src: '10.10.1.2', dst: '10.10.1.1', sport: 41001, dport: 8080, anomalies: [] });
  });
  it('incoming ICMP echo reply', () => {
    const p = decodeFrame(113, fx.sllEchoReply);
    expect(p).toMatchObject({
      direction: 'in',
      proto: 1,
      icmp: { type: 0, id: 4097, seq: 1 },
      anomalies: [],
    });
  });
  it('a packet type the kernel uses for neither direction (5 = loopback) falls back to the hint', () => {
    const b = fx.sllSynOut.slice();
    b[1] = 5;
    expect(decodeFrame(113, b).direction).toBeNull();
    expect(decodeFrame(113, b, { direction: 'in' }).direction).toBe('in');
    // a cooked packet type wins over the hint
    expect(decodeFrame(113, fx.sllSynOut, { direction: 'in' }).direction).toBe('out');
  });
});

describe('EN10MB (1)', () => {
  it('plain Ethernet from dumpcap', () => {
    const p = decodeFrame(1, fx.ethSyn);
    expect(p).toMatchObject({
      link: 'ethernet',
      macSrc: '02:00:0a:0a:01:02',
      macDst: '02:00:0a:0a:01:01',
      vlans: [],
      direction: null,
      src: '10.10.1.2',
      dst: '10.10.1.1',
      anomalies: [],
    });
  });

  it('Linux lo is Ethernet with zero MACs', () => {
    const p = decodeFrame(1, fx.ethLoopbackSyn);
    expect(p).toMatchObject({ macSrc: '00:00:00:00:00:00', src: '127.0.0.1', dst: '127.0.0.1', dport: 7001 });
  });

  it('QinQ: 802.1ad 100 then 802.1Q 200, outer first', () => {
    const p = decodeFrame(1, fx.ethQinqSyn);
    expect(p).toMatchObject({
      vlans: [100, 200],
      etherType: 0x0800,
      l3: 'ipv4',
      sport: 41001,
      anomalies: [],
    });
  });

  it('legacy 0x9100 tags and a single 802.1Q tag (priority bits ignored)', () => {
    const b = fx.ethQinqSyn.slice();
    b[12] = 0x91;
    b[13] = 0x00;
    b[14] = 0xe0; // PCP 7 on VLAN 100
    expect(decodeFrame(1, b).vlans).toEqual([100, 200]);
    // one tag: drop the outer one
    const one = new Uint8Array(b.length - 4);
    one.set(b.subarray(0, 12));
    one.set(b.subarray(16), 12);
    expect(decodeFrame(1, one)).toMatchObject({ vlans: [200], l3: 'ipv4', anomalies: [] });
  });

  it('an 802.3 length frame (STP over LLC) has no network layer and no anomaly', () => {
    const p = decodeFrame(1, fx.eth8023Stp);
    expect(p).toMatchObject({
      etherType: null,
      l3: null,
      payloadOffset: 14,
      payloadCaptured: 38,
      anomalies: [],
    });
  });

  it('an unknown EtherType stops decoding without an anomaly', () => {
    const b = fx.ethSyn.slice();
    b[12] = 0x88;
    b[13] = 0xcc; // LLDP
    expect(decodeFrame(1, b)).toMatchObject({
      etherType: 0x88cc,
      l3: null,
      payloadOffset: 14,
      anomalies: [],
    });
  });

  it('strips a trailing FCS when the interface has one', () => {
    const b = new Uint8Array(fx.ethSyn.length + 4);
    b.set(fx.ethSyn);
    b.set([0xde, 0xad, 0xbe, 0xef], fx.ethSyn.length);
    const p = decodeFrame(1, b, { fcsLen: 4 });
    expect(p.payloadCaptured).toBe(0);
    expect(p.anomalies).toEqual([]);
  });
});

describe('RAW (101, 12, 14), IPV4 (228), IPV6 (229)', () => {
  it.each([101, 12, 14])('link type %i decides by version nibble', (lt) => {
    expect(decodeFrame(lt, fx.rawTcp)).toMatchObject({
      link: 'raw',
      l3: 'ipv4',
      etherType: 0x0800,
      dport: 8080,
    });
    expect(decodeFrame(lt, fx.rawIcmpv6Echo)).toMatchObject({
      l3: 'ipv6',
      etherType: 0x86dd,
      icmp: { type: 128, id: 4097, seq: 1 },
      anomalies: [],
    });
  });
  it('IPV4/IPV6 link types', () => {
    expect(decodeFrame(228, fx.rawTcp)).toMatchObject({ l3: 'ipv4', anomalies: [] });
    expect(decodeFrame(229, fx.rawIcmpv6Echo)).toMatchObject({ l3: 'ipv6', anomalies: [] });
    expect(decodeFrame(228, fx.rawIcmpv6Echo).anomalies).toEqual(['ipv4.bad-version']);
  });
  it('a bad version nibble is an anomaly', () => {
    const b = fx.rawTcp.slice();
    b[0] = 0x55;
    expect(decodeFrame(101, b)).toMatchObject({ l3: null, anomalies: ['raw.bad-version'] });
  });
});

describe('NULL (0) and LOOP (108)', () => {
  it('NULL in little-endian host order: AF_INET, and AF_INET6 = 30 (macOS)', () => {
    expect(decodeFrame(0, fx.nullLeTcp)).toMatchObject({
      link: 'null',
      l3: 'ipv4',
      dport: 7001,
      anomalies: [],
    });
    expect(decodeFrame(0, fx.nullLeIpv6Darwin)).toMatchObject({
      l3: 'ipv6',
      src: '::1',
      dport: 5001,
      anomalies: [],
    });
  });
  it('NULL in big-endian host order is detected', () => {
    const b = fx.nullLeTcp.slice();
    b.set([0, 0, 0, 2], 0);
    expect(decodeFrame(0, b)).toMatchObject({ l3: 'ipv4', anomalies: [] });
    b.set([0, 0, 0, 10], 0); // Linux AF_INET6 value (the packet is IPv4, so the IPv6 decoder objects)
    expect(decodeFrame(0, b)).toMatchObject({ l3: 'ipv6', anomalies: ['ipv6.bad-version'] });
  });
  it('LOOP is network order (AF_INET6 = 24, OpenBSD)', () => {
    expect(decodeFrame(108, fx.loopIpv6)).toMatchObject({
      link: 'loop',
      l3: 'ipv6',
      sport: 5000,
      anomalies: [],
    });
  });
  it('an unknown family is an anomaly', () => {
    const b = fx.nullLeTcp.slice();
    b[0] = 99;
    expect(decodeFrame(0, b)).toMatchObject({ l3: null, anomalies: ['null.unknown-family'] });
  });
});

describe('NFLOG (239)', () => {
  it('TLVs in little-endian host order; payload TLV 9 is the IPv4 packet', () => {
    const p = decodeFrame(239, fx.nflogLe);
    expect(p).toMatchObject({ link: 'nflog', l3: 'ipv4', src: '10.10.1.2', dport: 53, anomalies: [] });
  });
  it('TLVs in big-endian host order', () => {
    expect(decodeFrame(239, fx.nflogBe)).toMatchObject({ l3: 'ipv4', sport: 43000, anomalies: [] });
  });
  it('no payload TLV (cut after the ifindex TLV), or cut inside a TLV', () => {
    expect(decodeFrame(239, fx.nflogLe.subarray(0, 32)).anomalies).toEqual(['nflog.no-payload']);
    expect(decodeFrame(239, fx.nflogLe.subarray(0, 30)).anomalies).toEqual(['nflog.truncated']);
  });
});

describe('unsupported link types', () => {
  it('records link.unsupported and leaves l3 null', () => {
    const p = decodeFrame(147, fx.rawTcp);
    expect(p).toMatchObject({ link: 'other', l3: null, anomalies: ['link.unsupported'] });
  });
});
