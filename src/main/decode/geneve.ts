// Geneve (RFC 8926): UDP 6081; 8-byte header plus options, protocol type 0x6558 (Ethernet) or IP.
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { decodeEthernet } from './ethernet';
import { decodeEtherType } from './dispatch';
import { closeTunnel, openTunnel } from './tunnel';

/** Decode a Geneve header at off (the UDP payload) and the frame or packet it carries. */
export function decodeGeneve(r: ByteReader, off: number, end: number, p: DecodedPacket, depth: number): void {
  if (!r.has(off, 8, end)) {
    p.anomalies.push('geneve.truncated');
    return;
  }
  const b0 = r.u8(off);
  if (b0 >> 6 !== 0) {
    p.anomalies.push('geneve.bad-version');
    return;
  }
  const hl = 8 + ((b0 & 0x3f) << 2);
  const proto = r.u16(off + 2);
  const vni = r.u32(off + 4) >>> 8;
  if (!r.has(off, hl, end)) {
    p.tunnel = { kind: 'geneve', vni };
    p.anomalies.push('geneve.truncated');
    return;
  }
  const isEthernet = proto === 0x6558;
  if (!isEthernet && proto !== 0x0800 && proto !== 0x86dd) {
    p.tunnel = { kind: 'geneve', vni }; // some other payload (e.g. NSH): left opaque
    return;
  }
  const inner = openTunnel(p, 'geneve', vni, isEthernet ? 'ethernet' : 'raw', depth);
  if (inner === null) return;
  if (isEthernet) decodeEthernet(r, off + hl, end, inner, depth + 1);
  else decodeEtherType(proto, r, off + hl, end, inner, depth + 1);
  closeTunnel(p, inner);
}
