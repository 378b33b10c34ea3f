// Latency percentiles from a mergeable quantile sketch (DDSketch), never from averages or a reservoir: every
// value counts, and each percentile is within RELATIVE_ACCURACY of the exact value at its rank.

import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';
import { nearestRank } from './rank.js';

/** Relative error of every percentile: the reported value v and the exact value x at the same rank satisfy
 *  |v − x| ≤ 1 % · x. */
export const RELATIVE_ACCURACY = 0.01;
/** Bins one sketch may hold (8 bytes each). At 1 % they cover a ratio of e^(2048·0.02) ≈ 10^17 between the
 *  smallest and largest duration kept exact, so 1 ns … years never collapses; past it the lowest bins merge. */
export const SKETCH_BIN_LIMIT = 2048;

/** The quantiles a summary reports. */
export const QUANTILES = [
  { key: 'p50', q: 0.5, label: 'p50' },
  { key: 'p90', q: 0.9, label: 'p90' },
  { key: 'p99', q: 0.99, label: 'p99' },
  { key: 'p999', q: 0.999, label: 'p99.9' },
] as const;
export type QuantileKey = (typeof QUANTILES)[number]['key'];

/** Durations in ns: count, exact min and max, and percentiles. */
export class LatencySketch {
  private readonly sketch = new LogCollapsingLowestDenseDDSketch({
    relativeAccuracy: RELATIVE_ACCURACY,
    binLimit: SKETCH_BIN_LIMIT,
  });

  add(ns: number): void {
    // a negative duration (clock skew in hostile or damaged input) counts as zero instead of corrupting the order
    this.sketch.accept(ns > 0 && Number.isFinite(ns) ? ns : 0);
  }

  merge(other: LatencySketch): void {
    if (other.count > 0) this.sketch.merge(other.sketch);
  }

  get count(): number {
    return this.sketch.count;
  }

  get min(): number {
    return this.sketch.count ? this.sketch.min : 0;
  }

  get max(): number {
    return this.sketch.count ? this.sketch.max : 0;
  }

  /**
   * The value at the nearest rank of q — the ⌈q · count⌉-th smallest duration (rank.ts) — within RELATIVE_ACCURACY,
   * clamped into [min, max] (a bin's representative may lie just outside them). Integer ns. The library's own rank,
   * ⌊q · (count − 1)⌋, reports the smaller of two durations as their p99; the nearest rank never understates a tail.
   */
  quantile(q: number): number {
    const n = this.sketch.count;
    if (n === 0) return 0;
    // the library's quantile that lands on that rank: ⌊q' · (n − 1)⌋ = rank, half a rank clear of rounding
    const rank = nearestRank(q, n);
    const v = this.sketch.getValueAtQuantile(n === 1 ? 0 : Math.min(1, (rank + 0.5) / (n - 1)));
    return Math.round(Math.min(this.max, Math.max(this.min, v)));
  }

  percentiles(): Record<QuantileKey, number> {
    const out = {} as Record<QuantileKey, number>;
    for (const { key, q } of QUANTILES) out[key] = this.quantile(q);
    return out;
  }
}
