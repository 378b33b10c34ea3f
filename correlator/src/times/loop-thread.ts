// One event-loop thread's time, charged to the span active at each system call (correlator/README.md "Time
// breakdown"): the user code that ran before the call (its gap) and the call itself go to the span whose id the
// thread's active-span slot held at the call. Consecutive calls of one span form a run; the thread keeps its last
// LOOP_RUNS_KEPT runs in a ring, so a span ending later can ask which other spans held the loop during its
// interval (and which held it longest) in one pass over the runs inside that interval, whatever the number of
// spans open at once. Memory per loop thread is bounded by the ring, not by the calls it makes.
import type { SyscallTimes } from '@nullspan/probe';

/** Runs remembered per loop thread: a span whose interval holds more sees only the latest ones (counted). */
export const LOOP_RUNS_KEPT = 4096;

/** A span that can hold the loop: what a run remembers of it (not the span, whose records may be large). */
export interface LoopHolder {
  readonly seq: number;
  readonly name: string;
  readonly spanId: string;
  /** when the span began: code that ran before it is not its own, even in the gap before its first call */
  readonly start: number;
  /** scratch of LoopThread.busyOther: the pass that last summed this holder, and its sum in that pass */
  scanPass: number;
  scanSum: number;
  /** whether `holder` is this one or one of its descendants: their loop time is this span's own work */
  covers(holder: LoopHolder): boolean;
}

export interface LoopBusy {
  /** ns other spans held the loop inside the interval */
  other: number;
  top: { name: string; spanId: string; ns: number } | undefined;
  /** the interval began before the oldest run kept */
  truncated: boolean;
}

export class LoopThread {
  /** time up to which this thread's time has been charged: a later gap starting earlier is charged only from here */
  accountedTo = 0;
  private readonly t0: number[] = [];
  private readonly t1: number[] = [];
  private readonly ns: number[] = [];
  private readonly holders: LoopHolder[] = [];
  /** next slot to write */
  private next = 0;
  private wrapped = false;
  /** the previous call was charged to this holder (its run may grow); null: it was charged to none */
  private lastHolder: LoopHolder | null = null;
  /** numbers busyOther's passes: a holder whose scanPass differs has not been summed in this one yet */
  private pass = 0;

  /**
   * One system call of this thread: returns the share of its gap charged now (0..1: not charged before, and not
   * before the holder began) and records that share and the call as a run of `holder` (null: the loop ran no
   * span, nothing to charge).
   */
  call(ts: number, dur: number, t: SyscallTimes, holder: LoopHolder | null): number {
    const gap = t.gapOnCpu + t.gapRunqueue + t.gapBlocked;
    const from = Math.max(ts - gap, this.accountedTo, holder === null ? 0 : holder.start);
    const share = gap > 0 ? Math.max(0, ts - from) / gap : 1;
    const end = ts + dur;
    if (end > this.accountedTo) this.accountedTo = end;
    // blocked in the gap: the loop waited (in a poll the probe left unrecorded, no span being active), not the span
    this.charge(holder, Math.min(from, ts), end, share * (t.gapOnCpu + t.gapRunqueue) + dur);
    return share;
  }

  /** `ns` of loop time between `from` and `to` went to `holder` (null: to none). */
  charge(holder: LoopHolder | null, from: number, to: number, ns: number): void {
    if (to > this.accountedTo) this.accountedTo = to;
    if (holder === null) {
      this.lastHolder = null;
      return;
    }
    const n = this.t0.length;
    if (holder === this.lastHolder && n > 0) {
      const i = (this.next - 1 + LOOP_RUNS_KEPT) % LOOP_RUNS_KEPT;
      this.t1[i] = to;
      this.ns[i] += ns;
      return;
    }
    this.lastHolder = holder;
    const i = this.next;
    if (n < LOOP_RUNS_KEPT) {
      this.t0.push(from);
      this.t1.push(to);
      this.ns.push(ns);
      this.holders.push(holder);
    } else {
      this.t0[i] = from;
      this.t1[i] = to;
      this.ns[i] = ns;
      this.holders[i] = holder;
      this.wrapped = true;
    }
    this.next = (i + 1) % LOOP_RUNS_KEPT;
  }

  /** Which spans other than `self` and its descendants held the loop inside [start, end], runs cut at the edges
   * pro rata. */
  busyOther(start: number, end: number, self: LoopHolder): LoopBusy {
    const n = this.t0.length;
    const pass = ++this.pass;
    let other = 0;
    let top: LoopHolder | null = null;
    let reached = false;
    for (let k = 1; k <= n; k++) {
      const i = (this.next - k + LOOP_RUNS_KEPT) % LOOP_RUNS_KEPT;
      const a = this.t0[i];
      const b = this.t1[i];
      if (b <= start) {
        reached = true;
        break;
      }
      const h = this.holders[i];
      if (a >= end || self.covers(h)) continue;
      const lo = Math.max(a, start);
      const hi = Math.min(b, end);
      const part = b > a ? (this.ns[i] * (hi - lo)) / (b - a) : this.ns[i];
      other += part;
      if (h.scanPass !== pass) {
        h.scanPass = pass;
        h.scanSum = 0;
      }
      h.scanSum += part;
      if (top === null || h.scanSum > top.scanSum) top = h;
    }
    const oldest = this.wrapped ? this.next : 0;
    const truncated = !reached && this.wrapped && n > 0 && this.t0[oldest] > start;
    return {
      other,
      top: top === null ? undefined : { name: top.name, spanId: top.spanId, ns: top.scanSum },
      truncated,
    };
  }
}
