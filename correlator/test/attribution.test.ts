import type { SyscallEvent } from '@nullspan/probe';
import { describe, expect, it } from 'vitest';
import {
  attributeTo,
  attributeUnsure,
  type ActiveSpanSource,
  type AttributionContext,
  type AttributionResult,
} from '../src/attribution.js';
import { OUTSIDE_SPAN_NAME } from '../src/correlator.js';
import type { OpenSpan } from '../src/spans.js';
import { Stream, byName, collect, oneProcess } from './synthetic.js';

const AT_FDCWD = -100;

describe('attribution: the thread rule (sysdig evtin.span)', () => {
  it('puts each syscall under the innermost span open on its own thread', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 10, 11, { isThread: true });
    s.sys(10, 10, 'getpid'); // before any span
    s.marker(10, 10, '>:t:outer::');
    s.sys(10, 10, 'openat', { args: [AT_FDCWD, 0, 0], path: '/a', ret: 3 });
    s.marker(10, 10, '>:t:outer.inner::');
    s.sys(10, 10, 'read', { args: [3], ret: 100 });
    s.sys(10, 11, 'read', { args: [3], ret: 7 }); // other thread: no span there
    s.marker(10, 10, '<:t:outer.inner::');
    s.sys(10, 10, 'close', { args: [3] });
    s.marker(10, 10, '<:t:outer::');
    s.sys(10, 10, 'getppid'); // after
    c.pushBatch(s.events);
    const outer = byName(spans, 'outer');
    const inner = byName(spans, 'outer.inner');
    expect(outer.syscalls.map((r) => r.name)).toEqual(['openat', 'close']);
    expect(outer.syscalls[0]).toMatchObject({ path: '/a', fd: 3, attribution: 'thread' });
    expect(outer.syscalls[1]).toMatchObject({ target: '/a', fd: 3 }); // close still names what it closed
    expect(inner.syscalls).toHaveLength(1);
    expect(inner.syscalls[0]).toMatchObject({ name: 'read', bytes: 100, path: '/a', tid: 10 });
    expect(c.stats()).toMatchObject({ syscalls: 6, syscallsInSpans: 3, syscallsOutsideSpans: 3, unattributed: 0 });
    // outside calls are kept for drill-down, not exported
    expect(c.outsideSyscalls(10).map((r) => [r.name, r.tid])).toEqual([
      ['getpid', 10],
      ['read', 11],
      ['getppid', 10],
    ]);
    expect(spans).toHaveLength(2);
  });

  it('keeps syscall children inside their span interval', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:a::');
    s.sys(10, 10, 'nanosleep', { dur: 10_000_000 });
    s.marker(10, 10, '<:t:a::');
    c.pushBatch(s.events);
    const [{ span }] = spans;
    for (const r of span.syscalls) {
      expect(r.ts).toBeGreaterThanOrEqual(span.start);
      expect(r.end).toBeLessThanOrEqual(span.end);
    }
  });

  it('bounds the outside ring per process and the syscalls kept per span', () => {
    const { c, spans } = collect(
      { outsideRingSize: 4, maxSyscallsPerSpan: 3, merge: { enabled: false } },
      oneProcess(10),
    );
    const s = new Stream();
    for (let i = 0; i < 10; i++) s.sys(10, 10, 'getpid', { ret: i });
    s.marker(10, 10, '>:t:a::');
    for (let i = 0; i < 5; i++) s.sys(10, 10, 'getpid', { ret: i });
    s.marker(10, 10, '<:t:a::');
    c.pushBatch(s.events);
    expect(c.outsideSyscalls(10).map((r) => r.ret)).toEqual([6, 7, 8, 9]);
    expect(spans[0].span.syscalls).toHaveLength(3);
    expect(spans[0].span.droppedSyscalls).toBe(2);
    expect(c.stats().syscallsOverSpanLimit).toBe(2);
  });

  it('bounds the syscall records all open spans hold together', () => {
    const { c, spans } = collect({ maxHeldSyscalls: 4, merge: { enabled: false } }, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 10, 11, { isThread: true });
    s.marker(10, 10, '>:t:a::');
    s.marker(10, 11, '>:t:b::');
    for (let i = 0; i < 3; i++) s.sys(10, 10, 'getpid');
    for (let i = 0; i < 3; i++) s.sys(10, 11, 'getpid');
    s.marker(10, 10, '<:t:a::'); // releases its 3 records
    s.sys(10, 11, 'getppid');
    s.marker(10, 11, '<:t:b::');
    c.pushBatch(s.events);
    expect(spans.map((x) => [x.span.name, x.span.syscalls.length, x.span.droppedSyscalls ?? 0])).toEqual([
      ['a', 3, 0],
      ['b', 2, 2],
    ]); // b: one getpid kept, two over the budget, getppid kept once a released its records
    expect(c.stats().syscallsOverSpanLimit).toBe(2);
  });

  it('bounds how many processes keep an outside ring (the oldest ring goes first)', () => {
    const { c } = collect({ maxOutsideRings: 2 }, oneProcess(10));
    const s = new Stream();
    for (const pid of [20, 21, 22]) {
      s.fork(10, 10, pid);
      s.sys(pid, pid, 'getpid');
    }
    c.pushBatch(s.events);
    expect([20, 21, 22].map((pid) => c.outsideSyscalls(pid).length)).toEqual([0, 1, 1]);
  });

  it('exportOutsideSpans emits them as spans of their own, in batches', () => {
    const { c, spans } = collect(
      { exportOutsideSpans: true, outsideBatchSize: 2, merge: { enabled: false } },
      oneProcess(10),
    );
    const s = new Stream();
    for (let i = 0; i < 3; i++) s.sys(10, 10, 'getpid');
    c.pushBatch(s.events);
    expect(spans.map((x) => x.span.syscalls.length)).toEqual([2]);
    c.close();
    expect(spans.map((x) => x.span.syscalls.length)).toEqual([2, 1]);
    expect(spans[0].span.name).toBe(OUTSIDE_SPAN_NAME);
    expect(spans[0].span.traceId).not.toBe(spans[1].span.traceId);
  });
});

/** A stand-in for a context-aware source (the published active span): the test decides which span is active per syscall. */
class MappedSource implements ActiveSpanSource {
  readonly name = 'test-map';
  /** tid → span name to use; 'unsure' → unattributed */
  readonly active = new Map<number, string>();
  started: string[] = [];
  ended: string[] = [];
  observed = 0;

  resolve(ev: SyscallEvent, ctx: AttributionContext, out: AttributionResult): void {
    const want = this.active.get(ev.tid);
    if (want === undefined) return; // no opinion: the thread rule decides
    if (want === 'unsure') {
      attributeUnsure(out);
      return;
    }
    for (const s of ctx.spans.open()) {
      if (s.record.name === want) {
        attributeTo(out, s, 'context');
        return;
      }
    }
  }

  observe(): void {
    this.observed++;
  }

  spanStarted(s: OpenSpan): void {
    this.started.push(s.record.name);
  }

  spanEnded(s: OpenSpan): void {
    this.ended.push(s.record.name);
  }
}

describe('attribution: a pluggable active-span source', () => {
  it('is asked first; "unattributed" is counted and never guessed; no opinion falls back to the thread rule', () => {
    const src = new MappedSource();
    const { c, spans } = collect({ activeSpanSource: src }, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 10, 12, { isThread: true }); // a worker thread with no spans of its own
    s.marker(10, 10, '>:t:reqA::');
    s.marker(10, 10, '>:t:reqB::'); // B entered last: the thread rule would blame B
    c.pushBatch(s.events);
    src.active.set(10, 'reqA');
    src.active.set(12, 'reqA');
    const s2 = new Stream();
    s2.ts = s.ts;
    s2.sys(10, 10, 'write', { args: [1], ret: 5 });
    s2.sys(10, 12, 'read', { args: [0], ret: 3 });
    c.pushBatch(s2.events);
    src.active.set(10, 'unsure');
    src.active.delete(12);
    const s3 = new Stream();
    s3.ts = s2.ts;
    s3.sys(10, 10, 'sendto', { args: [4], ret: 9 });
    s3.sys(10, 12, 'futex');
    s3.marker(10, 10, '<:t:reqB::');
    s3.marker(10, 10, '<:t:reqA::');
    c.pushBatch(s3.events);
    const a = byName(spans, 'reqA');
    expect(a.syscalls.map((r) => [r.name, r.attribution])).toEqual([
      ['write', 'context'],
      ['read', 'context'],
    ]);
    expect(byName(spans, 'reqB').syscalls).toEqual([]);
    expect(c.stats()).toMatchObject({ unattributed: 1, syscallsInSpans: 2, syscallsOutsideSpans: 1 });
    expect(c.outsideSyscalls(10).map((r) => [r.name, r.attribution])).toEqual([
      ['sendto', 'unattributed'],
      ['futex', 'thread'],
    ]);
    expect(src.started).toEqual(['reqA', 'reqB']);
    expect(src.ended).toEqual(['reqB', 'reqA']);
    expect(src.observed).toBe(c.stats().events);
  });
});
