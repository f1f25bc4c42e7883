// sysctl(8) output (`sysctl -a`, `key = value`) and `grep -r . /proc/sys/net` (`/proc/sys/a/b:value`);
// semantics of the networking keys from Documentation/networking/ip-sysctl.rst and nf_conntrack-sysctl.rst.
import type { ParseResult, TextWarning } from './types';
import { BINARY_BYTES, cutOffWarning } from './tuple';

/** One `key = value` line. */
export interface SysctlEntry {
  line: number;
  key: string;
  value: string;
}

/** Entries plus a key → value map (the last occurrence of a key wins, as when applied in order). */
export type SysctlParseResult = ParseResult<SysctlEntry> & { values: Record<string, string> };

const KEY = /^[A-Za-z0-9_][\w.\-/:@+]*$/;
// sysctl writes these to stderr; merged files carry them between entries.
const NOISE = /^sysctl: (permission denied|reading key|cannot stat|error)/i;

/** Parse `sysctl -a` style text into entries and a map; never throws. */
export function parseSysctl(text: string): SysctlParseResult {
  const records: SysctlEntry[] = [];
  const warnings: TextWarning[] = [];
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    const body = raw.trim();
    if (body === '' || body.startsWith('#') || body.startsWith(';') || NOISE.test(body)) continue;
    if (BINARY_BYTES.test(body)) {
      warnings.push({ line: lineNo, message: 'sysctl: line skipped: binary bytes' });
      continue;
    }
    let key: string;
    let value: string;
    const proc = /^\/proc\/sys\/([^:\s]+):(.*)$/.exec(body);
    if (proc) {
      // Path form: dots inside a path component (eth0.100) become `/` in dotted keys (sysctl(8)).
      key = (proc[1] ?? '')
        .split('/')
        .map((c) => c.replace(/\./g, '/'))
        .join('.');
      value = proc[2] ?? '';
    } else {
      const eq = body.indexOf('=');
      if (eq <= 0) {
        warnings.push({ line: lineNo, message: 'sysctl: line without "key = value"' });
        continue;
      }
      key = body.slice(0, eq).trim();
      value = body.slice(eq + 1).trim();
    }
    if (!KEY.test(key)) {
      warnings.push({
        line: lineNo,
        message: `sysctl: bad key "${key.replace(/[^\x20-\x7e]/g, '?').slice(0, 60)}"`,
      });
      continue;
    }
    if (/[^\x20-\x7e\t]/.test(value)) {
      warnings.push({ line: lineNo, message: `sysctl: ${key}: value has non-printable bytes` });
      continue;
    }
    records.push({ line: lineNo, key, value });
    values[key] = value;
  }
  const cut = cutOffWarning(text, 'sysctl');
  if (cut) warnings.push(cut);
  return { records, warnings, values };
}

const int = (v: string | undefined): number | null =>
  v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v) : null;

/** Integer value of a key, or null when absent or not an integer. */
export function sysctlInt(values: Record<string, string>, key: string): number | null {
  return int(values[key]);
}

/** Per-interface key: dots in the interface name are written as `/` by sysctl. */
function confKey(family: 'ipv4' | 'ipv6', iface: string, name: string): string {
  return `net.${family}.conf.${iface.replace(/\./g, '/')}.${name}`;
}

/** net.ipv4.ip_forward (or net.ipv6.conf.all.forwarding) as a boolean; null if absent. */
export function ipForward(values: Record<string, string>, family: 'ipv4' | 'ipv6' = 'ipv4'): boolean | null {
  const v =
    family === 'ipv4' ? int(values['net.ipv4.ip_forward']) : int(values['net.ipv6.conf.all.forwarding']);
  return v === null ? null : v !== 0;
}

/** rp_filter of an interface: all, default, the interface's own, and the effective max(all, iface). */
export interface RpFilter {
  all: number | null;
  default: number | null;
  iface: number | null;
  /** The kernel uses max(conf/all, conf/IFACE) (ip-sysctl.rst); 0 off, 1 strict, 2 loose. */
  effective: number | null;
}

/** rp_filter for an interface (or for a new interface, from `default`, when none is given or listed). */
export function rpFilter(values: Record<string, string>, iface?: string): RpFilter {
  const all = int(values['net.ipv4.conf.all.rp_filter']);
  const def = int(values['net.ipv4.conf.default.rp_filter']);
  const own = iface !== undefined ? int(values[confKey('ipv4', iface, 'rp_filter')]) : null;
  // An interface missing from the dump starts from `default` when it is created.
  const ifv = own ?? def;
  const effective = all === null && ifv === null ? null : Math.max(all ?? 0, ifv ?? 0);
  return { all, default: def, iface: own, effective };
}

/** route_localnet for an interface: on when conf/all or conf/IFACE is 1 (IN_DEV_ORCONF). */
export function routeLocalnet(values: Record<string, string>, iface?: string): boolean | null {
  const all = int(values['net.ipv4.conf.all.route_localnet']);
  const own = iface !== undefined ? int(values[confKey('ipv4', iface, 'route_localnet')]) : null;
  if (all === null && own === null) return null;
  return (all ?? 0) !== 0 || (own ?? 0) !== 0;
}

/** The host settings pathlens reasons with, read from a sysctl map (null = not in the dump). */
export interface HostNetSettings {
  ipForward: boolean | null;
  ip6Forward: boolean | null;
  conntrackMax: number | null;
  conntrackCount: number | null;
  conntrackBuckets: number | null;
  tcpBeLiberal: boolean | null;
  tcpLoose: boolean | null;
  acct: boolean | null;
  timestamp: boolean | null;
  bridgeNfCallIptables: boolean | null;
  bridgeNfCallIp6tables: boolean | null;
  rpFilterAll: number | null;
  routeLocalnetAll: boolean | null;
}

const flag = (v: number | null): boolean | null => (v === null ? null : v !== 0);

/** Read the conntrack, forwarding and bridge-netfilter settings from a sysctl map. */
export function hostNetSettings(values: Record<string, string>): HostNetSettings {
  const g = (k: string): number | null => int(values[k]);
  return {
    ipForward: ipForward(values, 'ipv4'),
    ip6Forward: ipForward(values, 'ipv6'),
    conntrackMax: g('net.netfilter.nf_conntrack_max') ?? g('net.nf_conntrack_max'),
    conntrackCount: g('net.netfilter.nf_conntrack_count'),
    conntrackBuckets: g('net.netfilter.nf_conntrack_buckets'),
    tcpBeLiberal: flag(g('net.netfilter.nf_conntrack_tcp_be_liberal')),
    tcpLoose: flag(g('net.netfilter.nf_conntrack_tcp_loose')),
    acct: flag(g('net.netfilter.nf_conntrack_acct')),
    timestamp: flag(g('net.netfilter.nf_conntrack_timestamp')),
    bridgeNfCallIptables: flag(g('net.bridge.bridge-nf-call-iptables')),
    bridgeNfCallIp6tables: flag(g('net.bridge.bridge-nf-call-ip6tables')),
    rpFilterAll: g('net.ipv4.conf.all.rp_filter'),
    routeLocalnetAll: flag(g('net.ipv4.conf.all.route_localnet')),
  };
}

/** Recognise `sysctl -a` output (or /proc/sys path:value lines) from the first lines. */
export function sniffSysctl(head: string): 'sysctl' | null {
  const lines = head
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .slice(0, 5);
  if (lines.length === 0) return null;
  const ok = lines.every(
    (l) =>
      /^(net|kernel|vm|fs|dev|abi|debug|user|crypto|sunrpc)\.[\w.\-/]+\s*=/.test(l) ||
      /^\/proc\/sys\/[\w.\-/]+:/.test(l) ||
      NOISE.test(l),
  );
  return ok ? 'sysctl' : null;
}
