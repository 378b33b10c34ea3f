// The page's state shared between its panels that is not in the URL (that part is url-state.ts). One instance;
// the modules read and change it, main.ts wires them.

import type { ConfigJson, SpectrogramJson } from '../api-types.js';
import { urlState } from './url-state.js';

export type { Selection } from './url-state.js';

class AppState {
  /** set by main() before anything is drawn */
  config!: ConfigJson;
  spectro: SpectrogramJson | null = null;
  live = false;
}

export const state = new AppState();

/** The query parameters of what is counted: the header filters, and scope and expression when set. */
export function filterParams(): Record<string, string> {
  const p: Record<string, string> = { name: urlState.name, service: urlState.service, pid: urlState.pid };
  // left out at their defaults, so the page also talks to a server without them; calls in syscall mode are
  // counted whichever span made them, so the scope applies to spans only
  if (urlState.scope !== 'root' && !urlState.mode) p.scope = urlState.scope;
  if (urlState.filter) p.filter = urlState.filter;
  return p;
}
