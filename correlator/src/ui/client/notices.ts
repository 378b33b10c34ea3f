// What the page tells the user about itself: request errors, and the counters line in the header.

import { fetchStats } from './api.js';
import { byId } from './dom.js';

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
}
