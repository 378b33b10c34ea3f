// The page's entry point (bundled into /app.js): loads the configuration, wires the controls to the panels, and
// draws the view the URL describes (url-state.ts) — on load, and again on Back/Forward. Security rule for every
// module: see dom.ts (span data reaches the DOM as text only).

import { fetchConfig, fetchSpans } from './api.js';
import { allowZoneNames } from './clock.js';
import { closeSpan, openSpan } from './detail.js';
import { byId, setSelectValue } from './dom.js';
import { loadFacets, loadSyscallModes } from './facets.js';
import { initFilterBar, syncFilterBar } from './filter-bar.js';
import { initList, onOpenRow, renderList } from './list.js';
import { setLive } from './live.js';
import { guarded, loadStats, showError, updateEmptyState } from './notices.js';
import { loadPercentiles } from './percentiles.js';
import { initSpectrogram, loadSpectrogram } from './spectrogram.js';
import { filterParams, state } from './state.js';
import { readUrlState, saveUrlState, urlState } from './url-state.js';
import { initZoneSwitch, redrawTimes } from './zone-switch.js';

/** Pause after typing in the name box before the panels reload. */
const NAME_INPUT_DELAY_MS = 300;
/** Spans listed for a selection (slowest first). */
const SELECTION_LIMIT = 500;

async function loadSelection(): Promise<void> {
  const s = urlState.sel;
  if (!s) {
    byId('list-panel').hidden = true;
    return;
  }
  const buckets = state.config.buckets;
  const result = await fetchSpans({
    ...filterParams(),
    from: s.fromMs,
    to: s.toMs,
    minDuration: buckets[s.b0].lowNs,
    maxDuration: buckets[s.b1].highNs,
    order: 'slowest',
    limit: SELECTION_LIMIT,
    syscall: urlState.mode,
  });
  renderList(result, s);
  await loadPercentiles();
}

/** The URL's state, with a selection of buckets this server does not have dropped. */
function readUrl(): void {
  readUrlState();
  if (urlState.sel && urlState.sel.b1 >= state.config.buckets.length) urlState.sel = null;
}

async function loadSpectrogramAndNotices(): Promise<void> {
  await loadSpectrogram();
  updateEmptyState();
}

/** Reads the header's filters into the URL state; the selection no longer applies. */
function onFilterChange(how: 'push' | 'replace'): void {
  urlState.name = byId<HTMLInputElement>('filter-name').value.trim();
  urlState.service = byId<HTMLSelectElement>('filter-service').value;
  urlState.pid = byId<HTMLSelectElement>('filter-pid').value;
  urlState.mode = byId<HTMLSelectElement>('spectro-mode').value;
  urlState.sel = null;
  saveUrlState(how);
  byId('list-panel').hidden = true;
  guarded(loadSpectrogramAndNotices)();
  guarded(loadPercentiles)();
}

/** Sets the header's inputs to the URL state (their options are loaded by then). */
function showFilters(): void {
  byId<HTMLInputElement>('filter-name').value = urlState.name;
  setSelectValue(byId<HTMLSelectElement>('filter-service'), urlState.service);
  setSelectValue(byId<HTMLSelectElement>('filter-pid'), urlState.pid);
  setSelectValue(byId<HTMLSelectElement>('spectro-mode'), urlState.mode);
  syncFilterBar();
}

/** A new scope or filter is in force (the spectrogram drew it): the selection no longer applies. */
function onScopeOrFilterApplied(): void {
  urlState.sel = null;
  saveUrlState('push');
  byId('list-panel').hidden = true;
  updateEmptyState();
  guarded(loadPercentiles)();
}

/** Counts showUrlState calls: Back pressed twice quickly must not let the first one reopen a span after the second. */
let urlStateShown = 0;

/** Draws the view the URL state describes: filters, spectrogram, selection and its list, the open span. */
async function showUrlState(): Promise<void> {
  const shown = ++urlStateShown;
  showFilters();
  // the requests go out before the page's own drawing work (the canvas's first set-up takes ~100 ms in a fresh
  // page): the server answers meanwhile
  redrawTimes();
  await Promise.all([loadSpectrogramAndNotices(), urlState.sel ? loadSelection() : loadPercentiles()]);
  if (shown !== urlStateShown) return;
  if (!urlState.sel) byId('list-panel').hidden = true;
  const span = urlState.span;
  if (span) await guarded(() => openSpan(span.traceId, span.spanId, 'none'))();
  else closeSpan();
}

function wireControls(): void {
  let nameTimer: ReturnType<typeof setTimeout> | undefined;
  byId('filter-name').addEventListener('input', () => {
    clearTimeout(nameTimer);
    nameTimer = setTimeout(() => onFilterChange('replace'), NAME_INPUT_DELAY_MS);
  });
  byId('filter-service').addEventListener('change', () => onFilterChange('push'));
  byId('filter-pid').addEventListener('change', () => onFilterChange('push'));
  byId('spectro-mode').addEventListener('change', () => {
    onFilterChange('push');
    syncFilterBar();
  });
  byId('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    onFilterChange('push');
  });
  const live = byId<HTMLInputElement>('live');
  live.addEventListener('change', () => setLive(live.checked));
}

async function main(): Promise<void> {
  state.config = await fetchConfig();
  readUrl();
  initSpectrogram(
    () => {
      saveUrlState('push');
      guarded(loadSelection)();
    },
    () => saveUrlState('replace'),
  );
  initFilterBar(onScopeOrFilterApplied);
  initList();
  onOpenRow((traceId, spanId) => guarded(() => openSpan(traceId, spanId))());
  initZoneSwitch();
  wireControls();
  // the spectrogram does not wait for the menus (the syscall list sums every retained call): each fills in as its
  // answer comes, keeping the value the URL put in it
  await Promise.all([showUrlState(), loadFacets(), loadStats(), loadSyscallModes()]);
  allowZoneNames();
  redrawTimes();
  // a live session follows the newest spans, unless the link asked for a fixed range
  if (state.config.live && urlState.to === null) setLive(true);
  window.addEventListener('popstate', () => {
    readUrl();
    guarded(showUrlState)();
  });
  document.body.dataset.ready = '1';
}

// not guarded: its success must not clear an error shown while it ran (a linked span no longer in memory)
main().catch(showError);
