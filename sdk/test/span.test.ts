import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { span, Span, extract, inject, spanIdHex } from '../src/index.js';
import { capture, type Capture } from './capture.js';

let cap: Capture;
beforeEach(() => {
  cap = capture({ serviceName: 'checkout' });
});
afterEach(() => cap.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('span.start / end', () => {
  it('writes one enter and one exit marker with the span id, tags, args and root context', () => {
    const s = span.start('db.query', { table: 'users', n: 3, ok: true, skip: undefined });
    s.end({ rows: 3 });
    const [enter, exit, ...rest] = cap.markers();
    expect(rest).toEqual([]);
    expect(enter).toMatchObject({
      dir: '>',
      id: s.id,
      tags: ['db', 'query'],
      args: [
        ['table', 'users'],
        ['n', 3],
        ['ok', true],
      ],
    });
    expect(enter.ext).toEqual({ tid: s.traceId, svc: 'checkout' });
    expect(exit).toMatchObject({ dir: '<', id: s.id, tags: ['db', 'query'], args: [['rows', 3]], ext: {} });
    expect(s.spanId).toBe(spanIdHex(s.id));
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s.id).toBeGreaterThanOrEqual(2 ** 40);
    expect(s.id).toBeLessThan(2 ** 53);
  });

  it('ids are unique and trace ids differ between roots', () => {
    const spans = Array.from({ length: 1000 }, () => span.start('x', undefined, { parent: null }));
    expect(new Set(spans.map((s) => s.id)).size).toBe(1000);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1000);
  });

  it('end() twice writes one exit marker', () => {
    const s = span.start('once');
    s.end();
    s.end({ again: 1 });
    expect(cap.markers().filter((m) => m.dir === '<')).toHaveLength(1);
  });

  it('writes status and message on exit, and args added with setArgs', () => {
    const s = span.start('pay', undefined, { kind: 'client' });
    s.setArgs({ amount: 12.5 });
    s.setError(new Error('card declined: code=51, retry'));
    s.end({ gateway: 'x' });
    const [enter, exit] = cap.markers();
    expect(enter.ext.k).toBe('client');
    expect(exit.ext).toEqual({ st: 'error', msg: 'card declined: code=51, retry' });
    expect(exit.args).toEqual([
      ['amount', 12.5],
      ['gateway', 'x'],
    ]);
  });

  it('explicit ok status', () => {
    span.start('a').setStatus('ok').end();
    expect(cap.markers()[1].ext).toEqual({ st: 'ok' });
  });
});

describe('hostile names and args', () => {
  const hostile = [
    'a:b',
    'x,y=z',
    'dots.in.name',
    '..',
    'a..b',
    '.lead',
    'trail.',
    'back\\slash',
    'new\nline',
    'grüße 日本 😀',
    'lone \ud800 surrogate',
    '_under',
    '>gt<lt',
    '',
  ];
  it('means exactly what was given after a round trip through the marker file', () => {
    for (const name of hostile) {
      const args: Record<string, string> = {};
      for (const h of hostile) if (h) args[h] = `${h}|${name}`;
      span.start(name, args).end();
    }
    const ms = cap.markers();
    hostile.forEach((name, i) => {
      const enter = ms[i * 2];
      expect(enter.tags.join('.')).toBe(name);
      expect(enter.args).toEqual(hostile.filter((h) => h).map((h) => [h, `${h}|${name}`]));
      expect(ms[i * 2 + 1].tags).toEqual(enter.tags);
    });
  });

  it('survives args whose getters or toString throw, and objects become JSON', () => {
    const evil = {
      toString() {
        throw new Error('no');
      },
      toJSON() {
        throw new Error('no');
      },
    };
    const args = { ok: 'yes', obj: { a: [1, 2] }, evil } as Record<string, unknown>;
    Object.defineProperty(args, 'getter', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    const s = span.start('e', args);
    s.end();
    const [enter] = cap.markers();
    expect(enter.args).toEqual([
      ['ok', 'yes'],
      ['obj', '{"a":[1,2]}'],
    ]);
  });

  it("a span started from inside an arg's toString does not corrupt the marker being built", () => {
    const sneaky = {
      toJSON() {
        span.start('inner').end();
        return 'v';
      },
    };
    span.start('outer', { a: '1', sneaky, b: '2' }).end();
    const ms = cap.markers();
    const outer = ms.find((m) => m.dir === '>' && m.tags[0] === 'outer');
    expect(outer?.args).toEqual([
      ['a', '1'],
      ['sneaky', '"v"'],
      ['b', '2'],
    ]);
    expect(ms.filter((m) => m.tags[0] === 'inner')).toHaveLength(2);
  });
});

describe('snap length', () => {
  it('cuts huge args to the snap length and says so with _trunc=1', () => {
    cap.stop();
    cap = capture({ snapLength: 512 });
    const big = 'é:'.repeat(5000);
    span.start('big', { small: 'ok', big, after: 'dropped' }).end({ huge: big });
    const [enter, exit] = cap.markers();
    expect(enter.bytes).toBeLessThanOrEqual(512);
    expect(exit.bytes).toBeLessThanOrEqual(512);
    expect(enter.ext.trunc).toBe('1');
    expect(enter.args[0]).toEqual(['small', 'ok']);
    expect(enter.args[1][0]).toBe('big');
    expect(big.startsWith(enter.args[1][1])).toBe(true);
    expect(enter.args[1][1].length).toBeGreaterThan(100);
    expect(enter.args).toHaveLength(2);
    expect(exit.ext.trunc).toBe('1');
  });

  it('keeps markers under the default 4096 and leaves small markers alone', () => {
    span.start('big', { v: 'x'.repeat(10_000) }).end({ v: 'small' });
    const [enter, exit] = cap.markers();
    expect(enter.bytes).toBeLessThanOrEqual(4096);
    expect(enter.bytes).toBeGreaterThan(4000);
    expect(exit.ext).toEqual({});
  });
});

describe('nesting through the async context', () => {
  it('children of interleaved async requests get their own request as parent', async () => {
    // Gates released in scrambled orders make the requests interleave deterministically: every request is open
    // while the others start and end their children, and they finish in an order unrelated to their start.
    const N = 40;
    const gate = () => {
      let open!: () => void;
      const p = new Promise<void>((r) => (open = r));
      return { p, open };
    };
    const startGates = Array.from({ length: N }, gate);
    const endGates = Array.from({ length: N }, gate);
    const scramble = (k: number) => Array.from({ length: N }, (_, i) => (i * k + 7) % N); // k coprime to N
    const all = Promise.all(
      Array.from({ length: N }, (_, n) =>
        span.trace('req', { n }, async (req) => {
          await startGates[n].p;
          await span.trace('db', { n }, async () => {
            await Promise.resolve();
            const leaf = span.start('cache', { n });
            await endGates[n].p;
            leaf.end();
          });
          expect(span.current()).toBe(req);
        }),
      ),
    );
    const turn = () => new Promise((r) => setImmediate(r));
    for (const n of scramble(3)) {
      startGates[n].open();
      await turn();
    }
    for (const n of scramble(7)) {
      endGates[n].open();
      await turn();
    }
    await all;
    expect(span.current()).toBeUndefined();
    const ms = cap.markers();
    const enters = ms.filter((m) => m.dir === '>');
    const byId = new Map(enters.map((m) => [m.id, m]));
    const reqs = enters.filter((m) => m.tags[0] === 'req');
    expect(reqs).toHaveLength(N);
    for (const r of reqs) {
      expect(r.ext.tid).toMatch(/^[0-9a-f]{32}$/);
      expect(r.ext.p).toBeUndefined();
    }
    for (const m of enters.filter((m) => m.tags[0] !== 'req')) {
      const parent = byId.get(Number(m.ext.p))!;
      expect(parent).toBeDefined();
      expect(parent.args).toEqual(m.args); // same n all the way up
      expect(parent.tags[0]).toBe(m.tags[0] === 'db' ? 'req' : 'db');
    }
    // every enter has one exit; the requests really ran interleaved
    const nOf = (m: { args: [string, string][] }) => Number(m.args[0]?.[1]);
    const exits = ms.filter((m) => m.dir === '<');
    expect(exits).toHaveLength(3 * N);
    expect(enters.filter((m) => m.tags[0] === 'db').map(nOf)).toEqual(scramble(3));
    const reqIds = new Map(reqs.map((r) => [r.id, nOf(r)]));
    expect(exits.filter((m) => m.tags[0] === 'req').map((m) => reqIds.get(m.id))).toEqual(scramble(7));
  });

  it('span.with makes a started span the parent; parent:null starts a new trace inside an active span', () => {
    const outer = span.start('outer');
    const child = span.with(outer, () => span.start('child'));
    const detached = span.with(outer, () => span.start('detached', undefined, { parent: null }));
    expect(child.parentId).toBe(outer.id);
    expect(child.traceId).toBe(outer.traceId);
    expect(child.parentSpanId).toBe(outer.spanId);
    expect(detached.parentId).toBe(0);
    expect(detached.traceId).not.toBe(outer.traceId);
  });
});

describe('span.trace', () => {
  it('wraps sync functions, returns their value and passes throws on after marking the span failed', () => {
    expect(span.trace('sync', { a: 1 }, (s) => (s instanceof Span ? 42 : 0))).toBe(42);
    expect(() =>
      span.trace('boom', () => {
        throw new TypeError('bad input');
      }),
    ).toThrow('bad input');
    const ms = cap.markers();
    expect(ms.map((m) => `${m.dir}${m.tags.join('.')}`)).toEqual(['>sync', '<sync', '>boom', '<boom']);
    expect(ms[3].ext).toEqual({ st: 'error', msg: 'bad input' });
  });

  it('ends async spans when the promise settles and passes rejections on', async () => {
    const v = await span.trace('ok', async () => {
      await sleep(2);
      return 'v';
    });
    expect(v).toBe('v');
    await expect(
      span.trace('rej', async () => {
        await sleep(1);
        throw new Error('late');
      }),
    ).rejects.toThrow('late');
    const ms = cap.markers();
    expect(ms.map((m) => `${m.dir}${m.tags.join('.')}`)).toEqual(['>ok', '<ok', '>rej', '<rej']);
    expect(ms[3].ext).toEqual({ st: 'error', msg: 'late' });
  });
});

describe('W3C trace context', () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('extracts traceparent/tracestate and starts a child of the remote span', () => {
    const ctx = extract({ traceparent: tp, tracestate: 'a=1,b=2' });
    expect(ctx).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
      traceState: 'a=1,b=2',
    });
    const s = span.start('handle', undefined, { parent: ctx, kind: 'server' });
    s.end();
    expect(s.traceId).toBe(ctx!.traceId);
    expect(s.parentSpanId).toBe('00f067aa0ba902b7');
    const [enter] = cap.markers();
    expect(enter.ext).toEqual({ tp, ts: 'a=1,b=2', k: 'server', svc: 'checkout' });
  });

  it('reads fetch Headers and arrays, ignores invalid values', () => {
    expect(extract(new Headers({ traceparent: tp }))?.spanId).toBe('00f067aa0ba902b7');
    expect(extract({ TraceParent: tp })?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const bad of [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      'garbage',
      'x'.repeat(100000),
    ]) {
      expect(extract({ traceparent: bad })).toBeUndefined();
    }
    expect(extract({ traceparent: '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future' })?.flags).toBe(1);
    expect(extract({ traceparent: tp, tracestate: 'k=v'.repeat(300) })?.traceState).toBeUndefined();
    expect(extract(undefined)).toBeUndefined();
  });

  it('injects the active span into plain objects and Headers', () => {
    span.trace('outgoing', (s) => {
      const h = inject({} as Record<string, string>);
      expect(h.traceparent).toBe(`00-${s.traceId}-${s.spanId}-01`);
      const hh = inject(new Headers());
      expect(hh.get('traceparent')).toBe(h.traceparent);
      // what one service injects, the next extracts as the same span
      const next = span.start('downstream', undefined, { parent: extract(h) });
      expect(next.traceId).toBe(s.traceId);
      expect(next.parentSpanId).toBe(s.spanId);
    });
    expect(inject({})).toEqual({}); // no active span: nothing injected
  });
});
