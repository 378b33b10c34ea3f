// What an open span accumulates towards its time breakdown: the writing thread's totals at its enter marker
// (thread model), and the loop time and worker time charged to it call by call (event-loop model).
import type { SyscallTimes, ThreadTimes, WaitKind } from '@nullspan/probe';
import type { LoopHolder } from './loop-thread.js';
import { zeroWaits } from './wait-kind.js';

export class SpanTiming implements LoopHolder {
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
    this.onCpu += t.gapOnCpu * share + t.onCpu;
    this.runqueue += t.gapRunqueue * share + t.runqueue;
    this.blocked[kind] += t.blocked;
  }

  /** A libuv pool thread's call on work this span submitted, with the work's run time before it. */
  addWorker(t: SyscallTimes): void {
    const w = (this.worker ??= { onCpu: 0, runqueue: 0, blocked: 0 });
    w.onCpu += t.gapOnCpu + t.onCpu;
    w.runqueue += t.gapRunqueue + t.runqueue;
    w.blocked += t.gapBlocked + t.blocked;
  }
}
