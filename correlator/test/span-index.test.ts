// The open-span table's cost and bounds against hostile markers: matching reads a marker's tags a bounded number
// of times (not once per prefix), and a marker with more tags than the grammar allows is counted, not opened.
import { describe, expect, it } from 'vitest';
import { IdGenerator } from '../src/ids.js';
import { MAX_TAGS, type ResolvedMarker } from '../src/markers.js';
import type { CorrelatorStats } from '../src/model.js';
import { SpanTable, type OpenSpan } from '../src/spans.js';
import { ProcTable } from '../src/state/proctable.js';
import { SEED, Stream, collect, oneProcess } from './synthetic.js';

/** Tags that count how often the span table reads one of them. */
function countedTags(n: number): { tags: string[]; reads: () => number } {
  let reads = 0;
  const target = Array.from({ length: n }, (_, i) => `t${i % 3}`);
  const tags = new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(t, key, receiver) as unknown;
    },
  });
  return { tags, reads: () => reads };
}

function marker(dir: '>' | '<', tags: string[]): ResolvedMarker {
  return { dir, id: 1, idKind: 'num', tags, args: [], ext: {} };
}

function table(): { spans: SpanTable; procs: ProcTable<OpenSpan>; finished: OpenSpan[] } {
  const finished: OpenSpan[] = [];
  const procs = new ProcTable<OpenSpan>({ threadExit: () => {}, processExit: () => {} });
  procs.seed(oneProcess(10));
  const stats = {
    spansStarted: 0,
    spansFinished: 0,
    unmatchedExits: 0,
    badContext: 0,
    spansEvicted: 0,
  } as CorrelatorStats;
  const spans = new SpanTable({
    ids: new IdGenerator(SEED),
    maxOpenSpans: 10_000,
    maxOpenBytes: Infinity,
    stats,
    procs,
    finish: (s) => finished.push(s),
  });
  return { spans, procs, finished };
}

describe('span matching cost', () => {
  it('reads each tag of a marker a bounded number of times, on enter (prefix parents) and exit', () => {
    const { spans, procs, finished } = table();
    const thread = procs.thread(10, 10);
    // open spans on several prefixes of the long tag list, so the prefix-parent walk has something to find
    for (const k of [1, 2, 50, 200]) spans.enter(marker('>', countedTags(k).tags), thread, 1);
    const n = 256;
    const enter = countedTags(n);
    const span = spans.enter(marker('>', enter.tags), thread, 2);
    expect(enter.reads()).toBeLessThanOrEqual(8 * n); // every prefix rebuilt from its tags would be ~n²/2 = 32640
    const exit = countedTags(n);
    expect(spans.exit(marker('<', exit.tags), thread, 3)).toBe(true);
    expect(exit.reads()).toBeLessThanOrEqual(8 * n);
    expect(finished.at(-1)).toBe(span);
    // the parent is the most recent open span whose tags are a proper prefix (t0.t1...t199)
    const parent = [...spans.open()].find((s) => s.tags.length === 200)!;
    expect(span.record.parentSpanId).toBe(parent.record.spanId);
  });

  it('keeps the tag paths of ended spans for reuse, at most 4096 nodes, and still matches after dropping them', () => {
    const { spans, procs, finished } = table();
    const thread = procs.thread(10, 10);
    // a path repeated per request keeps its nodes
    for (let r = 0; r < 3; r++) {
      spans.enter(marker('>', ['req']), thread, 0);
      spans.enter(marker('>', ['req', 'load']), thread, 1);
      spans.exit(marker('<', ['req', 'load']), thread, 2);
      spans.exit(marker('<', ['req']), thread, 2);
      expect(spans.tagNodes).toBe(2);
    }
    // a writer inventing paths cannot grow the tree past the bound
    for (let i = 0; i < 10_000; i++) {
      spans.enter(marker('>', [`p${i}`, 'x', 'y']), thread, 3 + i);
      spans.exit(marker('<', [`p${i}`, 'x', 'y']), thread, 3 + i);
    }
    expect(spans.tagNodes).toBeLessThanOrEqual(4096);
    expect(finished).toHaveLength(10_006);
    // open spans keep their nodes whatever the count; matching works on kept and rebuilt paths alike
    for (let i = 0; i < 5000; i++) spans.enter(marker('>', [`q${i}`]), thread, 20_000);
    expect(spans.tagNodes).toBeGreaterThanOrEqual(5000);
    for (let i = 0; i < 5000; i++) expect(spans.exit(marker('<', [`q${i}`]), thread, 20_001)).toBe(true);
    expect(spans.tagNodes).toBeLessThanOrEqual(4096);
    spans.enter(marker('>', ['p3', 'x', 'y']), thread, 20_002);
    expect(spans.exit(marker('<', ['p3', 'x', 'y']), thread, 20_003)).toBe(true);
    expect(spans.size).toBe(0);
  });

  it('declares a marker with more tags than MAX_TAGS malformed and counts it apart', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    const tags = (n: number) => Array(n).fill('a').join('.');
    s.marker(10, 10, `>:1:${tags(MAX_TAGS)}::`);
    s.marker(10, 10, `<:1:${tags(MAX_TAGS)}::`);
    s.marker(10, 10, `>:2:${tags(MAX_TAGS + 1)}::`);
    s.marker(10, 10, `<:2:${tags(20_000)}::`);
    c.pushBatch(s.events);
    expect(spans).toHaveLength(1);
    expect(spans[0].span.incomplete).toBeUndefined();
    expect(c.stats()).toMatchObject({ markers: 2, malformedMarkers: 2, markersOverTagLimit: 2, unmatchedExits: 0 });
  });
});

describe('open-span table bounded by bytes', () => {
  it('evicts the oldest open spans when their args hold more than maxOpenSpanBytes, and counts it', () => {
    const { c, spans } = collect({ maxOpenSpanBytes: 1 << 20 }, oneProcess(10));
    const s = new Stream();
    const blob = 'x'.repeat(31_000);
    for (let i = 1; i <= 100; i++) s.marker(10, 10, `>:${i}:open:blob=${blob}:`);
    c.pushBatch(s.events);
    const st = c.stats();
    expect(st.spansEvictedByBytes).toBeGreaterThan(60); // 100 × 31 KB (62 KB estimated) against 1 MiB: about 16 stay
    expect(st.spansEvicted).toBe(st.spansEvictedByBytes);
    expect(st.openSpans).toBe(100 - st.spansEvicted);
    expect(st.openSpanBytes).toBeLessThanOrEqual(1 << 20);
    expect(st.openSpanBytes).toBeGreaterThan(st.openSpans * 31_000);
    expect(spans).toHaveLength(st.spansEvicted);
    expect(spans[0].span.attributes.blob).toBe(blob); // the oldest went first, whole and marked
    expect(spans[0].span.name).toBe('open');
    expect(spans.every(({ span }) => span.incomplete === 'evicted' && span.status === 'error')).toBe(true);
  });

  it('counts the system call records an open span holds: paths a process chooses evict too', () => {
    const { c, spans } = collect({ maxOpenSpanBytes: 256 << 10 }, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:1:old::');
    s.marker(10, 10, '>:2:busy::');
    const path = `/${'p'.repeat(4000)}`;
    for (let i = 0; i < 100; i++) s.sys(10, 10, 'openat', { args: [-100, 0, 0, 0, 0, 0], path, ret: -2 });
    c.pushBatch(s.events);
    expect(c.stats().spansEvictedByBytes).toBeGreaterThanOrEqual(1);
    expect(spans[0].span.name).toBe('old');
    expect(c.stats().openSpanBytes).toBeLessThanOrEqual(256 << 10);
    c.close();
    expect(c.stats()).toMatchObject({ openSpans: 0, openSpanBytes: 0 });
  });
});
