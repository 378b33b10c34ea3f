import { describe, expect, it } from 'vitest';
import type { SpanTimesJson } from '../src/ui/api-types.js';
import { spanBandParts, syscallBandParts, TIME_COLORS, timeParts } from '../src/ui/client/time-parts.js';

function times(over: Partial<SpanTimesJson> = {}): SpanTimesJson {
  return {
    model: 'thread',
    onCpuNs: 0,
    runqueueNs: 0,
    blockedNs: { file: 0, net: 0, lock: 0, sleep: 0, poll: 0, pagefault: 0, other: 0 },
    majorFaults: 0,
    loopBusyOtherNs: null,
    loopBusyTop: null,
    asyncWaitNs: null,
    worker: null,
    ...over,
  };
}

describe('ui client: time parts', () => {
  it('a thread span: on CPU and run queue always, only the wait kinds it spent time in, then what is not accounted', () => {
    const t = times({ onCpuNs: 300, runqueueNs: 0, blockedNs: { ...times().blockedNs, file: 500, lock: 100 } });
    const parts = timeParts(t, 1000);
    expect(parts.map((p) => [p.key, p.ns])).toEqual([
      ['onCpu', 300],
      ['runqueue', 0],
      ['file', 500],
      ['lock', 100],
      ['unaccounted', 100],
    ]);
    expect(parts.map((p) => p.label)).toEqual([
      'on CPU',
      'run queue (runnable, waiting for a CPU)',
      'blocked: file I/O',
      'blocked: locks (futex)',
      'not accounted',
    ]);
    for (const p of parts) expect(p.color).toBe(TIME_COLORS[p.key]);
  });

  it('a shortfall under 0.1 % of the duration is not listed as not accounted', () => {
    const parts = timeParts(times({ onCpuNs: 999_500 }), 1_000_000);
    expect(parts.map((p) => p.key)).toEqual(['onCpu', 'runqueue']);
  });

  it('an event-loop span names the culprit that held the loop, and its async wait', () => {
    const top = { name: '<b>x</b>', spanId: '00000000000000aa', ns: 40 };
    const t = times({ model: 'event-loop', onCpuNs: 10, loopBusyOtherNs: 50, loopBusyTop: top, asyncWaitNs: 40 });
    const parts = timeParts(t, 100);
    expect(parts.map((p) => p.key)).toEqual(['onCpu', 'runqueue', 'loopBusy', 'asyncWait']);
    expect(parts[0].label).toBe('on CPU (its own code)');
    expect(parts[2].label).toBe('loop busy (<b>x</b>)');
    expect(parts[2].top).toEqual(top);
  });

  it('waterfall bands: blocked sums every wait kind (plus async wait on a loop); calls split three ways', () => {
    const t = times({
      onCpuNs: 1,
      runqueueNs: 2,
      blockedNs: { ...times().blockedNs, net: 3, sleep: 4 },
      asyncWaitNs: 5,
      loopBusyOtherNs: 6,
    });
    expect(spanBandParts(t).map((p) => [p.key, p.label, p.ns])).toEqual([
      ['onCpu', 'on CPU', 1],
      ['runqueue', 'run queue', 2],
      ['blocked', 'blocked or async wait', 12],
      ['loopBusy', 'loop busy with other spans', 6],
    ]);
    expect(spanBandParts(times()).map((p) => p.label)).toEqual(['on CPU', 'run queue', 'blocked']);
    expect(
      syscallBandParts({ onCpuNs: 1, runqueueNs: 2, blockedNs: 3, sleep: 'none' }).map((p) => [p.key, p.ns]),
    ).toEqual([
      ['onCpu', 1],
      ['runqueue', 2],
      ['blocked', 3],
    ]);
  });
});
