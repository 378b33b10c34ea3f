// What tracing has lost so far, as the live status line shows it. The one list of loss counters: a new counter
// (from the correlator's or an exporter's stats) is one more entry in lossCounts.

import type { ExportStats } from '../export/sink.js';
import type { CorrelatorStats } from '../model.js';

/** Events the kernel dropped, of every kind. */
export function totalDrops(d: { syscall: number; marker: number; process: number }): number {
  return d.syscall + d.marker + d.process;
}

/** [what was lost, how many], in the order shown. */
export type LossCounts = [string, number][];

export function lossCounts(correlator: CorrelatorStats, kernelDrops: number, exporters: ExportStats[]): LossCounts {
  return [
    ['kernel drops', kernelDrops],
    ['malformed markers', correlator.malformedMarkers],
    ['unmatched exits', correlator.unmatchedExits],
    ['evicted spans', correlator.spansEvicted],
    ['export failures', exporters.reduce((n, s) => n + s.dropped, 0)],
  ];
}

/** `lost 0`, or `lost 5 (3 malformed markers, 2 kernel drops)`: the total, then what is not zero. */
export function lossText(counts: LossCounts): string {
  const nonZero = counts.filter(([, n]) => n > 0);
  const total = nonZero.reduce((sum, [, n]) => sum + n, 0);
  return total === 0 ? 'lost 0' : `lost ${total} (${nonZero.map(([what, n]) => `${n} ${what}`).join(', ')})`;
}

/** Spans an exporter gave up on, by reason, for the exit notice: `HTTP 500: 10, queue limit: 2`, largest first. */
export function exportLossText(lost: Record<string, number> | undefined): string {
  const entries = Object.entries(lost ?? {}).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([reason, n]) => `${reason}: ${n}`).join(', ') : 'reason unknown';
}
