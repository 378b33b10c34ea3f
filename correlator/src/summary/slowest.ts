// The slowest spans of one summary row, kept in a bounded min-heap by duration: a streaming pass cannot know the
// final p99 in advance, so it keeps the slowest `capacity` spans seen and, at the end, takes the slowest 1 % of
// the count from them. Exact while 1 % of the count fits the capacity; past it the section covers the slowest
// `capacity` spans and says so.

import type { SpanRecord, SyscallRecord } from '../model.js';
import { addTimes, spanTimesOf, type TimesTotals } from './times.js';

/** Spans kept per row for the "slowest 1 %" section: exact up to 100 × this many spans per row. */
export const SLOWEST_CAPACITY = 32;
/** (syscall, target) groups kept per slow span, the ones with the most time. */
export const GROUPS_PER_SPAN = 5;
/** Characters of a path or peer kept (the rest is cut and marked), so a row's bytes are bounded too. */
export const MAX_TARGET_CHARS = 128;

export interface SyscallGroup {
  name: string;
  /** path, socket peer or fd text; '' when the call had none */
  target: string;
  calls: number;
  totalNs: number;
}

/** What is kept of one slow span. */
export interface SlowSpan {
  traceId: string;
  spanId: string;
  durationNs: number;
  groups: SyscallGroup[];
  times?: TimesTotals;
}

export class SlowestSpans {
  /** min-heap on durationNs */
  private readonly heap: SlowSpan[] = [];

  constructor(private readonly capacity = SLOWEST_CAPACITY) {}

  add(span: SpanRecord, durationNs: number): void {
    if (this.heap.length >= this.capacity && durationNs <= this.heap[0].durationNs) return;
    const slow = digest(span, durationNs);
    if (this.heap.length < this.capacity) {
      this.heap.push(slow);
      this.siftUp(this.heap.length - 1);
    } else {
      this.heap[0] = slow;
      this.siftDown(0);
    }
  }

  /** The slowest `n` kept, slowest first. */
  slowest(n: number): SlowSpan[] {
    return [...this.heap].sort((a, b) => b.durationNs - a.durationNs).slice(0, n);
  }

  get size(): number {
    return this.heap.length;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].durationNs <= h[i].durationNs) return;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < h.length && h[l].durationNs < h[least].durationNs) least = l;
      if (r < h.length && h[r].durationNs < h[least].durationNs) least = r;
      if (least === i) return;
      [h[least], h[i]] = [h[i], h[least]];
      i = least;
    }
  }
}

export function syscallTarget(sc: SyscallRecord): string {
  const t =
    sc.target ??
    sc.path ??
    (sc.peerAddress !== undefined ? `${sc.peerAddress}:${sc.peerPort ?? 0}` : sc.fd !== undefined ? `fd ${sc.fd}` : '');
  return t.length > MAX_TARGET_CHARS ? cut(t, MAX_TARGET_CHARS) : t;
}

/** The first `max` characters and `...`, as a string of its own: a slice would keep the whole original alive (V8
 *  sliced strings reference their parent), and the bound is on what is held. ASCII dots keep an ASCII text one
 *  byte a character. */
export function cut(text: string, max: number): string {
  return JSON.parse(JSON.stringify(`${text.slice(0, max)}...`)) as string;
}

function digest(span: SpanRecord, durationNs: number): SlowSpan {
  const groups = new Map<string, SyscallGroup>();
  for (const sc of span.syscalls) {
    const target = syscallTarget(sc);
    const key = `${sc.name}\0${target}`;
    const g = groups.get(key);
    if (g) {
      g.calls += sc.count;
      g.totalNs += sc.dur;
    } else groups.set(key, { name: sc.name, target, calls: sc.count, totalNs: sc.dur });
  }
  const top = [...groups.values()].sort((a, b) => b.totalNs - a.totalNs).slice(0, GROUPS_PER_SPAN);
  const times = spanTimesOf(span);
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    durationNs,
    groups: top,
    ...(times ? { times: addTimes(undefined, times, durationNs) } : {}),
  };
}
