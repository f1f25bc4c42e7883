// UDP (RFC 768) with UDP encapsulations by destination port; SCTP (RFC 9260) ports only.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { udpPorts } from './dispatch';
import { fail, stopAt } from './packet';

/** Decode a UDP datagram at off; a known tunnel port (VXLAN, Geneve) decodes the payload too. */
export function decodeUdp(
  r: ByteReader,
  off: number,
  end: number,
  wireEnd: number,
  p: DecodedPacket,
  depth: number,
): void {
  if (!r.has(off, 8, end)) {
    if (r.has(off, 4, end)) {
      p.sport = r.u16(off);
      p.dport = r.u16(off + 2);
    }
    fail(p, 'udp.truncated', off);
    return;
  }
  const dport = r.u16(off + 2);
  p.sport = r.u16(off);
  p.dport = dport;
  const len = r.u16(off + 4);
  let udpEnd = off + len;
  if (udpEnd > wireEnd || len < 8) {
    // A first fragment legitimately holds less than the UDP length says.
    if (len < 8 || !p.moreFragments) p.anomalies.push('udp.bad-length');
    udpEnd = wireEnd;
  }
  const dataEnd = udpEnd < end ? udpEnd : end;
  stopAt(p, off + 8, dataEnd);
  const tunnel = udpPorts.get(dport);
  if (tunnel !== undefined) tunnel(r, off + 8, dataEnd, p, depth);
}

/** Decode an SCTP packet's common header at off: ports only (chunks are left as payload). */
export function decodeSctp(
  r: ByteReader,
  off: number,
  end: number,
  _wireEnd: number,
  p: DecodedPacket,
  _depth: number,
): void {
  if (r.has(off, 4, end)) {
    p.sport = r.u16(off);
    p.dport = r.u16(off + 2);
  }
  if (!r.has(off, 12, end)) {
    fail(p, 'sctp.truncated', off);
    return;
  }
  stopAt(p, off + 12, end);
}
