// The one-line time breakdown `--print` shows under a span: `on-cpu 12 ms · runq 3 ms · file 20 ms · loop busy
// (GET /heavy) 90 ms`, the parts that are not zero, largest first (correlator/README.md "Time breakdown").
import type { SpanTimes, WaitKind } from '../model.js';
import { WAIT_KINDS } from '../times/wait-kind.js';
import { sanitize } from './terminal-text.js';

/** Parts below this are clock noise, not something to read. */
const SHOWN_FROM_NS = 1000;
const MAX_NAME = 60;

const LABEL: Record<WaitKind, string> = {
  file: 'file',
  net: 'net',
  lock: 'lock',
  sleep: 'sleep',
  poll: 'poll',
  pagefault: 'page faults',
  other: 'other wait',
};

/** A duration as people read it in a summary: `90 ms`, `4.2 ms`, `310 µs`, `1.25 s`. */
export function roundDuration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e7) return `${Math.round(ns / 1e6)} ms`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e3) return `${Math.round(ns / 1e3)} µs`;
  return `${Math.round(ns)} ns`;
}

/** `label duration` for each part worth a mention, in the order given. */
function shownParts(parts: [string, number][], separator: string): string {
  return parts
    .filter(([, ns]) => ns >= SHOWN_FROM_NS)
    .map(([label, ns]) => `${label} ${roundDuration(ns)}`)
    .join(separator);
}

export function timeSummary(t: SpanTimes): string {
  const parts: [string, number][] = [
    ['on-cpu', t.onCpu],
    ['runq', t.runqueue],
  ];
  for (const k of WAIT_KINDS) parts.push([LABEL[k], t.blocked[k]]);
  if (t.loopBusyOther !== undefined) {
    const top = t.loopBusyTop;
    const name = top === undefined ? '' : sanitize(top.name);
    const label =
      top === undefined
        ? 'loop busy'
        : `loop busy (${name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name})`;
    parts.push([label, t.loopBusyOther]);
  }
  if (t.asyncWait !== undefined) parts.push(['async wait', t.asyncWait]);
  let text = shownParts(
    parts.sort((a, b) => b[1] - a[1]),
    ' · ',
  );
  const w = t.worker;
  if (w !== undefined && w.onCpu + w.runqueue + w.blocked >= SHOWN_FROM_NS) {
    const workers = shownParts(
      [
        ['on-cpu', w.onCpu],
        ['runq', w.runqueue],
        ['blocked', w.blocked],
      ],
      ', ',
    );
    text += ` (workers: ${workers})`;
  }
  if (t.majorFaults > 0) text += ` · ${t.majorFaults} major faults`;
  return text;
}
