// Thread model (C, shell, Python: one span per thread at a time): a span's breakdown is the writing thread's
// cumulative times at its exit marker minus those at its enter marker. Exact whatever syscalls were recorded;
// the only residue is the stretch between a marker's timestamp (the write's entry) and the moment the probe read
// the thread's totals, during which the thread was on CPU writing the marker: it goes to on-CPU time.
import type { ThreadTimes } from '@nullspan/probe';
import type { SpanTimes } from '../model.js';
import { WAIT_KINDS, zeroWaits } from './wait-kind.js';

/** The parts may miss the span's duration by this share (or RESIDUE_SLACK_NS, whichever is larger) before the
 * breakdown is taken for inconsistent (accounting reset, a thread id reused) and dropped. */
export const RESIDUE_SHARE = 0.02;
export const RESIDUE_SLACK_NS = 20_000;

/** The breakdown of `dur` ns between two snapshots of one thread; undefined when they do not add up. */
export function threadBreakdown(start: ThreadTimes, end: ThreadTimes, dur: number): SpanTimes | undefined {
  const blocked = zeroWaits();
  let sum = 0;
  for (const k of WAIT_KINDS) {
    const d = end.blocked[k] - start.blocked[k];
    if (d < 0) return undefined;
    blocked[k] = d;
    sum += d;
  }
  const runqueue = end.runqueue - start.runqueue;
  let onCpu = end.onCpu - start.onCpu;
  const majorFaults = end.majorFaults - start.majorFaults;
  if (runqueue < 0 || onCpu < 0 || majorFaults < 0) return undefined;
  sum += runqueue + onCpu;
  const residue = dur - sum;
  if (Math.abs(residue) > Math.max(RESIDUE_SHARE * dur, RESIDUE_SLACK_NS)) return undefined;
  onCpu += residue;
  if (onCpu < 0) return undefined;
  return { model: 'thread', onCpu, runqueue, blocked, majorFaults };
}
