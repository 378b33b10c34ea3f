// The page's entry point (bundled into /app.js): loads the configuration, wires the controls to the panels and
// draws the first screen. Security rule for every module: see dom.ts (span data reaches the DOM as text only).

import { fetchConfig, fetchSpans } from './api.js';
import { byId } from './dom.js';
import { loadFacets, loadSyscallModes } from './facets.js';
import { initFilterBar, syncFilterBar } from './filter-bar.js';
import { renderList } from './list.js';
import { setLive } from './live.js';
import { guarded, loadStats } from './notices.js';
import { loadPercentiles } from './percentiles.js';
import { initSpectrogram, loadSpectrogram } from './spectrogram.js';
import { filterParams, state } from './state.js';

/** Pause after typing in the name box before the panels reload. */
const NAME_INPUT_DELAY_MS = 300;
/** Spans listed for a selection (slowest first). */
const SELECTION_LIMIT = 500;

async function loadSelection(): Promise<void> {
  const s = state.selection;
  if (!s) return;
  const buckets = state.config.buckets;
  const result = await fetchSpans({
    ...filterParams(),
    from: s.fromMs,
    to: s.toMs,
    minDuration: buckets[s.b0].lowNs,
    maxDuration: buckets[s.b1].highNs,
    order: 'slowest',
    limit: SELECTION_LIMIT,
    syscall: state.mode,
  });
  renderList(result, s);
  await loadPercentiles();
}

function onFilterChange(): void {
  state.filter = {
    name: byId<HTMLInputElement>('filter-name').value.trim(),
    service: byId<HTMLSelectElement>('filter-service').value,
    pid: byId<HTMLSelectElement>('filter-pid').value,
  };
  state.selection = null;
  byId('list-panel').hidden = true;
  guarded(loadSpectrogram)();
  guarded(loadPercentiles)();
}

/** A new scope or filter is in force (the spectrogram drew it): the selection no longer applies. */
function onScopeOrFilterApplied(): void {
  state.selection = null;
  byId('list-panel').hidden = true;
  guarded(loadPercentiles)();
}

async function main(): Promise<void> {
  state.config = await fetchConfig();
  initSpectrogram(guarded(loadSelection));
  initFilterBar(onScopeOrFilterApplied);
  let nameTimer: ReturnType<typeof setTimeout> | undefined;
  byId('filter-name').addEventListener('input', () => {
    clearTimeout(nameTimer);
    nameTimer = setTimeout(onFilterChange, NAME_INPUT_DELAY_MS);
  });
  byId('filter-service').addEventListener('change', onFilterChange);
  byId('filter-pid').addEventListener('change', onFilterChange);
  byId('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    onFilterChange();
  });
  const live = byId<HTMLInputElement>('live');
  live.addEventListener('change', () => setLive(live.checked));
  const mode = byId<HTMLSelectElement>('spectro-mode');
  mode.addEventListener('change', () => {
    state.mode = mode.value;
    syncFilterBar();
    onFilterChange();
  });
  await Promise.all([loadFacets(), loadStats(), loadSpectrogram(), loadPercentiles(), loadSyscallModes()]);
  if (state.config.live) setLive(true);
  document.body.dataset.ready = '1';
}

guarded(main)();
