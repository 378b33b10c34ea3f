// Live mode: server-sent events announce new spans; the page redraws at most once a second however fast they come.

import { byId } from './dom.js';
import { facetsAgeMs, loadFacets } from './facets.js';
import { guarded, loadStats, updateEmptyState } from './notices.js';
import { loadPercentiles } from './percentiles.js';
import { drawSpectrogram, loadSpectrogram } from './spectrogram.js';
import { state } from './state.js';
import { saveUrlState, urlState } from './url-state.js';

const REFRESH_MS = 1000;
const FACETS_REFRESH_MS = 5000;

let events: EventSource | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;

export function setLive(on: boolean): void {
  state.live = on;
  byId<HTMLInputElement>('live').checked = on;
  // live follows the newest spans: a fixed range would hide them
  urlState.from = null;
  urlState.to = null;
  saveUrlState('replace');
  if (on && !events) {
    events = new EventSource('/api/stream');
    events.addEventListener('spans', scheduleRefresh);
  } else if (!on && events) {
    events.close();
    events = null;
  }
  byId('pan-latest').hidden = !on;
  drawSpectrogram();
}

function scheduleRefresh(): void {
  if (refreshTimer) return;
  refreshTimer = setTimeout(
    guarded(async () => {
      refreshTimer = null;
      await loadSpectrogram();
      await loadPercentiles();
      await loadStats();
      updateEmptyState();
      if (facetsAgeMs() > FACETS_REFRESH_MS) await loadFacets();
    }),
    REFRESH_MS,
  );
}
