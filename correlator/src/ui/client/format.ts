// Text for numbers the page shows: durations, sizes, date and time, shares. Pure (no DOM), unit-tested.

import { formatClock, formatDate, type TimeZoneMode, zoneOffsetLabel } from './time-zone.js';

/** Three significant digits without trailing zeros: 4.2, 10, 123; 1000 and above rounded to an integer. */
export function trim3(v: number): string {
  return String(v >= 1000 ? Math.round(v) : Number.parseFloat(v.toPrecision(3)));
}

/** A duration in ns with the largest unit that keeps it ≥ 1: `850 ns`, `4.2 µs`, `37 ms`, `1.5 s`. */
export function fmtDuration(ns: number | null | undefined): string {
  if (ns === null || ns === undefined) return '';
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${trim3(ns / 1e3)} µs`;
  if (ns < 1e9) return `${trim3(ns / 1e6)} ms`;
  return `${trim3(ns / 1e9)} s`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${trim3(n / 1024)} KiB`;
  return `${trim3(n / 1048576)} MiB`;
}

/** An instant in full, in the page's zone, named: `2026-01-02 03:04:05.006 UTC+01:00`. */
export function fmtDateTime(ms: number, zone: TimeZoneMode): string {
  return `${formatDate(ms, zone)} ${formatClock(ms, zone, true)} ${zoneOffsetLabel(ms, zone)}`;
}

/** `ns` as a percentage of `total` with one decimal; a tiny non-zero share reads `<0.1%`, never `0.0%`. */
export function fmtShare(ns: number, total: number): string {
  const share = (100 * ns) / Math.max(1, total);
  return share > 0 && share < 0.1 ? '<0.1%' : `${share.toFixed(1)}%`;
}

/** Span attributes as `k=v, k=v`. */
export function argsText(attributes: Readonly<Record<string, string | number | boolean>>): string {
  return Object.entries(attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** `1 span`, `2 spans`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
