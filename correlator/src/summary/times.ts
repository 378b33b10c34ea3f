// The time breakdown of slow spans (`SpanRecord.times`, when the correlator computed one), added up over the
// slowest spans of a summary row. Read structurally: a span without it simply adds nothing here.

import type { SpanRecord } from '../model.js';

export const WAIT_KINDS = ['file', 'net', 'lock', 'sleep', 'poll', 'pagefault', 'other'] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

/** The part of a span's time breakdown a summary uses (the correlator's SpanTimes has this shape). */
export interface SpanTimesView {
  onCpu: number;
  runqueue: number;
  blocked: Partial<Record<WaitKind, number>>;
  majorFaults: number;
  loopBusyOther?: number;
  loopBusyTop?: { name: string; spanId: string; ns: number };
  asyncWait?: number;
}

/** Sums over spans; `loopBusyBy` is the loop time other spans held, by the name of the span that held it longest. */
export interface TimesTotals {
  spans: number;
  durationNs: number;
  onCpu: number;
  runqueue: number;
  blocked: Record<WaitKind, number>;
  majorFaults: number;
  loopBusyOther: number;
  asyncWait: number;
  loopBusyBy: Record<string, number>;
}

/** Names of loop-holding spans kept per total (the largest win). */
const MAX_LOOP_HOLDERS = 8;

export function spanTimesOf(span: SpanRecord): SpanTimesView | undefined {
  const t = (span as SpanRecord & { times?: SpanTimesView }).times;
  return t && typeof t === 'object' ? t : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

function emptyTotals(): TimesTotals {
  const blocked = {} as Record<WaitKind, number>;
  for (const k of WAIT_KINDS) blocked[k] = 0;
  return {
    spans: 0,
    durationNs: 0,
    onCpu: 0,
    runqueue: 0,
    blocked,
    majorFaults: 0,
    loopBusyOther: 0,
    asyncWait: 0,
    loopBusyBy: Object.create(null) as Record<string, number>,
  };
}

/** `into` plus one span's breakdown (a new total when `into` is undefined). */
export function addTimes(into: TimesTotals | undefined, t: SpanTimesView, durationNs = 0): TimesTotals {
  const out = into ?? emptyTotals();
  out.spans++;
  out.durationNs += durationNs;
  out.onCpu += num(t.onCpu);
  out.runqueue += num(t.runqueue);
  for (const k of WAIT_KINDS) out.blocked[k] += num(t.blocked?.[k]);
  out.majorFaults += num(t.majorFaults);
  out.loopBusyOther += num(t.loopBusyOther);
  out.asyncWait += num(t.asyncWait);
  const top = t.loopBusyTop;
  if (top && typeof top.name === 'string') out.loopBusyBy[top.name] = (out.loopBusyBy[top.name] ?? 0) + num(top.ns);
  trimHolders(out.loopBusyBy);
  return out;
}

/** Adds one total into another. */
export function mergeTimes(into: TimesTotals | undefined, t: TimesTotals): TimesTotals {
  const out = into ?? emptyTotals();
  out.spans += t.spans;
  out.durationNs += t.durationNs;
  out.onCpu += t.onCpu;
  out.runqueue += t.runqueue;
  for (const k of WAIT_KINDS) out.blocked[k] += t.blocked[k];
  out.majorFaults += t.majorFaults;
  out.loopBusyOther += t.loopBusyOther;
  out.asyncWait += t.asyncWait;
  for (const [name, ns] of Object.entries(t.loopBusyBy)) out.loopBusyBy[name] = (out.loopBusyBy[name] ?? 0) + ns;
  trimHolders(out.loopBusyBy);
  return out;
}

function trimHolders(by: Record<string, number>): void {
  const names = Object.keys(by);
  if (names.length <= MAX_LOOP_HOLDERS) return;
  names.sort((a, b) => by[b] - by[a]);
  for (const name of names.slice(MAX_LOOP_HOLDERS)) delete by[name];
}
