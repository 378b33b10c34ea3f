// Latency views over the retained spans: the percentile table per service and span name (the same summary
// builder as --summary), the spans ranked around one percentile, and syscall latency (every call of one syscall
// name, whichever span made it) as spectrogram cells and as the spans that made the calls of a selection.

import { nearestRank } from '../summary/rank.js';
import type { SyscallRecord } from '../model.js';
import { SummaryBuilder, type Summary } from '../summary/builder.js';
import { syscallsNamed } from './compact-span.js';
import { bucketOf } from './buckets.js';
import { buildSpectrogram, DEFAULT_COLUMNS, type Spectrogram, type TimeWindow } from './spectrogram-grid.js';
import type { SpanFilter, SpanStore, StoredSpan, WindowQuery } from './store.js';

type Window = SpanFilter & TimeWindow;

/** The quantiles a percentile can be picked by (`max` is the slowest span). */
export const PERCENTILE_KEYS = ['p50', 'p90', 'p99', 'p999', 'max'] as const;
export type PercentileKey = (typeof PERCENTILE_KEYS)[number];
const QUANTILE_OF: Record<PercentileKey, number> = { p50: 0.5, p90: 0.9, p99: 0.99, p999: 0.999, max: 1 };

/** Spans listed on each side of the percentile's rank. */
export const AROUND = 10;

function inDuration(ns: number, q: WindowQuery): boolean {
  return (
    (q.minDurationNs === undefined || ns >= q.minDurationNs) && (q.maxDurationNs === undefined || ns < q.maxDurationNs)
  );
}

/** Percentiles per service and span name of the spans matching the query (window, filter, duration range). */
export function percentileTable(store: SpanStore, q: WindowQuery): Summary {
  const builder = new SummaryBuilder();
  for (const entry of store.matching(q)) if (inDuration(entry.durationNs, q)) builder.add(entry.span, entry.proc);
  return builder.result();
}

/**
 * The spans of one service and span name (exact) ranked around a percentile: sorted by duration, the rank the
 * summary's sketch uses (floor(q · (n − 1))), and AROUND spans on each side, shortest first.
 */
export function spansAroundPercentile(
  store: SpanStore,
  q: WindowQuery,
  spanName: string,
  key: PercentileKey,
): { total: number; rank: number; spans: StoredSpan[] } {
  const same: StoredSpan[] = [];
  for (const entry of store.matching(q))
    if (entry.span.name === spanName && inDuration(entry.durationNs, q)) same.push(entry);
  same.sort((a, b) => a.durationNs - b.durationNs || a.seq - b.seq);
  if (same.length === 0) return { total: 0, rank: 0, spans: [] };
  const rank = nearestRank(QUANTILE_OF[key], same.length);
  return { total: same.length, rank, spans: same.slice(Math.max(0, rank - AROUND), rank + AROUND + 1) };
}

/** One call's duration in a record: a merged run holds `count` identical consecutive calls, taken as equal. */
function perCallNs(sc: SyscallRecord): number {
  return sc.count > 1 ? sc.dur / sc.count : sc.dur;
}

/** Calls of `syscall` in the spans of the filter whose entry falls in the window, with their wall-clock start. */
function* callsOf(
  store: SpanStore,
  w: Window,
  syscall: string,
): Generator<{ entry: StoredSpan; sc: SyscallRecord; startUs: number }> {
  // a call starts after its span: spans that started before the window may still hold calls inside it
  for (const entry of store.matching({ ...w, fromUs: undefined })) {
    for (const sc of syscallsNamed(entry.span, syscall)) {
      const startUs = entry.startUs + Math.floor((sc.ts - entry.span.start) / 1000);
      if ((w.fromUs !== undefined && startUs < w.fromUs) || (w.toUs !== undefined && startUs >= w.toUs)) continue;
      yield { entry, sc, startUs };
    }
  }
}

/**
 * Spectrogram of the calls of one syscall name on the same grid as the spans' (a merged run adds its count to its
 * per-call bucket); an open side of the window is fitted to the calls.
 */
export function syscallSpectrogram(store: SpanStore, w: Window & { columns?: number }, syscall: string): Spectrogram {
  // the calls are gathered once: the grid needs their extent before it can count them
  const starts: number[] = [];
  const buckets: number[] = [];
  const counts: number[] = [];
  for (const { sc, startUs } of callsOf(store, { ...w, fromUs: undefined, toUs: undefined }, syscall)) {
    starts.push(startUs);
    buckets.push(bucketOf(perCallNs(sc)));
    counts.push(sc.count);
  }
  return buildSpectrogram({ startUs: starts, bucket: buckets, weight: counts }, w, w.columns ?? DEFAULT_COLUMNS);
}

/**
 * The spans that made calls of `syscall` inside the query's window and duration range (the range applies to the
 * calls), ordered by their slowest such call; `calls` counts the calls matched.
 */
export function spansWithSyscall(
  store: SpanStore,
  q: WindowQuery,
  syscall: string,
): { total: number; calls: number; spans: { entry: StoredSpan; slowestCallNs: number; calls: number }[] } {
  const bySpan = new Map<StoredSpan, { entry: StoredSpan; slowestCallNs: number; calls: number }>();
  let calls = 0;
  for (const { entry, sc } of callsOf(store, q, syscall)) {
    const ns = perCallNs(sc);
    if (!inDuration(ns, q)) continue;
    calls += sc.count;
    const hit = bySpan.get(entry);
    if (hit) {
      hit.calls += sc.count;
      hit.slowestCallNs = Math.max(hit.slowestCallNs, ns);
    } else bySpan.set(entry, { entry, slowestCallNs: ns, calls: sc.count });
  }
  const spans = [...bySpan.values()].sort((a, b) => b.slowestCallNs - a.slowestCallNs || a.entry.seq - b.entry.seq);
  return { total: spans.length, calls, spans: spans.slice(0, q.limit ?? 200) };
}

/** Syscall names in the retained spans with their call counts, most calls first (the spectrogram's mode list). */
export function syscallNames(store: SpanStore, limit = 200): { name: string; count: number }[] {
  return [...store.syscallCallCounts()]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}
