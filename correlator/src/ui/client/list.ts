// The span list: the spans of a selection (slowest first) or around a percentile; a row opens the span.

import type { SpanListItemJson, SpanListJson } from '../api-types.js';
import { openSpan } from './detail.js';
import { byId, countRender, el } from './dom.js';
import { argsText, fmtClock, fmtDuration, fmtStart } from './format.js';
import { guarded } from './notices.js';
import { type Selection, state } from './state.js';

export function renderList(result: SpanListJson, s: Selection): void {
  const buckets = state.config.buckets;
  const hi = buckets[s.b1].highNs;
  let summary =
    `${fmtClock(s.fromMs)}–${fmtClock(s.toMs)}, ${fmtDuration(buckets[s.b0].lowNs)}–` +
    `${hi === null ? '∞' : fmtDuration(hi)}: ${result.total}${result.total === 1 ? ' span' : ' spans'}` +
    `${result.returned < result.total ? ` (slowest ${result.returned} shown)` : ''}, slowest first`;
  if (state.mode) summary += ` (${result.calls} ${state.mode} calls in these durations; spans by their slowest call)`;
  byId('list-summary').textContent = summary;
  fillSpanList(result.spans);
}

export function fillSpanList(spans: readonly SpanListItemJson[]): void {
  const tbody = byId<HTMLTableElement>('span-list').tBodies[0];
  tbody.replaceChildren();
  for (const span of spans) {
    const tr = document.createElement('tr');
    tr.tabIndex = 0;
    tr.dataset.traceId = span.traceId;
    tr.dataset.spanId = span.spanId;
    // in syscall mode: the span's slowest call of that name beside its own duration
    const slowestCall = span.slowestCallNs !== undefined ? ` · ${state.mode} ${fmtDuration(span.slowestCallNs)}` : '';
    tr.append(
      el('td', 'name', span.name),
      el('td', '', `${span.service} [${span.pid}]`),
      el('td', '', fmtStart(span.startUs)),
      el('td', 'num', fmtDuration(span.durationNs) + slowestCall),
      el('td', span.status === 'error' ? 'status-error' : '', span.status + (span.incomplete ? ' (incomplete)' : '')),
      el('td', 'args', argsText(span.attributes)),
    );
    tr.title = span.name;
    const open = guarded(() => openSpan(span.traceId, span.spanId, tr));
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') open();
    });
    tbody.append(tr);
  }
  byId('list-panel').hidden = false;
  countRender('listRenders');
}
