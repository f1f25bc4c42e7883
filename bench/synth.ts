// Synthesises a `tcpdump -i any`-style capture (ns pcap, LINUX_SLL2) of a NAT router: client →
// node (DNAT to a backend, MASQUERADE) → backend, every packet seen arriving and leaving, as the
// real captures in shared/lab are. Used by the benchmarks; deterministic for a given size.
import { closeSync, openSync, writeSync } from 'node:fs';

function csum(buf: Buffer, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (buf[off + i]! << 8) | (buf[off + i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Writes a capture with about `records` records; returns the exact record count. */
export function synthCapture(path: string, records: number): number {
  const fd = openSync(path, 'w');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b23c4d, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(276, 20);
  writeSync(fd, hdr);
  const out = Buffer.alloc(8 << 20);
  let used = 0;
  const flush = (): void => {
    writeSync(fd, out, 0, used);
    used = 0;
  };
  let n = 0;
  let tNs = 1_795_667_558n * 1_000_000_000n;
  let ipId = 1;
  const client = [10, 10, 1, 2];
  const vip = [10, 10, 1, 1];
  const snat = [10, 10, 2, 1];
  const backends = [
    [10, 10, 2, 2],
    [10, 10, 2, 3],
  ];
  const pkt = (
    ifindex: number,
    outgoing: boolean,
    src: number[],
    dst: number[],
    sport: number,
    dport: number,
    seq: number,
    ack: number,
    flags: number,
    payload: number,
    ttl: number,
    id: number,
  ): void => {
    const ipLen = 20 + 20 + payload;
    const caplen = 20 + ipLen;
    if (used + 16 + caplen > out.length) flush();
    const sec = Number(tNs / 1_000_000_000n);
    const nsec = Number(tNs % 1_000_000_000n);
    out.writeUInt32LE(sec, used);
    out.writeUInt32LE(nsec, used + 4);
    out.writeUInt32LE(caplen, used + 8);
    out.writeUInt32LE(caplen, used + 12);
    let o = used + 16;
    out.writeUInt16BE(0x0800, o); // SLL2 protocol
    out.writeUInt16BE(0, o + 2);
    out.writeUInt32BE(ifindex, o + 4);
    out.writeUInt16BE(1, o + 8); // ARPHRD_ETHER
    out[o + 10] = outgoing ? 4 : 0;
    out[o + 11] = 6;
    out.fill(0, o + 12, o + 20);
    out[o + 12] = 2;
    out[o + 17] = ifindex;
    o += 20;
    out[o] = 0x45;
    out[o + 1] = 0;
    out.writeUInt16BE(ipLen, o + 2);
    out.writeUInt16BE(id & 0xffff, o + 4);
    out.writeUInt16BE(0x4000, o + 6);
    out[o + 8] = ttl;
    out[o + 9] = 6;
    out.writeUInt16BE(0, o + 10);
    for (let i = 0; i < 4; i++) {
      out[o + 12 + i] = src[i]!;
      out[o + 16 + i] = dst[i]!;
    }
    out.writeUInt16BE(csum(out, o, 20), o + 10);
    const t = o + 20;
    out.writeUInt16BE(sport, t);
    out.writeUInt16BE(dport, t + 2);
    out.writeUInt32BE(seq >>> 0, t + 4);
    out.writeUInt32BE(ack >>> 0, t + 8);
    out[t + 12] = 5 << 4;
    out[t + 13] = flags;
    out.writeUInt16BE(64240, t + 14);
    out.writeUInt32BE(0, t + 16);
    for (let i = 0; i < payload; i++) out[t + 20 + i] = (seq + i) & 0xff;
    used += 16 + caplen;
    n++;
    tNs += 3_000n;
  };
  // one forwarded packet: in on eth0 (ifindex 2) before NAT, out on eth1 (ifindex 3) after
  const fwd = (
    toServer: boolean,
    cport: number,
    backend: number[],
    seq: number,
    ack: number,
    flags: number,
    payload: number,
  ): void => {
    const id = ipId++;
    if (toServer) {
      pkt(2, false, client, vip, cport, 8080, seq, ack, flags, payload, 64, id);
      pkt(3, true, snat, backend, cport, 80, seq, ack, flags, payload, 63, id);
    } else {
      pkt(3, false, backend, snat, 80, cport, seq, ack, flags, payload, 64, id);
      pkt(2, true, vip, client, 8080, cport, seq, ack, flags, payload, 63, id);
    }
  };
  let conn = 0;
  while (n < records) {
    const cport = 1024 + (conn % 60000);
    const backend = backends[conn % 2]!;
    const c = 1000 + conn * 7;
    const s = 5000 + conn * 13;
    fwd(true, cport, backend, c, 0, 0x02, 0);
    fwd(false, cport, backend, s, c + 1, 0x12, 0);
    fwd(true, cport, backend, c + 1, s + 1, 0x10, 0);
    fwd(true, cport, backend, c + 1, s + 1, 0x18, 120);
    fwd(false, cport, backend, s + 1, c + 121, 0x18, 600);
    fwd(true, cport, backend, c + 121, s + 601, 0x11, 0);
    fwd(false, cport, backend, s + 601, c + 122, 0x11, 0);
    fwd(true, cport, backend, c + 122, s + 602, 0x10, 0);
    conn++;
    tNs += 200_000n;
  }
  flush();
  closeSync(fd);
  return n;
}
