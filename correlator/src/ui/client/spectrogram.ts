// The latency spectrogram: span (or syscall) counts per time column and duration bucket on a canvas. The server
// fits the time range and picks the column width; the latency axis fits the buckets holding data. The wheel zooms
// about the cursor, dragging the time axis pans, dragging over the cells selects them for the span list.

import type { SpectrogramJson } from '../api-types.js';
import { BOUNDARIES_NS, BUCKETS_PER_DECADE } from '../buckets.js';
import { fetchSpectrogram } from './api.js';
import { durationTicks, timeTicks } from './axis.js';
import { countColour, legendTicks, PLOT_BACKGROUND, shadeColour } from './colour.js';
import { zoneText } from './clock.js';
import { byId, countRender, el } from './dom.js';
import { fmtDuration } from './format.js';
import { guarded } from './notices.js';
import {
  type BucketWindow,
  columnsFor,
  fitBuckets,
  followLatest,
  keepOverData,
  panBy,
  rangeWidth,
  selectionOf,
  type TimeRange,
  type TimeScale,
  timeToX,
  wheelFactor,
  xToTime,
  zoomAbout,
} from './scales.js';
import { filterParams, state } from './state.js';
import { formatClock, formatDate } from './time-zone.js';
import { urlState } from './url-state.js';

/** Room for the duration labels (left), the clock and date lines under the plot (bottom). */
const MARGIN = { left: 58, right: 12, top: 8, bottom: 34 };
/** A time label needs about this much room ("10:00:00.250"). */
const TIME_LABEL_PX = 96;
/** The range shown before any span arrived. */
const EMPTY_RANGE_MS = 60_000;
/** The buttons zoom by this factor about the middle, and pan by this share of the width. */
const BUTTON_ZOOM = 2;
const BUTTON_PAN = 0.5;
const AXIS_FONT = '11px system-ui, sans-serif';
const AXIS_COLOUR = '#8b93a3';
const GRID_COLOUR = 'rgba(255,255,255,0.10)';

/** Where the plot is on the canvas and what it shows, as last drawn. */
interface Geometry {
  scale: TimeScale;
  top: number;
  bottom: number;
  window: BucketWindow;
  rowH: number;
}

interface Point {
  x: number;
  y: number;
}

type Gesture =
  | { kind: 'select'; start: Point; at: Point }
  | { kind: 'pan'; startX: number; startRange: TimeRange; moved: boolean };

let geometry: Geometry | null = null;
let gesture: Gesture | null = null;
/** counts of the answer's cells by column × bucket, for the hover tip */
let cellCounts = new Map<number, number>();
let onSelect: () => void = () => {};
let onViewChange: () => void = () => {};
/** live mode, after "Latest": the range keeps its width and its right edge follows the newest span */
let follow = false;
/** the newest request: older answers arriving late are dropped */
let requestSeq = 0;
let loading: Promise<void> | null = null;
let loadAgain = false;

const bucketCount = () => state.config.buckets.length;
const what = (n: number) =>
  urlState.mode ? `${urlState.mode} ${n === 1 ? 'call' : 'calls'}` : `${n === 1 ? 'span' : 'spans'}`;

/** The range the user zoomed or panned to (kept in the URL); null: fitted to the data by the server. */
function askedRange(): TimeRange | null {
  return urlState.from !== null && urlState.to !== null ? { fromMs: urlState.from, toMs: urlState.to } : null;
}

function setAskedRange(r: TimeRange | null): void {
  urlState.from = r?.fromMs ?? null;
  urlState.to = r?.toMs ?? null;
}

/** The range drawn: the one asked for, else the server's fit, else the last minute (nothing to fit yet). */
function shownRange(): TimeRange {
  const asked = askedRange();
  if (asked) return asked;
  const sp = state.spectro;
  if (sp && sp.fromMs !== null && sp.toMs !== null) return { fromMs: sp.fromMs, toMs: sp.toMs };
  const now = Date.now();
  return { fromMs: now - EMPTY_RANGE_MS, toMs: now };
}

function plotWidth(): number {
  return Math.max(10, byId('spectrogram').getBoundingClientRect().width - MARGIN.left - MARGIN.right);
}

/** Fetches the counts for the current view and draws them. Throws the server's error (a bad filter: ApiError). */
export async function loadSpectrogram(): Promise<void> {
  const asked = askedRange();
  if (follow && asked && state.spectro?.dataRange) setAskedRange(followLatest(asked, state.spectro.dataRange.lastMs));
  const seq = ++requestSeq;
  const answer = await fetchSpectrogram({
    ...filterParams(),
    syscall: urlState.mode,
    columns: columnsFor(plotWidth()),
    from: urlState.from,
    to: urlState.to,
  });
  if (seq !== requestSeq) return;
  state.spectro = answer;
  drawSpectrogram();
}

/** Loads after a zoom or pan; while one load runs, the next waits and only the newest view is fetched. */
function requestLoad(): void {
  if (loading) {
    loadAgain = true;
    return;
  }
  loading = guarded(loadSpectrogram)().finally(() => {
    loading = null;
    if (loadAgain) {
      loadAgain = false;
      requestLoad();
    }
  });
  onViewChange();
}

/** Draws the last answer over the current view; a preview (during a gesture) is not counted as a draw. */
export function drawSpectrogram(preview = false): void {
  const canvas = byId<HTMLCanvasElement>('spectrogram');
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(rect.width * dpr);
  canvas.height = Math.round(rect.height * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, rect.width, rect.height);
  const sp = state.spectro;
  const range = shownRange();
  const top = MARGIN.top;
  const bottom = Math.max(top + 10, rect.height - MARGIN.bottom);
  const buckets = fitBuckets(sp?.bucketRange ?? null, bucketCount(), BUCKETS_PER_DECADE);
  const g: Geometry = {
    scale: { ...range, left: MARGIN.left, width: Math.max(10, rect.width - MARGIN.left - MARGIN.right) },
    top,
    bottom,
    window: buckets,
    rowH: (bottom - top) / (buckets.hi - buckets.lo + 1),
  };
  geometry = g;

  ctx.fillStyle = PLOT_BACKGROUND;
  ctx.fillRect(g.scale.left, top, g.scale.width, bottom - top);
  const { visible, max } = drawCells(ctx, g, sp);
  drawDurationAxis(ctx, g);
  drawTimeAxis(ctx, g);

  canvas.dataset.visibleCells = String(visible);
  canvas.dataset.fromMs = String(range.fromMs);
  canvas.dataset.toMs = String(range.toMs);
  canvas.dataset.columnMs = String(sp?.columnMs ?? '');
  canvas.dataset.total = String(sp?.total ?? 0);
  // the range of the answer drawn (equal to fromMs/toMs once a zoom or pan has loaded)
  canvas.dataset.loadedFromMs = String(sp?.fromMs ?? '');
  canvas.dataset.loadedToMs = String(sp?.toMs ?? '');
  // the plot's box in CSS pixels, for tests and benchmarks reading the canvas
  canvas.dataset.plot = [g.scale.left, top, g.scale.width, bottom - top].join(',');
  describeView(range, sp, max);
  drawLegend(max);
  drawSelection();
  if (!preview) countRender('spectrogramDraws');
}

/** Paints the answer's cells that fall in the view; returns how many and the busiest one's count. */
function drawCells(
  ctx: CanvasRenderingContext2D,
  g: Geometry,
  sp: SpectrogramJson | null,
): { visible: number; max: number } {
  cellCounts = new Map();
  if (!sp || sp.fromMs === null) return { visible: 0, max: 0 };
  const { fromMs: viewFrom, toMs: viewTo } = g.scale;
  const inView = sp.cells.filter((c) => {
    const start = sp.fromMs! + c.c * sp.columnMs;
    return start < viewTo && start + sp.columnMs > viewFrom && c.b >= g.window.lo && c.b <= g.window.hi;
  });
  const max = inView.reduce((m, c) => Math.max(m, c.n), 0);
  const right = g.scale.left + g.scale.width;
  for (const c of sp.cells) cellCounts.set(c.c * bucketCount() + c.b, c.n);
  for (const c of inView) {
    const start = sp.fromMs + c.c * sp.columnMs;
    const x0 = Math.max(g.scale.left, timeToX(g.scale, start));
    const x1 = Math.min(right, timeToX(g.scale, start + sp.columnMs));
    const y = g.bottom - (c.b - g.window.lo + 1) * g.rowH;
    // a 1 px gap between cells wide (tall) enough to keep one
    const gapX = x1 - x0 > 4 ? 1 : 0;
    const gapY = g.rowH > 4 ? 1 : 0;
    ctx.fillStyle = countColour(c.n, max);
    ctx.fillRect(x0, y + gapY / 2, Math.max(1, x1 - x0 - gapX), Math.max(1, g.rowH - gapY));
  }
  return { visible: inView.length, max };
}

function drawDurationAxis(ctx: CanvasRenderingContext2D, g: Geometry): void {
  ctx.font = AXIS_FONT;
  ctx.fillStyle = AXIS_COLOUR;
  ctx.strokeStyle = GRID_COLOUR;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const tick of durationTicks(g.window, BOUNDARIES_NS, BUCKETS_PER_DECADE)) {
    const y = g.bottom - (tick.boundary - g.window.lo) * g.rowH;
    // labels on the plot's edges stay inside the canvas
    ctx.fillText(tick.label, g.scale.left - 6, Math.min(g.bottom - 5, Math.max(g.top + 5, y)));
    ctx.beginPath();
    ctx.moveTo(g.scale.left, Math.round(y) + 0.5);
    ctx.lineTo(g.scale.left + g.scale.width, Math.round(y) + 0.5);
    ctx.stroke();
  }
}

function drawTimeAxis(ctx: CanvasRenderingContext2D, g: Geometry): void {
  const ticks = timeTicks(
    g.scale.fromMs,
    g.scale.toMs,
    Math.max(2, Math.floor(g.scale.width / TIME_LABEL_PX)),
    urlState.tz,
  );
  ctx.font = AXIS_FONT;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.strokeStyle = GRID_COLOUR;
  for (const tick of ticks) {
    const x = Math.round(timeToX(g.scale, tick.ms)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, g.top);
    ctx.lineTo(x, g.bottom + 4);
    ctx.stroke();
    ctx.fillStyle = AXIS_COLOUR;
    // labels near the canvas's edges move inside it
    const half = Math.max(ctx.measureText(tick.label).width, tick.date ? ctx.measureText(tick.date).width : 0) / 2;
    const at = Math.min(g.scale.left + g.scale.width + MARGIN.right - half, Math.max(half, x));
    ctx.fillText(tick.label, at, g.bottom + 5);
    if (tick.date) ctx.fillText(tick.date, at, g.bottom + 19);
  }
}

/** The line over the plot, the axis titles and the legend's unit: what is drawn, in which zone. */
function describeView(range: TimeRange, sp: SpectrogramJson | null, max: number): void {
  const withMillis = rangeWidth(range) < 60_000;
  const from = `${formatDate(range.fromMs, urlState.tz)} ${formatClock(range.fromMs, urlState.tz, withMillis)}`;
  const to = formatClock(range.toMs, urlState.tz, withMillis);
  const parts = [`${from} – ${to} (${fmtDuration(rangeWidth(range) * 1e6)})`];
  if (sp && sp.fromMs !== null) {
    parts.push(`${fmtDuration(sp.columnMs * 1e6)} per column`, `${sp.total} ${what(sp.total)}`);
  }
  if (max) parts.push(`busiest cell ${max}`);
  byId('view-range').textContent = parts.join(' · ');
  const subject = urlState.mode ? `${urlState.mode} call` : 'span';
  byId('time-axis-title').textContent = `${subject} start time (${zoneText(range.fromMs)})`;
  byId('duration-axis-title').textContent = `${subject} duration`;
  byId('legend-unit').textContent = `${urlState.mode ? 'calls' : 'spans'} per cell:`;
}

/** The colour ramp with the counts it stands for: 1, 10, 100, … the busiest cell. */
function drawLegend(max: number): void {
  const canvas = byId<HTMLCanvasElement>('legend');
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  for (let x = 0; x < canvas.width; x++) {
    ctx.fillStyle = shadeColour(x / (canvas.width - 1));
    ctx.fillRect(x, 0, 1, canvas.height);
  }
  const ticks = byId('legend-ticks');
  ticks.replaceChildren(
    ...legendTicks(max).map((t) => {
      const label = el('span', '', t.count);
      label.style.left = `${t.shade * 100}%`;
      return label;
    }),
  );
  ticks.title = max ? `log scale: the busiest cell holds ${max} ${what(max)}` : 'nothing drawn';
}

function localPoint(event: MouseEvent): Point {
  const rect = byId('spectrogram').getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

function inPlot(g: Geometry, p: Point): boolean {
  return p.x >= g.scale.left && p.x <= g.scale.left + g.scale.width && p.y >= g.top && p.y <= g.bottom;
}

function onTimeAxis(g: Geometry, p: Point): boolean {
  return p.x >= g.scale.left && p.x <= g.scale.left + g.scale.width && p.y > g.bottom;
}

/** The answer's column and the bucket under a point, clamped to the grid. */
function cellAt(g: Geometry, sp: SpectrogramJson, p: Point): { c: number; b: number } {
  const c = Math.floor((xToTime(g.scale, p.x) - (sp.fromMs ?? 0)) / sp.columnMs);
  const b = g.window.lo + Math.floor((g.bottom - p.y) / g.rowH);
  return {
    c: Math.min(Math.max(0, sp.columns - 1), Math.max(0, c)),
    b: Math.min(g.window.hi, Math.max(g.window.lo, b)),
  };
}

function drawSelection(): void {
  const box = byId('selection');
  const g = geometry;
  const s = urlState.sel;
  let x0: number;
  let x1: number;
  let y0: number;
  let y1: number;
  if (g && gesture?.kind === 'select') {
    [x0, x1] = [Math.min(gesture.start.x, gesture.at.x), Math.max(gesture.start.x, gesture.at.x)];
    [y0, y1] = [Math.min(gesture.start.y, gesture.at.y), Math.max(gesture.start.y, gesture.at.y)];
  } else if (g && s) {
    const right = g.scale.left + g.scale.width;
    x0 = Math.max(g.scale.left, timeToX(g.scale, s.fromMs));
    x1 = Math.min(right, timeToX(g.scale, s.toMs));
    y0 = Math.max(g.top, g.bottom - (s.b1 - g.window.lo + 1) * g.rowH);
    y1 = Math.min(g.bottom, g.bottom - (s.b0 - g.window.lo) * g.rowH);
  } else {
    box.hidden = true;
    return;
  }
  box.hidden = x1 <= x0 || y1 <= y0;
  box.style.left = `${x0}px`;
  box.style.top = `${y0}px`;
  box.style.width = `${Math.max(1, x1 - x0)}px`;
  box.style.height = `${Math.max(1, y1 - y0)}px`;
}

function onPointerDown(event: PointerEvent): void {
  const g = geometry;
  if (!g || event.button !== 0) return;
  const p = localPoint(event);
  if (inPlot(g, p) && state.spectro?.fromMs != null) gesture = { kind: 'select', start: p, at: p };
  else if (onTimeAxis(g, p))
    gesture = { kind: 'pan', startX: p.x, startRange: { fromMs: g.scale.fromMs, toMs: g.scale.toMs }, moved: false };
  else return;
  byId('spectrogram').setPointerCapture(event.pointerId);
  byId('cell-tip').hidden = true;
  drawSelection();
}

function onPointerMove(event: PointerEvent): void {
  const p = localPoint(event);
  const g = geometry;
  if (gesture?.kind === 'select') {
    gesture.at = p;
    drawSelection();
    return;
  }
  if (gesture?.kind === 'pan' && g) {
    const dx = p.x - gesture.startX;
    gesture.moved ||= dx !== 0;
    setAskedRange(panBy(gesture.startRange, (-dx / g.scale.width) * rangeWidth(gesture.startRange)));
    follow = false;
    drawSpectrogram(true);
    return;
  }
  if (!g) return;
  byId('spectrogram').classList.toggle('over-axis', onTimeAxis(g, p));
  showCellTip(g, p);
}

function showCellTip(g: Geometry, p: Point): void {
  const tip = byId('cell-tip');
  const sp = state.spectro;
  if (!sp || sp.fromMs === null || !inPlot(g, p)) {
    tip.hidden = true;
    return;
  }
  const { c, b } = cellAt(g, sp, p);
  const n = cellCounts.get(c * bucketCount() + b) ?? 0;
  const start = sp.fromMs + c * sp.columnMs;
  const millis = sp.columnMs < 1000;
  const bucket = state.config.buckets[b];
  tip.textContent =
    `${n} ${what(n)} · ${formatClock(start, urlState.tz, millis)}–` +
    `${formatClock(Math.min(sp.toMs ?? start + sp.columnMs, start + sp.columnMs), urlState.tz, millis)} · ` +
    `${fmtDuration(bucket.lowNs)}–${bucket.highNs === null ? '∞' : fmtDuration(bucket.highNs)}`;
  tip.hidden = false;
  tip.style.left = `${Math.min(p.x + 12, g.scale.left + g.scale.width - tip.offsetWidth)}px`;
  tip.style.top = `${Math.max(0, p.y - 28)}px`;
}

function onPointerUp(event: PointerEvent): void {
  const g = geometry;
  const sp = state.spectro;
  const done = gesture;
  gesture = null;
  if (!done || !g) return;
  if (done.kind === 'pan') {
    if (done.moved) settle(askedRange() ?? done.startRange);
    return;
  }
  if (!sp || sp.fromMs === null || sp.toMs === null) return;
  const a = cellAt(g, sp, done.start);
  const b = cellAt(g, sp, localPoint(event));
  const selection = selectionOf({ c0: a.c, c1: b.c, b0: a.b, b1: b.b }, sp.fromMs, sp.columnMs);
  // the last column may reach past the range; spans after it were not counted
  urlState.sel = { ...selection, toMs: Math.min(selection.toMs, sp.toMs) };
  drawSelection();
  onSelect();
}

/** A new view range from a gesture or a button: kept over the data, drawn at once, then fetched. */
function settle(range: TimeRange): void {
  setAskedRange(keepOverData(range, state.spectro?.dataRange ?? null));
  follow = false;
  drawSpectrogram(true);
  requestLoad();
}

function onWheel(event: WheelEvent): void {
  const g = geometry;
  if (!g) return;
  const p = localPoint(event);
  if (!inPlot(g, p) && !onTimeAxis(g, p)) return;
  event.preventDefault();
  // line-based wheels (Firefox) report lines, not pixels
  const deltaY = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * 16 : event.deltaY;
  settle(zoomAbout(shownRange(), wheelFactor(deltaY), xToTime(g.scale, p.x)));
}

function zoomMiddle(factor: number): void {
  const r = shownRange();
  settle(zoomAbout(r, factor, r.fromMs + rangeWidth(r) / 2));
}

function panShare(share: number): void {
  const r = shownRange();
  settle(panBy(r, share * rangeWidth(r)));
}

/** Back to the server's fit of all the matching data. */
export function fitView(): void {
  setAskedRange(null);
  follow = false;
  requestLoad();
}

/** Live mode: keep the zoom, follow the newest spans. */
function followNewest(): void {
  follow = true;
  const asked = askedRange();
  if (asked && state.spectro?.dataRange) setAskedRange(followLatest(asked, state.spectro.dataRange.lastMs));
  requestLoad();
}

/**
 * Wires the canvas and the view buttons. `select` runs after the user dragged a selection (urlState.sel holds
 * it); `viewChanged` after the range changed (the URL keeps it).
 */
export function initSpectrogram(select: () => void, viewChanged: () => void = () => {}): void {
  onSelect = select;
  onViewChange = viewChanged;
  const canvas = byId('spectrogram');
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointercancel', () => {
    gesture = null;
    drawSelection();
  });
  canvas.addEventListener('pointerleave', () => {
    byId('cell-tip').hidden = true;
  });
  canvas.addEventListener('wheel', onWheel, { passive: false });
  byId('zoom-in').addEventListener('click', () => zoomMiddle(1 / BUTTON_ZOOM));
  byId('zoom-out').addEventListener('click', () => zoomMiddle(BUTTON_ZOOM));
  byId('zoom-fit').addEventListener('click', fitView);
  byId('pan-left').addEventListener('click', () => panShare(-BUTTON_PAN));
  byId('pan-right').addEventListener('click', () => panShare(BUTTON_PAN));
  byId('pan-latest').addEventListener('click', followNewest);
  // the plot's width changes with the window and with the page's scroll bar coming and going
  new ResizeObserver(() => drawSpectrogram()).observe(byId('spectrogram-wrap'));
}
