// The page's state shared between its panels that is not in the URL (that part is url-state.ts). One instance;
// the modules read and change it, main.ts wires them.

import type { ConfigJson, SpectrogramJson } from '../api-types.js';
import { urlState } from './url-state.js';

export type { Selection } from './url-state.js';

/** The spectrogram's grid as last drawn: its time range, columns and pixel geometry. */
export interface View {
  start: number;
  end: number;
  columns: number;
  colMs: number;
  plotW: number;
  plotH: number;
  colW: number;
  rowH: number;
}

class AppState {
  /** set by main() before anything is drawn */
  config!: ConfigJson;
  spectro: SpectrogramJson | null = null;
  view: View | null = null;
  live = false;
}

export const state = new AppState();

/** The query parameters of what is counted: the header filters, and scope and expression when set. */
export function filterParams(): Record<string, string> {
  const p: Record<string, string> = { name: urlState.name, service: urlState.service, pid: urlState.pid };
  // left out at their defaults, so the page also talks to a server without them
  if (urlState.scope !== 'root') p.scope = urlState.scope;
  if (urlState.filter) p.filter = urlState.filter;
  return p;
}
