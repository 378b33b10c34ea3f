// Where each span's wall time went (correlator/README.md "Time breakdown"), from the probe's scheduler
// accounting: MarkerEvent.times (the writer's cumulative totals) and SyscallEvent.times (each call's split and
// the gap before it). Threads with an active-span slot (Node's event loop) get the event-loop model, every other
// thread the thread model. Nothing here runs for events without times (a probe without scheduler accounting).
import type { MarkerEvent, SyscallEvent, WaitKind } from '@nullspan/probe';
import type { CorrelatorStats, SpanTimes } from '../model.js';
import type { OpenSpan, SpanTable } from '../spans.js';
import type { ThreadState } from '../state/proctable.js';
import { SPAN_TIMES_BYTES } from '../span-bytes.js';
import { LoopThread } from './loop-thread.js';
import { SpanTiming } from './span-timing.js';
import { threadBreakdown } from './thread-breakdown.js';
import { waitKindOf } from './wait-kind.js';
import type { FdDesc } from '../state/fdtable.js';

export class TimeBreakdown {
  /** threads that published an active-span slot: the event loops */
  private readonly loops = new WeakMap<ThreadState<OpenSpan>, LoopThread>();

  constructor(
    private readonly spans: SpanTable,
    private readonly stats: CorrelatorStats,
  ) {}

  /** The thread registered an active-span slot: its spans take the event-loop model. */
  slot(thread: ThreadState<OpenSpan>): void {
    this.loopOf(thread);
  }

  /** Every system call with times, the writes that carried markers included (their gap is someone's loop time);
   * `desc` is what its fd refers to. */
  syscall(ev: SyscallEvent, thread: ThreadState<OpenSpan>, desc: FdDesc | undefined): void {
    const t = ev.times;
    if (t == null || ev.ctxSource === 'none') return;
    let span: OpenSpan | undefined;
    if (ev.ctxSpan > 0) {
      span = this.spans.findById(thread.proc, ev.ctxSpan);
      if (span?.closed) span = undefined;
    }
    if (ev.ctxSource === 'submitter') {
      if (span !== undefined) this.timingOf(span, ev.ts).addWorker(t);
      return;
    }
    const timing = span === undefined ? null : this.timingOf(span, ev.ts);
    const share = this.loopOf(thread).call(ev.ts, ev.dur, t, timing);
    // the loop ran a span of another thread (a hostile or stale slot): busy for this loop, nobody's own time
    if (timing !== null && span?.record.tid === ev.tid) {
      timing.addOwn(t, share, waitKindOf(ev.name, desc, ev.path !== null));
    }
  }

  /** A span began at marker `ev`. */
  entered(span: OpenSpan, ev: MarkerEvent): void {
    if (ev.times != null || (span.thread !== null && this.loops.has(span.thread))) this.timingOf(span, ev.ts, ev);
  }

  /** Sets span.record.times as the span ends; `exit` is the marker that ended it (null: closed by the correlator). */
  finished(span: OpenSpan, exit: MarkerEvent | null): void {
    const timing = span.timing;
    const r = span.record;
    if (timing === null || exit === null || exit.tid !== r.tid || r.incomplete !== undefined) return;
    const thread = span.thread;
    const loop = thread === null ? undefined : this.loops.get(thread);
    let times: SpanTimes | undefined;
    if (loop !== undefined) times = this.loopBreakdown(loop, timing, r.start, r.end);
    else if (timing.startTimes !== null && exit.times != null && exit.ts === r.end) {
      times = threadBreakdown(timing.startTimes, exit.times, r.end - r.start);
      if (times === undefined) this.stats.spanTimesInconsistent++;
    }
    if (times !== undefined) r.times = times;
  }

  private loopBreakdown(loop: LoopThread, timing: SpanTiming, start: number, end: number): SpanTimes {
    // The code that ran since the thread's last call wrote this exit marker: it is the span's own.
    if (end > loop.accountedTo) {
      const from = Math.max(loop.accountedTo, start);
      timing.onCpu += end - from;
      loop.charge(timing, from, end, end - from);
    }
    const dur = end - start;
    const busy = loop.busyOther(start, end, timing);
    if (busy.truncated) this.stats.loopWindowsTruncated++;
    const blocked = roundWaits(timing.blocked);
    const runqueue = Math.round(timing.runqueue);
    let onCpu = Math.round(timing.onCpu);
    let other = Math.round(busy.other);
    let asyncWait = dur - onCpu - runqueue - sumWaits(blocked) - other;
    if (asyncWait < 0) {
      // the calls straddling the span's edges were charged whole to it but cut pro rata for the others: take the
      // excess from the others first, then from the span's own on-CPU time
      const cut = Math.min(other, -asyncWait);
      other -= cut;
      asyncWait += cut;
      onCpu = Math.max(0, onCpu + asyncWait);
      asyncWait = 0;
    }
    const out: SpanTimes = {
      model: 'event-loop',
      onCpu,
      runqueue,
      blocked,
      majorFaults: 0,
      loopBusyOther: other,
      asyncWait,
    };
    if (busy.top !== undefined) out.loopBusyTop = { ...busy.top, ns: Math.round(busy.top.ns) };
    if (timing.worker !== null) {
      const w = timing.worker;
      out.worker = { onCpu: Math.round(w.onCpu), runqueue: Math.round(w.runqueue), blocked: Math.round(w.blocked) };
    }
    return out;
  }

  private loopOf(thread: ThreadState<OpenSpan>): LoopThread {
    let loop = this.loops.get(thread);
    if (loop === undefined) this.loops.set(thread, (loop = new LoopThread()));
    return loop;
  }

  private timingOf(span: OpenSpan, ts: number, enter?: MarkerEvent): SpanTiming {
    if (span.timing !== null) return span.timing;
    const r = span.record;
    const timing = (span.timing = new SpanTiming(span.seq, heldName(r.name), r.spanId, r.start, enter?.times ?? null));
    timing.parent = this.openParentTiming(span);
    this.spans.grow(span, SPAN_TIMES_BYTES, ts);
    return timing;
  }

  /** The timing of the span's parent, when that is an SDK span still open in the same process (the event-loop
   * model's spans are SDK spans: their OTel id is their numeric id). */
  private openParentTiming(span: OpenSpan): SpanTiming | null {
    const hex = span.record.parentSpanId;
    if (hex === undefined || span.record.remoteParent) return null;
    const id = Number.parseInt(hex, 16);
    if (!Number.isSafeInteger(id) || id <= 0) return null;
    const parent = this.spans.findById(span.proc, id);
    return parent !== undefined && !parent.closed ? parent.timing : null;
  }
}

/** Names a loop's runs keep past their span's end are cut here: the ring holds at most LOOP_RUNS_KEPT of them. */
export const MAX_HELD_NAME = 256;

/** `name`, or a fresh copy of its first MAX_HELD_NAME characters (a slice would keep the whole name alive). */
function heldName(name: string): string {
  if (name.length <= MAX_HELD_NAME) return name;
  return Buffer.from(`${name.slice(0, MAX_HELD_NAME - 1)}…`, 'utf8').toString('utf8');
}

function sumWaits(w: Record<WaitKind, number>): number {
  let sum = 0;
  for (const k in w) sum += w[k as WaitKind];
  return sum;
}

function roundWaits(w: Record<WaitKind, number>): Record<WaitKind, number> {
  const out = { ...w };
  for (const k in out) out[k as WaitKind] = Math.round(out[k as WaitKind]);
  return out;
}
