// A decoded packet as display rows (the packet view's protocol tree).
import type { PacketDetail } from '../../shared/api';
import type { DecodedPacket } from '../decode/types';
import { tcpFlagNames } from '../analysis/observation';

/** Layers of a decoded packet, outermost first, each as name/value rows. */
export function describeLayers(p: DecodedPacket): PacketDetail['layers'] {
  const out: PacketDetail['layers'] = [];
  const link: Array<[string, string]> = [['type', p.link]];
  if (p.macSrc) link.push(['source', p.macSrc]);
  if (p.macDst) link.push(['destination', p.macDst]);
  if (p.vlans.length) link.push(['vlan', p.vlans.join(', ')]);
  if (p.ifindex !== null) link.push(['ifindex', String(p.ifindex)]);
  if (p.direction) link.push(['direction', p.direction]);
  if (p.etherType !== null) link.push(['ethertype', `0x${p.etherType.toString(16).padStart(4, '0')}`]);
  out.push({ name: 'Link', fields: link });
  if (p.l3) {
    const f: Array<[string, string]> = [
      ['source', p.src ?? ''],
      ['destination', p.dst ?? ''],
    ];
    if (p.ttl !== null) f.push([p.l3 === 'ipv6' ? 'hop limit' : 'ttl', String(p.ttl)]);
    if (p.ipId !== null) f.push(['id', String(p.ipId)]);
    if (p.ipLen !== null) f.push(['length', String(p.ipLen)]);
    if (p.df) f.push(['flags', 'DF']);
    if (p.fragOffset || p.moreFragments)
      f.push(['fragment', `offset ${p.fragOffset}${p.moreFragments ? ', more' : ''}`]);
    if (p.proto !== null) f.push(['protocol', String(p.proto)]);
    out.push({ name: p.l3.toUpperCase(), fields: f });
  }
  if (p.tcp) {
    const t = p.tcp;
    out.push({
      name: 'TCP',
      fields: [
        ['ports', `${p.sport} → ${p.dport}`],
        ['flags', tcpFlagNames(t.flags, true).join(' ')],
        ['seq', String(t.seq)],
        ['ack', String(t.ack)],
        ['window', String(t.window)],
        ['payload', `${t.payloadLen} bytes`],
        ...(t.mss !== null ? ([['mss', String(t.mss)]] as Array<[string, string]>) : []),
        ...(t.wscale !== null ? ([['window scale', String(t.wscale)]] as Array<[string, string]>) : []),
      ],
    });
  } else if (p.icmp) {
    const i = p.icmp;
    const f: Array<[string, string]> = [
      ['type', String(i.type)],
      ['code', String(i.code)],
    ];
    if (i.id !== null) f.push(['id', String(i.id)]);
    if (i.seq !== null) f.push(['seq', String(i.seq)]);
    if (i.mtu !== null) f.push(['mtu', String(i.mtu)]);
    if (i.quoted)
      f.push([
        'quotes',
        `${i.quoted.src}:${i.quoted.sport ?? ''} → ${i.quoted.dst}:${i.quoted.dport ?? ''} proto ${i.quoted.proto}`,
      ]);
    out.push({ name: p.l3 === 'ipv6' ? 'ICMPv6' : 'ICMP', fields: f });
  } else if (p.sport !== null) {
    out.push({
      name: p.proto === 17 ? 'UDP' : p.proto === 132 ? 'SCTP' : `proto ${p.proto}`,
      fields: [['ports', `${p.sport} → ${p.dport}`]],
    });
  }
  if (p.tunnel)
    out.push({
      name: p.tunnel.kind.toUpperCase(),
      fields: p.tunnel.vni !== null ? [['vni/key', String(p.tunnel.vni)]] : [],
    });
  if (p.inner) out.push(...describeLayers(p.inner).map((l) => ({ ...l, name: `inner ${l.name}` })));
  if (p.anomalies.length)
    out.push({ name: 'Anomalies', fields: p.anomalies.map((a) => ['anomaly', a] as [string, string]) });
  return out;
}
