// Encapsulation bookkeeping shared by VXLAN, Geneve, GRE and IP-in-IP (RFC 2003, RFC 4213, RFC 2473).
import type { ByteReader } from './byte-reader';
import type { DecodedPacket, TunnelKind } from './types';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { newPacket, stopAt } from './packet';

/** Tunnels inside tunnels beyond this depth are left as payload (a crafted frame could nest thousands). */
export const MAX_TUNNEL_DEPTH = 4;

/**
 * Mark p as carrying a tunnel and return the packet to decode the inner frame into, or null (with
 * `tunnel.too-deep`) when depth is exhausted. The caller decodes, then calls closeTunnel.
 */
export function openTunnel(
  p: DecodedPacket,
  kind: TunnelKind,
  vni: number | null,
  link: DecodedPacket['link'],
  depth: number,
): DecodedPacket | null {
  p.tunnel = { kind, vni };
  if (depth >= MAX_TUNNEL_DEPTH) {
    p.anomalies.push('tunnel.too-deep');
    return null;
  }
  const inner = newPacket(link);
  p.inner = inner;
  return inner;
}

/** Copy the inner packet's anomalies to the outer one, so `anomalies` at top level is complete. */
export function closeTunnel(p: DecodedPacket, inner: DecodedPacket): void {
  for (let i = 0; i < inner.anomalies.length; i++) p.anomalies.push(inner.anomalies[i]!);
}

/** IP protocol 4: IPv4 in IPv4 (`ipip`, Calico tunl0) or IPv4 in IPv6 (`ip6ip`). */
export function decodeIpInIp(
  r: ByteReader,
  off: number,
  end: number,
  _wireEnd: number,
  p: DecodedPacket,
  depth: number,
): void {
  stopAt(p, off, end);
  const inner = openTunnel(p, p.l3 === 'ipv6' ? 'ip6ip' : 'ipip', null, 'raw', depth);
  if (inner === null) return;
  inner.etherType = 0x0800;
  decodeIpv4(r, off, end, inner, depth + 1);
  closeTunnel(p, inner);
}

/** IP protocol 41: IPv6 in IPv4 (`sit`) or IPv6 in IPv6 (`ip6ip6`). */
export function decodeIp6InIp(
  r: ByteReader,
  off: number,
  end: number,
  _wireEnd: number,
  p: DecodedPacket,
  depth: number,
): void {
  stopAt(p, off, end);
  const inner = openTunnel(p, p.l3 === 'ipv6' ? 'ip6ip6' : 'sit', null, 'raw', depth);
  if (inner === null) return;
  inner.etherType = 0x86dd;
  decodeIpv6(r, off, end, inner, depth + 1);
  closeTunnel(p, inner);
}
