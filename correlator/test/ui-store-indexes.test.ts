// The store's running indexes agree with a scan of the retained spans across evictions: the calls per syscall name
// (/api/syscalls) and the spans per trace (the whole-trace answer), with hostile ids and syscall numbers.

import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../src/model.js';
import { createUiApp } from '../src/ui/app.js';
import { type SpanStore as Store, SpanStore, type TraceTree } from '../src/ui/store.js';
import { CLOCK, proc, request, span, syscall } from './ui-synthetic.js';

const P = proc(100, 'shop');

/** Calls per syscall name, counted from every retained span. */
function scannedCounts(store: Store): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const entry of store.matching({}))
    for (const sc of entry.span.syscalls) counts.set(sc.name, (counts.get(sc.name) ?? 0) + sc.count);
  return [...counts]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

/** Span names in a trace tree (explicit stack), sorted. */
function treeNames(tree: TraceTree): string[] {
  const names: string[] = [];
  const stack = [...tree.roots];
  while (stack.length) {
    const node = stack.pop()!;
    names.push(node.entry.span.name);
    stack.push(...node.children);
  }
  return names.sort();
}

/** Names of the retained spans of a trace, found by a scan (the span `get` answers for each id). */
function scannedTrace(store: Store, traceId: string): string[] {
  return store
    .matching({})
    .filter((e) => e.span.traceId === traceId && store.get(traceId, e.span.spanId) === e)
    .map((e) => e.span.name)
    .sort();
}

describe('calls per syscall name', () => {
  it('stay equal to a scan of the retained spans while spans are evicted', async () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 30 });
    const app = createUiApp({ store });
    const names = ['read', 'write', 'fsync', 'futex'];
    for (let i = 0; i < 200; i++) {
      const calls = Array.from({ length: 1 + (i % 5) }, (_, k) =>
        syscall({ name: names[(i + k) % (i < 100 ? 4 : 2)], ts: i * 1e6 + k, dur: 10, count: 1 + ((i * k) % 7) }),
      );
      store.add(span({ name: `s${i}`, start: i * 1e6, end: i * 1e6 + 100, syscalls: calls }), P);
      if (i % 17 === 0 || i === 199) {
        const res = await app.request('/api/syscalls');
        expect(res.status).toBe(200);
        expect(((await res.json()) as { names: unknown }).names).toEqual(scannedCounts(store));
      }
    }
    // the last 100 spans made only read/write: fsync and futex left the list with the spans that made them
    expect(scannedCounts(store).map((n) => n.name)).toEqual(expect.arrayContaining(['read', 'write']));
    expect(store.indexSizes().syscallNames).toBe(2);
  });

  it('keep a bounded number of names against made-up syscall numbers, and empty with the store', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 5000 });
    for (let i = 0; i < 3000; i++)
      store.add(
        span({ name: 'x', start: i, end: i + 1, syscalls: [syscall({ name: `syscall_${1e6 + i}`, ts: i, dur: 1 })] }),
        P,
      );
    expect(store.indexSizes().syscallNames).toBe(1024);
    const fresh = new SpanStore({ clock: CLOCK, maxSpans: 10 });
    for (let i = 0; i < 3000; i++)
      fresh.add(
        span({ name: 'x', start: i, end: i + 1, syscalls: [syscall({ name: `syscall_${i}`, ts: i, dur: 1 })] }),
        P,
      );
    expect(fresh.indexSizes().syscallNames).toBe(10);
    expect(scannedCounts(fresh)).toEqual(
      [...fresh.syscallCallCounts()]
        .map(([name, count]) => ({ name, count }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
  });
});

describe('spans per trace', () => {
  it('follow evictions span by span, and a span id reused across traces and within one', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 40 });
    const traceA = 'a'.repeat(32);
    const traceB = 'b'.repeat(32);
    const shared = '1'.repeat(16);
    const added: SpanRecord[] = [];
    for (let i = 0; i < 120; i++) {
      const traceId = i % 3 === 0 ? traceA : i % 3 === 1 ? traceB : `${i}`.padStart(32, 'c');
      // every fifth span of A and B reuses one span id: in both traces, and again within each
      const spanId = i % 5 === 0 ? shared : `${i}`.padStart(16, 'd');
      const s = span({ traceId, spanId, name: `n${i}`, start: i * 1e6, end: i * 1e6 + 10 });
      store.add(s, P);
      added.push(s);
      for (const traceId of [traceA, traceB]) {
        const newest = [...added].reverse().find((r) => r.traceId === traceId && store.get(traceId, r.spanId));
        if (!newest) continue;
        expect(treeNames(store.trace(traceId, newest.spanId)!)).toEqual(scannedTrace(store, traceId));
      }
    }
    // the 40 retained (spans 80–119): 13 in each of A and B, 14 single-span traces
    const sizes = store.indexSizes();
    expect(sizes.spans).toBe(40);
    expect(sizes.traces).toBe(2 + 14);
  });

  it('empties as a huge trace is evicted oldest first', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 1000 });
    const traceId = 'e'.repeat(32);
    for (let i = 0; i < 5000; i++)
      store.add(span({ traceId, spanId: `${i}`.padStart(16, '0'), name: `n${i}`, start: i, end: i + 1 }), P);
    const last = `${4999}`.padStart(16, '0');
    const tree = store.trace(traceId, last)!;
    expect(treeNames(tree)).toEqual(scannedTrace(store, traceId));
    expect(treeNames(tree)).toHaveLength(1000);
    for (const [child] of Array.from({ length: 1000 }, (_, i) => request(1e10 + i * 1e6, 1e3))) store.add(child, P);
    expect(store.get(traceId, last)).toBeUndefined();
    expect(store.indexSizes().traces).toBe(1000);
  });
});
