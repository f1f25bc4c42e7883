// VXLAN (RFC 7348): 8-byte header after UDP 4789 (IANA) or 8472 (Linux default, Flannel, Cilium), inner Ethernet.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { decodeEthernet } from './ethernet';
import { closeTunnel, openTunnel } from './tunnel';

/** Decode a VXLAN header at off (the UDP payload) and the Ethernet frame it carries. */
export function decodeVxlan(r: ByteReader, off: number, end: number, p: DecodedPacket, depth: number): void {
  if (!r.has(off, 8, end)) {
    p.anomalies.push('vxlan.truncated');
    return;
  }
  // The I flag must be set (RFC 7348 5); without it this is probably not VXLAN (8472 is also OTV).
  if ((r.u8(off) & 0x08) === 0) {
    p.anomalies.push('vxlan.bad-flags');
    return;
  }
  const inner = openTunnel(p, 'vxlan', r.u32(off + 4) >>> 8, 'ethernet', depth);
  if (inner === null) return;
  decodeEthernet(r, off + 8, end, inner, depth + 1);
  closeTunnel(p, inner);
}
