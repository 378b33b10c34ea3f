// Times of day and instants in the page's one time zone (local or UTC, the header's switch, kept in the URL).

import { fmtDateTime } from './format.js';
import { formatClock, zoneName, zoneOffsetLabel } from './time-zone.js';
import { urlState } from './url-state.js';

/** `14:03:07` (`14:03:07.042` with millis) of `ms` since the epoch, in the page's zone. */
export function clock(ms: number, withMillis = false): string {
  return formatClock(ms, urlState.tz, withMillis);
}

/** `2026-01-02 14:03:07.042 UTC+01:00` in the page's zone. */
export function dateTime(ms: number): string {
  return fmtDateTime(ms, urlState.tz);
}

/** Whether the browser's zone may be named yet: naming it (Intl) first loads ICU data, 100–250 ms in a fresh page,
 *  so the first screen shows the local zone by its offset and the name follows once the spectrogram is drawn. */
let zoneNamesAllowed = false;

export function allowZoneNames(): void {
  zoneNamesAllowed = true;
}

/** The zone as the header names it: `UTC`, or `Europe/Berlin, UTC+01:00` (`UTC+01:00` until allowZoneNames). */
export function zoneText(atMs: number = Date.now()): string {
  if (!zoneNamesAllowed && urlState.tz === 'local') return zoneOffsetLabel(atMs, 'local');
  return zoneName(atMs, urlState.tz);
}
