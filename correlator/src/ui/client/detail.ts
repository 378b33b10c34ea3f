// The detail pane of one span: its meta data, where its time went, and the waterfall.

import type { SpanSummaryJson } from '../api-types.js';
import { fetchSpanDetail } from './api.js';
import { renderBreakdown, renderTimeBreakdown } from './breakdown.js';
import { byId, el } from './dom.js';
import { fmtDuration, fmtIso } from './format.js';
import { guarded } from './notices.js';
import { state } from './state.js';
import { renderWaterfall } from './waterfall.js';

/** Opens a span's detail; `row` is the list row it was opened from (marked open), if any. */
export async function openSpan(traceId: string, spanId: string, row: HTMLElement | null = null): Promise<void> {
  const d = await fetchSpanDetail(traceId, spanId);
  state.openRow?.classList.remove('open');
  state.openRow = row;
  row?.classList.add('open');
  const span = d.tree.nodes[d.tree.focus].span;
  byId('detail-title').textContent = span.name;
  const link = byId<HTMLAnchorElement>('jaeger-link');
  if (d.jaegerUrl !== null && /^https?:\/\//.test(d.jaegerUrl)) {
    link.href = d.jaegerUrl;
    link.hidden = false;
  } else link.hidden = true;
  const parent = byId<HTMLButtonElement>('detail-parent');
  parent.hidden = !d.parentRetained;
  const parentId = span.parentSpanId;
  parent.onclick = parentId === null ? null : guarded(() => openSpan(span.traceId, parentId));
  renderMeta(span);
  renderTimeBreakdown(d.tree, openSpan);
  renderBreakdown(d.breakdown);
  renderWaterfall(d.tree);
  byId('detail-panel').hidden = false;
  byId('detail-panel').scrollIntoView({ block: 'start' });
}

function renderMeta(span: SpanSummaryJson): void {
  const dl = byId('detail-meta');
  dl.replaceChildren();
  const add = (term: string, value: string | number | boolean, className?: string) => {
    dl.append(el('dt', '', term), el('dd', className ?? '', String(value)));
  };
  add('Service', span.service);
  add('Process', `${span.exe} [${span.pid}], thread ${span.tid}`);
  add('Start', fmtIso(span.startUs));
  add('Duration', fmtDuration(span.durationNs));
  add(
    'Status',
    span.status + (span.statusMessage ? `: ${span.statusMessage}` : ''),
    span.status === 'error' ? 'status-error' : '',
  );
  add('Kind', span.kind);
  add('Trace id', span.traceId);
  add('Span id', span.spanId);
  if (span.incomplete) add('Incomplete', span.incomplete, 'status-error');
  for (const [k, v] of Object.entries(span.attributes)) add(`arg ${k}`, v);
}
