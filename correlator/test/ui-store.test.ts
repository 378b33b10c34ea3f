import { describe, expect, it } from 'vitest';
import { BOUNDARIES_NS, BUCKET_COUNT, bucketOf, bucketTable } from '../src/ui/buckets.js';
import type { FilterSubject } from '../src/ui/filter-subject.js';
import { IdMap } from '../src/ui/id-map.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK, accountedRequest, loopBlocking, proc, request, span, syscall } from './ui-synthetic.js';

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
    expect(sp.total).toBe(10);
    // 4.9 s of span starts (the last: the slow request's db.query) in about 120 columns: 50 ms columns, the
    // range fitted to the first and last start
    expect(sp.columnMs).toBe(50);
    expect(sp.fromMs).toBe(Math.floor(wallUs(0.1e9) / 50_000) * 50);
    expect(sp.toMs).toBe(Math.ceil((wallUs(5e9) + 1) / 50_000) * 50);
    expect(sp.columns).toBe((sp.toMs! - sp.fromMs!) / 50);
    expect(sp.dataRange).toEqual({ firstMs: wallUs(0.1e9) / 1000, lastMs: wallUs(5e9) / 1000 });
    for (const cell of sp.cells) {
      const fromUs = (sp.fromMs! + cell.c * sp.columnMs) * 1000;
      const q = store.query({
        fromUs,
        toUs: fromUs + sp.columnMs * 1000,
        minDurationNs: cell.b === 0 ? 0 : BOUNDARIES_NS[cell.b],
        maxDurationNs: BOUNDARIES_NS[cell.b + 1],
      });
      expect(q.total).toBe(cell.n);
    }
    const slowCell = sp.cells.find((c) => c.b === bucketOf(2_500_000_000))!;
    expect(slowCell).toMatchObject({ n: 1, c: Math.floor((wallUs(4.5e9) / 1000 - sp.fromMs!) / 50) });
    // the shortest: the db.query (1 ms) of a 2 ms request
    expect(sp.bucketRange).toEqual({ min: bucketOf(1_000_000), max: bucketOf(2_500_000_000) });
    expect(store.spectrogram({ service: 'accounts' }).cells.reduce((n, c) => n + c.n, 0)).toBe(2);
    const late = store.spectrogram({ fromUs: wallUs(4e9) });
    expect(late.cells.reduce((n, c) => n + c.n, 0)).toBe(2);
    expect(late.fromMs).toBe(wallUs(4e9) / 1000); // a given side stays as given
    expect(late.dataRange).toEqual(sp.dataRange); // whatever the range
    expect(sp.maxCount).toBe(1);
    const coarse = store.spectrogram({ columns: 10 });
    expect(coarse.columnMs).toBe(500);
    expect(coarse.total).toBe(10);
    // A window cutting through a column counts only the spans inside it.
    const cut = store.spectrogram({ fromUs: wallUs(0.4e9), toUs: wallUs(0.9e9) });
    expect(cut.cells.reduce((n, c) => n + c.n, 0)).toBe(
      store.query({ fromUs: wallUs(0.4e9), toUs: wallUs(0.9e9) }).total,
    );
    expect(store.spectrogram({ name: '' })).toEqual(sp);
    const empty = store.spectrogram({ name: 'no such span' });
    expect(empty).toMatchObject({ fromMs: null, toMs: null, cells: [], bucketRange: null, dataRange: null, total: 0 });
  });

  it('fits the column width to the range: ms columns for 1.25 s, 200 ms for 20 s, 100 s for 2 h', () => {
    const fitted = (seconds: number, columns?: number) => {
      const store = new SpanStore({ clock: CLOCK });
      for (let i = 0; i <= 100; i++) store.add(span({ name: 'r', start: (i / 100) * seconds * 1e9, end: 1e12 }), P);
      return store.spectrogram({ columns });
    };
    for (const [seconds, columnMs] of [
      [1.25, 20],
      [20, 200],
      [7200, 100_000],
    ] as const) {
      const sp = fitted(seconds);
      expect(sp.columnMs).toBe(columnMs);
      expect(sp.columns).toBeGreaterThanOrEqual(120 / 5);
      expect(sp.columns).toBeLessThanOrEqual(121);
      expect(sp.total).toBe(101);
      expect(sp.fromMs! % columnMs).toBe(0);
    }
    // 101 spans 12.5 ms apart in 20 ms columns: some columns hold two
    expect(fitted(1.25).maxCount).toBe(2);
    expect(fitted(1.25, 1000).columnMs).toBe(2); // the client may ask for more columns
    expect(fitted(0.01, 1000).columnMs).toBe(1); // never below 1 ms
    // a given range is cut into about `columns` columns, whatever the data
    const store = new SpanStore({ clock: CLOCK });
    store.add(span({ name: 'one', start: 0, end: 1 }), P);
    const from = wallUs(0);
    const sp = store.spectrogram({ fromUs: from, toUs: from + 60e6, columns: 60 });
    expect(sp).toMatchObject({
      fromMs: from / 1000,
      toMs: from / 1000 + 60_000,
      columnMs: 1000,
      columns: 60,
      total: 1,
    });
    expect(sp.cells).toEqual([{ c: 0, b: 0, n: 1 }]);
    // a single span: one column around it
    expect(store.spectrogram({})).toMatchObject({ columnMs: 1, columns: 1, total: 1, cells: [{ c: 0, b: 0, n: 1 }] });
  });

  it('counts root, server or all spans, and applies a filter predicate', () => {
    const store = filled();
    // 5 requests: each a server root span with a client db.query child
    expect(store.spectrogram({ scope: 'root' }).total).toBe(5);
    expect(store.spectrogram({ scope: 'server' }).total).toBe(5);
    expect(store.spectrogram({ scope: 'all' }).total).toBe(10);
    expect(store.spectrogram({}).total).toBe(10);
    // a child of a remote parent (trace context from another process) is a root of its process
    const remote = span({
      name: 'remote child',
      start: 1e9,
      end: 2e9,
      parentSpanId: 'f'.repeat(16),
      remoteParent: true,
    });
    store.add(remote, P);
    const internal = span({ name: 'internal child', start: 1e9, end: 2e9, parentSpanId: 'e'.repeat(16) });
    store.add(internal, P);
    expect(store.query({ scope: 'root', limit: 100 }).spans.map((e) => e.span.name)).toContain('remote child');
    expect(store.query({ scope: 'root', limit: 100 }).spans.map((e) => e.span.name)).not.toContain('internal child');
    expect(store.query({ scope: 'root' }).total).toBe(6);
    expect(store.matching({ scope: 'server' })).toHaveLength(5);

    const seen: FilterSubject[] = [];
    const slowDb = {
      text: 'dur>100ms syscall.name=recvfrom',
      usesSyscalls: true,
      test: (s: FilterSubject) => {
        seen.push(s);
        return (
          s.durationNs > 100e6 && [...s.syscalls()].some((c) => c.name === 'recvfrom' && c.peer === '127.0.0.1:5432')
        );
      },
    };
    expect(store.query({ where: slowDb }).spans.map((e) => e.span.name)).toEqual(['db.query']);
    expect(store.spectrogram({ where: slowDb }).total).toBe(1);
    expect(store.matching({ where: slowDb })).toHaveLength(1);
    // scope is tested first: the predicate sees only spans in scope
    seen.length = 0;
    expect(store.spectrogram({ where: slowDb, scope: 'root' }).total).toBe(0);
    expect(seen.every((s) => s.kind === 'server' || s.name === 'remote child')).toBe(true);
    const byAttribute = {
      text: 'table=products',
      usesSyscalls: false,
      test: (s: FilterSubject) => s.attribute('table') === 'products',
    };
    expect(store.query({ where: byAttribute }).total).toBe(5);
    const noProto = {
      text: 'constructor',
      usesSyscalls: false,
      test: (s: FilterSubject) => s.attribute('constructor') !== undefined,
    };
    expect(store.query({ where: noProto }).total).toBe(0);
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
    expect(stats.evictedBy).toEqual({ spans: 1900, syscalls: 0, textBytes: 0 });
    expect(stats.syscalls).toBe(50 * 6);
    const sizes = store.indexSizes();
    expect(sizes.spans).toBe(100);
    expect(sizes.keys).toBe(100);
    expect(sizes.childEntries).toBeLessThanOrEqual(100);
    expect(sizes.names).toBeLessThanOrEqual(51);
    expect(sizes.services).toBe(50);
    // The oldest are gone, the newest are there.
    expect(store.query({ name: 'route 0' }).total).toBe(0);
    expect(store.query({ name: 'route 999' }).total).toBe(1);
    expect(store.spectrogram({}).cells.reduce((n, c) => n + c.n, 0)).toBe(100);
    expect(store.spectrogram({}).dataRange!.firstMs).toBe(store.stats().oldestStartUs! / 1000);
  });

  it('also bounds the total number of system-call records', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 1000, maxSyscalls: 10 });
    const calls = (n: number) => Array.from({ length: n }, (_, i) => syscall({ name: 'read', ts: i, dur: 1 }));
    store.add(span({ name: 'a', start: 0, end: 10, syscalls: calls(6) }), P);
    store.add(span({ name: 'b', start: 0, end: 10, syscalls: calls(3) }), P);
    expect(store.stats()).toMatchObject({ spans: 2, syscalls: 9, evicted: 0 });
    store.add(span({ name: 'c', start: 0, end: 10, syscalls: calls(4) }), P);
    expect(store.stats()).toMatchObject({ spans: 2, syscalls: 7, evicted: 1 });
    expect(store.stats().evictedBy).toEqual({ spans: 0, syscalls: 1, textBytes: 0 });
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
    expect(store.stats().evictedBy).toEqual({ spans: 0, syscalls: 0, textBytes: 4 });
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
    expect(store.spectrogram({}).dataRange?.firstMs).toBe(wallUs(5e9) / 1000);
    expect(store.stats()).toMatchObject({ oldestStartUs: wallUs(5e9), newestStartUs: wallUs(5e9) });
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

  it('keeps a compact copy of each span that reads as the span added, hostile attributes included', () => {
    const store = new SpanStore({ clock: CLOCK });
    const [db, root] = accountedRequest(0);
    root.attributes = JSON.parse('{"__proto__": "x", "http.route": "/a", "n": 3, "ok": true}');
    db.attributes = { inf: Infinity, nan: Number.NaN };
    const [waiting] = loopBlocking(0);
    for (const s of [db, root, waiting]) {
      const kept = store.add(s, P).span;
      expect(kept).not.toBe(s);
      // the calls are decoded on read (a prototype getter, not an own key)
      expect({ ...kept, syscalls: kept.syscalls }).toEqual(s);
    }
    const kept = store.get(root.traceId, root.spanId)!.span;
    expect(Object.keys(kept.attributes)).toEqual(['__proto__', 'http.route', 'n', 'ok']);
    expect(Object.getPrototypeOf(kept.attributes)).toBe(Object.prototype);
    expect(store.get(db.traceId, db.spanId)!.span.attributes).toEqual({ inf: Infinity, nan: Number.NaN });
    expect(store.get(waiting.traceId, waiting.spanId)!.span.times).toEqual(waiting.times);
  });

  it('finds spans by trace and span id when hostile processes reuse a span id across traces', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 3 });
    const id = 'abcdefabcdefabcd';
    const spans = ['1', '2', '3', '4'].map((t) =>
      span({ traceId: t.repeat(32), spanId: id, name: `trace ${t}`, start: 0, end: 1 }),
    );
    const kids = spans.map((p) =>
      span({ traceId: p.traceId, parentSpanId: id, name: `child of ${p.name}`, start: 0, end: 1 }),
    );
    store.add(spans[0], P);
    store.add(spans[1], P);
    expect(store.get('1'.repeat(32), id)?.span.name).toBe('trace 1');
    expect(store.get('2'.repeat(32), id)?.span.name).toBe('trace 2');
    expect(store.get('3'.repeat(32), id)).toBeUndefined();
    store.add(kids[1], P);
    expect(store.tree('2'.repeat(32), id)!.children.map((c) => c.entry.span.name)).toEqual(['child of trace 2']);
    expect(store.tree('1'.repeat(32), id)!.children).toEqual([]);
    store.add(spans[2], P); // trace 1 is evicted
    expect(store.get('1'.repeat(32), id)).toBeUndefined();
    expect(store.get('2'.repeat(32), id)?.span.name).toBe('trace 2');
    expect(store.get('3'.repeat(32), id)?.span.name).toBe('trace 3');
    expect(store.indexSizes()).toMatchObject({ spans: 3, keys: 3, childEntries: 1, childParents: 1 });
    for (const s of [spans[3], kids[3]]) store.add(s, P);
    expect(store.indexSizes()).toMatchObject({ spans: 3, keys: 3, childEntries: 1, childParents: 1 });
    expect(store.tree('4'.repeat(32), id)!.children.map((c) => c.entry.span.name)).toEqual(['child of trace 4']);
    // one span id in two traces: each trace keeps its own value
    const ids = new IdMap<{ trace: string; name: string }>((v) => v.trace);
    ids.set('a', 'x', { trace: 'a', name: 'a/x' });
    ids.set('b', 'x', { trace: 'b', name: 'b/x' });
    ids.set('a', 'y', { trace: 'a', name: 'a/y' });
    ids.delete('a', 'x');
    expect(ids.get('a', 'x')).toBeUndefined();
    expect(ids.get('b', 'x')?.name).toBe('b/x');
    expect(ids.size).toBe(2);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new SpanStore({ maxSpans: 0 })).toThrow(/maxSpans must be a positive integer/);
  });
});
