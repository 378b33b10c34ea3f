// The OpenTelemetry base-2 exponential histogram (the metrics data model's ExponentialHistogram), positive values
// only (durations): at most `maxSize` buckets, starting at scale 20 and halving the resolution whenever a value
// falls outside the range the buckets can cover. The index mapping and the downscaling decision are the
// specification's, as @opentelemetry/sdk-metrics implements them, so both give the same scale, offset and counts
// for the same values (test/metrics-histograms.test.ts holds them equal).

export const DEFAULT_MAX_SIZE = 160;
export const MAX_SCALE = 20;

const MIN_NORMAL_EXPONENT = -1022;
const MAX_NORMAL_EXPONENT = 1023;
const MIN_VALUE = 2 ** -1022;
// a double's bits, little-endian words (x86-64, arm64: the platforms nullspan's probe runs on)
const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);

/** log2(e) · 2^scale for the positive scales */
const SCALE_FACTORS = Array.from({ length: MAX_SCALE + 1 }, (_, scale) => Math.LOG2E * 2 ** scale);

/** The bucket of `value` at `scale`: bucket i holds (2^(i·2^-scale), 2^((i+1)·2^-scale)]. */
export function bucketIndex(value: number, scale: number): number {
  // the unbiased base-2 exponent of a normal double, and whether its significand is zero (a power of two)
  float[0] = value;
  const hi = words[1];
  const exponent = ((hi & 0x7ff00000) >> 20) - 1023;
  const powerOfTwo = (hi & 0xfffff) === 0 && words[0] === 0;
  if (scale <= 0) {
    if (value < MIN_VALUE) return MIN_NORMAL_EXPONENT >> -scale;
    return (exponent + (powerOfTwo ? -1 : 0)) >> -scale;
  }
  if (value <= MIN_VALUE) return (MIN_NORMAL_EXPONENT << scale) - 1;
  if (powerOfTwo) return (exponent << scale) - 1;
  // LOG2E · 2^scale is exact, so this is the SDK's log(value) · scaleFactor to the bit
  const index = Math.floor(Math.log(value) * SCALE_FACTORS[scale]);
  const maxIndex = ((MAX_NORMAL_EXPONENT + 1) << scale) - 1;
  return Math.min(index, maxIndex);
}

export interface ExponentialHistogramPoint {
  count: number;
  sum: number;
  min: number;
  max: number;
  scale: number;
  zeroCount: number;
  /** index of counts[0] */
  offset: number;
  counts: number[];
}

export class ExponentialHistogram {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  zeroCount = 0;
  private scale = MAX_SCALE;
  /** bucket counts from index `start`; grows at either end, never past maxSize */
  private counts: number[] = [];
  private start = 0;

  constructor(private readonly maxSize = DEFAULT_MAX_SIZE) {}

  /**
   * Records `n` observations of `value` (≥ 0; anything else is ignored). Returns the power of two it fell under
   * (bucket (2^k, 2^(k+1)] gives k, whatever the scale; the exemplars' buckets), -1100 for zero.
   */
  record(value: number, n = 1): number {
    if (!(value >= 0) || value === Infinity) return -1100;
    this.count += n;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value === 0) {
      this.zeroCount += n;
      return -1100;
    }
    this.sum += value * n;
    let index = bucketIndex(value, this.scale);
    if (this.counts.length > 0) {
      const end = this.start + this.counts.length - 1;
      const low = Math.min(index, this.start);
      const high = Math.max(index, end);
      if (high - low >= this.maxSize) {
        this.downscale(scaleChange(low, high, this.maxSize));
        index = bucketIndex(value, this.scale);
      }
    }
    this.add(index, n);
    return this.scale >= 0 ? index >> this.scale : index << -this.scale;
  }

  private add(index: number, n: number): void {
    const c = this.counts;
    if (c.length === 0) {
      this.start = index;
      c.push(n);
    } else if (index < this.start) {
      const grow = this.start - index;
      // the only allocation: widening downwards by `grow` buckets (bounded by maxSize overall)
      this.counts = [n, ...new Array<number>(grow - 1).fill(0), ...c];
      this.start = index;
    } else {
      const i = index - this.start;
      while (c.length <= i) c.push(0);
      c[i] += n;
    }
  }

  /** Halves the resolution `change` times: buckets i become i >> change. */
  private downscale(change: number): void {
    if (change <= 0) return;
    const old = this.counts;
    const oldStart = this.start;
    this.scale -= change;
    this.counts = [];
    for (let i = 0; i < old.length; i++) if (old[i] > 0) this.add((oldStart + i) >> change, old[i]);
    if (this.counts.length === 0) this.start = oldStart >> change;
  }

  point(): ExponentialHistogramPoint {
    return {
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      // all zeros: the scale means nothing, 0 as the SDK writes it
      scale: this.count === this.zeroCount ? 0 : this.scale,
      zeroCount: this.zeroCount,
      offset: this.start,
      counts: this.counts.slice(),
    };
  }
}

function scaleChange(low: number, high: number, maxSize: number): number {
  let change = 0;
  while (high - low >= maxSize) {
    high >>= 1;
    low >>= 1;
    change++;
  }
  return change;
}
