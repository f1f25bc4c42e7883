// GRE (RFC 2784, key and sequence RFC 2890): IP protocol 47 carrying IPv4, IPv6 or Ethernet (gretap).
import type { ByteReader } from './byte-reader';
import type { DecodedPacket } from './types';
import { decodeEthernet } from './ethernet';
import { decodeEtherType } from './dispatch';
import { fail, stopAt } from './packet';
import { closeTunnel, openTunnel } from './tunnel';

const GRE_C = 0x8000;
const GRE_R = 0x4000;
const GRE_K = 0x2000;
const GRE_S = 0x1000;

/** Decode a GRE header at off; the key (if any) goes to tunnel.vni. */
export function decodeGre(
  r: ByteReader,
  off: number,
  end: number,
  _wireEnd: number,
  p: DecodedPacket,
  depth: number,
): void {
  if (!r.has(off, 4, end)) {
    fail(p, 'gre.truncated', off);
    return;
  }
  const flags = r.u16(off);
  const proto = r.u16(off + 2);
  const version = flags & 7;
  if (version === 1) {
    // PPTP's enhanced GRE (RFC 2637) carries PPP: legitimate, left opaque
    p.tunnel = { kind: 'gre', vni: null };
    stopAt(p, off, end);
    return;
  }
  // Other versions, and source routing (R, RFC 1701, obsolete and must be 0 per RFC 2784), are not parsed.
  if (version !== 0 || (flags & GRE_R) !== 0) {
    p.tunnel = { kind: 'gre', vni: null };
    p.anomalies.push('gre.unsupported');
    stopAt(p, off, end);
    return;
  }
  let hl = 4;
  if (flags & GRE_C) hl += 4;
  const keyOff = off + hl;
  if (flags & GRE_K) hl += 4;
  if (flags & GRE_S) hl += 4;
  if (!r.has(off, hl, end)) {
    fail(p, 'gre.truncated', off);
    return;
  }
  const key = flags & GRE_K ? r.u32(keyOff) : null;
  stopAt(p, off + hl, end);
  const isEthernet = proto === 0x6558;
  if (!isEthernet && proto !== 0x0800 && proto !== 0x86dd) {
    p.tunnel = { kind: 'gre', vni: key }; // ERSPAN, MPLS, … left opaque
    return;
  }
  const inner = openTunnel(p, 'gre', key, isEthernet ? 'ethernet' : 'raw', depth);
  if (inner === null) return;
  if (isEthernet) decodeEthernet(r, off + hl, end, inner, depth + 1);
  else decodeEtherType(proto, r, off + hl, end, inner, depth + 1);
  closeTunnel(p, inner);
}
