// Input kinds (spec/cli.md), recognised from a file's content, never from its name.

/** Every kind pathlens reads. */
export const KINDS = [
  'pcap',
  'pcapng',
  'conntrack-events',
  'conntrack-table',
  'conntrack-stats',
  'ip-addr',
  'ip-route',
  'ip-rule',
  'iptables-save',
  'nft-ruleset',
  'trace',
  'sysctl',
] as const;
export type Kind = (typeof KINDS)[number];

const CT_PROTO = '(?:tcp|udp|udplite|icmp|icmpv6|sctp|dccp|gre|unknown)';
const RE = {
  ctEvent: /^(?:\[\d+\.\d+\]\s+)?\s*\[(?:NEW|UPDATE|DESTROY)\]\s/,
  ctXml: /<flow type="(?:new|update|destroy)"/,
  ctXmlTable: /^<\?xml[^>]*>\s*<conntrack>\s*<flow>/,
  ctTable: new RegExp(`^(?:ipv[46]\\s+\\d+\\s+)?${CT_PROTO}\\s+\\d+\\s.*\\bsrc=\\S+\\s+dst=`),
  ctStats: /^cpu=\d+\s+(?:found|searched|entries)=/,
  procStat: /^entries\s+(?:searched\s+)?found\s/,
  ipAddrText: /^\d+:\s+\S+:\s+<[A-Z_,-]*>\s+mtu\s/,
  routeN: /^Kernel IP routing table/,
  ipRouteText:
    /^(?:(?:unicast|local|broadcast|anycast|multicast|blackhole|unreachable|prohibit|throw|nat)\s+)?(?:default|[0-9a-f.:]+(?:\/\d+)?)\s+(?:via\s+\S+\s+)?(?:dev\s+\S+|proto\s|table\s|metric\s)/,
  ipRuleText: /^\d+:\s+(?:not\s+)?from\s+\S+/,
  iptTable: /^\*(?:filter|nat|mangle|raw|security)\s*$/,
  nftTable: /^table\s+(?:ip|ip6|inet|arp|bridge|netdev)\s+\S+\s*\{/,
  xtTrace: /^(?:\[\d+\.\d+\]\s*)?\s*(?:PACKET|TRACE):\s+\d+\s+[0-9a-f]{8}\s/,
  nftTrace: /^trace id [0-9a-f]{8}\s/,
  kernTrace: /TRACE:\s+\w+:[^\s:]+:(?:rule|return|policy):\d+\s+IN=/,
  // kernel log about conntrack (`dmesg | grep conntrack`): the table-full complaint
  kernelCt: /(?:^\[\s*\d+\.\d+\]\s*|\bkernel:\s*)nf_conntrack:/,
  sysctl: /^[a-z0-9_]+(?:[./][a-zA-Z0-9_@.:-]+)+\s*=\s*\S*/,
};

/** Detects the kind of a file from its first bytes (64 KiB is plenty); null when unknown. */
export function detectKind(head: Uint8Array): Kind | null {
  if (head.length >= 4) {
    const b0 = head[0]!;
    const b1 = head[1]!;
    const b2 = head[2]!;
    const b3 = head[3]!;
    const le = (b3 << 24) | (b2 << 16) | (b1 << 8) | b0;
    const be = (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    if (be === 0x0a0d0d0a) return 'pcapng';
    const magics = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34, 0xa12b3c4d];
    if (magics.includes(le >>> 0) || magics.includes(be >>> 0)) return 'pcap';
  }
  // binary content that is not a capture is not a text kind either
  let nul = 0;
  for (let i = 0; i < Math.min(head.length, 4096); i++) if (head[i] === 0) nul++;
  if (nul > 0) return null;
  const text = new TextDecoder('utf-8').decode(head);
  return detectTextKind(text);
}

/** Detects a text kind from the head of the file. */
export function detectTextKind(text: string): Kind | null {
  const t = text.trimStart();
  if (/^\[\s*[{\]]/.test(t) || /^\{\s*"/.test(t)) return detectJsonKind(t);
  const lines = text.split(/\r?\n/).slice(0, 400);
  const votes = new Map<Kind, number>();
  const vote = (k: Kind, w = 1): void => void votes.set(k, (votes.get(k) ?? 0) + w);
  let sysctlLines = 0;
  let netSysctl = 0;
  let considered = 0;
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    if (!line || line.startsWith('#')) continue;
    considered++;
    if (RE.kernelCt.test(line)) vote('conntrack-stats', 3);
    else if (RE.ctEvent.test(line) || RE.ctXml.test(line)) vote('conntrack-events', 3);
    else if (RE.ctXmlTable.test(line)) vote('conntrack-table', 3);
    else if (RE.ctStats.test(line) || RE.procStat.test(line)) vote('conntrack-stats', 3);
    else if (RE.ctTable.test(line)) vote('conntrack-table', 2);
    if (RE.iptTable.test(line)) vote('iptables-save', 5);
    if (RE.nftTable.test(line)) vote('nft-ruleset', 5);
    if (RE.xtTrace.test(line) || RE.nftTrace.test(line) || RE.kernTrace.test(line)) vote('trace', 3);
    if (RE.ipAddrText.test(line)) vote('ip-addr', 3);
    if (RE.routeN.test(line)) vote('ip-route', 5);
    else if (RE.ipRuleText.test(line)) vote('ip-rule', 2);
    else if (RE.ipRouteText.test(line)) vote('ip-route', 1);
    if (RE.sysctl.test(line)) {
      sysctlLines++;
      if (/^(?:net|kernel|vm|fs)[./]/.test(line)) netSysctl++;
    }
  }
  if (considered > 0 && sysctlLines / considered > 0.8 && netSysctl > 0) vote('sysctl', considered * 2);
  let best: Kind | null = null;
  let bestVotes = 0;
  for (const [k, v] of votes) if (v > bestVotes) [best, bestVotes] = [k, v];
  // one stray matching line in an unrelated file is not enough
  if (best && bestVotes < 3 && considered > 3) return null;
  return best;
}

function detectJsonKind(t: string): Kind | null {
  if (/^\{\s*"nftables"\s*:/.test(t)) return 'nft-ruleset';
  if (!t.startsWith('[')) return null;
  const firstObj = /^\[\s*\{([^{}]*)/.exec(t)?.[1] ?? '';
  if (/^\[\s*\]\s*$/.test(t)) return null;
  if (/"ifname"\s*:/.test(firstObj) && /"ifindex"\s*:/.test(firstObj)) return 'ip-addr';
  if (/"priority"\s*:/.test(firstObj) && /"(?:table|action|src)"\s*:/.test(firstObj)) return 'ip-rule';
  if (
    /"dst"\s*:/.test(firstObj) &&
    !/"lladdr"\s*:|"state"\s*:\s*\[/.test(firstObj) &&
    /"(?:dev|type|gateway|nexthops|table|protocol)"\s*:/.test(firstObj)
  )
    return 'ip-route';
  return null;
}
