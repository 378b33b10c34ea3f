// Caller code that runs inside span.start/end — option getters, Proxy traps, an arg's toString/valueOf, a name's
// toString — may start and end spans of its own. Every marker written must still carry its own span's id, parent
// and trace id: the markers are decoded with the grammar and checked against the Span objects.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { span, type Span } from '../src/index.js';
import { capture, type Capture } from './capture.js';

let cap: Capture;
let made: Span[];
beforeEach(() => {
  cap = capture({ serviceName: 'svc' });
  made = [];
});
afterEach(() => cap.stop());

/** A span started (and ended) from inside caller code; recorded so its markers are checked too. */
function inner(name = 'inner'): void {
  const s = span.start(name, { from: 'inside' }, { parent: null });
  made.push(s);
  s.end();
}

function started(s: Span): Span {
  made.push(s);
  return s;
}

/** Every span has exactly one enter and one exit, and the enter says the span's own id, parent and trace. */
function expectMarkersMatchSpans(): void {
  const markers = cap.markers();
  for (const s of made) {
    const enters = markers.filter((m) => m.dir === '>' && m.id === s.id);
    const exits = markers.filter((m) => m.dir === '<' && m.id === s.id);
    expect(enters, `enter of ${s.name} (${s.id})`).toHaveLength(1);
    expect(exits, `exit of ${s.name} (${s.id})`).toHaveLength(1);
    const e = enters[0];
    expect(e.tags.join('.')).toBe(s.name);
    if (s.parentId !== 0) {
      expect(e.ext.p).toBe(String(s.parentId));
    } else if (s.remote !== undefined) {
      expect(e.ext.tp).toBe(`00-${s.traceId}-${s.remote.spanId}-01`);
    } else {
      expect(e.ext.tid).toBe(s.traceId);
      expect(s.traceId.endsWith(s.spanId)).toBe(true);
    }
  }
  // and nothing else was written
  expect(markers).toHaveLength(made.length * 2);
}

describe('re-entrant caller code inside span.start/end', () => {
  it('a getter on options.parent that starts a span', () => {
    const parent = started(span.start('parent'));
    const outer = started(
      span.start(
        'outer',
        { a: 1 },
        {
          get parent() {
            inner();
            return parent;
          },
        },
      ),
    );
    outer.end();
    parent.end();
    expect(outer.parentId).toBe(parent.id);
    expectMarkersMatchSpans();
  });

  it('a getter on options.kind that starts a span, on a root span (trace id from the newest id)', () => {
    const outer = started(
      span.start('outer', undefined, {
        parent: null,
        get kind() {
          inner();
          return 'server' as const;
        },
      }),
    );
    outer.end();
    expectMarkersMatchSpans();
    expect(cap.markers().find((m) => m.id === outer.id)!.ext.k).toBe('server');
  });

  it('the same span name twice (the enter template path) with re-entrant getters', () => {
    for (let i = 0; i < 3; i++) {
      const p = started(span.start('req', undefined, { parent: null }));
      started(
        span.start('req.db', undefined, {
          get parent() {
            inner('req.db');
            return p;
          },
          get kind() {
            inner('req.db');
            return 'client' as const;
          },
        }),
      ).end();
      p.end();
    }
    expectMarkersMatchSpans();
  });

  it('a Proxy for options whose every trap starts a span', () => {
    const parent = started(span.start('parent'));
    const options = new Proxy(
      { parent, kind: 'client' },
      {
        get(t, k) {
          inner();
          return Reflect.get(t, k);
        },
        has(t, k) {
          inner();
          return Reflect.has(t, k);
        },
        getPrototypeOf(t) {
          inner();
          return Reflect.getPrototypeOf(t);
        },
      },
    );
    started(span.start('outer', undefined, options as never)).end();
    parent.end();
    expectMarkersMatchSpans();
  });

  it('a parent that is a Proxy of a Span, its traps starting spans', () => {
    const real = started(span.start('parent'));
    const proxied = new Proxy(real, {
      get(t, k) {
        inner();
        return Reflect.get(t, k);
      },
      getPrototypeOf(t) {
        inner();
        return Reflect.getPrototypeOf(t);
      },
    });
    const outer = started(span.start('outer', undefined, { parent: proxied }));
    outer.end();
    real.end();
    expect(outer.parentId).toBe(real.id);
    expectMarkersMatchSpans();
  });

  it('a remote parent whose getters start spans', () => {
    const remote = {
      get traceId() {
        inner();
        return '4bf92f3577b34da6a3ce929d0e0e4736';
      },
      get spanId() {
        inner();
        return '00f067aa0ba902b7';
      },
      get flags() {
        inner();
        return 1;
      },
      get traceState() {
        inner();
        return 'a=1';
      },
    };
    const outer = started(span.start('outer', undefined, { parent: remote }));
    outer.end();
    expectMarkersMatchSpans();
    expect(outer.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(cap.markers().find((m) => m.id === outer.id)!.ext.ts).toBe('a=1');
  });

  it('a name whose toString starts a span', () => {
    started(
      span.start({
        toString() {
          inner();
          return 'named';
        },
      } as never),
    ).end();
    expectMarkersMatchSpans();
  });

  it('args whose toString, valueOf, toJSON and getters start spans, on enter and exit', () => {
    const a = {
      toString() {
        inner();
        return 'A';
      },
    };
    const b = {
      toJSON() {
        inner();
        return 'B';
      },
    };
    const c = {
      get d() {
        inner();
        return 'D';
      },
    };
    const s = started(
      span.start('outer', {
        a: String(a) && a,
        b,
        c,
        get g() {
          inner();
          return 7;
        },
      }),
    );
    s.setArgs({
      get x() {
        inner();
        return true;
      },
    });
    s.end({
      get y() {
        inner();
        return 'Y';
      },
      z: {
        valueOf() {
          inner();
          return 1;
        },
      },
    });
    expectMarkersMatchSpans();
  });

  it('Proxy args whose ownKeys and get traps start spans', () => {
    const args = new Proxy(
      { k: 'v', n: 2 },
      {
        ownKeys(t) {
          inner();
          return Reflect.ownKeys(t);
        },
        get(t, k) {
          inner();
          return Reflect.get(t, k);
        },
        getOwnPropertyDescriptor(t, k) {
          inner();
          return Reflect.getOwnPropertyDescriptor(t, k);
        },
      },
    );
    started(span.start('outer', args)).end(args);
    expectMarkersMatchSpans();
  });

  it('re-entrant getters nested three deep', () => {
    const p = started(span.start('p', undefined, { parent: null }));
    const level = (depth: number): Span =>
      started(
        span.start(`l${depth}`, undefined, {
          get parent() {
            if (depth < 3) level(depth + 1).end();
            return p;
          },
        }),
      );
    level(0).end();
    p.end();
    expectMarkersMatchSpans();
  });

  it('throwing Proxies and getters never reach the application, and the span keeps its defaults', () => {
    const boom = (): never => {
      throw new Error('boom');
    };
    const throwingOptions = new Proxy({}, { get: boom, has: boom, getPrototypeOf: boom });
    const throwingArgs = new Proxy({ k: 1 }, { ownKeys: boom, get: boom, getOwnPropertyDescriptor: boom });
    const p = started(span.start('p', undefined, { parent: null }));
    let s1!: Span;
    let s2!: Span;
    let s3!: Span;
    expect(() => {
      span.with(p, () => {
        s1 = started(span.start('a', throwingArgs as never, throwingOptions as never));
        s2 = started(
          span.start('b', undefined, {
            get parent(): Span {
              inner();
              return boom();
            },
            get kind(): 'client' {
              return boom();
            },
          }),
        );
        s3 = started(span.start('c', undefined, { parent: new Proxy(p, { get: boom, getPrototypeOf: boom }) }));
      });
      s1.end(throwingArgs as never);
      s2.end();
      s3.end();
    }).not.toThrow();
    p.end();
    expect(s1.parentId).toBe(p.id); // a throwing option counts as not given: the active span is the parent
    expect(s2.parentId).toBe(p.id);
    expect(s3.parentId).toBe(0); // a parent that cannot be read is no parent: a new trace
    expectMarkersMatchSpans();
  });
});
