// The span list: the spans of a selection (slowest first) or around a percentile. A row opens the span (click or
// Enter); ↑/↓ (and Home/End) move between rows; the open span's row is marked.

import type { SpanListItemJson, SpanListJson } from '../api-types.js';
import { clock } from './clock.js';
import { byId, countRender, el } from './dom.js';
import { argsText, fmtDuration } from './format.js';
import { type Selection, state } from './state.js';
import { urlState } from './url-state.js';

/** Opens a row's span (detail.ts's openSpan, set by main.ts: the detail imports this module). */
let openRow: (traceId: string, spanId: string) => void = () => {};
/** redraws the current list (after the time zone changed) */
let redraw: () => void = () => {};

export function onOpenRow(open: (traceId: string, spanId: string) => void): void {
  openRow = open;
}

/** The spans of a selection, or the sentence saying there are none and what to try. */
export function renderList(result: SpanListJson, s: Selection): void {
  redraw = () => renderList(result, s);
  const buckets = state.config.buckets;
  const hi = buckets[s.b1].highNs;
  let summary =
    `${clock(s.fromMs)}–${clock(s.toMs)}, ${fmtDuration(buckets[s.b0].lowNs)}–` +
    `${hi === null ? '∞' : fmtDuration(hi)}: ${result.total}${result.total === 1 ? ' span' : ' spans'}` +
    `${result.returned < result.total ? ` (slowest ${result.returned} shown)` : ''}, slowest first`;
  if (urlState.mode) {
    summary += ` (${result.calls} ${urlState.mode} calls in these durations; spans by their slowest call)`;
  }
  byId('list-summary').textContent = summary;
  const what = urlState.mode ? `${urlState.mode} calls` : 'spans';
  fillRows(
    result.spans,
    `No ${what} in this selection. Drag over lit cells of the spectrogram, or take in more durations or a longer ` +
      'time; the filter and scope above also decide what is counted.',
  );
}

/** Spans listed around a percentile (the summary line is the caller's). */
export function fillSpanList(spans: readonly SpanListItemJson[]): void {
  const summary = byId('list-summary').textContent;
  redraw = () => {
    byId('list-summary').textContent = summary;
    fillSpanList(spans);
  };
  fillRows(spans, 'No spans of that name in memory any more.');
}

function fillRows(spans: readonly SpanListItemJson[], emptyText: string): void {
  const tbody = byId<HTMLTableElement>('span-list').tBodies[0];
  tbody.replaceChildren();
  for (const span of spans) {
    const tr = document.createElement('tr');
    tr.tabIndex = 0;
    tr.dataset.traceId = span.traceId;
    tr.dataset.spanId = span.spanId;
    // in syscall mode: the span's slowest call of that name beside its own duration
    const slowestCall =
      span.slowestCallNs !== undefined ? ` · ${urlState.mode} ${fmtDuration(span.slowestCallNs)}` : '';
    tr.append(
      el('td', 'name', span.name),
      el('td', '', `${span.service} [${span.pid}]`),
      el('td', '', clock(span.startUs / 1000, true)),
      el('td', 'num', fmtDuration(span.durationNs) + slowestCall),
      el('td', span.status === 'error' ? 'status-error' : '', span.status + (span.incomplete ? ' (incomplete)' : '')),
      el('td', 'args', argsText(span.attributes)),
    );
    tr.title = span.name;
    tbody.append(tr);
  }
  const empty = byId('list-empty');
  empty.textContent = emptyText;
  empty.hidden = spans.length > 0;
  byId('list-panel').hidden = false;
  markOpenRow();
  countRender('listRenders');
}

/** Marks the row of the open span (urlState.span), if the list holds it. */
export function markOpenRow(): void {
  const open = urlState.span;
  for (const tr of byId<HTMLTableElement>('span-list').tBodies[0].rows) {
    const isOpen = open !== null && tr.dataset.traceId === open.traceId && tr.dataset.spanId === open.spanId;
    tr.classList.toggle('open', isOpen);
    if (isOpen) tr.setAttribute('aria-current', 'true');
    else tr.removeAttribute('aria-current');
  }
}

export function redrawListTimes(): void {
  redraw();
}

function rowOf(target: EventTarget | null): HTMLTableRowElement | null {
  return target instanceof Element ? target.closest('#span-list tbody tr') : null;
}

/** Click and keys on the list's rows (one listener on the body: rows come and go). */
export function initList(): void {
  const tbody = byId<HTMLTableElement>('span-list').tBodies[0];
  const open = (tr: HTMLTableRowElement) => {
    const { traceId, spanId } = tr.dataset;
    if (traceId && spanId) openRow(traceId, spanId);
  };
  tbody.addEventListener('click', (e) => {
    const tr = rowOf(e.target);
    if (tr) open(tr);
  });
  tbody.addEventListener('keydown', (e) => {
    const tr = rowOf(e.target);
    if (!tr) return;
    const rows = tbody.rows;
    let next: HTMLTableRowElement | null | undefined = null;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(tr);
      return;
    }
    if (e.key === 'ArrowDown') next = tr.nextElementSibling as HTMLTableRowElement | null;
    else if (e.key === 'ArrowUp') next = tr.previousElementSibling as HTMLTableRowElement | null;
    else if (e.key === 'Home') next = rows[0];
    else if (e.key === 'End') next = rows[rows.length - 1];
    else return;
    e.preventDefault(); // the arrow keys move between rows, not the page
    next?.focus();
  });
}
