// The page's script (served as /app.js, an ES module). Plain browser JavaScript, no dependencies.
// Security rule for this file: span data (names, args, paths, services, ...) comes from arbitrary local
// processes. It only ever reaches the DOM through textContent, .value, .title or dataset, never through
// innerHTML or attribute strings, and the only URL built from data is the Jaeger link (server-built, checked
// for http/https here too).

export const PAGE_JS = String.raw`'use strict';

const $ = (id) => document.getElementById(id);
const MARGIN = { left: 64, right: 10, top: 8, bottom: 24 };
const MIN_COLUMN_PX = 8;
const MAX_WATERFALL_ROWS = 2500;
// Indentation stops growing here (deeper spans say their depth), as in the terminal tree.
const MAX_INDENT_DEPTH = 32;
const PALETTE = ['#4ea1ff', '#e39b3b', '#b267e6', '#3fc1a5', '#e8d21d', '#ff7aa8', '#8fbf4a', '#c9a27e'];

const state = {
  config: null,
  spectro: null,
  view: null,
  viewEndMs: null,
  filter: { name: '', service: '', pid: '' },
  selection: null,
  drag: null,
  live: false,
  events: null,
  refreshTimer: null,
  lastFacets: 0,
  openRow: null,
  // '' for span latency, else the syscall whose calls the spectrogram and the selection show
  mode: '',
};

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

async function api(path, params) {
  const url = new URL(path, location.origin);
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
  }
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new Error(body && typeof body.error === 'string' ? body.error : 'Request failed: HTTP ' + res.status + '.');
  return body;
}

function showError(err) {
  const p = $('error');
  p.textContent = err ? String(err.message || err) : '';
  p.hidden = !err;
}

function guarded(fn) {
  return (...args) => Promise.resolve().then(() => fn(...args)).then(() => showError(null), showError);
}

// ---- formatting ----------------------------------------------------------------------------------------------

function fmtDuration(ns) {
  if (ns === null || ns === undefined) return '';
  if (ns < 1e3) return Math.round(ns) + ' ns';
  if (ns < 1e6) return trim3(ns / 1e3) + ' µs';
  if (ns < 1e9) return trim3(ns / 1e6) + ' ms';
  return trim3(ns / 1e9) + ' s';
}

function trim3(v) {
  // Three significant digits without trailing zeros: 4.2 ms, 10 s, 123 µs.
  return String(v >= 1000 ? Math.round(v) : parseFloat(v.toPrecision(3)));
}

function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1048576) return trim3(n / 1024) + ' KiB';
  return trim3(n / 1048576) + ' MiB';
}

function pad(n, w) { return String(n).padStart(w || 2, '0'); }

function fmtClock(ms, withMillis) {
  const d = new Date(ms);
  const s = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  return withMillis ? s + '.' + pad(d.getMilliseconds(), 3) : s;
}

function fmtStart(us) { return fmtClock(us / 1000, true); }

function fmtIso(us) { return new Date(us / 1000).toISOString(); }

function argsText(attributes) {
  return Object.entries(attributes).map(([k, v]) => k + '=' + v).join(', ');
}

// ---- filters, facets, stats ----------------------------------------------------------------------------------

function filterParams() {
  return { name: state.filter.name, service: state.filter.service, pid: state.filter.pid };
}

function fillSelect(select, items, valueOf, labelOf) {
  const current = select.value;
  const keep = [select.options[0]];
  select.replaceChildren(...keep);
  for (const item of items) {
    const option = document.createElement('option');
    option.value = String(valueOf(item));
    option.textContent = labelOf(item);
    select.append(option);
  }
  select.value = current;
  if (select.value !== current) {
    // The filtered value is no longer in memory: keep it selectable so the filter stays visible.
    const option = document.createElement('option');
    option.value = current;
    option.textContent = current + ' (none in memory)';
    select.append(option);
    select.value = current;
  }
}

async function loadFacets() {
  const f = await api('/api/facets');
  state.lastFacets = Date.now();
  const names = $('span-names');
  names.replaceChildren();
  for (const n of f.names.slice(0, 500)) {
    const option = document.createElement('option');
    option.value = n.name;
    names.append(option);
  }
  fillSelect($('filter-service'), f.services, (s) => s.service, (s) => s.service + ' (' + s.count + ')');
  fillSelect($('filter-pid'), f.processes, (p) => p.pid, (p) => p.exe + ' [' + p.pid + '] ' + p.service + ' (' + p.count + ')');
}

async function loadStats() {
  const s = await api('/api/stats');
  const parts = [s.store.spans + ' spans in memory'];
  if (s.store.evicted > 0) parts.push(s.store.evicted + ' older dropped');
  parts.push(s.store.syscalls + ' syscall records');
  if (s.correlator) {
    parts.push(s.correlator.events + ' events');
    if (s.correlator.malformedMarkers) parts.push(s.correlator.malformedMarkers + ' malformed markers');
    const drops = s.correlator.drops.syscall + s.correlator.drops.marker + s.correlator.drops.process;
    if (drops) parts.push(drops + ' probe drops');
  }
  $('stats').textContent = parts.join(' · ');
}

// ---- spectrogram -----------------------------------------------------------------------------------------------

function heatColor(n, max) {
  // black -> green -> yellow -> red, as csysdig; log scale so single outliers stay visible next to busy cells.
  const t = 0.22 + 0.78 * (max <= 1 ? 1 : Math.log1p(n) / Math.log1p(max));
  const stops = [[0, 0, 0, 0], [0.4, 20, 190, 60], [0.7, 235, 215, 30], [1, 225, 40, 25]];
  for (let i = 1; i < stops.length; i++) {
    if (t <= stops[i][0]) {
      const a = stops[i - 1];
      const b = stops[i];
      const f = (t - a[0]) / (b[0] - a[0]);
      return 'rgb(' + [1, 2, 3].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)).join(',') + ')';
    }
  }
  return 'rgb(225,40,25)';
}

async function loadSpectrogram() {
  state.spectro = await api('/api/spectrogram', Object.assign(filterParams(), { syscall: state.mode }));
  drawSpectrogram();
}

function computeView(rect) {
  const sp = state.spectro;
  const colMs = state.config.columnMs;
  const plotW = Math.max(10, rect.width - MARGIN.left - MARGIN.right);
  const plotH = Math.max(10, rect.height - MARGIN.top - MARGIN.bottom);
  const maxColumns = Math.max(10, Math.floor(plotW / MIN_COLUMN_PX));
  const first = sp && sp.firstColumnMs !== null ? sp.firstColumnMs : Math.floor(Date.now() / colMs) * colMs;
  const last = sp && sp.lastColumnMs !== null ? sp.lastColumnMs : first;
  const dataColumns = Math.round((last - first) / colMs) + 1;
  const columns = Math.min(maxColumns, Math.max(state.live ? 60 : 30, dataColumns + 2));
  let end;
  if (state.viewEndMs !== null) end = state.viewEndMs;
  else if (!state.live && dataColumns + 2 <= columns) end = first + (columns - 2) * colMs;
  else end = last;
  const start = end - (columns - 1) * colMs;
  return { start, end, columns, colMs, plotW, plotH, colW: plotW / columns, rowH: plotH / state.config.buckets.length };
}

function drawSpectrogram() {
  const canvas = $('spectrogram');
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(rect.width * dpr);
  canvas.height = Math.round(rect.height * dpr);
  const ctx = canvas.getContext('2d');
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
  state.cellCounts = new Map();
  for (const c of visible) {
    state.cellCounts.set(c.t + ':' + c.b, c.n);
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
    const ns = b === 0 ? 1000 : b === buckets.length ? Math.round(buckets[b - 1].lowNs * Math.pow(10, 1 / perDecade)) : buckets[b].lowNs;
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
  $('view-range').textContent =
    fmtClock(v.start) + ' – ' + fmtClock(v.end + v.colMs) + ' · ' + v.colMs / 1000 + ' s per column' + (max ? ' · busiest cell ' + max : '');
  drawSelection();
}

function drawLegend() {
  const canvas = $('legend');
  const ctx = canvas.getContext('2d');
  for (let x = 0; x < canvas.width; x++) {
    ctx.fillStyle = heatColor(Math.round(Math.expm1((x / (canvas.width - 1)) * Math.log1p(100))), 100);
    ctx.fillRect(x, 0, 1, canvas.height);
  }
}

function cellAt(px, py) {
  const v = state.view;
  const col = Math.min(v.columns - 1, Math.max(0, Math.floor((px - MARGIN.left) / v.colW)));
  const bucket = Math.min(state.config.buckets.length - 1, Math.max(0, Math.floor((MARGIN.top + v.plotH - py) / v.rowH)));
  return { col, bucket, t: v.start + col * v.colMs };
}

function localPoint(event) {
  const rect = $('spectrogram').getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

function drawSelection() {
  const box = $('selection');
  const s = state.drag ? state.drag.live : state.selection;
  if (!s || !state.view) { box.hidden = true; return; }
  const v = state.view;
  let x0, x1, y0, y1;
  if (state.drag) {
    x0 = Math.min(s.x0, s.x1); x1 = Math.max(s.x0, s.x1); y0 = Math.min(s.y0, s.y1); y1 = Math.max(s.y0, s.y1);
  } else {
    x0 = MARGIN.left + ((s.fromMs - v.start) / v.colMs) * v.colW;
    x1 = MARGIN.left + ((s.toMs - v.start) / v.colMs) * v.colW;
    y0 = MARGIN.top + v.plotH - (s.b1 + 1) * v.rowH;
    y1 = MARGIN.top + v.plotH - s.b0 * v.rowH;
  }
  box.hidden = false;
  box.style.left = x0 + 'px';
  box.style.top = y0 + 'px';
  box.style.width = Math.max(1, x1 - x0) + 'px';
  box.style.height = Math.max(1, y1 - y0) + 'px';
}

function onPointerDown(event) {
  if (!state.view || event.button !== 0) return;
  const p = localPoint(event);
  state.drag = { start: cellAt(p.x, p.y), live: { x0: p.x, y0: p.y, x1: p.x, y1: p.y } };
  $('spectrogram').setPointerCapture(event.pointerId);
  $('cell-tip').hidden = true;
  drawSelection();
}

function onPointerMove(event) {
  const p = localPoint(event);
  if (state.drag) {
    state.drag.live.x1 = p.x;
    state.drag.live.y1 = p.y;
    drawSelection();
    return;
  }
  if (!state.view) return;
  const v = state.view;
  const tip = $('cell-tip');
  if (p.x < MARGIN.left || p.x > MARGIN.left + v.plotW || p.y < MARGIN.top || p.y > MARGIN.top + v.plotH) {
    tip.hidden = true;
    return;
  }
  const c = cellAt(p.x, p.y);
  const b = state.config.buckets[c.bucket];
  const n = state.cellCounts.get(c.t + ':' + c.bucket) || 0;
  tip.textContent = fmtClock(c.t) + '–' + fmtClock(c.t + v.colMs) + ' · ' + fmtDuration(b.lowNs) + '–' +
    (b.highNs === null ? '∞' : fmtDuration(b.highNs)) + ' · ' + n + (state.mode ? ' ' + state.mode + (n === 1 ? ' call' : ' calls') : n === 1 ? ' span' : ' spans');
  tip.hidden = false;
  tip.style.left = Math.min(p.x + 12, v.plotW - 120) + 'px';
  tip.style.top = Math.max(0, p.y - 28) + 'px';
}

function onPointerUp(event) {
  if (!state.drag) return;
  const p = localPoint(event);
  const a = state.drag.start;
  const b = cellAt(p.x, p.y);
  state.drag = null;
  const v = state.view;
  const c0 = Math.min(a.col, b.col);
  const c1 = Math.max(a.col, b.col);
  state.selection = {
    fromMs: v.start + c0 * v.colMs,
    toMs: v.start + (c1 + 1) * v.colMs,
    b0: Math.min(a.bucket, b.bucket),
    b1: Math.max(a.bucket, b.bucket),
  };
  drawSelection();
  guarded(loadSelection)();
}

async function loadSelection() {
  const s = state.selection;
  if (!s) return;
  const buckets = state.config.buckets;
  const result = await api('/api/spans', Object.assign(filterParams(), {
    from: s.fromMs,
    to: s.toMs,
    minDuration: buckets[s.b0].lowNs,
    maxDuration: buckets[s.b1].highNs === null ? '' : buckets[s.b1].highNs,
    order: 'slowest',
    limit: 500,
    syscall: state.mode,
  }));
  renderList(result, s);
  await loadPercentiles();
}

// ---- span list -----------------------------------------------------------------------------------------------

function renderList(result, s) {
  const buckets = state.config.buckets;
  const hi = buckets[s.b1].highNs;
  $('list-summary').textContent = fmtClock(s.fromMs) + '–' + fmtClock(s.toMs) + ', ' + fmtDuration(buckets[s.b0].lowNs) +
    '–' + (hi === null ? '∞' : fmtDuration(hi)) + ': ' + result.total + (result.total === 1 ? ' span' : ' spans') +
    (result.returned < result.total ? ' (slowest ' + result.returned + ' shown)' : '') + ', slowest first';
  if (state.mode) $('list-summary').textContent += ' (' + result.calls + ' ' + state.mode + ' calls in these durations; spans by their slowest call)';
  fillSpanList(result.spans);
}

function fillSpanList(spans) {
  const tbody = $('span-list').tBodies[0];
  tbody.replaceChildren();
  for (const span of spans) {
    const tr = document.createElement('tr');
    tr.tabIndex = 0;
    tr.dataset.traceId = span.traceId;
    tr.dataset.spanId = span.spanId;
    tr.append(
      el('td', 'name', span.name),
      el('td', '', span.service + ' [' + span.pid + ']'),
      el('td', '', fmtStart(span.startUs)),
      // in syscall mode: the span's slowest call of that name beside its own duration
      el('td', 'num', fmtDuration(span.durationNs) + (span.slowestCallNs !== undefined ? ' · ' + state.mode + ' ' + fmtDuration(span.slowestCallNs) : '')),
      el('td', span.status === 'error' ? 'status-error' : '', span.status + (span.incomplete ? ' (incomplete)' : '')),
      el('td', 'args', argsText(span.attributes)),
    );
    tr.title = span.name;
    const open = guarded(() => openSpan(span.traceId, span.spanId, tr));
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    tbody.append(tr);
  }
  $('list-panel').hidden = false;
}

// ---- percentiles ---------------------------------------------------------------------------------------------
// The table of the current selection (or of everything the filter matches), one row per service and span name,
// computed by the server with the --summary builder. In syscall mode the selection's durations are the calls',
// so the table then takes only its time window.

const PERCENTILE_COLUMNS = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p999', 'p99.9'], ['max', 'max']];

function selectionWindow() {
  const s = state.selection;
  if (!s) return {};
  const buckets = state.config.buckets;
  const w = { from: s.fromMs, to: s.toMs };
  if (!state.mode) {
    w.minDuration = buckets[s.b0].lowNs;
    w.maxDuration = buckets[s.b1].highNs === null ? '' : buckets[s.b1].highNs;
  }
  return w;
}

async function loadPercentiles() {
  const params = Object.assign(filterParams(), selectionWindow());
  const t = await api('/api/percentiles', params);
  $('percentile-scope').textContent = (state.selection ? 'spans in the selection' : 'all spans in memory') +
    (state.selection && state.mode ? ' (its time window)' : '') + ' · ' + t.spans + (t.spans === 1 ? ' span' : ' spans') +
    ' · within ±' + t.relativeAccuracy * 100 + ' % of the exact value at each rank';
  const tbody = $('percentiles').tBodies[0];
  tbody.replaceChildren();
  for (const row of t.rows) tbody.append(percentileRow(row, params));
  if (t.overflow) {
    const tr = percentileRow(t.overflow, null);
    tr.className = 'overflow';
    tr.cells[0].textContent = '(other)';
    tr.cells[1].textContent = t.overflow.count + ' spans of names past the ' + t.maxRows + '-row bound';
    tbody.append(tr);
  }
}

function percentileRow(row, params) {
  const tr = document.createElement('tr');
  tr.dataset.service = row.service;
  tr.dataset.name = row.name;
  tr.append(el('td', '', row.service), el('td', 'name', row.name), el('td', 'num', row.count),
    el('td', row.errors ? 'num status-error' : 'num', row.errors));
  tr.title = row.name;
  for (const [key, label] of PERCENTILE_COLUMNS) {
    const ns = key === 'max' ? row.maxNs : row.percentilesNs[key];
    const td = el('td', 'num');
    if (params) {
      const b = el('button', 'pct', fmtDuration(ns));
      b.type = 'button';
      b.dataset.percentile = key;
      b.title = 'List the ' + row.name + ' spans ranked around the ' + label;
      b.addEventListener('click', guarded(() => loadAround(row, key, label, params, b)));
      td.append(b);
    } else td.textContent = fmtDuration(ns);
    tr.append(td);
  }
  // where the slowest 1 % spent their time: the call group with the most time, as --summary lists them
  const top = row.slowest.syscalls[0];
  const where = el('td', 'where', top ? top.name + ' ×' + top.calls + (top.target ? ' ' + top.target : '') + ' · ' + fmtDuration(top.totalNs) : '');
  where.title = row.slowest.syscalls.map((g) => g.name + ' ×' + g.calls + ' ' + g.target + ' ' + fmtDuration(g.totalNs)).join('\n');
  tr.append(where);
  return tr;
}

async function loadAround(row, key, label, params, button) {
  const r = await api('/api/percentiles/spans', Object.assign({}, params, { service: row.service, span: row.name, percentile: key }));
  for (const b of document.querySelectorAll('#percentiles button.pct.open')) b.classList.remove('open');
  button.classList.add('open');
  // the server lists up to 10 spans on each side of the rank
  const lo = Math.max(0, r.rank - 10);
  $('list-summary').textContent = row.name + ' (' + row.service + ') around its ' + label + ': ranks ' + (lo + 1) + '–' +
    (lo + r.spans.length) + ' of ' + r.total + ' by duration, shortest first (the ' + label + ' is rank ' + (r.rank + 1) + ', in bold)';
  fillSpanList(r.spans);
  const at = $('span-list').tBodies[0].rows[r.rank - lo];
  if (at) at.classList.add('rank');
  $('list-panel').hidden = false;
  $('list-panel').scrollIntoView({ block: 'nearest' });
}

async function loadSyscallModes() {
  const r = await api('/api/syscalls');
  const select = $('spectro-mode');
  fillSelect(select, r.names, (n) => n.name, (n) => n.name + ' calls (' + n.count + ')');
}

// ---- span detail ---------------------------------------------------------------------------------------------

async function openSpan(traceId, spanId, row) {
  const d = await api('/api/spans/' + encodeURIComponent(traceId) + '/' + encodeURIComponent(spanId));
  if (state.openRow) state.openRow.classList.remove('open');
  state.openRow = row || null;
  if (row) row.classList.add('open');
  const span = d.tree.nodes[d.tree.focus].span;
  $('detail-title').textContent = span.name;
  const link = $('jaeger-link');
  if (/^https?:\/\//.test(d.jaegerUrl)) { link.href = d.jaegerUrl; link.hidden = false; } else link.hidden = true;
  const parent = $('detail-parent');
  parent.hidden = !d.parentRetained;
  parent.onclick = guarded(() => openSpan(span.traceId, span.parentSpanId, null));
  renderMeta(span);
  renderTimeBreakdown(d.tree);
  renderBreakdown(d.breakdown);
  renderWaterfall(d.tree);
  $('detail-panel').hidden = false;
  $('detail-panel').scrollIntoView({ block: 'start' });
}

function renderMeta(span) {
  const dl = $('detail-meta');
  dl.replaceChildren();
  const add = (term, value, className) => {
    dl.append(el('dt', '', term), el('dd', className || '', value));
  };
  add('Service', span.service);
  add('Process', span.exe + ' [' + span.pid + '], thread ' + span.tid);
  add('Start', fmtIso(span.startUs));
  add('Duration', fmtDuration(span.durationNs));
  add('Status', span.status + (span.statusMessage ? ': ' + span.statusMessage : ''), span.status === 'error' ? 'status-error' : '');
  add('Kind', span.kind);
  add('Trace id', span.traceId);
  add('Span id', span.spanId);
  if (span.incomplete) add('Incomplete', span.incomplete, 'status-error');
  for (const [k, v] of Object.entries(span.attributes)) add('arg ' + k, v);
}

function renderBreakdown(b) {
  const bar = $('breakdown-bar');
  const tbody = $('breakdown').tBodies[0];
  bar.replaceChildren();
  tbody.replaceChildren();
  const total = Math.max(1, b.durationNs);
  const rows = b.bySyscall.slice(0, PALETTE.length - 1).map((r, i) => ({ label: r.name, ns: r.ns, calls: r.calls, color: PALETTE[i] }));
  const rest = b.bySyscall.slice(PALETTE.length - 1);
  if (rest.length) {
    rows.push({
      label: 'other system calls (' + rest.length + ' kinds)',
      ns: rest.reduce((n, r) => n + r.ns, 0),
      calls: rest.reduce((n, r) => n + r.calls, 0),
      color: PALETTE[PALETTE.length - 1],
    });
  }
  rows.push({ label: 'outside system calls', ns: b.outsideSyscallsNs, calls: null, color: '#3a404d' });
  fillStackedBar(bar, rows, total);
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.append(swatchCell(r.label, r.color), el('td', 'num', fmtDuration(r.ns)), el('td', 'num', fmtShare(r.ns, total)),
      el('td', 'num', r.calls === null ? '' : r.calls));
    tbody.append(tr);
  }
  const note = document.createElement('tr');
  const td = el('td', 'muted', b.spans + ' span(s), ' + b.syscalls + ' system call(s); ' + fmtDuration(b.inSyscallsNs) + ' of wall time inside system calls');
  td.colSpan = 4;
  note.append(td);
  tbody.append(note);
}

// The rows of the waterfall: each span followed by its system calls and child spans in time order. The response
// is flat (nodes in depth-first order with parent indexes); the walk uses an explicit stack because the depth is
// whatever the traced process made it.
function waterfallRows(nodes) {
  const children = nodes.map(() => []);
  nodes.forEach((n, i) => { if (n.parent !== null && children[n.parent]) children[n.parent].push(i); });
  const rows = [];
  const stack = nodes.length ? [{ index: 0 }] : [];
  while (stack.length) {
    const step = stack.pop();
    if (step.row) { rows.push(step.row); continue; }
    const node = nodes[step.index];
    rows.push({ kind: 'span', depth: node.depth, node });
    const items = node.syscalls.map((s) => ({ offset: s.offsetNs, row: { kind: 'syscall', depth: node.depth + 1, sys: s } }))
      .concat(children[step.index].map((i) => ({ offset: nodes[i].offsetNs, index: i })));
    items.sort((a, b) => a.offset - b.offset);
    if (node.omittedSyscalls > 0) stack.push({ row: { kind: 'omitted', depth: node.depth + 1, count: node.omittedSyscalls } });
    for (let i = items.length - 1; i >= 0; i--) stack.push(items[i].row ? { row: items[i].row } : { index: items[i].index });
  }
  return rows;
}

function syscallInfo(s) {
  const parts = [];
  const where = s.target || s.path || s.peer;
  if (where) parts.push({ text: where, className: 'path' });
  if (s.fd !== null && !where) parts.push({ text: 'fd ' + s.fd });
  if (s.bytes !== null) parts.push({ text: fmtBytes(s.bytes) });
  // Calls that return addresses read better in hex.
  const address = s.ret > 0xffff && (s.name === 'mmap' || s.name === 'mremap' || s.name === 'brk');
  parts.push({ text: s.errno ? '→ ' + s.errno : '= ' + (address ? '0x' + s.ret.toString(16) : s.ret) });
  parts.push({ text: 'tid ' + s.tid });
  if (s.attribution !== 'thread') parts.push({ text: 'via ' + s.attribution });
  if (s.unfinished) parts.push({ text: 'unfinished' });
  if (s.times && s.times.sleep !== 'none') parts.push({ text: SLEEP_LABELS[s.times.sleep] });
  return parts;
}

function renderWaterfall(tree) {
  const wf = $('waterfall');
  wf.replaceChildren();
  const rows = waterfallRows(tree.nodes);
  let total = tree.nodes[0].span.durationNs;
  for (const r of rows) {
    if (r.kind === 'span') total = Math.max(total, r.node.offsetNs + r.node.span.durationNs);
    if (r.kind === 'syscall') total = Math.max(total, r.sys.offsetNs + Math.max(r.sys.extentNs, r.sys.durationNs));
  }
  total = Math.max(1, total);

  const head = el('div', 'wf-row head');
  const axis = el('div', 'wf-axis');
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const tick = el('span', '', fmtDuration(total * f));
    tick.style.left = (f * 100) + '%';
    axis.append(tick);
  }
  head.append(el('div', '', 'Span / system call'), axis, el('div', 'wf-dur', 'Duration'));
  wf.append(head);

  const pct = (ns) => Math.max(0, Math.min(100, (100 * ns) / total));
  for (const r of rows.slice(0, MAX_WATERFALL_ROWS)) {
    if (r.kind === 'omitted') {
      const more = el('div', 'wf-more', r.count + ' more system calls of this span not shown');
      more.style.paddingLeft = (Math.min(r.depth, MAX_INDENT_DEPTH) * 14) + 'px';
      wf.append(more);
      continue;
    }
    const isSpan = r.kind === 'span';
    const row = el('div', 'wf-row ' + r.kind);
    row.setAttribute('role', 'row');
    const label = el('div', 'wf-label');
    label.style.paddingLeft = (Math.min(r.depth, MAX_INDENT_DEPTH) * 14) + 'px';
    let offset, width, dur, title;
    if (isSpan) {
      const s = r.node.span;
      label.append(el('span', 'wf-name', s.name));
      const info = el('span', 'wf-info', s.service + ' [' + s.pid + '] tid ' + s.tid + (s.status === 'error' ? ' · error' : '') + (r.depth > MAX_INDENT_DEPTH ? ' · depth ' + r.depth : ''));
      label.append(info);
      offset = r.node.offsetNs;
      width = s.durationNs;
      dur = s.durationNs;
      title = s.name;
      row.dataset.spanId = s.spanId;
    } else {
      const s = r.sys;
      if (s.errno) row.classList.add('failed');
      label.append(el('span', 'wf-name', s.name + (s.count > 1 ? ' ×' + s.count : '')));
      const info = el('span', 'wf-info');
      const parts = syscallInfo(s);
      parts.forEach((p, i) => {
        if (i) info.append(document.createTextNode(' · '));
        info.append(el('span', p.className || '', p.text));
      });
      label.append(info);
      offset = s.offsetNs;
      width = Math.max(s.extentNs, s.durationNs);
      dur = s.durationNs;
      title = s.name + (s.count > 1 ? ' ×' + s.count : '') + ': ' + parts.map((p) => p.text).join(' · ');
    }
    label.title = title;
    const track = el('div', 'wf-track');
    const bar = el('div', 'wf-bar');
    bar.style.left = pct(offset) + '%';
    bar.style.width = Math.min(100 - pct(offset), pct(width)) + '%';
    bar.title = fmtDuration(dur) + ' at +' + fmtDuration(offset);
    track.append(bar);
    const times = isSpan ? r.node.span.times : r.sys.times;
    if (times) appendTimesBand(track, bar, isSpan ? spanBandParts(times) : syscallBandParts(times), times.sleep);
    row.append(label, track, el('div', 'wf-dur', fmtDuration(dur)));
    wf.append(row);
  }
  if (rows.length > MAX_WATERFALL_ROWS) wf.append(el('div', 'wf-more', (rows.length - MAX_WATERFALL_ROWS) + ' more rows not shown'));
  renderBandLegend(rows.some((r) => (r.kind === 'span' ? r.node.span.times : r.kind === 'syscall' && r.sys.times)));
}

// ---- time breakdown: on CPU, run queue, off CPU by what it waited for (scheduler accounting) ------------------

// Distinct from the waterfall's span bar (blue), system-call bar (orange) and error red, and from each other.
const TIME_COLORS = {
  onCpu: '#59c36a', runqueue: '#f0d35a', blocked: '#a77fe0', loopBusy: '#f055c8', asyncWait: '#4d7ea8',
  file: '#a77fe0', net: '#55bcc9', lock: '#ff9da7', sleep: '#a07e62', poll: '#7f8ee0', pagefault: '#cf6e4a',
  other: '#7a8190', unaccounted: '#3a404d',
};
const WAIT_LABELS = {
  file: 'file I/O', net: 'network', lock: 'locks (futex)', sleep: 'sleep, timers', poll: 'poll (epoll, poll, select)',
  pagefault: 'page faults (outside system calls)', other: 'other waits',
};
const SLEEP_LABELS = { interruptible: 'slept interruptibly', uninterruptible: 'slept uninterruptibly (D)', both: 'slept interruptibly and uninterruptibly' };
const MAX_CHILD_BREAKDOWNS = 200;
const BAND_NOTE = 'totals over the span, drawn as proportions (not a timeline)';

function fmtShare(ns, total) {
  const share = (100 * ns) / Math.max(1, total);
  return share > 0 && share < 0.1 ? '<0.1%' : share.toFixed(1) + '%';
}

function swatchCell(label, color) {
  const td = el('td');
  const sw = el('span', 'swatch');
  sw.style.background = color;
  td.append(sw, typeof label === 'string' ? document.createTextNode(label) : label);
  return td;
}

// Segments proportional to each row's ns, scaled to the larger of the total and the rows' sum.
function fillStackedBar(bar, rows, total) {
  const scale = Math.max(total, rows.reduce((n, r) => n + r.ns, 0), 1);
  for (const r of rows) {
    const seg = el('div');
    seg.style.width = (100 * r.ns / scale) + '%';
    seg.style.background = r.color;
    seg.title = r.label + ': ' + fmtDuration(r.ns);
    bar.append(seg);
  }
}

function sumValues(o) { return Object.values(o).reduce((n, v) => n + v, 0); }

// The parts of a span's duration, in the order the table lists them, then what no part accounts for.
function timeParts(t, durationNs) {
  const loop = t.model === 'event-loop';
  const parts = [
    { key: 'onCpu', label: loop ? 'on CPU (its own code)' : 'on CPU', ns: t.onCpuNs },
    { key: 'runqueue', label: 'run queue (runnable, waiting for a CPU)', ns: t.runqueueNs },
  ];
  for (const kind of Object.keys(WAIT_LABELS)) {
    if (t.blockedNs[kind] > 0) parts.push({ key: kind, label: 'blocked: ' + WAIT_LABELS[kind], ns: t.blockedNs[kind] });
  }
  if (t.loopBusyOtherNs !== null) {
    const top = t.loopBusyTop ? ' (' + t.loopBusyTop.name + ')' : '';
    parts.push({ key: 'loopBusy', label: 'loop busy' + top, ns: t.loopBusyOtherNs, top: t.loopBusyTop });
  }
  if (t.asyncWaitNs !== null) parts.push({ key: 'asyncWait', label: 'async wait (its timers, sockets, thread pool)', ns: t.asyncWaitNs });
  const rest = durationNs - parts.reduce((n, p) => n + p.ns, 0);
  if (rest > 0 && rest >= durationNs / 1000) parts.push({ key: 'unaccounted', label: 'not accounted', ns: rest });
  for (const p of parts) p.color = TIME_COLORS[p.key];
  return parts;
}

// "loop busy (NAME)": the name is the culprit span's (hostile text), a button opening it when it is in memory.
function loopBusyLabel(part, traceId) {
  const label = el('span', '', 'loop busy (');
  const name = traceId ? el('button', 'linkish culprit', part.top.name) : el('span', 'culprit', part.top.name);
  name.title = part.top.name + ' · span ' + part.top.spanId + ', held the loop ' + fmtDuration(part.top.ns) +
    (traceId ? '' : ' · not in memory');
  if (traceId) name.addEventListener('click', guarded(() => openSpan(traceId, part.top.spanId, null)));
  label.append(name, document.createTextNode(')'));
  return label;
}

// One span's breakdown: a stacked bar and a Kind / Time / Share table, for the span and for each child.
function timesBlock(node) {
  const t = node.span.times;
  const total = node.span.durationNs;
  const parts = timeParts(t, total);
  const block = el('div', 'times-block');
  const bar = el('div', 'stacked-bar');
  fillStackedBar(bar, parts, total);
  const table = el('table', 'times-table');
  const head = el('tr');
  head.append(el('th', '', 'Kind'), el('th', 'num', 'Time'), el('th', 'num', 'Share'));
  table.createTHead().append(head);
  const tbody = table.createTBody();
  const addRow = (part, label, color, ns, className) => {
    const tr = el('tr', className || '');
    tr.dataset.part = part;
    tr.append(swatchCell(label, color), el('td', 'num', fmtDuration(ns)), el('td', 'num', fmtShare(ns, total)));
    tbody.append(tr);
  };
  for (const p of parts) addRow(p.key, p.top ? loopBusyLabel(p, node.loopBusyTopTraceId) : p.label, p.color, p.ns);
  if (t.worker) {
    // Pool threads run in parallel with the loop: their time is inside "async wait", not another slice of the bar.
    for (const [key, text] of [['onCpuNs', 'on CPU'], ['runqueueNs', 'run queue'], ['blockedNs', 'blocked']]) {
      addRow('worker-' + key, 'worker threads ' + text + ' (within async wait)', 'transparent', t.worker[key], 'sub');
    }
  }
  const note = el('tr');
  const td = el('td', 'muted', (t.model === 'event-loop'
    ? 'Event loop: its own code and synchronous calls, time the loop ran other spans, and waiting for its asynchronous work.'
    : 'One thread, one span at a time: on CPU, waiting for a CPU, or off CPU by what it waited for.') +
    ' ' + t.majorFaults + ' major page fault' + (t.majorFaults === 1 ? '' : 's') + '.');
  td.colSpan = 3;
  note.append(td);
  tbody.append(note);
  block.append(bar, table);
  return block;
}

function renderTimeBreakdown(tree) {
  const box = $('time-breakdown');
  box.replaceChildren();
  const root = tree.nodes[tree.focus];
  if (!root.span.times) {
    box.append(el('p', 'muted no-times', "No time breakdown: the kernel did not account for this span's thread " +
      '(tracing without scheduler accounting, or a capture recorded before it existed). Time in system calls only:'));
    return;
  }
  box.append(timesBlock(root));
  const children = tree.nodes.filter((n) => n.parent === tree.focus);
  if (!children.length) return;
  box.append(el('h4', '', 'Child spans'));
  const list = el('div', 'time-children');
  for (const child of children.slice(0, MAX_CHILD_BREAKDOWNS)) {
    const item = el('details', 'time-child');
    const summary = el('summary');
    const mini = el('div', 'stacked-bar mini');
    if (child.span.times) fillStackedBar(mini, timeParts(child.span.times, child.span.durationNs), child.span.durationNs);
    summary.append(el('span', 'name', child.span.name), mini, el('span', 'num', fmtDuration(child.span.durationNs)),
      el('span', 'num muted', fmtShare(child.span.durationNs, root.span.durationNs) + ' of the span'));
    summary.title = child.span.name;
    item.append(summary, child.span.times ? timesBlock(child) : el('p', 'muted', 'No time breakdown for this span.'));
    list.append(item);
  }
  if (children.length > MAX_CHILD_BREAKDOWNS) list.append(el('p', 'muted', (children.length - MAX_CHILD_BREAKDOWNS) + ' more child spans not shown'));
  box.append(list);
}

// The waterfall band: proportions of on CPU / run queue / blocked (and, on an event loop, loop busy with others).
function spanBandParts(t) {
  const parts = [
    { key: 'onCpu', label: 'on CPU', ns: t.onCpuNs },
    { key: 'runqueue', label: 'run queue', ns: t.runqueueNs },
    { key: 'blocked', label: t.asyncWaitNs !== null ? 'blocked or async wait' : 'blocked', ns: sumValues(t.blockedNs) + (t.asyncWaitNs || 0) },
  ];
  if (t.loopBusyOtherNs !== null) parts.push({ key: 'loopBusy', label: 'loop busy with other spans', ns: t.loopBusyOtherNs });
  return parts;
}

function syscallBandParts(t) {
  return [
    { key: 'onCpu', label: 'on CPU', ns: t.onCpuNs },
    { key: 'runqueue', label: 'run queue', ns: t.runqueueNs },
    { key: 'blocked', label: 'blocked', ns: t.blockedNs },
  ];
}

function appendTimesBand(track, bar, parts, sleep) {
  track.classList.add('with-band');
  const band = el('div', 'wf-band');
  band.style.left = bar.style.left;
  band.style.width = bar.style.width;
  const total = parts.reduce((n, p) => n + p.ns, 0);
  for (const p of parts) p.color = TIME_COLORS[p.key];
  fillStackedBar(band, parts, total);
  band.title = parts.map((p) => p.label + ' ' + fmtDuration(p.ns) + ' (' + fmtShare(p.ns, total) + ')').join(' · ') +
    (sleep && sleep !== 'none' ? ' · ' + SLEEP_LABELS[sleep] : '') + ' — ' + BAND_NOTE;
  for (const seg of band.children) seg.title = band.title;
  track.append(band);
}

function renderBandLegend(any) {
  const legend = $('wf-legend');
  legend.replaceChildren();
  legend.hidden = !any;
  if (!any) return;
  for (const [key, text] of [['onCpu', 'on CPU'], ['runqueue', 'run queue'], ['blocked', 'blocked / waiting'], ['loopBusy', 'loop busy with other spans']]) {
    const sw = el('span', 'swatch');
    sw.style.background = TIME_COLORS[key];
    legend.append(sw, el('span', 'legend-item', text));
  }
  legend.append(el('span', 'muted', 'Thin band under each bar: its time split, ' + BAND_NOTE + '.'));
}

// ---- live mode -----------------------------------------------------------------------------------------------

function setLive(on) {
  state.live = on;
  $('live').checked = on;
  state.viewEndMs = null;
  if (on && !state.events) {
    state.events = new EventSource('/api/stream');
    state.events.addEventListener('spans', scheduleRefresh);
  } else if (!on && state.events) {
    state.events.close();
    state.events = null;
  }
  drawSpectrogram();
}

function scheduleRefresh() {
  if (state.refreshTimer) return;
  // At most one redraw per second however fast spans arrive.
  state.refreshTimer = setTimeout(guarded(async () => {
    state.refreshTimer = null;
    await loadSpectrogram();
    await loadPercentiles();
    await loadStats();
    if (Date.now() - state.lastFacets > 5000) await loadFacets();
  }), 1000);
}

// ---- wiring --------------------------------------------------------------------------------------------------

function onFilterChange() {
  state.filter = { name: $('filter-name').value.trim(), service: $('filter-service').value, pid: $('filter-pid').value };
  state.selection = null;
  $('list-panel').hidden = true;
  guarded(loadSpectrogram)();
  guarded(loadPercentiles)();
}

function pan(direction) {
  const v = state.view;
  if (!v) return;
  state.viewEndMs = v.end + direction * Math.max(1, Math.floor(v.columns / 2)) * v.colMs;
  drawSpectrogram();
}

async function main() {
  state.config = await api('/api/config');
  drawLegend();
  let nameTimer = null;
  $('filter-name').addEventListener('input', () => { clearTimeout(nameTimer); nameTimer = setTimeout(onFilterChange, 300); });
  $('filter-service').addEventListener('change', onFilterChange);
  $('filter-pid').addEventListener('change', onFilterChange);
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); onFilterChange(); });
  $('live').addEventListener('change', () => setLive($('live').checked));
  $('pan-left').addEventListener('click', () => pan(-1));
  $('pan-right').addEventListener('click', () => pan(1));
  $('pan-latest').addEventListener('click', () => { state.viewEndMs = null; drawSpectrogram(); });
  const canvas = $('spectrogram');
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointerleave', () => { $('cell-tip').hidden = true; });
  window.addEventListener('resize', () => drawSpectrogram());
  $('spectro-mode').addEventListener('change', () => { state.mode = $('spectro-mode').value; onFilterChange(); });
  await Promise.all([loadFacets(), loadStats(), loadSpectrogram(), loadPercentiles(), loadSyscallModes()]);
  if (state.config.live) setLive(true);
  document.body.dataset.ready = '1';
}

guarded(main)();
`;
