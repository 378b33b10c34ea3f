// Durations as the command line writes them: `500us`, `2ms`, `1s`, `250ns`; a bare number is milliseconds.

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

/** Nanoseconds, or undefined when `raw` is not a non-negative duration. */
export function parseDuration(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)?$/.exec(raw);
  return m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']) : undefined;
}

/** `ns` in the largest unit that writes it exactly (`100ms`, `1500us`), parsed back by parseDuration. */
export function durationText(ns: number): string {
  for (const [unit, size] of [
    ['s', 1e9],
    ['ms', 1e6],
    ['us', 1e3],
  ] as const) {
    if (ns >= size && ns % size === 0) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}
