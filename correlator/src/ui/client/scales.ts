// The spectrogram's geometry, without the DOM: the time range shown and how it zooms and pans, pixels ↔ time,
// the duration buckets shown, and which spans a dragged rectangle of cells selects.

/** A half-open wall-clock range [fromMs, toMs) in milliseconds since the epoch. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Zooming in stops here: the server's columns are at least 1 ms wide, so a few columns stay readable. */
export const MIN_RANGE_MS = 5;
/** Zooming out stops at a year: more is never a useful view of spans kept in memory. */
export const MAX_RANGE_MS = 366 * 86_400_000;
/** Columns narrower than this are hard to point at; the server is asked for as many as fit. */
export const MIN_COLUMN_PX = 6;
/** The API's bounds for the `columns` parameter. */
export const MIN_COLUMNS = 10;
export const MAX_COLUMNS = 1000;

export function rangeWidth(r: TimeRange): number {
  return r.toMs - r.fromMs;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Integer milliseconds (the API's unit), keeping the range at least MIN_RANGE_MS wide. */
function whole(fromMs: number, widthMs: number): TimeRange {
  const from = Math.round(fromMs);
  return { fromMs: from, toMs: from + Math.max(MIN_RANGE_MS, Math.round(widthMs)) };
}

/**
 * Zooms by `factor` (< 1 zooms in) keeping `anchorMs` at the same place on the axis, as a map under the cursor.
 * The width stays within [MIN_RANGE_MS, MAX_RANGE_MS].
 */
export function zoomAbout(r: TimeRange, factor: number, anchorMs: number): TimeRange {
  const width = rangeWidth(r);
  const newWidth = clamp(width * factor, MIN_RANGE_MS, MAX_RANGE_MS);
  const anchor = clamp(anchorMs, r.fromMs, r.toMs);
  const at = width > 0 ? (anchor - r.fromMs) / width : 0.5;
  return whole(anchor - at * newWidth, newWidth);
}

/** The wheel's zoom factor: one notch (~100 px of deltaY) zooms by about 1.5×, a flick at most 2×. */
export function wheelFactor(deltaY: number): number {
  return clamp(Math.exp(deltaY * 0.004), 0.5, 2);
}

export function panBy(r: TimeRange, deltaMs: number): TimeRange {
  return whole(r.fromMs + deltaMs, rangeWidth(r));
}

/**
 * Keeps the middle of the view over the data, so panning or zooming can never lose the spans off-screen:
 * at least half the view, or all the data, stays visible.
 */
export function keepOverData(r: TimeRange, data: { firstMs: number; lastMs: number } | null): TimeRange {
  if (!data) return r;
  const width = rangeWidth(r);
  const mid = clamp(r.fromMs + width / 2, data.firstMs, data.lastMs);
  return whole(mid - width / 2, width);
}

/** The view of the same width whose right edge follows the newest span start (live mode), with a small margin. */
export function followLatest(r: TimeRange, lastMs: number): TimeRange {
  const width = rangeWidth(r);
  return whole(lastMs + 1 + width * 0.02 - width, width);
}

/** How many columns to ask the server for: as many as fit at MIN_COLUMN_PX, within the API's bounds. */
export function columnsFor(plotWidthPx: number): number {
  return clamp(Math.floor(plotWidthPx / MIN_COLUMN_PX), MIN_COLUMNS, MAX_COLUMNS);
}

/** A linear map from [fromMs, toMs) onto [left, left + width) pixels. */
export interface TimeScale extends TimeRange {
  readonly left: number;
  readonly width: number;
}

export function timeToX(s: TimeScale, ms: number): number {
  return s.left + ((ms - s.fromMs) / rangeWidth(s)) * s.width;
}

export function xToTime(s: TimeScale, x: number): number {
  return s.fromMs + ((x - s.left) / s.width) * rangeWidth(s);
}

/** The duration buckets shown, inclusive, lowest first. */
export interface BucketWindow {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Fits the latency axis to the buckets that hold data: one empty bucket of margin on each side, at least
 * `minDecades` decades tall (a lone bucket would otherwise fill the plot and lose its scale), within the grid.
 * No data: the whole grid.
 */
export function fitBuckets(
  range: { min: number; max: number } | null,
  bucketCount: number,
  perDecade: number,
  minDecades = 2,
): BucketWindow {
  if (!range) return { lo: 0, hi: bucketCount - 1 };
  let lo = Math.max(0, range.min - 1);
  let hi = Math.min(bucketCount - 1, range.max + 1);
  const need = Math.min(bucketCount, minDecades * perDecade);
  const missing = need - (hi - lo + 1);
  if (missing > 0) {
    lo -= Math.floor(missing / 2);
    hi += Math.ceil(missing / 2);
    if (lo < 0) [lo, hi] = [0, hi - lo];
    if (hi > bucketCount - 1) [lo, hi] = [lo - (hi - (bucketCount - 1)), bucketCount - 1];
  }
  return { lo, hi };
}

/** A rectangle of cells: columns c0..c1 from the answer's fromMs, buckets b0..b1 (inclusive, in any order). */
export interface CellRect {
  c0: number;
  c1: number;
  b0: number;
  b1: number;
}

/** What a rectangle of cells selects: whole columns of time and whole buckets, so the list matches the cells. */
export interface CellSelection {
  fromMs: number;
  toMs: number;
  /** lowest and highest bucket, inclusive */
  b0: number;
  b1: number;
}

export function selectionOf(rect: CellRect, fromMs: number, columnMs: number): CellSelection {
  return {
    fromMs: fromMs + Math.min(rect.c0, rect.c1) * columnMs,
    toMs: fromMs + (Math.max(rect.c0, rect.c1) + 1) * columnMs,
    b0: Math.min(rect.b0, rect.b1),
    b1: Math.max(rect.b0, rect.b1),
  };
}
