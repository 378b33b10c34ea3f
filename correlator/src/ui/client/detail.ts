// The detail pane of one span: its meta data, where its time went, and the waterfall.

import type { SpanSummaryJson } from '../api-types.js';
import { fetchSpanDetail } from './api.js';
import { renderBreakdown, renderTimeBreakdown } from './breakdown.js';
import { dateTime } from './clock.js';
import { byId, el } from './dom.js';
import { fmtDuration } from './format.js';
import { markOpenRow } from './list.js';
import { guarded } from './notices.js';
import { state } from './state.js';
import { saveUrlState, urlState } from './url-state.js';
import { renderWaterfall } from './waterfall.js';

/** the span whose meta data is shown, for a redraw in another time zone */
let shown: SpanSummaryJson | null = null;

/**
 * Opens a span's detail and marks its row in the list. `history`: 'push' for a user's step (the URL gains an
 * entry Back returns from), 'none' when the URL already names it (a reload, a deep link, Back/Forward).
 */
/** Counts opens and closes: an answer that arrives after a later open or close (Back pressed twice quickly, two
 *  rows clicked in a row) is dropped rather than drawn over what the user asked for last. */
let detailRequests = 0;

export async function openSpan(traceId: string, spanId: string, history: 'push' | 'none' = 'push'): Promise<void> {
  const request = ++detailRequests;
  const d = await fetchSpanDetail(traceId, spanId);
  if (request !== detailRequests) return;
  // an open the URL asked for (reload, Back) is void once the URL names another span or none
  if (history === 'none' && (urlState.span?.traceId !== traceId || urlState.span.spanId !== spanId)) return;
  urlState.span = { traceId, spanId };
  if (history === 'push') saveUrlState('push');
  markOpenRow();
  const span = d.tree.nodes[d.tree.focus].span;
  byId('detail-title').textContent = span.name;
  const link = byId<HTMLAnchorElement>('jaeger-link');
  // Jaeger only holds the spans this nullspan exported to it; the URL is the server's, still checked here
  if (state.config.exported === true && d.jaegerUrl !== null && /^https?:\/\//.test(d.jaegerUrl)) {
    link.href = d.jaegerUrl;
    link.hidden = false;
  } else {
    link.removeAttribute('href');
    link.hidden = true;
  }
  const parent = byId<HTMLButtonElement>('detail-parent');
  parent.hidden = !d.parentRetained;
  const parentId = span.parentSpanId;
  parent.onclick = parentId === null ? null : guarded(() => openSpan(span.traceId, parentId));
  shown = span;
  renderMeta(span);
  renderTimeBreakdown(d.tree, (t, s) => openSpan(t, s));
  renderBreakdown(d.breakdown);
  renderWaterfall(d.tree);
  const panel = byId('detail-panel');
  panel.hidden = false;
  revealIfBelow(panel);
}

/** Closes the detail pane (the URL names no span any more). */
export function closeSpan(): void {
  detailRequests++;
  urlState.span = null;
  shown = null;
  byId('detail-panel').hidden = true;
  markOpenRow();
}

/** Redraws what shows a time, after the time zone changed. */
export function redrawDetailTimes(): void {
  if (shown) renderMeta(shown);
}

/** How much of the detail pane (its title and first lines) must show at the bottom of the window once opened. */
const REVEAL_PX = 160;

/**
 * Leaves the page where it is when the detail pane's start already shows (so the spectrogram and the list the user
 * clicked in stay put); else scrolls just enough to bring its title and first lines up from the bottom edge.
 */
function revealIfBelow(panel: HTMLElement): void {
  const below = panel.getBoundingClientRect().top - (window.innerHeight - REVEAL_PX);
  if (below > 0) window.scrollBy({ top: below });
}

function renderMeta(span: SpanSummaryJson): void {
  const dl = byId('detail-meta');
  dl.replaceChildren();
  const add = (term: string, value: string | number | boolean, className?: string) => {
    dl.append(el('dt', '', term), el('dd', className ?? '', String(value)));
  };
  add('Service', span.service);
  add('Process', `${span.exe} [${span.pid}], thread ${span.tid}`);
  add('Start', dateTime(span.startUs / 1000));
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
