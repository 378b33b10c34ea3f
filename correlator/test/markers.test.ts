import { describe, expect, it } from 'vitest';
import { readConformanceVectors } from '../../sdk/test/vectors.js';
import { assembleMarker, MAX_MARKER_BYTES, type PendingBudget } from '../src/markers.js';
import type { ThreadState } from '../src/state/proctable.js';
import { Stream, collect, oneProcess } from './synthetic.js';

function thread(tid = 77, pid = 70, ppid = 7): ThreadState {
  const proc = {
    info: { pid, ppid, exe: 'x', exePath: '', cmdline: [], serviceName: 'x' },
  } as unknown as ThreadState['proc'];
  return { tid, proc, stack: [], pending: null, lastMarkerTs: -1 };
}

let budget: PendingBudget = { bytes: 0, max: 16 << 20 };

function feed(t: ThreadState, text: string | Uint8Array, len?: number) {
  const data = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return assembleMarker(
    t,
    { kind: 'marker', ts: 1, tid: t.tid, pid: t.proc.info.pid, cpu: 0, fd: 5, data, len: len ?? data.length },
    budget,
  );
}

describe('marker parsing: the MARKERS.md conformance block', () => {
  const cases = readConformanceVectors();
  it('has examples of every outcome', () => {
    expect(cases.some((c) => 'error' in c)).toBe(true);
    expect(cases.some((c) => 'incomplete' in c)).toBe(true);
    expect(cases.filter((c) => 'dir' in c).length).toBeGreaterThan(10);
  });

  for (const c of cases) {
    it(JSON.stringify(c.in), () => {
      const t = thread();
      const r = feed(t, c.in);
      if ('error' in c) {
        expect(r.kind).toBe('malformed');
        return;
      }
      if ('incomplete' in c) {
        expect(r.kind).toBe('pending');
        expect(t.pending).not.toBeNull();
        return;
      }
      expect(r.kind).toBe('marker');
      if (r.kind !== 'marker') return;
      const m = r.marker;
      expect(m.dir).toBe(c.dir);
      const resolved = c.id === 't' ? 77 : c.id === 'p' ? 70 : c.id === 'pp' ? 7 : c.id;
      expect(m.id).toBe(resolved);
      expect(m.idKind).toBe(typeof c.id === 'number' ? 'num' : c.id);
      expect(m.tags).toEqual(c.tags);
      expect(m.args).toEqual(c.args);
      expect({ ...m.ext }).toEqual(c.ext);
    });
  }
});

describe('marker reassembly', () => {
  it('joins a marker split across writes of one thread, and only that thread', () => {
    const a = thread(1);
    const b = thread(2);
    expect(feed(a, '>:t:db.').kind).toBe('pending');
    expect(feed(b, '>:t:other::').kind).toBe('marker'); // another thread is unaffected
    const r = feed(a, 'query:sql=select 1:');
    expect(r.kind).toBe('marker');
    if (r.kind === 'marker')
      expect(r.marker).toMatchObject({ tags: ['db', 'query'], args: [['sql', 'select 1']], id: 1 });
    expect(a.pending).toBeNull();
  });

  it('keeps a copy of pending bytes, not a view into the probe batch', () => {
    const t = thread();
    const batch = new TextEncoder().encode('xx>:t:a');
    feed(t, batch.subarray(2));
    batch.fill(0);
    const r = feed(t, '::');
    expect(r.kind).toBe('marker');
  });

  it('gives up past 64 KiB, then starts afresh', () => {
    const t = thread();
    expect(feed(t, '>:t:a:k=').kind).toBe('pending');
    const chunk = 'v'.repeat(16 * 1024);
    let last = feed(t, chunk);
    for (let i = 0; i < 4 && last.kind === 'pending'; i++) last = feed(t, chunk);
    expect(last.kind).toBe('malformed');
    expect(t.pending).toBeNull();
    expect(MAX_MARKER_BYTES).toBe(65536);
    expect(feed(t, '>:t:b::').kind).toBe('marker');
  });

  it('bounds the split-marker bytes waiting on all threads together', () => {
    budget = { bytes: 0, max: 100 };
    try {
      const a = thread(1);
      const b = thread(2);
      expect(feed(a, `>:t:a:k=${'v'.repeat(80)}`).kind).toBe('pending');
      expect(feed(b, `>:t:b:k=${'v'.repeat(80)}`).kind).toBe('malformed'); // over the shared budget
      expect(feed(a, ':').kind).toBe('marker'); // a's bytes are released when its marker completes
      expect(budget.bytes).toBe(0);
      expect(feed(b, `>:t:b:k=${'v'.repeat(80)}`).kind).toBe('pending');
    } finally {
      budget = { bytes: 0, max: 16 << 20 };
    }
  });

  it('a marker cut at the snap length before its final ":" is malformed, not pending', () => {
    const t = thread();
    const r = feed(t, '>:t:a:k=vvvv', 5000);
    expect(r.kind).toBe('malformed');
    expect(t.pending).toBeNull();
  });

  it('ignores writes that are not markers', () => {
    const t = thread();
    expect(feed(t, ' >:t:a::').kind).toBe('ignored');
    expect(feed(t, '').kind).toBe('ignored');
    expect(feed(t, 'hello').kind).toBe('ignored');
  });

  it('matching keeps ["a.b"] apart from ["a","b"], and ["a\\","b"] from ["a\\.b"]', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:1:a\\.b::'); // one tag, "a.b"
    s.marker(10, 10, '<:1:a.b::'); // two tags: not its exit
    s.marker(10, 10, '>:2:a\\\\.b::'); // two tags, "a\\" and "b"
    s.marker(10, 10, '<:2:a\\\\\\.b::'); // one tag, "a\\.b": not its exit
    c.pushBatch(s.events);
    expect(spans).toHaveLength(0);
    expect(c.stats().unmatchedExits).toBe(2);
    s.events.length = 0;
    s.marker(10, 10, '<:2:a\\\\.b::');
    s.marker(10, 10, '<:1:a\\.b::');
    c.pushBatch(s.events);
    expect(spans.map((x) => x.span.name)).toEqual(['a\\.b', 'a.b']);
  });

  it('drops the write syscall that carried a marker (same thread, same entry time), keeps other writes', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    const enter = s.marker(10, 10, '>:t:a::');
    s.sys(10, 10, 'write', { ts: enter.ts, args: [9], ret: 7 });
    s.sys(10, 10, 'write', { args: [9], ret: 5 }); // an ordinary /dev/null write
    const exit = s.marker(10, 10, '<:t:a::');
    s.sys(10, 10, 'writev', { ts: exit.ts, args: [9], ret: 7 });
    c.pushBatch(s.events);
    expect(spans[0].span.syscalls.map((r) => [r.name, r.bytes])).toEqual([['write', 5]]);
    expect(c.stats()).toMatchObject({ markerWrites: 2, syscalls: 1, syscallsOutsideSpans: 0 });
  });

  it('counts malformed markers in the correlator stats, ignores non-markers', () => {
    const { c } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:a=b::');
    s.marker(10, 10, 'not a marker');
    s.marker(10, 10, '>:t:ok::');
    c.pushBatch(s.events);
    expect(c.stats()).toMatchObject({ malformedMarkers: 1, markers: 1, spansStarted: 1 });
  });
});
