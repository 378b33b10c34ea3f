// The summary as text for a terminal (a table, then each row's slowest 1 %) and as JSON for scripts. Names,
// paths and peers come from traced processes: the text escapes them (terminal-text.ts) and cuts long ones.

import { sanitize } from '../cli/terminal-text.js';
import { formatDuration } from '../cli/tree-printer.js';
import type { Summary, SummaryRow } from './builder.js';
import { QUANTILES } from './sketch.js';
import { WAIT_KINDS, type TimesTotals } from './times.js';

/** Version of the JSON document; a change to the shape that breaks readers changes it. */
export const SUMMARY_JSON_VERSION = 1;
/** Widest name column of the table; longer names are cut (the JSON keeps them whole). */
const MAX_COLUMN_CHARS = 40;

export function summaryJson(summary: Summary): string {
  return `${JSON.stringify({ summaryVersion: SUMMARY_JSON_VERSION, ...summary })}\n`;
}

export function summaryText(summary: Summary): string {
  const pct = `${summary.relativeAccuracy * 100}`;
  const lines = [
    `latency summary: ${summary.spans} spans; percentiles within ±${pct} % of the exact value at their rank`,
  ];
  const header = ['SERVICE', 'SPAN', 'COUNT', 'ERRORS', ...QUANTILES.map((q) => q.label.toUpperCase()), 'MAX'];
  const rows = summary.rows.map((r) => tableCells(cell(r.service), cell(r.name), r));
  if (summary.overflow) rows.push(tableCells('(other)', '(other)', summary.overflow));
  lines.push(...table([header, ...rows]));
  if (summary.overflow)
    lines.push(`(other): ${summary.overflow.count} spans of service/span names past the ${summary.maxRows}-row bound.`);
  for (const r of summary.rows) lines.push(...slowestLines(`${sanitize(r.service)} / ${sanitize(r.name)}`, r));
  if (summary.overflow) lines.push(...slowestLines('(other)', summary.overflow));
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  const clean = sanitize(text);
  return clean.length > MAX_COLUMN_CHARS ? `${clean.slice(0, MAX_COLUMN_CHARS - 1)}…` : clean;
}

function tableCells(service: string, name: string, r: SummaryRow): string[] {
  return [
    service,
    name,
    String(r.count),
    String(r.errors),
    ...QUANTILES.map((q) => formatDuration(r.percentilesNs[q.key])),
    formatDuration(r.maxNs),
  ];
}

/** Left-aligned text columns, right-aligned figures. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

function slowestLines(label: string, r: SummaryRow): string[] {
  const s = r.slowest;
  if (s.spans === 0) return [];
  const what = s.capped ? `slowest ${s.spans} (1 % would be ${Math.ceil(r.count / 100)}; capped)` : 'slowest 1 %';
  const lines = [`${what} of ${label}: ${s.spans} span${s.spans === 1 ? '' : 's'} ≥ ${formatDuration(s.thresholdNs)}`];
  for (const g of s.syscalls) {
    const target = g.target ? `  ${sanitize(g.target)}` : '';
    lines.push(`  ${g.name} ×${g.calls}${target}  ${formatDuration(g.totalNs)}`);
  }
  if (s.syscalls.length === 0) lines.push('  no system calls of their own');
  if (s.times) lines.push(`  time: ${timesText(s.times)}`);
  const top = s.examples[0];
  if (top) lines.push(`  slowest: trace ${top.traceId} span ${top.spanId} (${formatDuration(top.durationNs)})`);
  return lines;
}

function timesText(t: TimesTotals): string {
  const share = (ns: number) => (t.durationNs > 0 ? `${Math.round((ns / t.durationNs) * 100)} %` : formatDuration(ns));
  const parts = [`on-cpu ${share(t.onCpu)}`, `runq ${share(t.runqueue)}`];
  for (const k of WAIT_KINDS) if (t.blocked[k] > 0) parts.push(`${k} ${share(t.blocked[k])}`);
  if (t.asyncWait > 0) parts.push(`async wait ${share(t.asyncWait)}`);
  if (t.loopBusyOther > 0) {
    const holder = Object.entries(t.loopBusyBy).sort((a, b) => b[1] - a[1])[0];
    parts.push(`loop busy${holder ? ` (${sanitize(holder[0])})` : ''} ${share(t.loopBusyOther)}`);
  }
  if (t.majorFaults > 0) parts.push(`${t.majorFaults} major faults`);
  return parts.join(' · ');
}
