// The spectrogram's latency axis, defined once for the server and sent to the page: logarithmic duration buckets
// (the time axis is chosen per request, spectrogram-grid.ts). Boundaries are integer nanoseconds so that "duration in buckets i..j"
// and "duration in [boundary(i), boundary(j+1))" select exactly the same spans (no floating-point edge cases).

/** Buckets per decade of duration. */
export const BUCKETS_PER_DECADE = 5;
/** The grid spans 1 µs … 100 s: 8 decades. */
const FIRST_DECADE_NS = 1_000; // 1 µs
const DECADES = 8;
export const BUCKET_COUNT = BUCKETS_PER_DECADE * DECADES;

/**
 * Lower boundary (ns) of every bucket plus the upper boundary of the last one: BOUNDARIES_NS[i] ≤ d <
 * BOUNDARIES_NS[i+1]. Bucket 0 also takes everything shorter than 1 µs, the last bucket everything longer than
 * 100 s, so every span lands somewhere.
 */
export const BOUNDARIES_NS: readonly number[] = Array.from({ length: BUCKET_COUNT + 1 }, (_, i) =>
  Math.round(FIRST_DECADE_NS * 10 ** (i / BUCKETS_PER_DECADE)),
);

/** The bucket a duration (ns) falls into. */
export function bucketOf(durationNs: number): number {
  // Binary search for the last boundary ≤ duration, clamped into [0, BUCKET_COUNT - 1].
  let lo = 0;
  let hi = BUCKET_COUNT - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (BOUNDARIES_NS[mid] <= durationNs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface BucketInfo {
  index: number;
  /** inclusive lower bound in ns (0 for the first bucket, which also holds sub-µs spans) */
  lowNs: number;
  /** exclusive upper bound in ns (null for the last bucket, which also holds spans over 100 s) */
  highNs: number | null;
}

export function bucketTable(): BucketInfo[] {
  return Array.from({ length: BUCKET_COUNT }, (_, i) => ({
    index: i,
    lowNs: i === 0 ? 0 : BOUNDARIES_NS[i],
    highNs: i === BUCKET_COUNT - 1 ? null : BOUNDARIES_NS[i + 1],
  }));
}
