// What the spectrogram shows and what every panel counts: the time range (or fitted to the data), the time zone,
// the span scope and the filter expression. One instance; the URL state reads and writes it.

import type { TimeRange } from './scales.js';
import type { TimeZoneMode } from './time-zone.js';

/** Which spans count: without a parent in their process (the requests), server spans, or every span. */
export type Scope = 'root' | 'server' | 'all';
export const SCOPES: readonly Scope[] = ['root', 'server', 'all'];

export interface ViewState {
  /** the time range asked of the server; null: fitted to the data matching scope and filter */
  range: TimeRange | null;
  /** live mode: the range keeps its width and its right edge follows the newest span */
  follow: boolean;
  zone: TimeZoneMode;
  scope: Scope;
  /** the filter expression in force ('' matches every span) */
  filter: string;
}

export const view: ViewState = { range: null, follow: false, zone: 'local', scope: 'root', filter: '' };
