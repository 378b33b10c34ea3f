// The spectrogram's pure parts: zoom/pan geometry, axis ticks in both time zones, the colour scale and legend.
import { afterEach, describe, expect, it } from 'vitest';
import { BOUNDARIES_NS, BUCKET_COUNT, BUCKETS_PER_DECADE } from '../src/ui/buckets.js';
import { decadeLabel, durationTicks, timeTicks } from '../src/ui/client/axis.js';
import { countColour, countShade, legendTicks, PLOT_BACKGROUND, shadeColour } from '../src/ui/client/colour.js';
import {
  columnsFor,
  fitBuckets,
  followLatest,
  keepOverData,
  MIN_RANGE_MS,
  panBy,
  rangeWidth,
  selectionOf,
  wheelFactor,
  xToTime,
  timeToX,
  zoomAbout,
} from '../src/ui/client/scales.js';
import { formatClock, zoneName, zoneOffsetLabel } from '../src/ui/client/time-zone.js';

const T0 = Date.UTC(2026, 4, 28, 10, 0, 0); // 2026-05-28T10:00:00Z

describe('zoom and pan', () => {
  it('zooms about the anchor, which stays at the same place on the axis', () => {
    const r = { fromMs: T0, toMs: T0 + 20_000 };
    const anchor = T0 + 5_000; // a quarter of the way
    const z = zoomAbout(r, 0.1, anchor);
    expect(rangeWidth(z)).toBe(2_000);
    expect((anchor - z.fromMs) / rangeWidth(z)).toBeCloseTo(0.25, 3);
    const back = zoomAbout(z, 10, anchor);
    expect(back).toEqual(r);
  });

  it('never zooms below a few milliseconds nor past a year, and keeps integer milliseconds', () => {
    let r = { fromMs: T0, toMs: T0 + 1_000 };
    for (let i = 0; i < 40; i++) r = zoomAbout(r, 0.5, T0 + 333.3);
    expect(rangeWidth(r)).toBe(MIN_RANGE_MS);
    expect(Number.isInteger(r.fromMs) && Number.isInteger(r.toMs)).toBe(true);
    for (let i = 0; i < 80; i++) r = zoomAbout(r, 2, T0);
    expect(rangeWidth(r)).toBe(366 * 86_400_000);
  });

  it('clamps an anchor outside the range to its nearest edge', () => {
    const r = { fromMs: T0, toMs: T0 + 1_000 };
    expect(zoomAbout(r, 0.5, T0 + 5_000)).toEqual({ fromMs: T0 + 500, toMs: T0 + 1_000 });
  });

  it('turns wheel deltas into bounded zoom factors, in for up, out for down', () => {
    expect(wheelFactor(-100)).toBeLessThan(1);
    expect(wheelFactor(100)).toBeGreaterThan(1);
    expect(wheelFactor(-10_000)).toBe(0.5);
    expect(wheelFactor(10_000)).toBe(2);
    expect(wheelFactor(0)).toBe(1);
  });

  it('pans by a time and keeps the middle of the view over the data', () => {
    const r = { fromMs: T0, toMs: T0 + 1_000 };
    expect(panBy(r, 250)).toEqual({ fromMs: T0 + 250, toMs: T0 + 1_250 });
    const data = { firstMs: T0, lastMs: T0 + 10_000 };
    expect(keepOverData(panBy(r, 60_000), data)).toEqual({ fromMs: T0 + 9_500, toMs: T0 + 10_500 });
    expect(keepOverData(panBy(r, -60_000), data)).toEqual({ fromMs: T0 - 500, toMs: T0 + 500 });
    expect(keepOverData(r, data)).toEqual(r);
    expect(keepOverData(r, null)).toEqual(r);
  });

  it('follows the newest span keeping the width, the newest start inside the range', () => {
    const f = followLatest({ fromMs: T0, toMs: T0 + 10_000 }, T0 + 60_000);
    expect(rangeWidth(f)).toBe(10_000);
    expect(f.fromMs).toBeLessThanOrEqual(T0 + 60_000);
    expect(f.toMs).toBeGreaterThan(T0 + 60_000);
  });

  it('maps pixels to time and back, and asks for as many columns as fit', () => {
    const s = { fromMs: T0, toMs: T0 + 1_250, left: 64, width: 1000 };
    expect(timeToX(s, T0)).toBe(64);
    expect(timeToX(s, T0 + 625)).toBe(564);
    expect(xToTime(s, 564)).toBe(T0 + 625);
    expect(columnsFor(1200)).toBe(200);
    expect(columnsFor(20)).toBe(10);
    expect(columnsFor(100_000)).toBe(1000);
  });

  it('selects whole columns and buckets from a rectangle dragged either way', () => {
    expect(selectionOf({ c0: 7, c1: 3, b0: 20, b1: 12 }, T0, 50)).toEqual({
      fromMs: T0 + 150,
      toMs: T0 + 400,
      b0: 12,
      b1: 20,
    });
  });
});

describe('latency axis', () => {
  it('fits the buckets holding data with a margin, at least two decades tall, inside the grid', () => {
    expect(fitBuckets({ min: 10, max: 30 }, BUCKET_COUNT, BUCKETS_PER_DECADE)).toEqual({ lo: 9, hi: 31 });
    const lone = fitBuckets({ min: 15, max: 15 }, BUCKET_COUNT, BUCKETS_PER_DECADE);
    expect(lone.hi - lone.lo + 1).toBe(2 * BUCKETS_PER_DECADE);
    expect(lone.lo).toBeLessThan(15);
    expect(lone.hi).toBeGreaterThan(15);
    expect(fitBuckets({ min: 0, max: 1 }, BUCKET_COUNT, BUCKETS_PER_DECADE)).toEqual({ lo: 0, hi: 9 });
    expect(fitBuckets({ min: 39, max: 39 }, BUCKET_COUNT, BUCKETS_PER_DECADE)).toEqual({ lo: 30, hi: 39 });
    expect(fitBuckets(null, BUCKET_COUNT, BUCKETS_PER_DECADE)).toEqual({ lo: 0, hi: BUCKET_COUNT - 1 });
  });

  it('labels every decade boundary of the window with its unit', () => {
    const ticks = durationTicks({ lo: 9, hi: 31 }, BOUNDARIES_NS, BUCKETS_PER_DECADE);
    expect(ticks.map((t) => t.label)).toEqual(['100 µs', '1 ms', '10 ms', '100 ms', '1 s']);
    expect(ticks.map((t) => t.boundary)).toEqual([10, 15, 20, 25, 30]);
    const all = durationTicks({ lo: 0, hi: BUCKET_COUNT - 1 }, BOUNDARIES_NS, BUCKETS_PER_DECADE);
    expect(all.map((t) => t.label)).toEqual([
      '1 µs',
      '10 µs',
      '100 µs',
      '1 ms',
      '10 ms',
      '100 ms',
      '1 s',
      '10 s',
      '100 s',
    ]);
    expect(decadeLabel(500)).toBe('500 ns');
  });
});

describe('time axis', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = savedTz;
  });

  it('ticks a 1.25 s range at round milliseconds in UTC, the date on the first tick only', () => {
    const ticks = timeTicks(T0 + 10, T0 + 1_260, 8, 'utc');
    expect(ticks.map((t) => t.label)).toEqual([
      '10:00:00.200',
      '10:00:00.400',
      '10:00:00.600',
      '10:00:00.800',
      '10:00:01.000',
      '10:00:01.200',
    ]);
    expect(ticks.map((t) => t.date)).toEqual(['2026-05-28', null, null, null, null, null]);
  });

  it('ticks 20 s at seconds and an hour at minutes', () => {
    expect(timeTicks(T0, T0 + 20_000, 6, 'utc').map((t) => t.label)).toEqual([
      '10:00:00',
      '10:00:05',
      '10:00:10',
      '10:00:15',
    ]);
    expect(timeTicks(T0, T0 + 3_600_000, 7, 'utc').map((t) => t.label)).toEqual([
      '10:00',
      '10:10',
      '10:20',
      '10:30',
      '10:40',
      '10:50',
    ]);
  });

  it('shows the date again where a range crosses midnight', () => {
    const ticks = timeTicks(Date.UTC(2026, 4, 28, 22), Date.UTC(2026, 4, 29, 3), 6, 'utc');
    expect(ticks.map((t) => t.label)).toEqual(['22:00', '23:00', '00:00', '01:00', '02:00']);
    expect(ticks.map((t) => t.date)).toEqual(['2026-05-28', null, '2026-05-29', null, null]);
  });

  it('aligns ticks to the local wall clock and labels the offset', () => {
    process.env.TZ = 'Asia/Kolkata'; // UTC+05:30: UTC-aligned hour ticks would read 15:30
    const ticks = timeTicks(T0, T0 + 4 * 3_600_000, 5, 'local');
    expect(ticks.map((t) => t.label)).toEqual(['16:00', '17:00', '18:00', '19:00']);
    expect(ticks[0].ms).toBe(T0 + 30 * 60_000);
    expect(zoneOffsetLabel(T0, 'local')).toBe('UTC+05:30');
    expect(zoneOffsetLabel(T0, 'utc')).toBe('UTC');
    expect(formatClock(T0, 'local', true)).toBe('15:30:00.000');
    expect(formatClock(T0, 'utc')).toBe('10:00:00');
    expect(zoneName(T0, 'utc')).toBe('UTC');
    process.env.TZ = 'America/New_York';
    expect(zoneOffsetLabel(T0, 'local')).toBe('UTC-04:00');
    expect(zoneName(T0, 'local')).toBe('America/New_York, UTC-04:00');
    expect(timeTicks(T0, T0 + 20_000, 6, 'local')[0]).toEqual({ ms: T0, label: '06:00:00', date: '2026-05-28' });
    process.env.TZ = 'Etc/UTC';
    expect(zoneName(T0, 'local')).toBe('UTC');
  });
});

/** WCAG relative luminance of a CSS rgb()/#rrggbb colour. */
function luminance(css: string): number {
  const m = css.startsWith('#')
    ? [1, 3, 5].map((i) => Number.parseInt(css.slice(i, i + 2), 16))
    : css.match(/\d+/g)!.map(Number);
  const [r, g, b] = m.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('colour scale', () => {
  it('draws a single span at least 5:1 against the background, however busy the busiest cell', () => {
    for (const max of [1, 2, 10, 1_000, 100_000]) {
      expect(contrast(countColour(1, max), PLOT_BACKGROUND)).toBeGreaterThanOrEqual(5);
    }
    // and the busiest cell stands out from the single span
    expect(luminance(countColour(100_000, 100_000)) / luminance(countColour(1, 100_000))).toBeGreaterThan(3);
  });

  it('grows brighter with the count on a log scale', () => {
    expect(countShade(1, 1000)).toBe(0);
    expect(countShade(1000, 1000)).toBe(1);
    expect(countShade(10, 1000)).toBeCloseTo(1 / 3, 6);
    let previous = 0;
    for (const n of [1, 3, 10, 30, 100, 300, 1000]) {
      const l = luminance(countColour(n, 1000));
      expect(l).toBeGreaterThan(previous);
      previous = l;
    }
    expect(countColour(1000, 1000)).toBe(shadeColour(1));
    expect(shadeColour(1)).toBe('rgb(253,231,37)'); // viridis' yellow end
  });

  it('labels the legend with real counts: the powers of ten and the busiest cell', () => {
    expect(legendTicks(0)).toEqual([]);
    expect(legendTicks(1)).toEqual([{ count: 1, shade: 1 }]);
    expect(legendTicks(4870).map((t) => t.count)).toEqual([1, 10, 100, 1000, 4870]);
    expect(legendTicks(12).map((t) => t.count)).toEqual([1, 12]); // 10 would sit on top of 12
    expect(legendTicks(4870).map((t) => t.shade)).toEqual([
      0,
      countShade(10, 4870),
      countShade(100, 4870),
      countShade(1000, 4870),
      1,
    ]);
  });
});
