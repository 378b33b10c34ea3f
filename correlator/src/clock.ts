// The Clock: wall-clock minus monotonic time, sampled once when tracing starts. The probe stamps events with
// CLOCK_MONOTONIC (bpf_ktime_get_ns), the same clock as process.hrtime.
import { performance } from 'node:perf_hooks';
import type { Clock } from './model.js';

/** Samples the offset now (microsecond precision: performance.timeOrigin + now()). */
export function sampleClock(): Clock {
  const mono = process.hrtime.bigint();
  const wallNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
  return { wallOffsetNs: wallNs - mono };
}

export function clockFromString(wallOffsetNs: string): Clock {
  if (!/^-?\d+$/.test(wallOffsetNs))
    throw new Error(`clock offset must be an integer number of ns, got "${wallOffsetNs}"`);
  return { wallOffsetNs: BigInt(wallOffsetNs) };
}
