// The page's state shared between its panels. One instance; the modules read and change it, main.ts wires them.

import type { ConfigJson, SpectrogramJson } from '../api-types.js';

/** A rectangle of spectrogram cells: a time window [fromMs, toMs) and the buckets b0..b1 (inclusive). */
export interface Selection {
  fromMs: number;
  toMs: number;
  b0: number;
  b1: number;
}

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

export interface FilterState {
  name: string;
  service: string;
  pid: string;
}

class AppState {
  /** set by main() before anything is drawn */
  config!: ConfigJson;
  spectro: SpectrogramJson | null = null;
  view: View | null = null;
  /** the right edge the user panned to; null follows the data (or the newest spans, live) */
  viewEndMs: number | null = null;
  filter: FilterState = { name: '', service: '', pid: '' };
  selection: Selection | null = null;
  live = false;
  /** the span list row whose detail is open */
  openRow: HTMLElement | null = null;
  /** '' for span latency, else the syscall whose calls the spectrogram and the selection show */
  mode = '';
}

export const state = new AppState();

export function filterParams(): { name: string; service: string; pid: string } {
  return { name: state.filter.name, service: state.filter.service, pid: state.filter.pid };
}
