// The waterfall of the open span's whole trace: the rows of waterfall-model.ts drawn on one time scale, with
// collapsible spans, folded runs of calls, the "hide calls under" threshold, find-in-trace, the critical path, self
// time and a thin band with each row's time split. The opened span is highlighted and scrolled to.

import type { SleepKind, SpanTreeJson, SyscallJson } from '../api-types.js';
import { fillStackedBar } from './breakdown.js';
import { byId, countRender, el } from './dom.js';
import { fmtBytes, fmtDuration, fmtShare } from './format.js';
import { SLEEP_LABELS, spanBandParts, syscallBandParts, TIME_COLORS, type TimePart } from './time-parts.js';
import {
  ancestorSpans,
  attributionText,
  buildModel,
  callId,
  DEFAULT_HIDE_UNDER_NS,
  findInTrace,
  spanId,
  type TraceModel,
  visibleRows,
  type WaterfallRow,
} from './waterfall-model.js';

/** Rows drawn at once; the window moves to keep the opened span or the current match inside it. */
const MAX_WATERFALL_ROWS = 2500;
// Indentation stops growing here (deeper spans say their depth), as in the terminal tree.
const MAX_INDENT_DEPTH = 32;
const BAND_NOTE = 'totals over the span, drawn as proportions (not a timeline)';

interface WaterfallState {
  tree: SpanTreeJson;
  model: TraceModel;
  collapsed: Set<string>;
  expandedFolds: Set<string>;
  matches: string[];
  matchIndex: number;
}

let current: WaterfallState | null = null;
let wired = false;

export function renderWaterfall(tree: SpanTreeJson): void {
  wireControls();
  current = {
    tree,
    model: buildModel(tree.nodes),
    collapsed: new Set(),
    expandedFolds: new Set(),
    matches: [],
    matchIndex: 0,
  };
  const query = byId<HTMLInputElement>('wf-find').value;
  if (query.trim()) setQuery(query, false);
  else updateFindCount();
  draw(spanId(tree.focus));
}

function hideUnderNs(): number {
  const us = Number(byId<HTMLInputElement>('wf-hide').value);
  return Number.isFinite(us) && us > 0 ? us * 1000 : 0;
}

function wireControls(): void {
  if (wired) return;
  wired = true;
  const hide = byId<HTMLInputElement>('wf-hide');
  hide.value = String(DEFAULT_HIDE_UNDER_NS / 1000);
  hide.addEventListener('input', () => current && draw(null));
  const find = byId<HTMLInputElement>('wf-find');
  find.addEventListener('input', () => setQuery(find.value, true));
  find.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    step(event.shiftKey ? -1 : 1);
  });
  byId('wf-find-next').addEventListener('click', () => step(1));
  byId('wf-find-prev').addEventListener('click', () => step(-1));
  byId('waterfall').addEventListener('click', (event) => {
    const toggle = (event.target as Element).closest<HTMLElement>('.wf-toggle');
    const id = toggle?.dataset.rowId;
    if (!current || !id) return;
    const set = id.startsWith('f') ? current.expandedFolds : current.collapsed;
    if (!set.delete(id)) set.add(id);
    draw(id, true);
  });
}

function setQuery(query: string, jump: boolean): void {
  if (!current) return;
  current.matches = findInTrace(current.model, query);
  current.matchIndex = 0;
  if (jump) revealMatch();
  else updateFindCount();
}

function step(direction: number): void {
  if (!current || current.matches.length === 0) return;
  const n = current.matches.length;
  current.matchIndex = (current.matchIndex + direction + n) % n;
  revealMatch();
}

/** Opens the spans above the current match and draws it on its own row, scrolled to. */
function revealMatch(): void {
  updateFindCount();
  if (!current) return;
  const id = current.matches[current.matchIndex];
  if (id === undefined) {
    draw(null);
    return;
  }
  for (const above of ancestorSpans(current.model, id)) current.collapsed.delete(above);
  draw(id);
}

function updateFindCount(): void {
  const count = byId('wf-find-count');
  const query = byId<HTMLInputElement>('wf-find').value.trim();
  if (!current || !query) count.textContent = '';
  else if (current.matches.length === 0) count.textContent = 'no match';
  else count.textContent = `${current.matchIndex + 1} of ${current.matches.length}`;
}

/** Draws the visible rows; `anchorId` is scrolled into view (`keepPlace`: kept where it was on screen instead). */
function draw(anchorId: string | null, keepPlace = false): void {
  if (!current) return;
  const wf = byId('waterfall');
  const before = keepPlace && anchorId ? rowTop(wf, anchorId) : null;
  const { model, tree, matches, matchIndex } = current;
  const currentMatch = matches[matchIndex];
  const matchSet = new Set(matches);
  const rows = visibleRows(model, {
    collapsed: current.collapsed,
    expandedFolds: current.expandedFolds,
    hideUnderNs: hideUnderNs(),
    pinned: currentMatch === undefined ? undefined : new Set([currentMatch]),
  });
  const anchorAt = anchorId === null ? -1 : rows.findIndex((r) => r.id === anchorId);
  const first = anchorAt < MAX_WATERFALL_ROWS ? 0 : Math.max(0, anchorAt - Math.floor(MAX_WATERFALL_ROWS / 2));
  const shown = rows.slice(first, first + MAX_WATERFALL_ROWS);

  wf.replaceChildren(headRow(model.totalNs));
  if (first > 0) wf.append(el('div', 'wf-more', `${first} rows above not shown (find or open a span to move there)`));
  const focusId = spanId(tree.focus);
  for (const r of shown) {
    const row = drawRow(r, tree, model);
    if (r.id === focusId) row.classList.add('focus');
    if (matchSet.has(r.id) || (r.kind === 'fold' && r.calls.some((c) => matchSet.has(callId(r.node, c)))))
      row.classList.add('match');
    if (r.id === currentMatch) row.classList.add('current');
    wf.append(row);
  }
  const after = rows.length - first - shown.length;
  if (after > 0) wf.append(el('div', 'wf-more', `${after} more rows not shown`));
  if (tree.omittedSpans > 0)
    wf.append(el('div', 'wf-more', `${tree.omittedSpans} more spans of this trace not shown (the answer is capped)`));
  renderBandLegend(rows.some((r) => hasTimes(r, tree)));

  if (anchorId) {
    const top = rowTop(wf, anchorId);
    const head = wf.firstElementChild as HTMLElement;
    if (top !== null && before !== null) wf.scrollTop += top - before;
    else if (top !== null) wf.scrollTop = Math.max(0, top - head.offsetHeight - wf.clientHeight / 3);
  }
  countRender('waterfallRenders');
}

/** A row's top relative to the waterfall's visible area, null when it is not drawn. */
function rowTop(wf: HTMLElement, id: string): number | null {
  for (const child of wf.children) {
    const row = child as HTMLElement;
    if (row.dataset.rowId === id) return row.offsetTop - wf.scrollTop;
  }
  return null;
}

function hasTimes(r: WaterfallRow, tree: SpanTreeJson): boolean {
  const node = tree.nodes[r.node];
  if (r.kind === 'span') return node.span.times !== null;
  return r.kind === 'call' && node.syscalls[r.call].times !== null;
}

/** The sticky head: column titles and the time axis (offsets from the trace's earliest span). */
function headRow(totalNs: number): HTMLElement {
  const head = el('div', 'wf-row head');
  const axis = el('div', 'wf-axis');
  axis.title = 'Time since the earliest span of the trace started';
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const tick = el('span', '', fmtDuration(totalNs * f));
    tick.style.left = `${f * 100}%`;
    axis.append(tick);
  }
  const self = el('div', 'wf-dur', 'Self');
  self.title = "A span's duration minus the time its child spans cover";
  head.append(el('div', '', 'Span / system call'), axis, el('div', 'wf-dur', 'Duration'), self);
  return head;
}

function drawRow(r: WaterfallRow, tree: SpanTreeJson, model: TraceModel): HTMLElement {
  if (r.kind === 'omitted') {
    const more = el('div', 'wf-more', `${r.count} more system calls of this span not shown (the answer is capped)`);
    indent(more, r.depth);
    more.dataset.rowId = r.id;
    return more;
  }
  const row = el('div', `wf-row ${r.kind === 'call' ? 'syscall' : r.kind}`);
  row.setAttribute('role', 'row');
  row.dataset.rowId = r.id;
  if (r.critical) row.classList.add('critical');
  if (r.error) row.classList.add('failed');
  const label = el('div', 'wf-label');
  indent(label, r.depth);
  const pct = (ns: number) => Math.max(0, Math.min(100, (100 * ns) / model.totalNs));
  const track = el('div', 'wf-track');
  const bar = el('div', 'wf-bar');
  const place = (offset: number, width: number, text: string) => {
    bar.style.left = `${pct(offset)}%`;
    bar.style.width = `${Math.min(100 - pct(offset), pct(width))}%`;
    bar.title = text;
  };
  track.append(bar);
  let dur = '';
  let self = '';
  if (r.kind === 'span') {
    const node = tree.nodes[r.node];
    const s = node.span;
    label.append(toggle(r.id, r.hasChildren, !r.collapsed, s.name));
    const name = el('span', 'wf-name', s.name);
    label.append(name);
    const info = [`${s.service} [${s.pid}] tid ${s.tid}`];
    if (s.status === 'error') info.push(s.statusMessage ? `error: ${s.statusMessage}` : 'error');
    if (r.depth > MAX_INDENT_DEPTH) info.push(`depth ${r.depth}`);
    if (r.hiddenCalls > 0) info.push(`${r.hiddenCalls} short calls hidden (${fmtDuration(r.hiddenNs)})`);
    label.append(el('span', 'wf-info', info.join(' · ')));
    label.title = `${s.name} · ${info.join(' · ')}`;
    place(node.offsetNs, s.durationNs, `${fmtDuration(s.durationNs)} at +${fmtDuration(node.offsetNs)}`);
    dur = fmtDuration(s.durationNs);
    self = fmtDuration(r.selfNs);
    row.dataset.spanId = s.spanId;
    if (s.times) appendTimesBand(track, bar, spanBandParts(s.times), undefined);
  } else if (r.kind === 'fold') {
    const text =
      r.sameName !== null
        ? `${r.sameName} ×${r.count}`
        : `${r.count} short calls: ${r.names.join(', ')}${r.calls.length > r.names.length ? '…' : ''}`;
    label.append(toggle(r.id, true, r.expanded, text));
    label.append(el('span', 'wf-name', text));
    // a run of failed calls says how they failed: the errno must not hide inside the fold
    const info = `${r.errno !== null ? `failed: ${r.errno} · ` : ''}${fmtDuration(r.totalNs)} total`;
    label.append(el('span', 'wf-info', info));
    label.title = `${text} · ${info} · folded: open to see each call`;
    place(
      r.startNs,
      r.endNs - r.startNs,
      `${r.count} calls, ${fmtDuration(r.totalNs)} in all, over ${fmtDuration(r.endNs - r.startNs)}`,
    );
    dur = fmtDuration(r.totalNs);
  } else {
    const s = tree.nodes[r.node].syscalls[r.call];
    const name = s.name + (s.count > 1 ? ` ×${s.count}` : '');
    label.append(el('span', 'wf-toggle-space'), el('span', 'wf-name', name));
    const info = el('span', 'wf-info');
    const parts = syscallInfo(s);
    parts.forEach((p, i) => {
      if (i) info.append(document.createTextNode(' · '));
      const part = el('span', p.className ?? '', p.text);
      // the full value, when the ellipsis cuts it
      part.title = p.title ?? p.text;
      info.append(part);
    });
    label.append(info);
    label.title = `${name}: ${parts.map((p) => p.text).join(' · ')}`;
    place(
      s.offsetNs,
      Math.max(s.extentNs, s.durationNs),
      `${fmtDuration(s.durationNs)} at +${fmtDuration(s.offsetNs)}`,
    );
    dur = fmtDuration(s.durationNs);
    if (s.times) appendTimesBand(track, bar, syscallBandParts(s.times), s.times.sleep);
  }
  row.append(label, track, el('div', 'wf-dur', dur), el('div', 'wf-dur wf-self', self));
  return row;
}

/** The fold/unfold button of a span or a folded run (a placeholder keeps rows aligned when there is nothing to open). */
function toggle(id: string, enabled: boolean, open: boolean, what: string): HTMLElement {
  if (!enabled) return el('span', 'wf-toggle-space');
  const button = el('button', 'wf-toggle', open ? '▾' : '▸');
  button.type = 'button';
  button.dataset.rowId = id;
  button.setAttribute('aria-expanded', String(open));
  button.title = `${open ? 'Fold' : 'Unfold'} ${what}`;
  return button;
}

function indent(row: HTMLElement, depth: number): void {
  row.style.paddingLeft = `${Math.min(depth, MAX_INDENT_DEPTH) * 14}px`;
}

function syscallInfo(s: SyscallJson): { text: string; className?: string; title?: string }[] {
  const parts: { text: string; className?: string; title?: string }[] = [];
  const where = s.target || s.path || s.peer;
  if (where) parts.push({ text: where, className: 'path' });
  if (s.fd !== null && !where) parts.push({ text: `fd ${s.fd}` });
  if (s.bytes !== null) parts.push({ text: s.count > 1 ? `${fmtBytes(s.bytes)} in all` : fmtBytes(s.bytes) });
  // Calls that return addresses read better in hex.
  const address = s.ret > 0xffff && (s.name === 'mmap' || s.name === 'mremap' || s.name === 'brk');
  const ret = address ? `0x${s.ret.toString(16)}` : String(s.ret);
  if (s.errno) parts.push({ text: `failed: ${s.errno}`, className: 'errno' });
  else parts.push({ text: s.count > 1 ? `last returned ${ret}` : `returned ${ret}` });
  parts.push({ text: `tid ${s.tid}` });
  const attribution = attributionText(s.attribution);
  if (attribution) parts.push({ text: attribution.label, className: 'attribution', title: attribution.explain });
  if (s.unfinished) parts.push({ text: 'unfinished' });
  if (s.times && s.times.sleep !== 'none') parts.push({ text: SLEEP_LABELS[s.times.sleep] });
  return parts;
}

function appendTimesBand(track: HTMLElement, bar: HTMLElement, parts: TimePart[], sleep: SleepKind | undefined): void {
  track.classList.add('with-band');
  const band = el('div', 'wf-band');
  band.style.left = bar.style.left;
  band.style.width = bar.style.width;
  const total = parts.reduce((n, p) => n + p.ns, 0);
  fillStackedBar(band, parts, total);
  band.title =
    parts.map((p) => `${p.label} ${fmtDuration(p.ns)} (${fmtShare(p.ns, total)})`).join(' · ') +
    (sleep && sleep !== 'none' ? ` · ${SLEEP_LABELS[sleep]}` : '') +
    ` — ${BAND_NOTE}`;
  for (const seg of band.children) (seg as HTMLElement).title = band.title;
  track.append(band);
}

function renderBandLegend(any: boolean): void {
  const legend = byId('wf-legend');
  legend.replaceChildren();
  legend.hidden = !any;
  if (!any) return;
  for (const [key, text] of [
    ['onCpu', 'on CPU'],
    ['runqueue', 'run queue'],
    ['blocked', 'blocked / waiting'],
    ['loopBusy', 'loop busy with other spans'],
  ] as const) {
    const sw = el('span', 'swatch');
    sw.style.background = TIME_COLORS[key];
    legend.append(sw, el('span', 'legend-item', text));
  }
  legend.append(el('span', 'muted', `Thin band under each bar: its time split, ${BAND_NOTE}.`));
}
