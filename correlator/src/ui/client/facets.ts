// The header's filter choices (span names, services, processes in memory) and the spectrogram's syscall menu.

import { fetchFacets, fetchSyscallNames } from './api.js';
import { byId, fillSelect } from './dom.js';

/** Names offered in the span-name box: the most frequent first, enough to be useful, few enough to stay fast. */
const MAX_NAME_SUGGESTIONS = 500;
let lastFacetsMs = 0;

export async function loadFacets(): Promise<void> {
  const f = await fetchFacets();
  lastFacetsMs = Date.now();
  const names = byId('span-names');
  names.replaceChildren();
  for (const n of f.names.slice(0, MAX_NAME_SUGGESTIONS)) {
    const option = document.createElement('option');
    option.value = n.name;
    names.append(option);
  }
  fillSelect(
    byId<HTMLSelectElement>('filter-service'),
    f.services,
    (s) => s.service,
    (s) => `${s.service} (${s.count})`,
  );
  fillSelect(
    byId<HTMLSelectElement>('filter-pid'),
    f.processes,
    (p) => p.pid,
    (p) => `${p.exe} [${p.pid}] ${p.service} (${p.count})`,
  );
}

/** Milliseconds since the facets were last loaded (live mode reloads them every few seconds). */
export function facetsAgeMs(): number {
  return Date.now() - lastFacetsMs;
}

export async function loadSyscallModes(): Promise<void> {
  const r = await fetchSyscallNames();
  fillSelect(
    byId<HTMLSelectElement>('spectro-mode'),
    r.names,
    (n) => n.name,
    (n) => `${n.name} calls (${n.count})`,
  );
}
