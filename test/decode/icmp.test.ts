// ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443): echo ids, errors with the quoted tuple, MTUs.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/main/decode/decode-frame';
import * as fx from './fixtures';

describe('ICMP', () => {
  it('echo request: id and seq', () => {
    const p = decodeFrame(276, fx.sll2EchoRequest);
    expect(p.icmp).toEqual({ type: 8, code: 0, id: 4097, seq: 1, isError: false, mtu: null, quoted: null });
    expect(p).toMatchObject({ sport: null, dport: null, payloadCaptured: 56, anomalies: [] });
  });

  it('port unreachable quoting a UDP datagram (the kernel REJECT of udp/83)', () => {
    const p = decodeFrame(276, fx.sll2UdpPortUnreachable);
    expect(p.icmp).toEqual({
      type: 3,
      code: 3,
      id: null,
      seq: null,
      isError: true,
      mtu: null,
      quoted: {
        l3: 'ipv4',
        src: '10.10.1.2',
        dst: '10.10.2.2',
        proto: 17,
        sport: 42001,
        dport: 83,
        icmpId: null,
        ipId: 37798,
      },
    });
    expect(p.anomalies).toEqual([]);
  });

  it('port unreachable quoting TCP', () => {
    const p = decodeFrame(276, fx.sll2TcpPortUnreachable);
    expect(p.icmp?.quoted).toMatchObject({ proto: 6, sport: 41003, dport: 82 });
  });

  it('fragmentation needed: next-hop MTU, quote of IP header + 8 bytes', () => {
    const p = decodeFrame(1, fx.ethFragNeeded);
    expect(p.icmp).toMatchObject({ type: 3, code: 4, isError: true, mtu: 1400 });
    expect(p.icmp?.quoted).toEqual({
      l3: 'ipv4',
      src: '10.10.1.2',
      dst: '10.10.2.2',
      proto: 6,
      sport: 41001,
      dport: 80,
      icmpId: null,
      ipId: 0x1234,
    });
    expect(p.anomalies).toEqual([]);
  });

  it('a short quote keeps what it has', () => {
    // cut inside the quoted UDP header: addresses yes, destination port no
    const at = 20 + 20 + 8 + 20; // SLL2 + IP + ICMP + quoted IP
    const p = decodeFrame(276, fx.sll2UdpPortUnreachable.subarray(0, at + 3));
    expect(p.icmp?.quoted).toMatchObject({
      src: '10.10.1.2',
      dst: '10.10.2.2',
      proto: 17,
      sport: null,
      dport: null,
    });
    expect(p.anomalies).toEqual([]);
    const q = decodeFrame(276, fx.sll2UdpPortUnreachable.subarray(0, at - 4));
    expect(q.icmp).toMatchObject({ type: 3, quoted: null });
    expect(q.anomalies).toEqual(['icmp.quote-truncated']);
  });

  it('time exceeded quoting an echo request gives the echo id', () => {
    // synthetic: the frag-needed frame turned into type 11 quoting fx.sll2EchoRequest's IP header + 8
    const b = new Uint8Array(14 + 20 + 8 + 28);
    b.set(fx.ethFragNeeded.subarray(0, 42));
    b[14 + 20] = 11;
    b[14 + 20 + 1] = 0;
    b.set(fx.sll2EchoRequest.subarray(20, 48), 42);
    b[14 + 3] = 20 + 8 + 28;
    const p = decodeFrame(1, b);
    expect(p.icmp).toMatchObject({ type: 11, isError: true, mtu: null });
    expect(p.icmp?.quoted).toMatchObject({ proto: 1, icmpId: 4097, sport: null, src: '10.10.1.2' });
  });
});

describe('ICMPv6', () => {
  it('echo request', () => {
    const p = decodeFrame(276, fx.sll2Icmpv6Echo);
    expect(p.icmp).toEqual({ type: 128, code: 0, id: 4097, seq: 1, isError: false, mtu: null, quoted: null });
  });

  it('packet too big: MTU and the quoted IPv6 TCP tuple', () => {
    const p = decodeFrame(1, fx.ethPacketTooBig);
    expect(p.icmp).toMatchObject({ type: 2, code: 0, isError: true, mtu: 1280 });
    expect(p.icmp?.quoted).toEqual({
      l3: 'ipv6',
      src: 'fd00:10:1::2',
      dst: 'fd00:10:2::2',
      proto: 6,
      sport: 41002,
      dport: 80,
      icmpId: null,
      ipId: null,
    });
    expect(p.anomalies).toEqual([]);
  });

  it('neighbour discovery is neither echo nor error', () => {
    const p = decodeFrame(276, fx.sll2MldReportHbh);
    expect(p.icmp).toMatchObject({ type: 143, id: null, isError: false, quoted: null });
  });

  it('a quote that is not IP is an anomaly', () => {
    const b = fx.ethPacketTooBig.slice();
    b[14 + 40 + 8] = 0x20;
    expect(decodeFrame(1, b).anomalies).toEqual(['icmpv6.bad-quote']);
  });
});
