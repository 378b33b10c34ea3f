// A syscall record's own on-CPU / run-queue / blocked split, from the probe's per-call accounting
// (SyscallEvent.times). A merged run sums its calls' splits; a run with one call the probe did not account has
// no split at all (a partial sum would not add up to the run's duration).
import type { SyscallTimes as KernelSyscallTimes } from '@nullspan/probe';
import type { SleepKind, SyscallTimes } from '../model.js';

function sleepOf(interruptible: boolean, uninterruptible: boolean): SleepKind {
  if (interruptible) return uninterruptible ? 'both' : 'interruptible';
  return uninterruptible ? 'uninterruptible' : 'none';
}

export function syscallTimes(t: KernelSyscallTimes): SyscallTimes {
  return {
    onCpu: t.onCpu,
    runqueue: t.runqueue,
    blocked: t.blocked,
    sleep: sleepOf(t.sleptInterruptible, t.sleptUninterruptible),
  };
}

/** `prev` with one more call of its run folded in (undefined when either side was not accounted). */
export function addSyscallTimes(
  prev: SyscallTimes | undefined,
  t: KernelSyscallTimes | null | undefined,
): SyscallTimes | undefined {
  if (prev === undefined || t == null) return undefined;
  prev.onCpu += t.onCpu;
  prev.runqueue += t.runqueue;
  prev.blocked += t.blocked;
  const i = prev.sleep === 'interruptible' || prev.sleep === 'both' || t.sleptInterruptible;
  const u = prev.sleep === 'uninterruptible' || prev.sleep === 'both' || t.sleptUninterruptible;
  prev.sleep = sleepOf(i, u);
  return prev;
}
