// Axis ticks and labels, without the DOM: wall-clock ticks at round steps in the chosen time zone (local or UTC),
// with the date where it changes, and duration ticks at the decades of the bucket grid.

import { formatClock, formatDate, offsetMinutes, type TimeZoneMode } from './time-zone.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Round steps a reader counts in: 1-2-5 below a second, then the clock's own divisions. */
const TIME_STEPS_MS = [
  ...[1, 2, 5, 10, 20, 50, 100, 200, 500],
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12].map((n) => n * HOUR),
  ...[1, 2, 7, 14, 28, 91].map((n) => n * DAY),
];

export interface TimeTick {
  ms: number;
  /** the clock, as precise as the step needs */
  label: string;
  /** YYYY-MM-DD on the first tick and wherever the day changes, else null */
  date: string | null;
}

/**
 * Ticks at the smallest round step that gives at most `maxTicks` in [fromMs, toMs), aligned to the zone's wall
 * clock (10:00, not 09:30 in a UTC+05:30 zone).
 */
export function timeTicks(fromMs: number, toMs: number, maxTicks: number, zone: TimeZoneMode): TimeTick[] {
  const width = Math.max(1, toMs - fromMs);
  const step = TIME_STEPS_MS.find((s) => width / s <= Math.max(1, maxTicks)) ?? TIME_STEPS_MS.at(-1)!;
  const offset = offsetMinutes(fromMs, zone) * MINUTE;
  const withMillis = step < SECOND;
  const clockOnly = step < MINUTE;
  const ticks: TimeTick[] = [];
  let previousDate: string | null = null;
  for (let t = Math.ceil((fromMs + offset) / step) * step - offset; t < toMs; t += step) {
    const date = formatDate(t, zone);
    const clock = formatClock(t, zone, withMillis);
    ticks.push({
      ms: t,
      label: step >= DAY ? date : clockOnly ? clock : clock.slice(0, 5),
      date: step < DAY && date !== previousDate ? date : null,
    });
    previousDate = date;
  }
  return ticks;
}

export interface DurationTick {
  /** the bucket boundary's index: bucket i spans boundaries i .. i+1 */
  boundary: number;
  ns: number;
  label: string;
}

/** "1 µs", "10 ms", "100 s": a decade boundary in the unit that keeps it a whole number. */
export function decadeLabel(ns: number): string {
  const units: [number, string][] = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
  ];
  for (const [size, unit] of units) if (ns >= size) return `${Math.round(ns / size)} ${unit}`;
  return `${Math.round(ns)} ns`;
}

/** A tick at every decade boundary of the bucket window lo..hi (its edges included: boundaries lo .. hi+1). */
export function durationTicks(
  window: { lo: number; hi: number },
  boundariesNs: readonly number[],
  perDecade: number,
): DurationTick[] {
  const ticks: DurationTick[] = [];
  for (let i = Math.ceil(window.lo / perDecade) * perDecade; i <= window.hi + 1; i += perDecade) {
    ticks.push({ boundary: i, ns: boundariesNs[i], label: decadeLabel(boundariesNs[i]) });
  }
  return ticks;
}
