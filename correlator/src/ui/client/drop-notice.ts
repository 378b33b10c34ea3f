// The notice shown when the UI's store dropped older spans to stay within its memory limits: how many, which limit
// did it, what is still in memory, and the option that keeps more. Pure (text only), unit-tested.

import type { StoreStatsJson } from '../api-types.js';
import { fmtBytes, fmtDateTime } from './format.js';
import { formatClock, type TimeZoneMode } from './time-zone.js';

type Limit = 'spans' | 'syscalls' | 'textBytes';

const MIB = 1024 * 1024;

/** A limit counts as hit when the store is this close to it (it evicts as soon as it would pass it). */
const NEAR_LIMIT = 0.9;

/** The limits that caused the evictions: the store's own counts when it has them, else the ones it sits at. */
function limitsHit(s: StoreStatsJson): Limit[] {
  if (s.evictedBy) {
    const by = s.evictedBy;
    return (['spans', 'syscalls', 'textBytes'] as const).filter((k) => by[k] > 0);
  }
  const near: Limit[] = [];
  if (s.spans >= s.maxSpans * NEAR_LIMIT) near.push('spans');
  if (s.syscalls >= s.maxSyscalls * NEAR_LIMIT) near.push('syscalls');
  if (s.textBytes >= s.maxTextBytes * NEAR_LIMIT) near.push('textBytes');
  return near.length ? near : ['spans'];
}

/** A round value comfortably above `n`: two significant digits, rounded up. */
export function roomFor(n: number): number {
  if (n <= 10) return Math.ceil(n);
  const unit = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.ceil(n / unit) * unit;
}

function option(limit: Limit, s: StoreStatsJson): string {
  // what the dropped spans would have needed too, scaled from what the kept ones hold
  const scale = (s.spans + s.evicted) / Math.max(1, s.spans);
  if (limit === 'spans') return `--ui-max-spans ${roomFor(s.spans + s.evicted)}`;
  if (limit === 'syscalls') return `--ui-max-syscalls ${roomFor(s.syscalls * scale)}`;
  // the option takes whole units (64M), not the 1.5 MiB the page shows
  return `--ui-max-text-bytes ${roomFor(Math.ceil((s.textBytes * scale) / MIB))}M`;
}

const LIMIT_TEXT: Record<Limit, (s: StoreStatsJson) => string> = {
  spans: (s) => `the span limit (${s.maxSpans} spans)`,
  syscalls: (s) => `the system-call limit (${s.maxSyscalls} records)`,
  textBytes: (s) => `the text limit (${fmtBytes(s.maxTextBytes)})`,
};

export interface DropNotice {
  /** what happened and what is left */
  text: string;
  /** the command-line options that would have kept every span */
  fix: string;
}

/** The notice for the store's counters, or null when nothing was dropped. */
export function dropNotice(s: StoreStatsJson, zone: TimeZoneMode): DropNotice | null {
  if (s.evicted <= 0) return null;
  const limits = limitsHit(s);
  const kept =
    s.oldestStartUs !== null && s.newestStartUs !== null
      ? ` Memory now holds the ${s.spans} spans that started from ${fmtDateTime(s.oldestStartUs / 1000, zone)} to ` +
        `${formatClock(s.newestStartUs / 1000, zone, true)}.`
      : '';
  return {
    text:
      `${s.evicted} older ${s.evicted === 1 ? 'span was' : 'spans were'} dropped to stay within ` +
      `${limits.map((l) => LIMIT_TEXT[l](s)).join(' and ')}.${kept}`,
    fix: `To keep them, start nullspan again with ${limits.map((l) => option(l, s)).join(' ')}.`,
  };
}
