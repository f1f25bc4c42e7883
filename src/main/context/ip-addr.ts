// ip-address(8) / ip-link(8) output of iproute2 (ipaddress.c print_linkinfo/print_addrinfo): `ip -j addr`,
// `ip -j link` and the plain-text `ip addr` / `ip link` forms.
import type { ParseResult, TextWarning } from './types';
import { BINARY_BYTES, cutOffWarning, looksLikeJson, normalizeIpText } from './tuple';

/** One address of a link (`addr_info[]` / an `inet`/`inet6` line). */
export interface IpAddrInfo {
  family: 'ipv4' | 'ipv6';
  /** Canonical address text. */
  local: string;
  prefixlen: number;
  /** host, link, global, site or a number. */
  scope: string;
  /** Point-to-point peer (`peer A/L`, JSON `address`). */
  peer?: string;
  broadcast?: string;
  secondary?: boolean;
  /** IPv4 label (`eth0:1`). */
  label?: string;
  /** dynamic, nodad, tentative, deprecated, noprefixroute, mngtmpaddr, … */
  flags: string[];
  /** Seconds; null = forever (4294967295). */
  validLft: number | null;
  preferredLft: number | null;
}

/** One network interface with its addresses. */
export interface IpLink {
  /** 1-based line where the link starts. */
  line: number;
  ifindex: number;
  ifname: string;
  /** The `@peer` of the text form (`if2`, `NONE`), or JSON `link` / `link_index` as text. */
  link: string | null;
  flags: string[];
  mtu: number | null;
  master: string | null;
  operstate: string | null;
  linkType: string | null;
  mac: string | null;
  /** Link-layer broadcast address. */
  brd: string | null;
  linkNetnsid: number | null;
  /** `link-netns NAME` of the text form. */
  linkNetns: string | null;
  /** linkinfo.info_kind (veth, bridge, vxlan…) when `-d` was used. */
  kind: string | null;
  addrs: IpAddrInfo[];
  extra: Record<string, string>;
}

/** One value of an iproute2 JSON document, with the line where it starts. */
export interface JsonItem {
  line: number;
  value: unknown;
}

/**
 * Split a JSON array of objects (or objects one per line) into items, so one damaged element costs
 * only itself: each top-level element is parsed alone and a failure becomes a warning at its line.
 */
export function splitJsonItems(text: string, what: string): ParseResult<JsonItem> {
  const records: JsonItem[] = [];
  const warnings: TextWarning[] = [];
  let line = 1;
  let depth = 0;
  let inStr = false;
  let esc = false;
  let start = -1;
  let startLine = 1;
  let arrayOpen = false;
  let junkLine = -1;
  const flush = (end: number): void => {
    const chunk = text.slice(start, end);
    try {
      records.push({ line: startLine, value: JSON.parse(chunk) });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      warnings.push({ line: startLine, message: `${what}: element skipped: ${msg.slice(0, 120)}` });
    }
    start = -1;
  };
  const base = (): number => (arrayOpen ? 1 : 0);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inStr) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
      // A raw newline cannot occur inside a JSON string: the element was cut here.
      else if (c === '\n') {
        inStr = false;
        depth = base();
        if (start >= 0) {
          warnings.push({ line: startLine, message: `${what}: element skipped: string cut by end of line` });
          start = -1;
        }
      }
      continue;
    }
    if (c === '"') {
      inStr = true;
      if (depth === base() && start < 0 && junkLine !== line) {
        junkLine = line;
        warnings.push({ line, message: `${what}: unexpected text outside an element` });
      }
      continue;
    }
    if (c === '{' || c === '[') {
      if (c === '[' && depth === 0 && !arrayOpen && start < 0) {
        arrayOpen = true;
        depth = 1;
        continue;
      }
      if (depth === base() && start < 0) {
        start = i;
        startLine = line;
      }
      depth++;
      continue;
    }
    if (c === '}' || c === ']') {
      if (depth === base()) {
        if (c === ']' && arrayOpen) {
          arrayOpen = false;
          depth = 0;
        } else if (junkLine !== line) {
          junkLine = line;
          warnings.push({ line, message: `${what}: unbalanced "${c}"` });
        }
        continue;
      }
      depth--;
      if (depth === base() && start >= 0) flush(i + 1);
      continue;
    }
    if (depth === base() && start < 0 && c !== undefined && !/[\s,]/.test(c) && junkLine !== line) {
      junkLine = line;
      warnings.push({ line, message: `${what}: unexpected text outside an element` });
    }
  }
  if (start >= 0) warnings.push({ line: startLine, message: `${what}: element cut off at end of input` });
  else if (arrayOpen) warnings.push({ line, message: `${what}: array not closed (input cut off?)` });
  return { records, warnings };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const FOREVER = 4294967295;
const lft = (v: unknown): number | null => {
  const n = num(v);
  return n === null || n === FOREVER ? null : n;
};

/** Parse `ip -j addr`, `ip -j link` or the text `ip addr` / `ip link` output; never throws. */
export function parseIpAddr(text: string): ParseResult<IpLink> {
  if (looksLikeJson(text)) return parseIpAddrJson(text);
  return parseIpAddrText(text);
}

function parseIpAddrJson(text: string): ParseResult<IpLink> {
  const items = splitJsonItems(text, 'ip addr');
  const records: IpLink[] = [];
  const warnings = [...items.warnings];
  for (const { line, value } of items.records) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      warnings.push({ line, message: 'ip addr: element is not an object' });
      continue;
    }
    const o = value as Record<string, unknown>;
    const ifindex = num(o['ifindex']);
    const ifname = str(o['ifname']);
    if (ifindex === null || ifname === null) {
      warnings.push({ line, message: 'ip addr: element without ifindex/ifname' });
      continue;
    }
    const linkinfo = o['linkinfo'] as Record<string, unknown> | undefined;
    const link: IpLink = {
      line,
      ifindex,
      ifname,
      link: str(o['link']) ?? (num(o['link_index']) !== null ? String(o['link_index']) : null),
      flags: Array.isArray(o['flags']) ? o['flags'].filter((f): f is string => typeof f === 'string') : [],
      mtu: num(o['mtu']),
      master: str(o['master']),
      operstate: str(o['operstate']),
      linkType: str(o['link_type']),
      mac: str(o['address']),
      brd: str(o['broadcast']),
      linkNetnsid: num(o['link_netnsid']),
      linkNetns: null,
      kind: linkinfo && typeof linkinfo === 'object' ? str(linkinfo['info_kind']) : null,
      addrs: [],
      extra: {},
    };
    for (const k of ['qdisc', 'group', 'txqlen', 'ifalias', 'parentbus', 'parentdev']) {
      const v = o[k];
      if (typeof v === 'string' || typeof v === 'number') link.extra[k] = String(v);
    }
    const infos = o['addr_info'];
    if (Array.isArray(infos)) {
      for (const ai of infos) {
        const a = ai as Record<string, unknown>;
        const fam = a['family'] === 'inet' ? 'ipv4' : a['family'] === 'inet6' ? 'ipv6' : null;
        const local = normalizeIpText(str(a['local']) ?? '');
        const plen = num(a['prefixlen']);
        if (!fam || local === null || plen === null) {
          warnings.push({
            line,
            message: `ip addr: ${ifname}: address entry without family/local/prefixlen`,
          });
          continue;
        }
        const info: IpAddrInfo = {
          family: fam,
          local,
          prefixlen: plen,
          scope: str(a['scope']) ?? (num(a['scope']) !== null ? String(a['scope']) : 'global'),
          flags: [],
          validLft: lft(a['valid_life_time']),
          preferredLft: lft(a['preferred_life_time']),
        };
        const peer = str(a['address']);
        if (peer !== null) info.peer = normalizeIpText(peer) ?? peer;
        const brd = str(a['broadcast']);
        if (brd !== null) info.broadcast = brd;
        const label = str(a['label']);
        if (label !== null) info.label = label;
        if (a['secondary'] === true) info.secondary = true;
        for (const f of [
          'dynamic',
          'nodad',
          'tentative',
          'deprecated',
          'optimistic',
          'dadfailed',
          'home',
          'mngtmpaddr',
          'noprefixroute',
          'autojoin',
          'stable-privacy',
        ]) {
          if (a[f] === true) info.flags.push(f);
        }
        link.addrs.push(info);
      }
    }
    records.push(link);
  }
  return { records, warnings };
}

const HEADER = /^(\d+):\s+([^\s:@]+)(?:@([^\s:]+))?:\s+<([^>]*)>(.*)$/;

function parseIpAddrText(text: string): ParseResult<IpLink> {
  const records: IpLink[] = [];
  const warnings: TextWarning[] = [];
  const lines = text.split(/\r?\n/);
  let cur: IpLink | null = null;
  let lastAddr: IpAddrInfo | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    if (BINARY_BYTES.test(raw)) {
      warnings.push({ line: lineNo, message: 'ip addr: line skipped: binary bytes' });
      // A damaged link header: its address lines must not be credited to the previous link.
      if (/^\d+:/.test(raw)) cur = null;
      continue;
    }
    const h = HEADER.exec(raw.trim());
    if (h && !/^\s/.test(raw)) {
      cur = {
        line: lineNo,
        ifindex: Number(h[1]),
        ifname: h[2] ?? '',
        link: h[3] ?? null,
        flags: (h[4] ?? '').split(',').filter((f) => f !== ''),
        mtu: null,
        master: null,
        operstate: null,
        linkType: null,
        mac: null,
        brd: null,
        linkNetnsid: null,
        linkNetns: null,
        kind: null,
        addrs: [],
        extra: {},
      };
      lastAddr = null;
      records.push(cur);
      const tok = (h[5] ?? '')
        .trim()
        .split(/\s+/)
        .filter((t) => t !== '');
      for (let k = 0; k < tok.length; k++) {
        const key = tok[k] ?? '';
        const val = tok[k + 1];
        if (val === undefined) {
          cur.extra[key] = '';
          continue;
        }
        k++;
        if (key === 'mtu') cur.mtu = /^\d+$/.test(val) ? Number(val) : null;
        else if (key === 'master') cur.master = val;
        else if (key === 'state') cur.operstate = val;
        else cur.extra[key] = val;
      }
      continue;
    }
    if (!cur || !/^\s/.test(raw)) {
      warnings.push({ line: lineNo, message: 'ip addr: line outside a link block' });
      // The link's own lines that follow must not be credited to the previous link.
      if (!/^\s/.test(raw)) cur = null;
      continue;
    }
    const tok = raw.trim().split(/\s+/);
    const first = tok[0] ?? '';
    if (first.startsWith('link/')) {
      cur.linkType = first.slice(5);
      for (let k = 1; k < tok.length; k++) {
        const t = tok[k] ?? '';
        if (k === 1 && /^[0-9a-fA-F:.]+$/.test(t)) cur.mac = t;
        else if (t === 'brd' || t === 'peer') {
          if (t === 'brd') cur.brd = tok[k + 1] ?? null;
          else cur.extra['peer'] = tok[k + 1] ?? '';
          k++;
        } else if (t === 'link-netnsid') {
          cur.linkNetnsid = Number(tok[++k]);
        } else if (t === 'link-netns') {
          cur.linkNetns = tok[++k] ?? null;
        } else cur.extra[t] = '';
      }
      continue;
    }
    if (first === 'inet' || first === 'inet6') {
      const a = parseAddrLine(tok, first === 'inet' ? 'ipv4' : 'ipv6', cur.ifname);
      if (typeof a === 'string') {
        warnings.push({ line: lineNo, message: `ip addr: ${a}` });
        lastAddr = null;
        continue;
      }
      cur.addrs.push(a);
      lastAddr = a;
      continue;
    }
    if (first === 'valid_lft') {
      if (lastAddr) {
        const v = tok[1] ?? '';
        const p = tok[3] ?? '';
        lastAddr.validLft = v === 'forever' ? null : Number(v.replace(/sec$/, ''));
        lastAddr.preferredLft = p === 'forever' ? null : Number(p.replace(/sec$/, ''));
        if (Number.isNaN(lastAddr.validLft) || Number.isNaN(lastAddr.preferredLft)) {
          warnings.push({ line: lineNo, message: 'ip addr: bad valid_lft/preferred_lft' });
          lastAddr.validLft = null;
          lastAddr.preferredLft = null;
        }
      }
      continue;
    }
    if (first === 'altname' || /^[a-z][\w-]*$/.test(first)) {
      // `-d` detail lines (veth, bridge_slave …), altname: kept as text.
      if (first === 'altname') cur.extra['altname'] = tok.slice(1).join(' ');
      else if (
        cur.kind === null &&
        /^(veth|bridge|vxlan|vlan|bond|dummy|macvlan|ipvlan|wireguard|geneve|tun)$/.test(first)
      ) {
        cur.kind = first;
      }
      continue;
    }
    warnings.push({ line: lineNo, message: 'ip addr: unrecognised line' });
  }
  const cut = cutOffWarning(text, 'ip addr');
  if (cut) warnings.push(cut);
  return { records, warnings };
}

// print_addrinfo flag words (ipaddress.c ifa_flag_names and friends).
const ADDR_FLAGS = new Set([
  'dynamic',
  'nodad',
  'optimistic',
  'dadfailed',
  'home',
  'deprecated',
  'tentative',
  'permanent',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'stable-privacy',
  'temporary',
  'primary',
]);

function parseAddrLine(tok: string[], family: 'ipv4' | 'ipv6', ifname: string): IpAddrInfo | string {
  const cidr = tok[1] ?? '';
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(cidr);
  const local = m ? normalizeIpText(m[1] ?? '') : null;
  if (!m || local === null || (family === 'ipv6') !== local.includes(':')) return `bad address "${cidr}"`;
  const info: IpAddrInfo = {
    family,
    local,
    prefixlen: m[2] !== undefined ? Number(m[2]) : family === 'ipv4' ? 32 : 128,
    scope: 'global',
    flags: [],
    validLft: null,
    preferredLft: null,
  };
  // iproute2 always prints `scope`; without it the line was cut.
  if (!tok.includes('scope')) return `no scope in "${tok.join(' ').slice(0, 60)}"`;
  for (let k = 2; k < tok.length; k++) {
    const t = tok[k] ?? '';
    if (t === 'peer') {
      const p = tok[++k] ?? '';
      const pm = /^([^/]+)(?:\/(\d+))?$/.exec(p);
      info.peer = normalizeIpText(pm?.[1] ?? '') ?? p;
      if (pm?.[2] !== undefined) info.prefixlen = Number(pm[2]);
    } else if (t === 'brd') info.broadcast = tok[++k] ?? '';
    else if (t === 'scope') info.scope = tok[++k] ?? 'global';
    else if (t === 'secondary') info.secondary = true;
    else if (t === 'metric') k++;
    else if (k === tok.length - 1 && family === 'ipv4' && (t === ifname || t.startsWith(`${ifname}:`)))
      info.label = t;
    else if (ADDR_FLAGS.has(t)) info.flags.push(t);
    else if (k === tok.length - 1 && family === 'ipv4' && /^[\w.:@-]{1,15}$/.test(t)) info.label = t;
    else return `unexpected token "${t.slice(0, 40)}"`;
  }
  if (!/^(host|link|global|site|nowhere|\d+)$/.test(info.scope))
    return `bad scope "${info.scope.slice(0, 20)}"`;
  return info;
}

/** Recognise `ip -j addr` ('ip-addr'), `ip -j link` ('ip-link') or their text forms from the first lines. */
export function sniffIpAddr(head: string): 'ip-addr' | 'ip-link' | null {
  const t = head.trimStart();
  if (/^\[?\s*\{\s*"ifindex"\s*:/.test(t)) return /"addr_info"\s*:/.test(t) ? 'ip-addr' : 'ip-link';
  const lines = t.split(/\r?\n/);
  if (!HEADER.test((lines[0] ?? '').trim()) || !/\bmtu \d+/.test(lines[0] ?? '')) return null;
  // Without any inet/inet6 line the text cannot be told from `ip link`; either parses the same.
  return lines.some((l) => /^\s+inet6? /.test(l)) ? 'ip-addr' : 'ip-link';
}
