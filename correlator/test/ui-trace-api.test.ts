// /api/spans/:traceId/:spanId answers the whole retained trace around the requested span: parents, siblings,
// other roots, with `focus` pointing at the span asked for, bounded on hostile traces (cycles, huge traces).

import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../src/model.js';
import { createUiApp } from '../src/ui/app.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK, hexId, proc, request, span, syscall } from './ui-synthetic.js';

const P = proc(100, 'shop');

function appWith(spans: SpanRecord[], maxSpans = 1000) {
  const store = new SpanStore({ clock: CLOCK, maxSpans, maxSyscalls: 1_000_000 });
  for (const s of spans) store.add(s, P);
  const app = createUiApp({ store });
  return async (s: SpanRecord) => {
    const res = await app.request(`/api/spans/${s.traceId}/${s.spanId}`);
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  };
}

const names = (d: any) => d.tree.nodes.map((n: any) => n.span.name);

describe('span detail: the whole trace', () => {
  it('answers parents, siblings and other roots of the trace, depth-first by start, with the focus index', async () => {
    const [db, root] = request(1e9, 10e6);
    const sibling = span({
      traceId: root.traceId,
      parentSpanId: root.spanId,
      name: 'cache.get',
      start: 1.001e9,
      end: 1.002e9,
    });
    const grandchild = span({
      traceId: root.traceId,
      parentSpanId: db.spanId,
      name: 'db.parse',
      start: 1.004e9,
      end: 1.0045e9,
    });
    // its parent was never seen: a second root, started before the first
    const orphan = span({
      traceId: root.traceId,
      parentSpanId: hexId(16),
      name: 'early orphan',
      start: 0.9e9,
      end: 0.95e9,
    });
    const [, otherTrace] = request(1e9, 5e6);
    const get = appWith([grandchild, db, sibling, orphan, root, otherTrace]);

    const d = await get(db);
    expect(names(d)).toEqual(['early orphan', 'GET /products', 'cache.get', 'db.query', 'db.parse']);
    expect(d.tree.nodes.map((n: any) => [n.parent, n.depth])).toEqual([
      [null, 0],
      [null, 0],
      [1, 1],
      [1, 1],
      [3, 2],
    ]);
    expect(d.tree.focus).toBe(3);
    expect(d.tree.omittedSpans).toBe(0);
    // offsets from the earliest span of the answer, system calls too
    expect(d.tree.nodes[0].offsetNs).toBe(0);
    expect(d.tree.nodes[1].offsetNs).toBe(0.1e9);
    expect(d.tree.nodes[3].syscalls[0].offsetNs).toBe(db.syscalls[0].ts - 0.9e9);
    // where the time went stays the requested span's (with its descendants)
    expect(d.breakdown).toMatchObject({ durationNs: db.end - db.start, spans: 2 });
    expect(d.parentRetained).toBe(true);

    const fromRoot = await get(root);
    expect(names(fromRoot)).toEqual(names(d));
    expect(fromRoot.tree.focus).toBe(1);
  });

  it('keeps spans whose parents form a cycle, entered at the cycle so the spans below keep their place', async () => {
    const a = span({ name: 'a', start: 10, end: 100 });
    const b = span({ traceId: a.traceId, parentSpanId: a.spanId, name: 'b', start: 20, end: 90 });
    a.parentSpanId = b.spanId; // a ↔ b
    const c = span({ traceId: a.traceId, parentSpanId: a.spanId, name: 'c', start: 5, end: 8 }); // starts first
    const self = span({ traceId: a.traceId, name: 'self', start: 1, end: 2 });
    self.parentSpanId = self.spanId;
    const get = appWith([a, b, c, self]);
    for (const focus of [a, b, c, self]) {
      const d = await get(focus);
      expect(names(d)).toEqual(['self', 'a', 'c', 'b']); // children by start
      expect(d.tree.nodes[d.tree.focus].span.spanId).toBe(focus.spanId);
      expect(d.tree.nodes.map((n: any) => n.parent)).toEqual([null, null, 1, 1]);
    }
  });

  it('caps a huge trace at 10,000 spans, counting the rest, and always keeps the requested span and its ancestors', async () => {
    const root = span({ name: 'root', start: 0, end: 1e9 });
    const wide: SpanRecord[] = [root];
    for (let i = 0; i < 12_000; i++)
      wide.push(
        span({ traceId: root.traceId, parentSpanId: root.spanId, name: `kid ${i}`, start: 10 + i, end: 20 + i }),
      );
    const last = wide[wide.length - 1];
    const deep = span({
      traceId: root.traceId,
      parentSpanId: last.spanId,
      name: 'under the last',
      start: 12_100,
      end: 12_200,
    });
    wide.push(deep);
    const get = appWith(wide, 20_000);
    const d = await get(deep);
    expect(d.tree.nodes).toHaveLength(10_000);
    expect(d.tree.omittedSpans).toBe(12_002 - 10_000);
    const tail = d.tree.nodes.slice(-2);
    expect(tail.map((n: any) => n.span.name)).toEqual(['kid 11999', 'under the last']);
    expect(tail[1].parent).toBe(d.tree.nodes.length - 2);
    expect(tail[0].parent).toBe(0);
    expect(d.tree.focus).toBe(9_999);
  });

  it('serves the requested span its system calls first when the trace holds more than the response cap', async () => {
    const root = span({ name: 'busy root', start: 0, end: 1e9 });
    root.syscalls = Array.from({ length: 20_000 }, (_, i) => syscall({ name: 'futex', ts: 10 + i, dur: 1 }));
    const child = span({ traceId: root.traceId, parentSpanId: root.spanId, name: 'child', start: 1e6, end: 2e6 });
    child.syscalls = [syscall({ name: 'rmdir', ts: 1.5e6, dur: 37e6, path: '/var/lib/x' })];
    const get = appWith([child, root]);
    const d = await get(child);
    const [r, c] = d.tree.nodes;
    expect(c.syscalls.map((s: any) => s.name)).toEqual(['rmdir']);
    expect(r.syscalls).toHaveLength(19_999);
    expect(r.omittedSyscalls).toBe(1);
  });
});
