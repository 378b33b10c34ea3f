// Which of n sorted durations a percentile names: the nearest rank, the ⌈q · n⌉-th smallest (0-based here). The
// definition Prometheus' and HdrHistogram's users read percentiles by: p99 of 100 spans is the 99th, p99 of two
// spans is the larger, p50 of one span is that span.

/** 0-based index of the q-quantile among n sorted values (n ≥ 1). */
export function nearestRank(q: number, n: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n - 1e-9) - 1));
}
