// The latency spectrogram: span (or syscall) counts per time column and duration bucket on a canvas, with a
// rectangle selection of cells, a hover tip and panning.

import { fetchSpectrogram } from './api.js';
import { byId, countRender } from './dom.js';
import { fmtClock, fmtDuration } from './format.js';
import { filterParams, state, type View } from './state.js';

const MARGIN = { left: 64, right: 10, top: 8, bottom: 24 };
const MIN_COLUMN_PX = 8;

interface Cell {
  col: number;
  bucket: number;
  t: number;
}

interface Drag {
  start: Cell;
  box: { x0: number; y0: number; x1: number; y1: number };
}

let drag: Drag | null = null;
/** counts of the drawn cells by `t:b`, for the hover tip */
let cellCounts = new Map<string, number>();
let onSelect: () => void = () => {};

/** black → green → yellow → red, as csysdig; log scale so single outliers stay visible next to busy cells. */
function heatColor(n: number, max: number): string {
  const t = 0.22 + 0.78 * (max <= 1 ? 1 : Math.log1p(n) / Math.log1p(max));
  const stops = [
    [0, 0, 0, 0],
    [0.4, 20, 190, 60],
    [0.7, 235, 215, 30],
    [1, 225, 40, 25],
  ];
  for (let i = 1; i < stops.length; i++) {
    if (t <= stops[i][0]) {
      const a = stops[i - 1];
      const b = stops[i];
      const f = (t - a[0]) / (b[0] - a[0]);
      return `rgb(${[1, 2, 3].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)).join(',')})`;
    }
  }
  return 'rgb(225,40,25)';
}

export async function loadSpectrogram(): Promise<void> {
  state.spectro = await fetchSpectrogram({ ...filterParams(), syscall: state.mode });
  drawSpectrogram();
}

function computeView(rect: DOMRect): View {
  const sp = state.spectro;
  const colMs = state.config.columnMs;
  const plotW = Math.max(10, rect.width - MARGIN.left - MARGIN.right);
  const plotH = Math.max(10, rect.height - MARGIN.top - MARGIN.bottom);
  const maxColumns = Math.max(10, Math.floor(plotW / MIN_COLUMN_PX));
  const first = sp?.firstColumnMs ?? Math.floor(Date.now() / colMs) * colMs;
  const last = sp?.lastColumnMs ?? first;
  const dataColumns = Math.round((last - first) / colMs) + 1;
  const columns = Math.min(maxColumns, Math.max(state.live ? 60 : 30, dataColumns + 2));
  let end: number;
  if (state.viewEndMs !== null) end = state.viewEndMs;
  else if (!state.live && dataColumns + 2 <= columns) end = first + (columns - 2) * colMs;
  else end = last;
  const start = end - (columns - 1) * colMs;
  return { start, end, columns, colMs, plotW, plotH, colW: plotW / columns, rowH: plotH / state.config.buckets.length };
}

export function drawSpectrogram(): void {
  const canvas = byId<HTMLCanvasElement>('spectrogram');
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(rect.width * dpr);
  canvas.height = Math.round(rect.height * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, rect.width, rect.height);
  const v = computeView(rect);
  state.view = v;
  const buckets = state.config.buckets;

  ctx.fillStyle = '#000';
  ctx.fillRect(MARGIN.left, MARGIN.top, v.plotW, v.plotH);

  const cells = state.spectro ? state.spectro.cells : [];
  const visible = cells.filter((c) => c.t >= v.start && c.t <= v.end);
  const max = visible.reduce((m, c) => Math.max(m, c.n), 0);
  cellCounts = new Map();
  for (const c of visible) {
    cellCounts.set(`${c.t}:${c.b}`, c.n);
    const x = MARGIN.left + ((c.t - v.start) / v.colMs) * v.colW;
    const y = MARGIN.top + v.plotH - (c.b + 1) * v.rowH;
    ctx.fillStyle = heatColor(c.n, max);
    ctx.fillRect(x + 0.5, y + 0.5, Math.max(1, v.colW - 1), Math.max(1, v.rowH - 1));
  }

  // Axes: a label per decade of duration, a time label every ~100 px.
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#8b93a3';
  ctx.strokeStyle = 'rgba(255,255,255,0.08)';
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const perDecade = Math.round(buckets.length / 8);
  for (let b = 0; b <= buckets.length; b += perDecade) {
    const y = MARGIN.top + v.plotH - b * v.rowH;
    const ns =
      b === 0
        ? 1000
        : b === buckets.length
          ? Math.round(buckets[b - 1].lowNs * 10 ** (1 / perDecade))
          : buckets[b].lowNs;
    ctx.fillText(fmtDuration(ns), MARGIN.left - 6, b === 0 ? y - 5 : y); // the lowest label clears the time axis
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, y + 0.5);
    ctx.lineTo(MARGIN.left + v.plotW, y + 0.5);
    ctx.stroke();
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const every = Math.max(1, Math.ceil(100 / v.colW));
  for (let i = 0; i < v.columns; i += every) {
    const x = MARGIN.left + i * v.colW;
    ctx.fillText(fmtClock(v.start + i * v.colMs), x, MARGIN.top + v.plotH + 6);
  }
  canvas.dataset.visibleCells = String(visible.length);
  byId('view-range').textContent =
    `${fmtClock(v.start)} – ${fmtClock(v.end + v.colMs)} · ${v.colMs / 1000} s per column` +
    (max ? ` · busiest cell ${max}` : '');
  drawSelection();
  countRender('spectrogramDraws');
}

export function drawLegend(): void {
  const canvas = byId<HTMLCanvasElement>('legend');
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  for (let x = 0; x < canvas.width; x++) {
    ctx.fillStyle = heatColor(Math.round(Math.expm1((x / (canvas.width - 1)) * Math.log1p(100))), 100);
    ctx.fillRect(x, 0, 1, canvas.height);
  }
}

function cellAt(v: View, px: number, py: number): Cell {
  const col = Math.min(v.columns - 1, Math.max(0, Math.floor((px - MARGIN.left) / v.colW)));
  const bucket = Math.min(
    state.config.buckets.length - 1,
    Math.max(0, Math.floor((MARGIN.top + v.plotH - py) / v.rowH)),
  );
  return { col, bucket, t: v.start + col * v.colMs };
}

function localPoint(event: PointerEvent): { x: number; y: number } {
  const rect = byId('spectrogram').getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

function drawSelection(): void {
  const box = byId('selection');
  const v = state.view;
  const s = state.selection;
  if (!v || (!drag && !s)) {
    box.hidden = true;
    return;
  }
  let x0: number;
  let x1: number;
  let y0: number;
  let y1: number;
  if (drag) {
    const d = drag.box;
    x0 = Math.min(d.x0, d.x1);
    x1 = Math.max(d.x0, d.x1);
    y0 = Math.min(d.y0, d.y1);
    y1 = Math.max(d.y0, d.y1);
  } else if (s) {
    x0 = MARGIN.left + ((s.fromMs - v.start) / v.colMs) * v.colW;
    x1 = MARGIN.left + ((s.toMs - v.start) / v.colMs) * v.colW;
    y0 = MARGIN.top + v.plotH - (s.b1 + 1) * v.rowH;
    y1 = MARGIN.top + v.plotH - s.b0 * v.rowH;
  } else return;
  box.hidden = false;
  box.style.left = `${x0}px`;
  box.style.top = `${y0}px`;
  box.style.width = `${Math.max(1, x1 - x0)}px`;
  box.style.height = `${Math.max(1, y1 - y0)}px`;
}

function onPointerDown(event: PointerEvent): void {
  if (!state.view || event.button !== 0) return;
  const p = localPoint(event);
  drag = { start: cellAt(state.view, p.x, p.y), box: { x0: p.x, y0: p.y, x1: p.x, y1: p.y } };
  byId('spectrogram').setPointerCapture(event.pointerId);
  byId('cell-tip').hidden = true;
  drawSelection();
}

function onPointerMove(event: PointerEvent): void {
  const p = localPoint(event);
  if (drag) {
    drag.box.x1 = p.x;
    drag.box.y1 = p.y;
    drawSelection();
    return;
  }
  const v = state.view;
  if (!v) return;
  const tip = byId('cell-tip');
  if (p.x < MARGIN.left || p.x > MARGIN.left + v.plotW || p.y < MARGIN.top || p.y > MARGIN.top + v.plotH) {
    tip.hidden = true;
    return;
  }
  const c = cellAt(v, p.x, p.y);
  const b = state.config.buckets[c.bucket];
  const n = cellCounts.get(`${c.t}:${c.bucket}`) || 0;
  const what = state.mode ? ` ${state.mode}${n === 1 ? ' call' : ' calls'}` : n === 1 ? ' span' : ' spans';
  tip.textContent =
    `${fmtClock(c.t)}–${fmtClock(c.t + v.colMs)} · ${fmtDuration(b.lowNs)}–` +
    `${b.highNs === null ? '∞' : fmtDuration(b.highNs)} · ${n}${what}`;
  tip.hidden = false;
  tip.style.left = `${Math.min(p.x + 12, v.plotW - 120)}px`;
  tip.style.top = `${Math.max(0, p.y - 28)}px`;
}

function onPointerUp(event: PointerEvent): void {
  const v = state.view;
  if (!drag || !v) return;
  const p = localPoint(event);
  const a = drag.start;
  const b = cellAt(v, p.x, p.y);
  drag = null;
  const c0 = Math.min(a.col, b.col);
  const c1 = Math.max(a.col, b.col);
  state.selection = {
    fromMs: v.start + c0 * v.colMs,
    toMs: v.start + (c1 + 1) * v.colMs,
    b0: Math.min(a.bucket, b.bucket),
    b1: Math.max(a.bucket, b.bucket),
  };
  drawSelection();
  onSelect();
}

/** Moves the view by half its width, earlier (-1) or later (1). */
export function pan(direction: -1 | 1): void {
  const v = state.view;
  if (!v) return;
  state.viewEndMs = v.end + direction * Math.max(1, Math.floor(v.columns / 2)) * v.colMs;
  drawSpectrogram();
}

/** Wires the canvas; `select` runs after the user dragged a selection (state.selection holds it). */
export function initSpectrogram(select: () => void): void {
  onSelect = select;
  const canvas = byId('spectrogram');
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointerleave', () => {
    byId('cell-tip').hidden = true;
  });
  window.addEventListener('resize', () => drawSpectrogram());
  drawLegend();
}
