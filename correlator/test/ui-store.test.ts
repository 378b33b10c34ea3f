import { describe, expect, it } from 'vitest';
import { BOUNDARIES_NS, BUCKET_COUNT, bucketOf, bucketTable, COLUMN_US } from '../src/ui/buckets.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK, loopBlocking, proc, request, span, syscall } from './ui-synthetic.js';

const P = proc(100, 'shop');
const wallUs = (monoNs: number) => Number((BigInt(monoNs) + CLOCK.wallOffsetNs) / 1000n);

describe('duration buckets', () => {
  it('cover 1 µs … 100 s with several buckets per decade and agree with their boundaries', () => {
    expect(BOUNDARIES_NS[0]).toBe(1_000);
    expect(BOUNDARIES_NS[BUCKET_COUNT]).toBe(100_000_000_000);
    expect(BUCKET_COUNT).toBeGreaterThanOrEqual(8 * 3);
    for (let i = 1; i < BUCKET_COUNT; i++) {
      expect(bucketOf(BOUNDARIES_NS[i])).toBe(i);
      expect(bucketOf(BOUNDARIES_NS[i] - 1)).toBe(i - 1);
    }
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1e15)).toBe(BUCKET_COUNT - 1);
    const table = bucketTable();
    expect(table[0].lowNs).toBe(0);
    expect(table[BUCKET_COUNT - 1].highNs).toBeNull();
  });
});

describe('SpanStore', () => {
  function filled() {
    const store = new SpanStore({ clock: CLOCK });
    const s = 1e9;
    // 3 fast requests in the first column, 1 slow one in the third column, one from another service.
    for (const t of [0.1, 0.5, 1.0]) for (const r of request(t * s, 2_000_000)) store.add(r, P);
    for (const r of request(4.5 * s, 2_500_000_000, 100, 'GET /report')) store.add(r, P);
    for (const r of request(0.7 * s, 30_000_000, 200, 'GET /users')) store.add(r, proc(200, 'accounts'));
    return store;
  }

  it('answers time and duration windows with filters, slowest first', () => {
    const store = filled();
    expect(store.size).toBe(10);
    const all = store.query({});
    expect(all.total).toBe(10);
    expect(all.spans[0].span.name).toBe('GET /report');
    expect(all.spans.map((e) => e.durationNs)).toEqual([...all.spans.map((e) => e.durationNs)].sort((a, b) => b - a));

    const slow = store.query({ minDurationNs: 1e9 });
    expect(slow.spans.map((e) => e.span.name)).toEqual(['GET /report', 'db.query']);

    const firstTwoSeconds = store.query({ fromUs: wallUs(0), toUs: wallUs(2e9) });
    expect(firstTwoSeconds.total).toBe(8);
    const late = store.query({ fromUs: wallUs(4e9) });
    expect(late.spans.map((e) => e.span.name).sort()).toEqual(['GET /report', 'db.query']);

    expect(
      store
        .query({ service: 'accounts' })
        .spans.map((e) => e.span.name)
        .sort(),
    ).toEqual(['GET /users', 'db.query']);
    expect(store.query({ pid: 200 }).total).toBe(2);
    expect(store.query({ name: 'get /' }).total).toBe(5); // case-insensitive substring
    expect(store.query({ name: 'DB.', service: 'shop' }).total).toBe(4);
    expect(store.query({ order: 'oldest', limit: 2 }).spans.map((e) => e.startUs)).toEqual([
      wallUs(0.1e9),
      wallUs(0.1e9 + 400_000),
    ]);
    expect(store.query({ limit: 3 })).toMatchObject({ total: 10 });
    expect(store.query({ limit: 3 }).spans).toHaveLength(3);
  });

  it('builds spectrogram cells whose counts equal the spans a window query over the same cell returns', () => {
    const store = filled();
    const sp = store.spectrogram({});
    expect(sp.cells.reduce((n, c) => n + c.n, 0)).toBe(10);
    expect(sp.firstColumnMs).toBe(Math.floor(wallUs(0.1e9) / COLUMN_US) * 2000);
    expect(sp.lastColumnMs).toBe(Math.floor(wallUs(4.5e9) / COLUMN_US) * 2000);
    for (const cell of sp.cells) {
      const q = store.query({
        fromUs: cell.t * 1000,
        toUs: cell.t * 1000 + COLUMN_US,
        minDurationNs: cell.b === 0 ? 0 : BOUNDARIES_NS[cell.b],
        maxDurationNs: BOUNDARIES_NS[cell.b + 1],
      });
      expect(q.total).toBe(cell.n);
    }
    const slowCell = sp.cells.find((c) => c.b === bucketOf(2_500_000_000))!;
    expect(slowCell).toMatchObject({ n: 1, t: sp.lastColumnMs });
    expect(store.spectrogram({ service: 'accounts' }).cells.reduce((n, c) => n + c.n, 0)).toBe(2);
    expect(store.spectrogram({ fromUs: wallUs(4e9) }).cells.reduce((n, c) => n + c.n, 0)).toBe(2);
    expect(sp.maxCount).toBeGreaterThan(1);
    // A window cutting through a column counts only the spans inside it.
    const cut = store.spectrogram({ fromUs: wallUs(0.4e9), toUs: wallUs(0.9e9) });
    expect(cut.cells.reduce((n, c) => n + c.n, 0)).toBe(
      store.query({ fromUs: wallUs(0.4e9), toUs: wallUs(0.9e9) }).total,
    );
    expect(store.spectrogram({ name: '' })).toEqual(sp);
  });

  it('returns one span with its child spans and system calls, and survives hostile parent cycles', () => {
    const store = new SpanStore({ clock: CLOCK });
    const [db, root] = request(0, 5_000_000);
    const grandchild = span({
      traceId: root.traceId,
      parentSpanId: db.spanId,
      name: 'db.parse',
      start: 3e6,
      end: 3.1e6,
    });
    store.add(grandchild, P);
    store.add(db, P);
    store.add(root, P);
    const tree = store.tree(root.traceId, root.spanId)!;
    expect(tree.entry.span.name).toBe('GET /products');
    expect(tree.entry.span.syscalls.map((s) => s.name)).toEqual(['openat', 'read', 'openat', 'writev']);
    expect(tree.children.map((c) => c.entry.span.name)).toEqual(['db.query']);
    expect(tree.children[0].children.map((c) => c.entry.span.name)).toEqual(['db.parse']);
    expect(store.tree(root.traceId, 'ffffffffffffffff')).toBeNull();

    const selfParent = span({ name: 'loop', start: 0, end: 10 });
    selfParent.parentSpanId = selfParent.spanId;
    const other = span({
      traceId: selfParent.traceId,
      name: 'loop2',
      start: 1,
      end: 5,
      parentSpanId: selfParent.spanId,
    });
    selfParent.parentSpanId = other.spanId; // a ↔ b
    store.add(selfParent, P);
    store.add(other, P);
    const cyc = store.tree(selfParent.traceId, selfParent.spanId)!;
    expect(cyc.children.map((c) => c.entry.span.name)).toEqual(['loop2']);
    expect(cyc.children[0].children).toEqual([]);
  });

  it('keeps memory bounded: old spans drop out, are counted, and every index shrinks with them', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 100 });
    for (let i = 0; i < 1000; i++) {
      for (const r of request(i * 1e8, 1e6 + i, 100 + (i % 50), `route ${i}`))
        store.add(r, proc(100 + (i % 50), `svc${i}`));
    }
    const stats = store.stats();
    expect(stats).toMatchObject({ spans: 100, added: 2000, evicted: 1900, maxSpans: 100 });
    expect(stats.syscalls).toBe(50 * 6);
    const sizes = store.indexSizes();
    expect(sizes.spans).toBe(100);
    expect(sizes.keys).toBe(100);
    expect(sizes.columnEntries).toBe(100);
    expect(sizes.childEntries).toBeLessThanOrEqual(100);
    expect(sizes.names).toBeLessThanOrEqual(51);
    expect(sizes.services).toBe(50);
    expect(sizes.columns).toBeLessThanOrEqual(100);
    // The oldest are gone, the newest are there.
    expect(store.query({ name: 'route 0' }).total).toBe(0);
    expect(store.query({ name: 'route 999' }).total).toBe(1);
    expect(store.spectrogram({}).cells.reduce((n, c) => n + c.n, 0)).toBe(100);
    expect(sizes.columnCounts).toBe(sizes.columns);
    // The incrementally kept counts (unfiltered) agree with counting the retained spans (a match-all filter).
    expect(store.spectrogram({})).toEqual(store.spectrogram({ name: '' }));
  });

  it('also bounds the total number of system-call records', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 1000, maxSyscalls: 10 });
    const calls = (n: number) => Array.from({ length: n }, (_, i) => syscall({ name: 'read', ts: i, dur: 1 }));
    store.add(span({ name: 'a', start: 0, end: 10, syscalls: calls(6) }), P);
    store.add(span({ name: 'b', start: 0, end: 10, syscalls: calls(3) }), P);
    expect(store.stats()).toMatchObject({ spans: 2, syscalls: 9, evicted: 0 });
    store.add(span({ name: 'c', start: 0, end: 10, syscalls: calls(4) }), P);
    expect(store.stats()).toMatchObject({ spans: 2, syscalls: 7, evicted: 1 });
    expect(
      store
        .query({})
        .spans.map((e) => e.span.name)
        .sort(),
    ).toEqual(['b', 'c']);
  });

  it('also bounds the text the spans hold (hostile paths and attributes as long as the snap length allows)', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 1000, maxSyscalls: 1000, maxTextBytes: 10_000 });
    const longPath = `/tmp/${'x'.repeat(3995)}`; // 4000 characters
    const opens = (n: number) =>
      Array.from({ length: n }, (_, i) => syscall({ name: 'openat', ts: i, dur: 1, path: longPath, target: longPath }));
    store.add(span({ name: 'a', start: 0, end: 10, syscalls: opens(1) }), P); // 1 + 4000
    store.add(span({ name: 'b', start: 0, end: 10, attributes: { k: 'v'.repeat(999) } }), P); // 1 + 1000
    expect(store.stats()).toMatchObject({ spans: 2, textBytes: 5002, maxTextBytes: 10_000, evicted: 0 });
    store.add(span({ name: 'c', start: 0, end: 10, syscalls: opens(2) }), P); // 1 + 8000: a must go
    expect(store.stats()).toMatchObject({ spans: 2, textBytes: 9002, evicted: 1 });
    expect(
      store
        .query({})
        .spans.map((e) => e.span.name)
        .sort(),
    ).toEqual(['b', 'c']);
    // a single span beyond the bound is not kept either (and counted)
    store.add(span({ name: 'd', start: 0, end: 10, syscalls: opens(3) }), P);
    expect(store.stats()).toMatchObject({ spans: 0, textBytes: 0, evicted: 4 });
  });

  it('counts the name of a loop-busy culprit against the text bound, and finds culprits by span id per process', () => {
    const store = new SpanStore({ clock: CLOCK, maxTextBytes: 10_000 });
    const [waiting, heavy] = loopBlocking(0, 200, 'h'.repeat(6000));
    store.add(heavy, proc(200, 'users')); // its name: 6000
    store.add(waiting, proc(200, 'users')); // 14 + the culprit's name it carries: 6000 — the heavy span must go
    expect(store.stats()).toMatchObject({ spans: 1, textBytes: 6014, evicted: 1 });

    // Hostile processes reuse span ids: the lookup is per process, and the newest span wins.
    const other = span({ name: 'same id, other process', start: 0, end: 10, spanId: heavy.spanId, pid: 300 });
    const older = span({ name: 'older', start: 0, end: 10, spanId: heavy.spanId, pid: 200 });
    const newer = span({ name: 'newer', start: 0, end: 10, spanId: heavy.spanId, pid: 200 });
    for (const s of [other, older, newer]) store.add(s, proc(s.pid, 'x'));
    const find = store.bySpanId(new Set([heavy.spanId]));
    expect(find(200, heavy.spanId)?.span.name).toBe('newer');
    expect(find(300, heavy.spanId)?.span.name).toBe('same id, other process');
    expect(find(400, heavy.spanId)).toBeUndefined();
    expect(store.bySpanId(new Set())(200, heavy.spanId)).toBeUndefined();
  });

  it('re-indexes retained spans when the clock is set later', () => {
    const store = new SpanStore();
    store.add(span({ name: 'x', start: 5e9, end: 6e9 }), P);
    expect(store.query({}).spans[0].startUs).toBe(5e6);
    store.setClock(CLOCK);
    expect(store.query({}).spans[0].startUs).toBe(wallUs(5e9));
    expect(store.spectrogram({}).firstColumnMs).toBe(Math.floor(wallUs(5e9) / COLUMN_US) * 2000);
  });

  it('notifies subscribers of new spans; a failing subscriber does not stop the others', () => {
    const store = new SpanStore({ clock: CLOCK });
    const seen: string[] = [];
    store.subscribe(() => {
      throw new Error('closed stream');
    });
    const unsubscribe = store.subscribe((e) => seen.push(e.span.name));
    store.add(span({ name: 'one', start: 0, end: 1 }), P);
    unsubscribe();
    store.add(span({ name: 'two', start: 0, end: 1 }), P);
    expect(seen).toEqual(['one']);
    expect(store.size).toBe(2);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new SpanStore({ maxSpans: 0 })).toThrow(/maxSpans must be a positive integer/);
  });
});
