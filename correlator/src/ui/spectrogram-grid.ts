// The spectrogram's time axis, chosen per request: the range (given, or fitted to the data) cut into columns of a
// "nice" width (1, 2 or 5 × 10^k ms, at least 1 ms) so that about the asked number of columns cover it. Points
// (a span's or a call's start and duration bucket) are counted into column × bucket cells in one pass over a
// typed array.

import { BUCKET_COUNT } from './buckets.js';

/** Columns asked for when the request names none, and the bounds a request may ask for. */
export const DEFAULT_COLUMNS = 120;
import type { SpectrogramCellJson as SpectrogramCell, SpectrogramJson as Spectrogram } from './api-types.js';

export const MIN_COLUMNS = 10;
export const MAX_COLUMNS = 1000;

/** The grid as the API answers it (one definition: the store builds what the page reads). */
export type { SpectrogramCellJson as SpectrogramCell, SpectrogramJson as Spectrogram } from './api-types.js';

/** A time window in µs since the epoch; either side may be open (then fitted to the data). */
export interface TimeWindow {
  fromUs?: number;
  toUs?: number;
}

/** The matching points, whatever the window: start (µs since the epoch), duration bucket, weight (default 1). */
export interface Points {
  startUs: ArrayLike<number>;
  bucket: ArrayLike<number>;
  weight?: ArrayLike<number>;
}

const NICE = [1, 2, 5];

/** The smallest 1-2-5 × 10^k step (ms, ≥ 1) at least `rawMs` wide. */
export function niceColumnMs(rawMs: number): number {
  if (!(rawMs > 1)) return 1;
  let decade = 10 ** Math.floor(Math.log10(rawMs));
  for (;;) {
    for (const m of NICE) if (m * decade >= rawMs) return m * decade;
    decade *= 10;
  }
}

export interface Grid {
  fromUs: number;
  toUs: number;
  columnUs: number;
  columns: number;
}

/** The grid for a window and the data's extent (µs): open sides are fitted to the data, aligned to the step. */
export function gridFor(
  window: TimeWindow,
  data: { firstUs: number; lastUs: number } | null,
  columns: number,
): Grid | null {
  const { fromUs, toUs } = window;
  if (fromUs !== undefined && toUs !== undefined) {
    const columnUs = niceColumnMs((toUs - fromUs) / 1000 / columns) * 1000;
    return { fromUs, toUs, columnUs, columns: Math.max(1, Math.ceil((toUs - fromUs) / columnUs)) };
  }
  if (!data) {
    if (fromUs === undefined && toUs === undefined) return null;
    const edge = (fromUs ?? toUs)!;
    return { fromUs: edge, toUs: edge + 1000, columnUs: 1000, columns: 1 };
  }
  // A fitted side ends just past the last start (a span at lastUs must fall inside: start < toUs).
  const lo = fromUs ?? data.firstUs;
  const hi = toUs ?? data.lastUs + 1;
  const span = Math.max(0, hi - lo);
  const columnUs = niceColumnMs(span / 1000 / columns) * 1000;
  const aligned = fromUs ?? Math.floor(lo / columnUs) * columnUs;
  const to = toUs ?? Math.max(aligned + columnUs, Math.ceil(hi / columnUs) * columnUs);
  // a given end before the data: one column ending there
  const from = fromUs ?? Math.min(aligned, to - columnUs);
  return { fromUs: from, toUs: to, columnUs, columns: Math.max(1, Math.ceil((to - from) / columnUs)) };
}

/** Two passes over the points: the data's extent (for the fit and `dataRange`), then the counts in the grid. */
export function buildSpectrogram(points: Points, window: TimeWindow, columns: number): Spectrogram {
  const { startUs: starts, bucket, weight } = points;
  let firstUs = Infinity;
  let lastUs = -Infinity;
  for (let i = 0; i < starts.length; i++) {
    if (starts[i] < firstUs) firstUs = starts[i];
    if (starts[i] > lastUs) lastUs = starts[i];
  }
  const data = firstUs <= lastUs ? { firstUs, lastUs } : null;
  const grid = gridFor(window, data, columns);
  const dataRange = data ? { firstMs: data.firstUs / 1000, lastMs: data.lastUs / 1000 } : null;
  if (!grid) {
    return {
      fromMs: null,
      toMs: null,
      columnMs: 1,
      columns: 0,
      cells: [],
      maxCount: 0,
      bucketRange: null,
      dataRange,
      total: 0,
    };
  }
  const counts = new Uint32Array(grid.columns * BUCKET_COUNT);
  const { fromUs, toUs, columnUs } = grid;
  let total = 0;
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i];
    if (t < fromUs || t >= toUs) continue;
    const n = weight === undefined ? 1 : weight[i];
    counts[Math.floor((t - fromUs) / columnUs) * BUCKET_COUNT + bucket[i]] += n;
    total += n;
  }
  const cells: SpectrogramCell[] = [];
  let maxCount = 0;
  let minBucket = BUCKET_COUNT;
  let maxBucket = -1;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n === 0) continue;
    const b = i % BUCKET_COUNT;
    cells.push({ c: (i - b) / BUCKET_COUNT, b, n });
    if (n > maxCount) maxCount = n;
    if (b < minBucket) minBucket = b;
    if (b > maxBucket) maxBucket = b;
  }
  return {
    fromMs: fromUs / 1000,
    toMs: toUs / 1000,
    columnMs: columnUs / 1000,
    columns: grid.columns,
    cells,
    maxCount,
    bucketRange: maxBucket >= 0 ? { min: minBucket, max: maxBucket } : null,
    dataRange,
    total,
  };
}
