// What an open span accumulates towards its time breakdown: the writing thread's totals at its enter marker
// (thread model), and the loop time and worker time charged to it call by call (event-loop model).
import type { SyscallTimes, ThreadTimes, WaitKind } from '@nullspan/probe';
import type { LoopHolder } from './loop-thread.js';
import { zeroWaits } from './wait-kind.js';

/** Ancestors a span's loop time is also charged to, and looked through to tell a descendant from another span:
 * deeper nesting (hostile markers) is charged to the nearest ones only. */
export const MAX_ANCESTRY = 64;

export class SpanTiming implements LoopHolder {
  /** the parent span's timing while it was open on the same process when this one began (the loop's own
   * descendants are its work, not other spans holding the loop) */
  parent: SpanTiming | null = null;
  onCpu = 0;
  runqueue = 0;
  readonly blocked = zeroWaits();
  worker: { onCpu: number; runqueue: number; blocked: number } | null = null;
  scanPass = 0;
  scanSum = 0;

  constructor(
    readonly seq: number,
    readonly name: string,
    readonly spanId: string,
    readonly start: number,
    /** the writing thread's totals at the enter marker (null: not accounted) */
    readonly startTimes: ThreadTimes | null,
  ) {}

  /** Loop time of this span: the `share` of the call's gap charged to it (run and runnable time: LoopThread.call
   * says why not blocked time), then the call itself. */
  addOwn(t: SyscallTimes, share: number, kind: WaitKind): void {
    // a parent's time covers its children's, as the thread model's totals between its markers do
    let s: SpanTiming | null = this;
    for (let depth = 0; s !== null && depth <= MAX_ANCESTRY; s = s.parent, depth++) {
      s.onCpu += t.gapOnCpu * share + t.onCpu;
      s.runqueue += t.gapRunqueue * share + t.runqueue;
      s.blocked[kind] += t.blocked;
    }
  }

  /** A libuv pool thread's call on work this span (or a descendant) submitted, with the work's run time before it. */
  addWorker(t: SyscallTimes): void {
    let s: SpanTiming | null = this;
    for (let depth = 0; s !== null && depth <= MAX_ANCESTRY; s = s.parent, depth++) {
      const w = (s.worker ??= { onCpu: 0, runqueue: 0, blocked: 0 });
      w.onCpu += t.gapOnCpu + t.onCpu;
      w.runqueue += t.gapRunqueue + t.runqueue;
      w.blocked += t.gapBlocked + t.blocked;
    }
  }

  /** Whether `holder` is this span or one of its descendants (within MAX_ANCESTRY levels). */
  covers(holder: LoopHolder): boolean {
    let s: SpanTiming | null = holder instanceof SpanTiming ? holder : null;
    for (let depth = 0; s !== null && depth <= MAX_ANCESTRY; s = s.parent, depth++) if (s === this) return true;
    return false;
  }
}
