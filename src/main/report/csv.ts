// CSV export (RFC 4180): one row per flow with the columns people sort by.
import type { FlowJson, ReportJson } from '../../shared/report';

/** The CSV columns, in order. */
export const CSV_COLUMNS = [
  'id',
  'l3',
  'proto',
  'orig_src',
  'orig_sport',
  'orig_dst',
  'orig_dport',
  'reply_src',
  'reply_sport',
  'reply_dst',
  'reply_dport',
  'icmp_type',
  'icmp_id',
  'dnat',
  'snat',
  'nat_evidence',
  'first_ts',
  'last_ts',
  'duration_s',
  'packets_orig',
  'packets_reply',
  'bytes_orig',
  'bytes_reply',
  'tcp_state',
  'conn_state',
  'history',
  'conntrack_ids',
  'interfaces',
  'findings',
] as const;

/** Quotes a field when it holds a comma, quote, CR or LF; neutralises spreadsheet formulas. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // A capture-controlled string starting with = + - @ would run as a formula in a spreadsheet.
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function row(f: FlowJson): unknown[] {
  return [
    f.id,
    f.l3,
    f.proto,
    f.orig.src,
    f.orig.sport,
    f.orig.dst,
    f.orig.dport,
    f.reply?.src,
    f.reply?.sport,
    f.reply?.dst,
    f.reply?.dport,
    f.orig.icmp_type,
    f.orig.icmp_id,
    f.nat.dnat ? 1 : 0,
    f.nat.snat ? 1 : 0,
    f.nat.evidence.join(' '),
    f.first_ts,
    f.last_ts,
    Math.round((f.last_ts - f.first_ts) * 1e6) / 1e6,
    f.packets.orig,
    f.packets.reply,
    f.bytes?.orig,
    f.bytes?.reply,
    f.tcp?.state,
    f.tcp?.conn_state,
    f.tcp?.history,
    f.conntrack?.ids.join(' '),
    (f.interfaces ?? []).join(' '),
    (f.findings ?? []).join(' '),
  ];
}

/** The flows of a report as CSV. */
export function reportCsv(doc: ReportJson): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const f of doc.flows) lines.push(row(f).map(csvField).join(','));
  return lines.join('\r\n') + '\r\n';
}
