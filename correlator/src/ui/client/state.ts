// The page's state shared between its panels. One instance; the modules read and change it, main.ts wires them.

import type { ConfigJson, SpectrogramJson } from '../api-types.js';
import { view } from './view-state.js';

/** A rectangle of spectrogram cells: a time window [fromMs, toMs) and the buckets b0..b1 (inclusive). */
export interface Selection {
  fromMs: number;
  toMs: number;
  b0: number;
  b1: number;
}

export interface FilterState {
  name: string;
  service: string;
  pid: string;
}

class AppState {
  /** set by main() before anything is drawn */
  config!: ConfigJson;
  spectro: SpectrogramJson | null = null;
  filter: FilterState = { name: '', service: '', pid: '' };
  selection: Selection | null = null;
  live = false;
  /** the span list row whose detail is open */
  openRow: HTMLElement | null = null;
  /** '' for span latency, else the syscall whose calls the spectrogram and the selection show */
  mode = '';
}

export const state = new AppState();

/**
 * The parameters choosing the spans every panel counts. Calls in syscall mode are counted whichever span made
 * them, so the scope applies to spans only; `root` is the server's default and goes unsaid.
 */
export function filterParams(): { name: string; service: string; pid: string; scope?: string; filter: string } {
  const scope = state.mode || view.scope === 'root' ? undefined : view.scope;
  return { name: state.filter.name, service: state.filter.service, pid: state.filter.pid, scope, filter: view.filter };
}
