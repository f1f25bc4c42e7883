// Text forms shown in the views: times, sizes, endpoints, NAT translations and hex dumps.
import type { FlowJson, Tuple } from '../shared/report';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Capture time (seconds since the epoch) as UTC "2024-05-01 12:03:04.123456". */
export function formatTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return '—';
  const d = new Date(Math.floor(ts) * 1000);
  const micros = Math.round((ts - Math.floor(ts)) * 1e6);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(Math.min(micros, 999999), 6)}`
  );
}

/** Time of day only, for dense tables. */
export function formatClock(ts: number | null | undefined): string {
  const full = formatTime(ts);
  return full === '—' ? full : full.slice(11);
}

/** A time offset: "+0.000123 s", "+1.5 s". */
export function formatDelta(sec: number): string {
  if (!Number.isFinite(sec)) return '—';
  const abs = Math.abs(sec);
  const text = abs >= 10 ? abs.toFixed(1) : abs >= 1 ? abs.toFixed(3) : abs.toFixed(6);
  return `${sec < 0 ? '−' : '+'}${text} s`;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '—';
  if (sec < 1) return `${(sec * 1000).toFixed(1)} ms`;
  if (sec < 120) return `${sec.toFixed(2)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString('en-US');
}

/** "10.0.0.1:80", "[fd00::1]:443", or the bare address without a port. */
export function endpoint(addr: string, port?: number | null): string {
  if (port === undefined || port === null) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** "a:1 → b:2" (ICMP: with type/code and echo id). */
export function tupleText(t: Tuple): string {
  const icmp =
    t.icmp_type !== undefined
      ? ` (type ${t.icmp_type}${t.icmp_code ? ` code ${t.icmp_code}` : ''}${t.icmp_id !== undefined ? ` id ${t.icmp_id}` : ''})`
      : '';
  return `${endpoint(t.src, t.sport)} → ${endpoint(t.dst, t.dport)}${icmp}`;
}

export interface NatChange {
  kind: 'DNAT' | 'SNAT';
  /** the side of the original tuple that was rewritten */
  side: 'dst' | 'src';
  before: string;
  after: string;
}

/**
 * What the NAT changed, read from the two conntrack tuples: DNAT rewrote the destination (orig.dst
 * became reply.src, the real server), SNAT the source (orig.src became reply.dst, what the server sees).
 */
export function natChanges(flow: FlowJson): NatChange[] {
  const { orig, reply } = flow;
  if (!reply) return [];
  const out: NatChange[] = [];
  const before = (a: string, p?: number) => endpoint(a, p);
  if (flow.nat.dnat || orig.dst !== reply.src || (orig.dport ?? null) !== (reply.sport ?? null))
    out.push({
      kind: 'DNAT',
      side: 'dst',
      before: before(orig.dst, orig.dport),
      after: before(reply.src, reply.sport),
    });
  if (flow.nat.snat || orig.src !== reply.dst || (orig.sport ?? null) !== (reply.dport ?? null))
    out.push({
      kind: 'SNAT',
      side: 'src',
      before: before(orig.src, orig.sport),
      after: before(reply.dst, reply.dport),
    });
  // ICMP echo ids are the "ports" of ICMP: a changed id with the same addresses is still SNAT.
  return out.filter((c) => c.before !== c.after || (c.kind === 'DNAT' ? flow.nat.dnat : flow.nat.snat));
}

/** The NAT badge text of a flow row. */
export function natBadge(flow: FlowJson): string {
  return [flow.nat.dnat ? 'DNAT' : '', flow.nat.snat ? 'SNAT' : ''].filter(Boolean).join('+');
}

export interface HexLine {
  offset: string;
  hex: string;
  ascii: string;
}

/** `tcpdump -X` style lines: offset, 16 bytes as hex in pairs of groups, printable ASCII. */
export function hexDumpLines(hex: string, width = 16): HexLine[] {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  const lines: HexLine[] = [];
  for (let off = 0; off * 2 < clean.length; off += width) {
    const chunk = clean.slice(off * 2, (off + width) * 2);
    const bytes: string[] = [];
    for (let i = 0; i < chunk.length; i += 2) bytes.push(chunk.slice(i, i + 2));
    const hexText = bytes
      .map((b, i) => (i === 8 ? ` ${b}` : b))
      .join(' ')
      .padEnd(width * 3, ' ');
    const ascii = bytes
      .map((b) => {
        const c = parseInt(b, 16);
        return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
      })
      .join('');
    lines.push({ offset: off.toString(16).padStart(4, '0'), hex: hexText, ascii });
  }
  return lines;
}

/** TCP flag letters in the report's order (S F R P A U E C). */
export function hasFlag(flags: string | null | undefined, letter: string): boolean {
  return !!flags && flags.includes(letter);
}
