// TCP (RFC 9293, options RFC 7323/2018, NS RFC 3540), UDP (RFC 768), SCTP (RFC 9260) ports.
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/main/decode/decode-frame';
import * as fx from './fixtures';

describe('TCP', () => {
  it('SYN with MSS, SACK-permitted, timestamps, NOP and window scale', () => {
    const p = decodeFrame(1, fx.ethQinqSyn);
    expect(p.tcp).toEqual({
      flags: 0x002,
      seq: 2551415284,
      ack: 0,
      window: 64240,
      payloadLen: 0,
      dataOffset: 10,
      mss: 1460,
      wscale: 10,
      sackPermitted: true,
      sack: null,
      tsVal: 4264313694,
      tsEcr: 0,
    });
  });

  it('NS flag as bit 8, SACK blocks, seq/ack above 2^31 stay unsigned', () => {
    const p = decodeFrame(1, fx.ethTcpSackNs);
    expect(p.tcp).toMatchObject({
      flags: 0x100 | 0x040 | 0x010,
      seq: 2551415285,
      ack: 3053933970,
      window: 63,
      dataOffset: 13,
      sack: [
        [1001, 2001],
        [3001, 4001],
      ],
      tsVal: 4264313800,
      tsEcr: 1592474907,
      mss: null,
      wscale: null,
      sackPermitted: false,
    });
    expect(p.anomalies).toEqual([]);
  });

  it('payloadLen comes from the IP total length, payloadCaptured from the capture (snaplen cut)', () => {
    // lab portforward frame 11 is "GET / HTTP/1.1" (78 bytes of payload); cut it to 100 bytes as `-s 100` would
    const full = decodeFrame(276, fx.sll2SynIn);
    expect(full.tcp?.payloadLen).toBe(0);
    const b = new Uint8Array(fx.sll2SynIn.length + 78);
    b.set(fx.sll2SynIn);
    b[20 + 3] = 60 + 78; // IP total length 138
    const cut = decodeFrame(276, b.subarray(0, 100));
    expect(cut.tcp?.payloadLen).toBe(78);
    expect(cut).toMatchObject({ payloadOffset: 80, payloadCaptured: 20, anomalies: [] });
  });

  it('a bad data offset and malformed options are anomalies, not exceptions', () => {
    const b = fx.ethSyn.slice();
    b[14 + 20 + 12] = 0x40; // data offset 4
    expect(decodeFrame(1, b)).toMatchObject({ sport: 41001, anomalies: ['tcp.bad-data-offset'] });
    const o = fx.ethSyn.slice();
    o[14 + 20 + 21] = 0; // MSS option length 0
    expect(decodeFrame(1, o).anomalies).toEqual(['tcp.bad-option']);
    const w = fx.ethSyn.slice();
    w[14 + 20 + 21] = 3; // MSS with length 3
    expect(decodeFrame(1, w)).toMatchObject({ tcp: { mss: null }, anomalies: ['tcp.bad-option'] });
  });

  it('options cut by the capture: what was captured is kept, the header is flagged', () => {
    const p = decodeFrame(1, fx.ethSyn.subarray(0, 14 + 20 + 20 + 8));
    expect(p.tcp).toMatchObject({ mss: 1460, sackPermitted: true, tsVal: null });
    expect(p.anomalies).toEqual(['tcp.truncated']);
  });
});

describe('UDP', () => {
  it('ports and payload from the UDP length', () => {
    const p = decodeFrame(239, fx.nflogLe);
    expect(p).toMatchObject({ proto: 17, sport: 43000, dport: 53, payloadCaptured: 1, anomalies: [] });
  });
  it('a UDP length beyond the datagram is an anomaly', () => {
    const b = fx.ethIpv4Options.slice();
    b[14 + 36 + 5] = 99;
    expect(decodeFrame(1, b)).toMatchObject({
      dport: 7777,
      payloadCaptured: 4,
      anomalies: ['udp.bad-length'],
    });
  });
});

describe('SCTP', () => {
  it('ports only', () => {
    // synthetic: fx.rawTcp with the protocol byte changed to 132 (SCTP's common header is ports + tag + checksum)
    const b = fx.rawTcp.slice();
    b[9] = 132;
    expect(decodeFrame(101, b)).toMatchObject({
      proto: 132,
      sport: 41001,
      dport: 8080,
      tcp: null,
      payloadOffset: 32,
    });
    expect(decodeFrame(101, b.subarray(0, 28))).toMatchObject({
      sport: 41001,
      anomalies: ['sctp.truncated'],
    });
  });
});
