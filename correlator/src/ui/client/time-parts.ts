// The parts of a span's (or call's) time the detail pane draws: labels, colours and ns of on CPU, run queue and
// off CPU by what it waited for (scheduler accounting). Pure (no DOM), unit-tested.

import type { SleepKind, SpanTimesJson, SyscallTimesJson, WaitKind } from '../api-types.js';

export type PartKey = WaitKind | 'onCpu' | 'runqueue' | 'blocked' | 'loopBusy' | 'asyncWait' | 'unaccounted';

export interface TimePart {
  key: PartKey;
  label: string;
  ns: number;
  color: string;
  /** the span that held the event loop longest (the `loopBusy` part only) */
  top?: { name: string; spanId: string; ns: number };
}

// Distinct from the waterfall's span bar (blue), system-call bar (orange) and error red, and from each other.
export const TIME_COLORS: Readonly<Record<PartKey, string>> = {
  onCpu: '#59c36a',
  runqueue: '#f0d35a',
  blocked: '#a77fe0',
  loopBusy: '#f055c8',
  asyncWait: '#4d7ea8',
  file: '#a77fe0',
  net: '#55bcc9',
  lock: '#ff9da7',
  sleep: '#a07e62',
  poll: '#7f8ee0',
  pagefault: '#cf6e4a',
  other: '#7a8190',
  unaccounted: '#3a404d',
};

export const WAIT_LABELS: Readonly<Record<WaitKind, string>> = {
  file: 'file I/O',
  net: 'network',
  lock: 'locks (futex)',
  sleep: 'sleep, timers',
  poll: 'poll (epoll, poll, select)',
  pagefault: 'page faults (outside system calls)',
  other: 'other waits',
};

export const SLEEP_LABELS: Readonly<Record<Exclude<SleepKind, 'none'>, string>> = {
  interruptible: 'slept interruptibly',
  uninterruptible: 'slept uninterruptibly (D)',
  both: 'slept interruptibly and uninterruptibly',
};

const WAIT_KINDS = Object.keys(WAIT_LABELS) as WaitKind[];

function part(key: PartKey, label: string, ns: number): TimePart {
  return { key, label, ns, color: TIME_COLORS[key] };
}

/** The parts of a span's duration, in the order the table lists them, then what no part accounts for. */
export function timeParts(t: SpanTimesJson, durationNs: number): TimePart[] {
  const loop = t.model === 'event-loop';
  const parts = [
    part('onCpu', loop ? 'on CPU (its own code)' : 'on CPU', t.onCpuNs),
    part('runqueue', 'run queue (runnable, waiting for a CPU)', t.runqueueNs),
  ];
  for (const kind of WAIT_KINDS) {
    if (t.blockedNs[kind] > 0) parts.push(part(kind, `blocked: ${WAIT_LABELS[kind]}`, t.blockedNs[kind]));
  }
  if (t.loopBusyOtherNs !== null) {
    const busy = part('loopBusy', `loop busy${t.loopBusyTop ? ` (${t.loopBusyTop.name})` : ''}`, t.loopBusyOtherNs);
    if (t.loopBusyTop) busy.top = t.loopBusyTop;
    parts.push(busy);
  }
  if (t.asyncWaitNs !== null) {
    parts.push(part('asyncWait', 'async wait (its timers, sockets, thread pool)', t.asyncWaitNs));
  }
  const rest = durationNs - parts.reduce((n, p) => n + p.ns, 0);
  if (rest > 0 && rest >= durationNs / 1000) parts.push(part('unaccounted', 'not accounted', rest));
  return parts;
}

/** The waterfall band of a span: on CPU / run queue / blocked (and, on an event loop, loop busy with others). */
export function spanBandParts(t: SpanTimesJson): TimePart[] {
  const blocked = Object.values(t.blockedNs).reduce((n, v) => n + v, 0) + (t.asyncWaitNs ?? 0);
  const parts = [
    part('onCpu', 'on CPU', t.onCpuNs),
    part('runqueue', 'run queue', t.runqueueNs),
    part('blocked', t.asyncWaitNs !== null ? 'blocked or async wait' : 'blocked', blocked),
  ];
  if (t.loopBusyOtherNs !== null) parts.push(part('loopBusy', 'loop busy with other spans', t.loopBusyOtherNs));
  return parts;
}

/** The waterfall band of a system call. */
export function syscallBandParts(t: SyscallTimesJson): TimePart[] {
  return [
    part('onCpu', 'on CPU', t.onCpuNs),
    part('runqueue', 'run queue', t.runqueueNs),
    part('blocked', 'blocked', t.blockedNs),
  ];
}
