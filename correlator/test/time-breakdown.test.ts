// The time breakdown on synthetic streams carrying the probe's scheduler accounting (MarkerEvent.times,
// SyscallEvent.times): the thread model (writer's totals at the exit marker minus at the enter marker), the
// syscall records' own split, and the event-loop model (own time, loop busy with other spans, async wait, workers).
import type { SyscallTimes, ThreadTimes, WaitKind } from '@nullspan/probe';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { PLAIN, renderTrace } from '../src/cli/tree-printer.js';
import type { SpanTimes } from '../src/model.js';
import { OtlpMapper } from '../src/otlp.js';
import { OtlpJsonEncoder } from '../src/otlp-json.js';
import { OtlpProtoEncoder } from '../src/otlp-proto.js';
import { SPAN_TIMES_BYTES, SYSCALL_TIMES_BYTES } from '../src/span-bytes.js';
import { CLOCK, EXPORT_PROC, Stream, byName, collect, oneProcess } from './synthetic.js';

const MS = 1_000_000;

function totals(
  o: Partial<Omit<ThreadTimes, 'blocked'>> & { blocked?: Partial<Record<WaitKind, number>> },
): ThreadTimes {
  return {
    onCpu: o.onCpu ?? 0,
    runqueue: o.runqueue ?? 0,
    blocked: { file: 0, net: 0, lock: 0, sleep: 0, poll: 0, pagefault: 0, other: 0, ...o.blocked },
    majorFaults: o.majorFaults ?? 0,
  };
}

function callTimes(o: Partial<SyscallTimes>): SyscallTimes {
  return {
    onCpu: 0,
    runqueue: 0,
    blocked: 0,
    sleptInterruptible: false,
    sleptUninterruptible: false,
    gapOnCpu: 0,
    gapRunqueue: 0,
    gapBlocked: 0,
    ...o,
  };
}

function sumOf(t: SpanTimes): number {
  let sum = t.onCpu + t.runqueue + (t.loopBusyOther ?? 0) + (t.asyncWait ?? 0);
  for (const k of Object.keys(t.blocked) as WaitKind[]) sum += t.blocked[k];
  return sum;
}

describe('thread model', () => {
  const start = totals({ onCpu: 5 * MS, runqueue: 1 * MS, blocked: { file: 2 * MS }, majorFaults: 3 });

  it("is the writer's totals at the exit marker minus those at the enter marker", () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:work::', { ts: 100 * MS, times: start });
    const end = totals({
      onCpu: 5 * MS + 40 * MS,
      runqueue: 1 * MS + 20 * MS,
      blocked: { file: 2 * MS + 30 * MS, sleep: 10 * MS },
      majorFaults: 5,
    });
    s.marker(10, 10, '<:t:work::', { ts: 200 * MS, times: end });
    c.pushBatch(s.events);
    expect(byName(spans, 'work').times).toEqual({
      model: 'thread',
      onCpu: 40 * MS,
      runqueue: 20 * MS,
      blocked: { file: 30 * MS, net: 0, lock: 0, sleep: 10 * MS, poll: 0, pagefault: 0, other: 0 },
      majorFaults: 2,
    });
  });

  it('gives the residue between marker timestamps and the totals to on-CPU time, so the parts add up', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:work::', { ts: 100 * MS, times: start });
    // 3 µs short of the 10 ms the markers are apart: the thread was on CPU writing them
    s.marker(10, 10, '<:t:work::', {
      ts: 110 * MS,
      times: totals({ onCpu: 5 * MS + 4 * MS - 3000, runqueue: 1 * MS, blocked: { file: 8 * MS }, majorFaults: 3 }),
    });
    c.pushBatch(s.events);
    const t = byName(spans, 'work').times!;
    expect(t.onCpu).toBe(4 * MS);
    expect(sumOf(t)).toBe(10 * MS);
  });

  it('gives no breakdown when the totals do not add up to the duration, and counts it', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:work::', { ts: 100 * MS, times: start });
    s.marker(10, 10, '<:t:work::', { ts: 110 * MS, times: totals({ onCpu: 5 * MS + 20 * MS, runqueue: 1 * MS }) });
    c.pushBatch(s.events);
    expect(byName(spans, 'work').times).toBeUndefined();
    expect(c.stats().spanTimesInconsistent).toBe(1);
  });

  it('gives no breakdown when a marker lacks times, another thread ended the span, or the span is incomplete', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 10, 11, { isThread: true });
    const end = totals({ onCpu: 15 * MS, runqueue: 1 * MS, blocked: { file: 2 * MS } });
    s.marker(10, 10, '>:t:unaccounted::', { ts: 100 * MS });
    s.marker(10, 10, '<:t:unaccounted::', { ts: 110 * MS, times: end });
    s.marker(10, 10, '>:7:crossed::', { ts: 120 * MS, times: start });
    s.marker(10, 11, '<:7:crossed::', { ts: 130 * MS, times: end });
    s.marker(10, 10, '>:t:open::', { ts: 140 * MS, times: start });
    c.pushBatch(s.events);
    c.close();
    for (const name of ['unaccounted', 'crossed', 'open']) expect(byName(spans, name).times, name).toBeUndefined();
    expect(c.stats().spanTimesInconsistent).toBe(0);
  });
});

describe('memory', () => {
  it("counts what a span's breakdown holds in the open-span bytes", () => {
    const open = (times: ThreadTimes | null) => {
      const { c } = collect({}, oneProcess(10));
      const s = new Stream();
      s.marker(10, 10, '>:t:work::', { times });
      s.sys(10, 10, 'read', { args: [3], times: times && callTimes({ onCpu: 500 }) });
      c.pushBatch(s.events);
      return c.stats().openSpanBytes;
    };
    expect(open(totals({})) - open(null)).toBe(SPAN_TIMES_BYTES + SYSCALL_TIMES_BYTES);
  });
});

describe('syscall records', () => {
  it("carry the call's own split, summed over a merged run, with how it slept", () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:io::');
    s.sys(10, 10, 'read', {
      args: [3],
      dur: 500,
      ret: 10,
      times: callTimes({ onCpu: 300, runqueue: 100, blocked: 100, sleptInterruptible: true }),
    });
    s.sys(10, 10, 'read', {
      args: [3],
      dur: 500,
      ret: 10,
      times: callTimes({ onCpu: 200, blocked: 300, sleptUninterruptible: true }),
    });
    s.sys(10, 10, 'fsync', { args: [3], dur: 400, times: callTimes({ onCpu: 400 }) });
    s.sys(10, 10, 'close', { args: [3], dur: 400 });
    s.marker(10, 10, '<:t:io::');
    c.pushBatch(s.events);
    const calls = byName(spans, 'io').syscalls;
    expect(calls.map((r) => [r.name, r.count, r.times])).toEqual([
      ['read', 2, { onCpu: 500, runqueue: 100, blocked: 400, sleep: 'both' }],
      ['fsync', 1, { onCpu: 400, runqueue: 0, blocked: 0, sleep: 'none' }],
      ['close', 1, undefined],
    ]);
  });

  it('have no split when a merged run holds a call the probe did not account', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:io::');
    s.sys(10, 10, 'read', { args: [3], ret: 1, times: callTimes({ onCpu: 500 }) });
    s.sys(10, 10, 'read', { args: [3], ret: 1 });
    s.sys(10, 10, 'write', { args: [4], ret: 1, times: callTimes({ onCpu: 500 }) });
    s.sys(10, 10, 'write', { args: [4], ret: 1, times: callTimes({ onCpu: 300, runqueue: 200 }) });
    s.marker(10, 10, '<:t:io::');
    c.pushBatch(s.events);
    const [partial, whole] = byName(spans, 'io').syscalls;
    expect(partial.count).toBe(2);
    expect(partial.times).toBeUndefined();
    expect(whole.count).toBe(2);
    expect(whole.times).toEqual({ onCpu: 800, runqueue: 200, blocked: 0, sleep: 'none' });
  });
});

const A = 2 ** 41 + 1;
const B = 2 ** 41 + 2;
const MAIN = 20;
const WORKER = 21;

/** One Node event loop (process 20, libuv worker 21): calls carry the slot's span and the time since the last. */
class Loop {
  readonly s = new Stream();
  private lastExit = 0;
  constructor(start: number) {
    this.lastExit = start;
    this.s.fork(MAIN, MAIN, MAIN, WORKER, { isThread: true });
  }

  /** A call at `ts` (user code on CPU since the previous call) made while `span` was active (0: none). */
  call(name: string, ts: number, dur: number, span: number, o: { args?: number[]; blocked?: number } = {}): void {
    const blocked = o.blocked ?? 0;
    this.s.sys(MAIN, MAIN, name, {
      ts,
      dur,
      args: o.args,
      ctxSource: 'slot',
      ctxSpan: span,
      times: callTimes({
        onCpu: dur - blocked,
        blocked,
        sleptInterruptible: blocked > 0,
        gapOnCpu: ts - this.lastExit,
      }),
    });
    this.lastExit = ts + dur;
  }

  /** A marker and the write that carried it. */
  marker(text: string, ts: number, span: number): void {
    this.s.marker(MAIN, MAIN, text, { ts, times: totals({}) });
    this.call('write', ts, 2000, span, { args: [9] });
  }
}

describe('event-loop model', () => {
  // A awaits a 10 ms timer; B, started right after, spins 100 ms on the same loop; A's timer callback runs after.
  function timerAndSpin() {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    l.marker(`>:${A}:GET /a:_tid=${'a'.repeat(32)}:`, t0, 0);
    l.call('timerfd_settime', t0 + 50_000, 1000, A);
    l.call('epoll_wait', t0 + 100_000, 900_000, 0, { blocked: 890_000 });
    l.marker(`>:${B}:GET /b:_tid=${'b'.repeat(32)}:`, t0 + 1 * MS, 0);
    l.call('getpid', t0 + 1 * MS + 100 * MS, 1000, B); // B's spin ends with a call
    l.marker(`<:${B}:GET /b::`, t0 + 101.1 * MS, B);
    l.call('epoll_wait', t0 + 101.2 * MS, 1000, 0);
    l.call('read', t0 + 101.3 * MS, 1000, A, { args: [30] }); // A's timer callback
    l.marker(`<:${A}:GET /a::`, t0 + 101.5 * MS, A);
    c.pushBatch(l.s.events);
    return { a: byName(spans, 'GET /a'), b: byName(spans, 'GET /b'), c };
  }

  it('names the span that held the loop while this one waited, and how long', () => {
    const { a, b } = timerAndSpin();
    const t = a.times!;
    expect(t.model).toBe('event-loop');
    expect(t.loopBusyTop).toEqual({ name: 'GET /b', spanId: b.spanId, ns: expect.any(Number) });
    // B held the loop from its enter marker's write to its exit marker: its 100 ms spin and its markers
    expect(t.loopBusyOther).toBeGreaterThanOrEqual(100 * MS);
    expect(t.loopBusyOther).toBeLessThanOrEqual(100.2 * MS);
    expect(t.loopBusyTop!.ns).toBe(t.loopBusyOther);
    expect(t.onCpu).toBeLessThan(1 * MS);
    expect(sumOf(t)).toBe(a.end - a.start);
    // the loop's idle epoll and whatever ran no span is A's wait
    expect(t.asyncWait).toBeGreaterThan(0.5 * MS);
  });

  it("charges a span's own callbacks to it: B's spin is its own on-CPU time", () => {
    const { b } = timerAndSpin();
    const t = b.times!;
    expect(t.model).toBe('event-loop');
    expect(t.onCpu).toBeGreaterThanOrEqual(100 * MS);
    expect(t.loopBusyOther).toBe(0);
    expect(t.loopBusyTop).toBeUndefined();
    expect(sumOf(t)).toBe(b.end - b.start);
  });

  it("shows the libuv workers' time on the work a span submitted", () => {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    l.marker(`>:${A}:readFile:_tid=${'a'.repeat(32)}:`, t0, 0);
    l.s.sys(MAIN, WORKER, 'read', {
      ts: t0 + 1 * MS,
      dur: 4 * MS,
      args: [40],
      ctxSource: 'submitter',
      ctxSpan: A,
      times: callTimes({ onCpu: 1 * MS, blocked: 3 * MS, sleptUninterruptible: true, gapOnCpu: 200_000 }),
    });
    l.call('read', t0 + 6 * MS, 1000, A, { args: [30] });
    l.marker(`<:${A}:readFile::`, t0 + 6.5 * MS, A);
    c.pushBatch(l.s.events);
    const t = byName(spans, 'readFile').times!;
    expect(t.worker).toEqual({ onCpu: 1.2 * MS, runqueue: 0, blocked: 3 * MS });
    expect(sumOf(t)).toBe(6.5 * MS);
  });

  it("counts its descendants' loop time as its own work, not as another span holding the loop", () => {
    const C = 2 ** 41 + 3;
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    l.marker(`>:${A}:GET /a:_tid=${'a'.repeat(32)}:`, t0, 0);
    l.marker(`>:${C}:db.query:_p=${A}:`, t0 + 1 * MS, A);
    l.call('getpid', t0 + 30 * MS, 1000, C); // the child's 29 ms of code
    l.marker(`<:${C}:db.query::`, t0 + 31 * MS, C);
    l.marker(`>:${B}:GET /b:_tid=${'b'.repeat(32)}:`, t0 + 32 * MS, 0);
    l.call('getpid', t0 + 52 * MS, 1000, B); // another request's 20 ms
    l.marker(`<:${B}:GET /b::`, t0 + 53 * MS, B);
    l.call('read', t0 + 54 * MS, 1000, A, { args: [30] });
    l.marker(`<:${A}:GET /a::`, t0 + 55 * MS, A);
    c.pushBatch(l.s.events);
    const a = byName(spans, 'GET /a');
    const query = byName(spans, 'db.query');
    expect(query.parentSpanId).toBe(a.spanId);
    const t = a.times!;
    expect(t.loopBusyTop?.name).toBe('GET /b');
    expect(t.loopBusyOther).toBeGreaterThanOrEqual(20 * MS);
    expect(t.loopBusyOther).toBeLessThan(22 * MS);
    expect(t.onCpu).toBeGreaterThanOrEqual(29 * MS); // the child's code is the request's own work
    expect(sumOf(t)).toBe(a.end - a.start);
  });

  it('cuts the runs of other spans at the edges of the interval', () => {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    l.marker(`>:${B}:GET /b:_tid=${'b'.repeat(32)}:`, t0, 0);
    // B runs 10 ms of code; A starts 5 ms into it (batched exit written later: `_te`)
    l.marker(`>:${A}:GET /a:_tid=${'a'.repeat(32)}:`, t0 + 5 * MS, B);
    l.call('getpid', t0 + 10 * MS, 1000, B);
    l.call('read', t0 + 12 * MS, 1000, A, { args: [30] });
    l.marker(`<:${A}:GET /a:_te=${t0 + 12.5 * MS}:`, t0 + 20 * MS, 0);
    c.pushBatch(l.s.events);
    const a = byName(spans, 'GET /a');
    expect(a.end).toBe(t0 + 12.5 * MS);
    const t = a.times!;
    // B's run from its enter write to its getpid, cut where A started: about 5 ms of it
    expect(t.loopBusyOther).toBeGreaterThan(4.9 * MS);
    expect(t.loopBusyOther).toBeLessThan(5.1 * MS);
    expect(sumOf(t)).toBe(a.end - a.start);
  });

  it('charges no span with the code that ran before it began, nor with the time the loop was blocked between calls', () => {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    // markers as the Node SDK writes them: no write record follows (a call no span made is left unrecorded)
    l.s.marker(MAIN, MAIN, `>:${A}:GET /a:_tid=${'a'.repeat(32)}:`, { ts: t0, times: totals({}) });
    l.s.marker(MAIN, MAIN, `>:${B}:GET /b:_tid=${'b'.repeat(32)}:`, { ts: t0 + 2 * MS, times: totals({}) });
    // B's first call: its gap reaches back to before A began; 3 ms of it the loop was blocked (an unrecorded poll)
    l.s.sys(MAIN, MAIN, 'getpid', {
      ts: t0 + 12 * MS,
      dur: 1000,
      ctxSource: 'slot',
      ctxSpan: B,
      times: callTimes({ onCpu: 1000, gapOnCpu: 9 * MS, gapBlocked: 3 * MS }),
    });
    l.marker(`<:${B}:GET /b::`, t0 + 13 * MS, B);
    l.marker(`<:${A}:GET /a::`, t0 + 14 * MS, A);
    c.pushBatch(l.s.events);
    const a = byName(spans, 'GET /a').times!;
    const b = byName(spans, 'GET /b').times!;
    // of the 9 ms on CPU spread over 12 ms, the 10 ms since B began are B's (pro rata: 7.5 ms), then the call and
    // the 1 ms of B's code up to its exit marker's write
    expect(b.onCpu).toBeGreaterThanOrEqual(8.5 * MS);
    expect(b.onCpu).toBeLessThan(8.51 * MS);
    expect(b.blocked.pagefault).toBe(0);
    expect(a.loopBusyOther).toBeLessThan(b.onCpu + 0.1 * MS);
    expect(sumOf(a)).toBe(14 * MS);
  });

  it('keeps at most 256 characters of a name the loop remembers', () => {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    const long = `q${'x'.repeat(5000)}`;
    l.marker(`>:${A}:GET /a:_tid=${'a'.repeat(32)}:`, t0, 0);
    l.marker(`>:${B}:${long}:_tid=${'b'.repeat(32)}:`, t0 + 1 * MS, 0);
    l.call('getpid', t0 + 5 * MS, 1000, B);
    l.marker(`<:${B}:${long}::`, t0 + 6 * MS, B);
    l.marker(`<:${A}:GET /a::`, t0 + 7 * MS, A);
    c.pushBatch(l.s.events);
    expect(byName(spans, 'GET /a').times!.loopBusyTop!.name).toBe(`q${'x'.repeat(254)}…`);
  });

  it('keeps bounded state per loop thread however many calls it makes', () => {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    l.marker(`>:${A}:long:_tid=${'a'.repeat(32)}:`, t0, 0);
    // 10,000 short spans alternate with A's own calls: more runs than a loop thread keeps
    let ts = t0 + 10_000;
    for (let i = 0; i < 5000; i++) {
      const id = 2 ** 41 + 100 + i;
      l.marker(`>:${id}:short:_tid=${'c'.repeat(32)}:`, ts, 0);
      l.call('getpid', ts + 3000, 1000, id);
      l.marker(`<:${id}:short::`, ts + 5000, id);
      l.call('getppid', ts + 8000, 1000, A);
      ts += 10_000;
    }
    l.marker(`<:${A}:long::`, ts, A);
    c.pushBatch(l.s.events);
    expect(c.stats().loopWindowsTruncated).toBe(1);
    const t = byName(spans, 'long').times!;
    expect(sumOf(t)).toBe(byName(spans, 'long').end - byName(spans, 'long').start);
  });
});

describe('output', () => {
  function spansWithTimes() {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const t0 = 1000 * MS;
    const l = new Loop(t0);
    l.marker(`>:${A}:GET /a:_tid=${'a'.repeat(32)}:`, t0, 0);
    l.marker(`>:${B}:GET /b:_tid=${'b'.repeat(32)}:`, t0 + 1 * MS, 0);
    l.call('getpid', t0 + 91 * MS, 1000, B);
    l.marker(`<:${B}:GET /b::`, t0 + 91.5 * MS, B);
    l.call('fsync', t0 + 92 * MS, 20 * MS, A, { args: [40], blocked: 19 * MS });
    l.marker(`<:${A}:GET /a::`, t0 + 113 * MS, A);
    c.pushBatch(l.s.events);
    return { a: byName(spans, 'GET /a'), b: byName(spans, 'GET /b') };
  }

  it('exports the breakdown as integer-ns attributes, the same from every encoder', () => {
    const { a, b } = spansWithTimes();
    const items = [a, b].map((span) => ({ span, proc: EXPORT_PROC }));
    const opts = { resourceAttributes: {} };
    const readable: ReadableSpan[] = [];
    const mapper = new OtlpMapper(CLOCK, opts);
    for (const { span, proc } of items) mapper.map(span, proc, readable);
    const json = new OtlpJsonEncoder(CLOCK, opts).request(items);
    expect(json).toBe(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(readable)));
    const proto = new OtlpProtoEncoder(CLOCK, opts).request(items);
    expect(Buffer.from(proto).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(readable)!))).toBe(true);
    const spans = JSON.parse(json).resourceSpans[0].scopeSpans[0].spans;
    const attrs = (i: number) =>
      Object.fromEntries(spans[i].attributes.map((x: { key: string; value: unknown }) => [x.key, x.value]));
    const app = attrs(0);
    const t = a.times!;
    expect(t.runqueue).toBe(0);
    // the parts the span's time went to; the zero ones (run queue, the other waits, faults) are left out
    expect(Object.fromEntries(Object.entries(app).filter(([k]) => k.startsWith('nullspan.')))).toEqual({
      'nullspan.time.model': { stringValue: 'event-loop' },
      'nullspan.time.on_cpu': { intValue: t.onCpu },
      'nullspan.time.blocked.file': { intValue: 19 * MS },
      'nullspan.time.loop_busy_other': { intValue: t.loopBusyOther },
      'nullspan.loop_busy_top': { stringValue: `GET /b (span ${b.spanId})` },
      'nullspan.time.async_wait': { intValue: t.asyncWait },
    });
    const fsync = spans.findIndex((x: { name: string }) => x.name === 'fsync');
    expect(attrs(fsync)).toMatchObject({
      'nullspan.time.on_cpu': { intValue: 1 * MS },
      'nullspan.time.blocked': { intValue: 19 * MS },
      'nullspan.sleep': { stringValue: 'interruptible' },
    });
    expect(attrs(fsync)['nullspan.time.runqueue']).toBeUndefined();
    // a call that never waited carries its on-CPU time alone
    const getpid = spans.findIndex((x: { name: string }) => x.name === 'getpid');
    expect(Object.keys(attrs(getpid)).filter((k) => k.startsWith('nullspan.'))).toEqual(['nullspan.time.on_cpu']);
  });

  it('--print adds one line under each span: the parts that are not zero, largest first', () => {
    const { a, b } = spansWithTimes();
    const lines = renderTrace([{ span: a, proc: EXPORT_PROC }], PLAIN);
    expect(lines.filter((l) => l.includes('time:')).map((l) => l.trim())).toEqual([
      'time: loop busy (GET /b) 90 ms · file 19 ms · on-cpu 2.5 ms · async wait 1.0 ms',
    ]);
    const printedB = renderTrace([{ span: b, proc: EXPORT_PROC }], PLAIN).find((l) => l.includes('time:'));
    expect(printedB?.trim()).toBe('time: on-cpu 90 ms · async wait 2 µs');
    // the workers' time names only its parts that are not zero
    a.times!.worker = { onCpu: 3 * MS, runqueue: 0, blocked: 0 };
    const withWorkers = renderTrace([{ span: a, proc: EXPORT_PROC }], PLAIN).find((l) => l.includes('time:'));
    expect(withWorkers?.trim()).toMatch(/ \(workers: on-cpu 3\.0 ms\)$/);
  });
});
