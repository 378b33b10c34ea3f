/**
 * Enter markers come from per-name templates (copy + patch the digits that change). Whatever the sequence of
 * names, shapes, parents, kinds, service names and id lengths, every marker written must say exactly what the
 * span is: checked against the spans' own properties over a long random sequence.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configure, span, type Span, type SpanKind } from '../src/index.js';
import { setLastSpanId } from '../src/ids.js';
import { capture, type Capture } from './capture.js';
import { rng } from './rng.js';

let cap: Capture;
beforeEach(() => {
  cap = capture();
});
afterEach(() => cap.stop());

interface Expected {
  span: Span;
  tags: string[];
  ext: Record<string, string>;
  args: [string, string][];
}

describe('enter templates', () => {
  it('never change what a marker says, over a random sequence of shapes', () => {
    const r = rng(1234);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    const names = ['db.query', 'GET /x', 'work', 'a.b.c', 'x'];
    const kinds: (SpanKind | undefined)[] = [undefined, undefined, 'server', 'client', 'internal'];
    const services = [undefined, 'svc-a', 'svc:b'];
    const open: Span[] = [];
    const expected = new Map<number, Expected>();
    let service: string | undefined;
    // ids only ever move forward (unique per process): start just below 10^13, jump below 10^14 and 10^15 later
    setLastSpanId(10 ** 13 - 30);
    const jumps = [10 ** 14 - 20, 10 ** 15 - 20];
    for (let step = 0; step < 4000; step++) {
      const x = r();
      if (x < 0.01) {
        service = pick(services);
        configure({ serviceName: service });
      } else if (x < 0.012 && jumps.length) {
        // the id (and parent id) digits change length
        setLastSpanId(jumps.shift()!);
      } else if (x < 0.55 || open.length === 0) {
        const parent = open.length && r() < 0.6 ? pick(open) : null;
        const kind = pick(kinds);
        const name = pick(names);
        const args: Record<string, string> = r() < 0.5 ? { n: String(step) } : {};
        const s = span.start(name, args, { parent, kind });
        const ext: Record<string, string> = {};
        if (parent) ext.p = String(parent.id);
        else {
          ext.tid = s.traceId;
          if (service) ext.svc = service;
        }
        if (kind && kind !== 'internal') ext.k = kind;
        expected.set(s.id, { span: s, tags: name.split('.'), ext, args: Object.entries(args) });
        open.push(s);
      } else {
        const s = open.splice(Math.floor(r() * open.length), 1)[0];
        s.end();
      }
    }
    for (const s of open) s.end();
    expect(jumps).toEqual([]);
    const ms = cap.markers();
    const lengths = new Set(ms.map((m) => String(m.id).length));
    expect([...lengths].sort()).toEqual([13, 14, 15, 16].filter((l) => lengths.has(l)));
    expect(lengths.size).toBeGreaterThanOrEqual(3);
    expect(ms.length).toBe(2 * expected.size);
    for (const m of ms) {
      const e = expected.get(m.id as number);
      expect(e, `marker for unknown id ${m.id}`).toBeDefined();
      expect(m.tags).toEqual(e!.tags);
      if (m.dir === '>') {
        expect(m.ext).toEqual(e!.ext);
        expect(m.args).toEqual(e!.args);
        if (e!.ext.tid) expect(e!.ext.tid).toBe(e!.span.traceId);
      } else {
        expect(m.ext).toEqual({});
        expect(m.args).toEqual([]);
      }
    }
  });
});

describe('name cache', () => {
  it('stays correct past its bound (every span a new name)', () => {
    for (let i = 0; i < 3000; i++) span.start(`name-${i}.x`, { i }).end();
    const ms = cap.markers();
    expect(ms).toHaveLength(6000);
    for (let i = 0; i < 3000; i++) {
      expect(ms[2 * i].tags).toEqual([`name-${i}`, 'x']);
      expect(ms[2 * i].args).toEqual([['i', i]]);
      expect(ms[2 * i + 1].tags).toEqual([`name-${i}`, 'x']);
    }
  });
});
