// The metrics data model's explicit-bucket Histogram: bucket i counts values in (bounds[i-1], bounds[i]], the last
// one everything above the last bound (the specification's upper-inclusive rule, as @opentelemetry/sdk-metrics).

/** The Collector spanmetrics connector's default buckets (2 ms … 15 s), in seconds. */
export const SPANMETRICS_BOUNDS: readonly number[] = [
  0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15,
];
/** The semantic conventions' advice for http.server.request.duration, in seconds. */
export const HTTP_SERVER_DURATION_BOUNDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
/** System calls take microseconds to seconds: decades from 1 µs to 10 s. */
export const SYSCALL_BOUNDS: readonly number[] = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10];

export interface ExplicitHistogramPoint {
  count: number;
  sum: number;
  min: number;
  max: number;
  bounds: readonly number[];
  counts: number[];
}

export class ExplicitHistogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private readonly counts: number[];

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Records `n` observations of `value` (≥ 0; anything else is ignored); returns its bucket (-1 if ignored). */
  record(value: number, n = 1): number {
    if (!(value >= 0) || value === Infinity) return -1;
    this.count += n;
    this.sum += value * n;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const i = this.indexOf(value);
    this.counts[i] += n;
    return i;
  }

  indexOf(value: number): number {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    return i;
  }

  point(): ExplicitHistogramPoint {
    return {
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      bounds: this.bounds,
      counts: this.counts.slice(),
    };
  }
}
