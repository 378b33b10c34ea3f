// The hand-written histograms against @opentelemetry/sdk-metrics as the oracle: the same values give the same
// exponential histogram (scale, offset, bucket counts, count, sum, min, max) and the same explicit buckets.
// And the exemplar set's bound.

import { ValueType } from '@opentelemetry/api';
import {
  AggregationType,
  MeterProvider,
  MetricReader,
  type ExponentialHistogram as SdkExponentialHistogram,
  type Histogram as SdkHistogram,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ExemplarSet, MAX_EXEMPLARS } from '../src/metrics/exemplars.js';
import { ExplicitHistogram, SPANMETRICS_BOUNDS } from '../src/metrics/explicit-histogram.js';
import { ExponentialHistogram } from '../src/metrics/exponential-histogram.js';

class Reader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** What the SDK makes of `values` recorded into one histogram with the given aggregation. */
async function sdkPoint(values: number[], aggregation: 'exponential' | 'explicit', maxSize = 160): Promise<unknown> {
  const reader = new Reader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [
      {
        instrumentName: 'h',
        aggregation:
          aggregation === 'exponential'
            ? { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize } }
            : { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...SPANMETRICS_BOUNDS] } },
      },
    ],
  });
  const h = provider.getMeter('oracle').createHistogram('h', { valueType: ValueType.DOUBLE });
  for (const v of values) h.record(v);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0].value;
}

/** A seeded stream of positive values spread over `decades` decades from `from`. */
function values(seed: number, n: number, from: number, decades: number): number[] {
  let x = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(from * 10 ** ((x / 2 ** 32) * decades));
  }
  // exact powers of two sit on bucket boundaries
  out.push(2 ** -10, 0.5, 1, 2);
  return out;
}

describe('ExponentialHistogram against the OpenTelemetry SDK', () => {
  for (const [label, from, decades] of [
    ['1 ms … 200 ms (a span mix)', 0.001, 2.3],
    ['1 µs … 100 s (system calls)', 1e-6, 8],
    ['within 1 %', 0.01, 0.004],
  ] as const) {
    it(label, async () => {
      const vs = values(label.length, 5000, from, decades);
      const mine = new ExponentialHistogram();
      for (const v of vs) mine.record(v);
      const p = mine.point();
      const sdk = (await sdkPoint(vs, 'exponential')) as SdkExponentialHistogram;
      expect({
        scale: p.scale,
        offset: p.offset,
        counts: p.counts,
        count: p.count,
        min: p.min,
        max: p.max,
        zeroCount: p.zeroCount,
      }).toEqual({
        scale: sdk.scale,
        offset: sdk.positive.offset,
        counts: sdk.positive.bucketCounts,
        count: sdk.count,
        min: sdk.min,
        max: sdk.max,
        zeroCount: sdk.zeroCount,
      });
      expect(p.sum).toBeCloseTo(sdk.sum, 9);
    });
  }

  it('200 seeded streams of random ranges and sizes: the same histogram, never more buckets than the size', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const from = 10 ** -((seed * 7919) % 9);
      const decades = ((seed * 104729) % 1000) / 100;
      // small sizes make every downscaling path (and its exact boundaries) likely
      const size = [160, 4, 5, 8][seed % 4];
      const vs = values(seed, 300, from, decades);
      const mine = new ExponentialHistogram(size);
      for (const v of vs) mine.record(v);
      const p = mine.point();
      const sdk = (await sdkPoint(vs, 'exponential', size)) as SdkExponentialHistogram;
      expect([seed, p.scale, p.offset, p.counts]).toEqual([
        seed,
        sdk.scale,
        sdk.positive.offset,
        sdk.positive.bucketCounts,
      ]);
      expect(p.counts.length).toBeLessThanOrEqual(size);
    }
  });

  it('counts zeros apart and n observations at once', () => {
    const h = new ExponentialHistogram();
    h.record(0, 3);
    h.record(0.004, 2);
    expect(h.point()).toMatchObject({ count: 5, zeroCount: 3, counts: [2], sum: 0.008 });
  });
});

describe('ExplicitHistogram against the OpenTelemetry SDK', () => {
  it('the spanmetrics buckets, upper bounds inclusive', async () => {
    const vs = [...values(7, 3000, 0.0005, 5), ...SPANMETRICS_BOUNDS];
    const mine = new ExplicitHistogram(SPANMETRICS_BOUNDS);
    for (const v of vs) mine.record(v);
    const sdk = (await sdkPoint(vs, 'explicit')) as SdkHistogram;
    const p = mine.point();
    expect([p.counts, p.count, p.min, p.max]).toEqual([sdk.buckets.counts, sdk.count, sdk.min, sdk.max]);
    expect(p.sum).toBeCloseTo(sdk.sum, 9);
  });
});

describe('ExemplarSet', () => {
  it('keeps one exemplar per bucket, at most MAX_EXEMPLARS, the slowest buckets first', () => {
    const set = new ExemplarSet();
    for (let b = 0; b < 100; b++) set.offer(b, b, b, 't', `s${b}`);
    set.offer(99, 99.5, 1, 't', 'latest');
    set.offer(3, 3, 1, 't', 'too low');
    const list = set.list();
    expect(list).toHaveLength(MAX_EXEMPLARS);
    expect(list.map((e) => e.spanId).slice(-2)).toEqual(['s98', 'latest']);
    expect(list[0].spanId).toBe(`s${100 - MAX_EXEMPLARS}`);
  });
});
