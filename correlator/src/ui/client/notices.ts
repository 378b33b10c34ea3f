// What the page tells the user about itself: request errors, the counters line in the header, the notice when
// older spans were dropped for memory, and the sentence on an empty spectrogram saying what to do.

import type { StatsJson } from '../api-types.js';
import { fetchStats } from './api.js';
import { byId } from './dom.js';
import { dropNotice } from './drop-notice.js';
import { emptySpectrogramText } from './empty-states.js';
import { state } from './state.js';
import { urlState } from './url-state.js';

let lastStats: StatsJson | null = null;

export function showError(err: unknown): void {
  const p = byId('error');
  p.textContent = err ? String(err instanceof Error ? err.message : err) : '';
  p.hidden = !err;
}

/** Runs `fn` (sync or async) and shows its failure in the error line, or clears the line on success. */
export function guarded<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => Promise<void> {
  return (...args: A) =>
    Promise.resolve()
      .then(() => fn(...args))
      .then(() => showError(null), showError);
}

export async function loadStats(): Promise<void> {
  const s = await fetchStats();
  lastStats = s;
  const parts = [`${s.store.spans} spans in memory`];
  if (s.store.evicted > 0) parts.push(`${s.store.evicted} older dropped`);
  parts.push(`${s.store.syscalls} syscall records`);
  if (s.correlator) {
    parts.push(`${s.correlator.events} events`);
    if (s.correlator.malformedMarkers) parts.push(`${s.correlator.malformedMarkers} malformed markers`);
    const drops = s.correlator.drops.syscall + s.correlator.drops.marker + s.correlator.drops.process;
    if (drops) parts.push(`${drops} probe drops`);
  }
  byId('stats').textContent = parts.join(' · ');
  renderDropNotice();
  // the spectrogram may have been drawn before the stats came
  updateEmptyState();
}

/** The dropped-spans notice in the page's time zone (redrawn when the zone changes). */
export function renderDropNotice(): void {
  const notice = lastStats ? dropNotice(lastStats.store, urlState.tz) : null;
  byId('drop-notice').hidden = notice === null;
  byId('drop-text').textContent = notice?.text ?? '';
  byId('drop-fix').textContent = notice?.fix ?? '';
}

/** Spans (or calls) the spectrogram counts: the server's total when it sends one, else the sum of its cells. */
function counted(): number {
  const sp = state.spectro;
  if (!sp) return 0;
  return sp.total ?? sp.cells.reduce((n, c) => n + c.n, 0);
}

/** Shows or hides the spectrogram's empty-state sentence (after the spectrogram or the stats were loaded). */
export function updateEmptyState(): void {
  if (!lastStats || !state.spectro) return;
  const text = emptySpectrogramText({
    spansInMemory: lastStats.store.spans,
    counted: counted(),
    live: state.config.live || state.live,
    mode: urlState.mode,
    scope: urlState.scope,
  });
  const box = byId('spectro-empty');
  box.textContent = text ?? '';
  box.hidden = text === null;
}
