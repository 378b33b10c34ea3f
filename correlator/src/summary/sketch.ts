// Latency percentiles from a mergeable quantile sketch (DDSketch), never from averages or a reservoir: every
// value counts, and each percentile is within RELATIVE_ACCURACY of the exact value at its rank.

import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';

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
   * The value at rank floor(q · (count − 1)) of the sorted durations (0-based; the library's definition), within
   * RELATIVE_ACCURACY, clamped into [min, max] (a bin's representative may lie just outside them). Integer ns.
   */
  quantile(q: number): number {
    if (this.sketch.count === 0) return 0;
    const v = this.sketch.getValueAtQuantile(q);
    return Math.round(Math.min(this.max, Math.max(this.min, v)));
  }

  percentiles(): Record<QuantileKey, number> {
    const out = {} as Record<QuantileKey, number>;
    for (const { key, q } of QUANTILES) out[key] = this.quantile(q);
    return out;
  }
}
