import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../src/model.js';
import { Stream, byName, collect, oneProcess, type Emitted } from './synthetic.js';

/** Every parent id names a span of the same trace, and every span id is unique. */
function expectWellFormedTraces(spans: Emitted[], allowRemote = false): void {
  const ids = new Map<string, SpanRecord>();
  for (const { span } of spans) {
    expect(ids.has(span.spanId)).toBe(false);
    ids.set(span.spanId, span);
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
  }
  for (const { span } of spans) {
    if (span.parentSpanId === undefined) continue;
    if (span.remoteParent && allowRemote) continue;
    const parent = ids.get(span.parentSpanId);
    expect(parent, `parent of ${span.name}`).toBeDefined();
    expect(parent!.traceId).toBe(span.traceId);
  }
}

describe('matching exits to enters', () => {
  it('matches every ID form against the writer', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    for (const id of ['t', 'p', 'pp', 'g', '', '42', '-12', '007']) {
      s.marker(10, 10, `>:${id}:form${id || 'empty'}::`);
      s.marker(10, 10, `<:${id}:form${id || 'empty'}::`);
    }
    // 'g', '' are both id 0; '007' is 7
    s.marker(10, 10, '>:g:zero::');
    s.marker(10, 10, '<::zero::');
    s.marker(10, 10, '>:007:seven::');
    s.marker(10, 10, '<:7:seven::');
    c.pushBatch(s.events);
    expect(c.stats().unmatchedExits).toBe(0);
    expect(spans.map((x) => x.span.name)).toEqual([
      'formt',
      'formp',
      'formpp',
      'formg',
      'formempty',
      'form42',
      'form-12',
      'form007',
      'zero',
      'seven',
    ]);
    for (const { span } of spans) expect(span.incomplete).toBeUndefined();
  });

  it('requires the same resolved ID and byte-identical tags; most recent first', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 10, 11, { isThread: true });
    s.marker(10, 10, '>:t:a:n=1:');
    s.marker(10, 10, '>:t:a:n=2:');
    s.marker(10, 11, '<:t:a::'); // other thread: t resolves to 11, no match
    s.marker(10, 10, '<:t:A::'); // tags differ in case
    s.marker(10, 10, '<:t:a:done=yes:');
    c.pushBatch(s.events);
    expect(c.stats().unmatchedExits).toBe(2);
    expect(spans).toHaveLength(1);
    expect(spans[0].span.attributes).toEqual({ n: '2', done: 'yes' }); // the most recent enter closed
  });

  it('prefers the writing process, then any traced process (helpers like /bin/echo)', () => {
    const { c, spans } = collect({}, oneProcess(10, 'bash'));
    const s = new Stream();
    s.fork(10, 10, 20);
    s.exec(20, '/bin/echo');
    s.marker(20, 20, '>:5:script.step::');
    s.exit(20, 20);
    s.fork(10, 10, 21);
    s.exec(21, '/bin/echo');
    s.marker(21, 21, '<:5:script.step:rc=0:');
    s.exit(21, 21);
    c.pushBatch(s.events);
    expect(spans).toHaveLength(1);
    expect(spans[0].span).toMatchObject({ name: 'script.step', attributes: { rc: '0' } });
    expect(spans[0].span.incomplete).toBeUndefined();
    expect(c.stats()).toMatchObject({ spansFinished: 1, spansClosedByExit: 0, unmatchedExits: 0 });
  });

  it('another process cannot end a span with a thread, process or SDK id', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 20);
    s.marker(10, 10, '>:p:job::');
    s.marker(10, 10, '>:4398046511104:sdk::');
    s.marker(20, 20, '<:10:job::'); // pid 10 as a number, from process 20
    s.marker(20, 20, '<:4398046511104:sdk::');
    c.pushBatch(s.events);
    expect(spans).toHaveLength(0);
    expect(c.stats().unmatchedExits).toBe(2);
  });

  it('counts and drops exits without an enter', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '<:t:never::');
    c.pushBatch(s.events);
    expect(spans).toHaveLength(0);
    expect(c.stats().unmatchedExits).toBe(1);
  });
});

describe('parents and traces', () => {
  it('nests by tag prefix, then by the innermost span on the thread', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:req::');
    s.marker(10, 10, '>:t:other::');
    s.marker(10, 10, '>:t:req.db::'); // prefix rule beats the innermost ('other')
    s.marker(10, 10, '>:t:inner::'); // no prefix: innermost on thread (req.db)
    for (const n of ['inner', 'req.db', 'other', 'req']) s.marker(10, 10, `<:t:${n}::`);
    s.marker(10, 10, '>:t:solo::');
    s.marker(10, 10, '<:t:solo::');
    c.pushBatch(s.events);
    const req = byName(spans, 'req');
    expect(byName(spans, 'req.db').parentSpanId).toBe(req.spanId);
    expect(byName(spans, 'inner').parentSpanId).toBe(byName(spans, 'req.db').spanId);
    expect(byName(spans, 'other').parentSpanId).toBe(req.spanId);
    expect(req.parentSpanId).toBeUndefined();
    expect(byName(spans, 'solo').traceId).not.toBe(req.traceId);
    expectWellFormedTraces(spans);
  });

  it('an SDK id becomes the span id as 16 hex digits across its whole range', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    const ids = [2 ** 40, 2 ** 40 + 2 ** 32 - 1, 972188983072037, 2 ** 53 - 1];
    for (const id of ids) {
      s.marker(10, 10, `>:${id}:s${id}::`);
      s.marker(10, 10, `<:${id}:s${id}::`);
    }
    c.pushBatch(s.events);
    expect(spans.map((x) => x.span.spanId)).toEqual([
      '0000010000000000',
      '00000100ffffffff',
      '0003743362fd9525',
      '001fffffffffffff',
    ]);
  });

  it('_p finds the last 1024 ended SDK spans of the process, not older ones; an ID that ends again, its latest', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    const base = 2 ** 41;
    s.marker(10, 10, `>:${base}:first:_tid=4bf92f3577b34da6a3ce929d0e0e4736:`);
    s.marker(10, 10, `<:${base}:first::`);
    for (let i = 1; i < 1024; i++) {
      s.marker(10, 10, `>:${base + i}:x::`);
      s.marker(10, 10, `<:${base + i}:x::`);
    }
    // the same ID ends again, in another trace: 1024 spans later, that one is still remembered
    s.marker(10, 10, `>:${base}:first:_tid=4bf92f3577b34da6a3ce929d0e0e4737:`);
    s.marker(10, 10, `<:${base}:first::`);
    for (let i = 1024; i < 2047; i++) {
      s.marker(10, 10, `>:${base + i}:x::`);
      s.marker(10, 10, `<:${base + i}:x::`);
    }
    s.marker(10, 10, `>:${base + 5000}:kept:_p=${base}:`);
    s.marker(10, 10, `<:${base + 5000}:kept::`);
    // `kept` ended too: the second `first` is 1025 spans back now
    s.marker(10, 10, `>:${base + 5001}:lost:_p=${base}:`);
    s.marker(10, 10, `<:${base + 5001}:lost::`);
    s.marker(10, 10, `>:${base + 5002}:found:_p=${base + 2046}:`);
    s.marker(10, 10, `<:${base + 5002}:found::`);
    c.pushBatch(s.events);
    expect(byName(spans, 'kept').traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4737');
    expect(byName(spans, 'lost').parentSpanId).toBeUndefined();
    expect(byName(spans, 'found').parentSpanId).toBe('00000200000007fe');
    expect(c.stats().badContext).toBe(1);
  });

  it('SDK numeric ids become the span id; _p names the parent, even after it ended', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(
      10,
      10,
      '>:4398046511105:http.request:_tid=4bf92f3577b34da6a3ce929d0e0e4736,_k=server,_svc=shop,method=GET:',
    );
    s.marker(10, 10, '>:4398046511106:db.query:_p=4398046511105,table=users:');
    s.marker(10, 10, '<:4398046511106:db.query:rows=3,_st=error,_msg=timeout:');
    s.marker(10, 10, '<:4398046511105:http.request:_st=ok:');
    s.marker(10, 10, '>:4398046511107:late.child:_p=4398046511105:');
    s.marker(10, 10, '<:4398046511107:late.child::');
    c.pushBatch(s.events);
    const req = byName(spans, 'http.request');
    expect(req).toMatchObject({
      spanId: '0000040000000001',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      kind: 'server',
      status: 'ok',
    });
    expect(req.attributes).toEqual({ method: 'GET' });
    const db = byName(spans, 'db.query');
    expect(db).toMatchObject({
      spanId: '0000040000000002',
      parentSpanId: req.spanId,
      traceId: req.traceId,
      status: 'error',
      statusMessage: 'timeout',
    });
    expect(db.attributes).toEqual({ table: 'users', rows: '3' });
    expect(byName(spans, 'late.child').parentSpanId).toBe(req.spanId);
    expect(spans[0].proc.serviceName).toBe('shop');
    expectWellFormedTraces(spans);
  });

  it('_tp joins a remote trace (with tracestate); _tid starts a root even with spans open on the thread', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:4398046511200:outer::');
    s.marker(10, 10, '>:4398046511201:handle:_tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,_ts=a\\=b:');
    s.marker(10, 10, '>:4398046511202:root2:_tid=11111111111111111111111111111111:');
    for (const [id, n] of [
      ['4398046511202', 'root2'],
      ['4398046511201', 'handle'],
      ['4398046511200', 'outer'],
    ])
      s.marker(10, 10, `<:${id}:${n}::`);
    c.pushBatch(s.events);
    expect(byName(spans, 'handle')).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      remoteParent: true,
      traceState: 'a=b',
    });
    expect(byName(spans, 'root2')).toMatchObject({ traceId: '11111111111111111111111111111111' });
    expect(byName(spans, 'root2').parentSpanId).toBeUndefined();
    expectWellFormedTraces(spans, true);
  });

  it('counts bad context (unparsable _tp/_tid, unknown _p) and falls back without failing', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:a:_tp=00-zz-00f067aa0ba902b7-01:');
    s.marker(10, 10, '>:t:b:_p=999:');
    s.marker(10, 10, '>:t:c:_tid=0000:');
    s.marker(10, 10, '>:t:d:_p=notanumber:');
    for (const n of ['d', 'c', 'b', 'a']) s.marker(10, 10, `<:t:${n}::`);
    c.pushBatch(s.events);
    expect(c.stats().badContext).toBe(4);
    expect(spans).toHaveLength(4);
    expect(byName(spans, 'b').parentSpanId).toBe(byName(spans, 'a').spanId); // fell back to the thread rule
    expect(byName(spans, 'c').parentSpanId).toBeUndefined(); // _tid means root, even when invalid
    expectWellFormedTraces(spans);
  });

  it('every span lands in exactly one trace, across threads and processes', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 10, 11, { isThread: true });
    s.fork(10, 10, 30);
    for (let i = 0; i < 20; i++) {
      const [pid, tid] = i % 3 === 0 ? [10, 10] : i % 3 === 1 ? [10, 11] : [30, 30];
      s.marker(pid, tid, `>:t:job:i=${i}:`);
      s.marker(pid, tid, '>:t:job.step::');
      s.marker(pid, tid, '<:t:job.step::');
      s.marker(pid, tid, '<:t:job::');
    }
    c.pushBatch(s.events);
    expect(spans).toHaveLength(40);
    expectWellFormedTraces(spans);
    expect(new Set(spans.map((x) => x.span.traceId)).size).toBe(20);
  });
});

describe('spans the correlator has to close', () => {
  it('closes spans of an exiting process with an error status that says so', () => {
    const { c, spans } = collect({}, oneProcess(10, 'worker'));
    const s = new Stream();
    s.marker(10, 10, '>:p:job::');
    s.marker(10, 10, '>:t:job.step::');
    s.exit(10, 10, true, 9);
    c.pushBatch(s.events);
    expect(spans).toHaveLength(2);
    for (const { span } of spans) {
      expect(span.status).toBe('error');
      expect(span.statusMessage).toMatch(/process 10 \(worker\) exited before the span ended/);
      expect(span.incomplete).toBe('process exited');
    }
    expect(c.stats()).toMatchObject({ spansClosedByExit: 2, openSpans: 0 });
    expectWellFormedTraces(spans);
  });

  it('closes a thread-ID span when its thread exits, keeps the process running', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.fork(10, 10, 10, 11, { isThread: true });
    s.marker(10, 11, '>:t:per-thread::');
    s.marker(10, 11, '>:p:per-process::');
    s.exit(10, 11, false);
    c.pushBatch(s.events);
    expect(spans.map((x) => x.span.name)).toEqual(['per-thread']);
    expect(spans[0].span.incomplete).toBe('thread exited');
    const s2 = new Stream();
    s2.ts = s.ts;
    s2.marker(10, 10, '<:p:per-process::');
    c.pushBatch(s2.events);
    expect(byName(spans, 'per-process').incomplete).toBeUndefined();
  });

  it('a new thread whose span starts before its fork event arrives keeps that span', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 12, '>:t:early::');
    s.fork(10, 10, 10, 12, { isThread: true });
    s.marker(10, 12, '<:t:early::');
    c.pushBatch(s.events);
    expect(spans).toHaveLength(1);
    expect(spans[0].span.incomplete).toBeUndefined();
  });

  it('evicts the oldest open span when the table is full, emitting and counting it', () => {
    const { c, spans } = collect({ maxOpenSpans: 3 }, oneProcess(10));
    const s = new Stream();
    for (let i = 0; i < 5; i++) s.marker(10, 10, `>:${i}:s${i}::`);
    c.pushBatch(s.events);
    expect(spans.map((x) => x.span.name)).toEqual(['s0', 's1']);
    expect(spans[0].span).toMatchObject({ incomplete: 'evicted', status: 'error' });
    expect(c.stats()).toMatchObject({ spansEvicted: 2, openSpans: 3 });
    const s2 = new Stream();
    s2.ts = s.ts;
    s2.marker(10, 10, '<:0:s0::'); // its enter is gone
    s2.marker(10, 10, '<:4:s4::');
    c.pushBatch(s2.events);
    expect(c.stats().unmatchedExits).toBe(1);
    expect(byName(spans, 's4').incomplete).toBeUndefined();
    c.close();
    expectWellFormedTraces(spans);
  });

  it('close() ends everything still open as incomplete, once', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:a::');
    s.marker(10, 10, '>:t:a.b::');
    c.pushBatch(s.events);
    c.close('interrupted');
    c.close();
    expect(spans).toHaveLength(2);
    for (const { span } of spans) {
      expect(span.incomplete).toBe('interrupted');
      expect(span.end).toBeGreaterThanOrEqual(span.start);
    }
    expect(c.stats()).toMatchObject({ spansClosedAtStop: 2, openSpans: 0 });
    c.push(s.events[0]); // ignored after close
    expect(c.stats().spansStarted).toBe(2);
  });

  it('hostile args cannot reach the prototype', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:t:a:__proto__=x,constructor=y,_k=constructor:');
    s.marker(10, 10, '<:t:a::');
    c.pushBatch(s.events);
    const attrs = spans[0].span.attributes;
    expect(Object.keys(attrs).sort()).toEqual(['_proto__', 'constructor'].sort());
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(spans[0].span.kind).toBe('internal');
  });
});
