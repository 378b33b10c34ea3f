// Head sampling: every OTEL_TRACES_SAMPLER value read from the environment by a fresh SDK, parent-based decisions
// from an incoming traceparent's sampled flag, the flag propagated on outgoing calls, span.configure({ sampler }),
// and the active-span slot saying "not sampled" so the probe can skip the span's system calls.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMarker, type Marker } from '../src/grammar.js';
import { samplerFromEnv, traceHash, traceWordsOfHex } from '../src/sampler.js';

const saved = { ...process.env };
const dirs: string[] = [];
afterEach(() => {
  process.env = { ...saved };
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh SDK instance (its module state reads the environment) writing its markers to a file. */
async function freshSdk(env: Record<string, string | undefined>) {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.env.NULLSPAN_CONTEXT = '1'; // the slot is kept current without a probe, so tests can read it
  vi.resetModules();
  const sdk = await import('../src/index.js');
  const active = await import('../src/active.js');
  const dir = mkdtempSync(join(tmpdir(), 'nullspan-sampling-'));
  dirs.push(dir);
  const path = join(dir, 'markers');
  sdk.configure({ target: path, enabled: true });
  const markers = (): Marker[] => {
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch {
      return [];
    }
    const out: Marker[] = [];
    for (let at = 0; at < data.length; ) {
      const r = parseMarker(data.subarray(at));
      if (!r.ok) throw new Error(`unparsable marker at ${at}`);
      out.push(r.marker);
      at += r.length;
    }
    return out;
  };
  return { ...sdk, publishedActive: active.publishedActive, markers };
}

type Sdk = Awaited<ReturnType<typeof freshSdk>>;

/** n local traces of a root and a child; the ids of the roots that wrote markers. */
function rootsWritten(sdk: Sdk, n: number): { roots: number[]; written: Set<number>; all: Marker[] } {
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    sdk.span.trace('root', (r) => {
      roots.push(r.id);
      sdk.span.start('child').end();
    });
  }
  const all = sdk.markers();
  return { roots, written: new Set(all.filter((m) => m.dir === '>' && m.ext.tid).map((m) => m.id)), all };
}

const SAMPLED_TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UNSAMPLED_TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

describe('OTEL_TRACES_SAMPLER', () => {
  it('always_on and always_off: every local trace or none, children alike', async () => {
    let sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'always_on' });
    let r = rootsWritten(sdk, 50);
    expect(r.written.size).toBe(50);
    expect(r.all).toHaveLength(200); // root and child, enter and exit
    sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'always_off' });
    r = rootsWritten(sdk, 50);
    expect(r.all).toHaveLength(0);
  });

  it('unset means parentbased_always_on: roots sampled, an unsampled remote parent followed', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: undefined, OTEL_TRACES_SAMPLER_ARG: undefined });
    expect(rootsWritten(sdk, 10).written.size).toBe(10);
    const before = sdk.markers().length;
    const kept = sdk.span.start('in', undefined, { parent: sdk.extract({ traceparent: SAMPLED_TP }) });
    kept.end();
    const dropped = sdk.span.start('in', undefined, { parent: sdk.extract({ traceparent: UNSAMPLED_TP }) });
    sdk.span.with(dropped, () => sdk.span.start('nested').end());
    dropped.end();
    const after = sdk.markers().slice(before);
    expect(after.map((m) => m.id)).toEqual([kept.id, kept.id]);
    expect(kept.sampled).toBe(true);
    expect(dropped.sampled).toBe(false);
    expect(dropped.traceFlags).toBe(0);
  });

  it('traceidratio keeps about that share of traces, decided by the trace id, whole traces only', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    const n = 4000;
    const r = rootsWritten(sdk, n);
    // binomial(4000, 0.25): sd ≈ 27; 8 sd either way
    expect(r.written.size).toBeGreaterThan(1000 - 220);
    expect(r.written.size).toBeLessThan(1000 + 220);
    // each root's decision is the hash rule applied to its trace id, and its child followed it
    const childrenByParent = new Map<number, number>();
    for (const m of r.all) if (m.dir === '>' && m.ext.p !== undefined) childrenByParent.set(Number(m.ext.p), m.id);
    const tids = new Map(r.all.filter((m) => m.ext.tid).map((m) => [m.id, m.ext.tid as string]));
    for (const id of r.written) {
      const words = traceWordsOfHex(tids.get(id)!, [0, 0, 0, 0]);
      expect(traceHash(words)).toBeLessThan(Math.floor(0.25 * 2 ** 32));
      expect(childrenByParent.has(id)).toBe(true); // traceidratio decides on the trace id: the child agrees
    }
    expect(childrenByParent.size).toBe(r.written.size);
  });

  it('traceidratio ignores the parent flag; the same trace id gets the same decision', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' });
    const expected = (tp: string) =>
      traceHash(traceWordsOfHex(tp.slice(3, 35), [0, 0, 0, 0])) < Math.floor(0.5 * 2 ** 32);
    let agreed = 0;
    for (let i = 1; i <= 64; i++) {
      const traceId = (i * 2654435761).toString(16).padStart(8, '0').repeat(4).slice(0, 32);
      for (const flags of ['00', '01']) {
        const tp = `00-${traceId}-00f067aa0ba902b7-${flags}`;
        const s = sdk.span.start('x', undefined, { parent: sdk.extract({ traceparent: tp }) });
        expect(s.sampled).toBe(expected(tp));
        s.end();
        agreed++;
      }
    }
    expect(agreed).toBe(128);
  });

  it('parentbased_always_off: no new traces, but a sampled remote parent is followed', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
    expect(rootsWritten(sdk, 20).written.size).toBe(0);
    const s = sdk.span.start('in', undefined, { parent: sdk.extract({ traceparent: SAMPLED_TP }) });
    sdk.span.with(s, () => sdk.span.start('nested').end());
    s.end();
    expect(sdk.markers()).toHaveLength(4);
  });

  it('parentbased_traceidratio: roots by ratio, remote parents by their flag whatever the ratio', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(rootsWritten(sdk, 20).written.size).toBe(0); // ratio 0: no new trace
    const yes = sdk.span.start('in', undefined, { parent: sdk.extract({ traceparent: SAMPLED_TP }) });
    const no = sdk.span.start('in', undefined, { parent: sdk.extract({ traceparent: UNSAMPLED_TP }) });
    expect([yes.sampled, no.sampled]).toEqual([true, false]);
    const sdk2 = await freshSdk({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' });
    expect(rootsWritten(sdk2, 20).written.size).toBe(20);
  });

  it('bad values fall back as the spec says, with a warning sentence', () => {
    const unknown = samplerFromEnv('sometimes', undefined);
    expect(String(unknown.sampler)).toBe('parentbased{always_on}');
    expect(unknown.problem).toMatch(/^OTEL_TRACES_SAMPLER="sometimes" is not a sampler .*\.$/);
    for (const arg of ['2', '-0.1', 'half', 'NaN']) {
      const r = samplerFromEnv('traceidratio', arg);
      expect(String(r.sampler)).toBe('traceidratio{1}');
      expect(r.problem).toMatch(/^OTEL_TRACES_SAMPLER_ARG=.* is not a ratio between 0 and 1/);
    }
    expect(samplerFromEnv('TraceIdRatio', ' 0.1 ').problem).toBeUndefined();
    expect(String(samplerFromEnv('TraceIdRatio', ' 0.1 ').sampler)).toBe('traceidratio{0.1}');
    expect(String(samplerFromEnv('traceidratio', undefined).sampler)).toBe('traceidratio{1}');
  });
});

describe('span.configure({ sampler })', () => {
  it('replaces the environment sampler; undefined goes back to it; anything else is ignored', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'always_off' });
    sdk.configure({ sampler: sdk.samplers.alwaysOn() });
    expect(sdk.span.start('a').sampled).toBe(true);
    sdk.configure({ sampler: { shouldSample: () => true } as never });
    expect(sdk.span.start('b').sampled).toBe(true); // not a built-in sampler: kept always_on
    sdk.configure({ sampler: undefined });
    expect(sdk.span.start('c').sampled).toBe(false);
  });

  it('a sampled child of a local parent that is not sampled continues the trace with the parent as remote parent', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'always_off' });
    const parent = sdk.span.start('parent');
    sdk.configure({ sampler: sdk.samplers.alwaysOn() });
    const child = sdk.span.start('child', undefined, { parent });
    child.end();
    parent.end();
    const [enter] = sdk.markers();
    expect(enter.id).toBe(child.id);
    expect(enter.ext.p).toBeUndefined();
    expect(enter.ext.tp).toBe(`00-${parent.traceId}-${parent.spanId}-00`);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(child.traceFlags).toBe(1);
  });
});

describe('propagation and the slot', () => {
  it('inject carries the sampled flag of the active span', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
    const no = sdk.span.start('in', undefined, { parent: sdk.extract({ traceparent: UNSAMPLED_TP }) });
    const yes = sdk.span.start('in', undefined, { parent: sdk.extract({ traceparent: SAMPLED_TP }) });
    const sent = (s: typeof no) => sdk.span.with(s, () => sdk.inject({}).traceparent as string);
    expect(sent(no)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${no.spanId}-00`);
    expect(sent(yes)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${yes.spanId}-01`);
    // a local child of the unsampled span is unsampled too, and says so downstream
    const child = sdk.span.with(no, () => sdk.span.start('call', undefined, { kind: 'client' }));
    expect(child.sampled).toBe(false);
    expect(sdk.inject({}, child).traceparent).toMatch(/-00$/);
    expect(sdk.markers().every((m) => m.id === yes.id)).toBe(true);
  });

  it('the slot says "not sampled" (-2) while an unsampled span is active, also after awaits', async () => {
    const sdk = await freshSdk({ OTEL_TRACES_SAMPLER: 'always_off' });
    const seen = await sdk.span.trace('req', async (s) => {
      const first = sdk.publishedActive();
      await new Promise<void>((r) => setImmediate(r));
      return [s.sampled, first, sdk.publishedActive()];
    });
    expect(seen).toEqual([false, -2, -2]);
    sdk.configure({ sampler: sdk.samplers.alwaysOn() });
    const sampled = await sdk.span.trace('req', async (s) => {
      await new Promise<void>((r) => setImmediate(r));
      return sdk.publishedActive() === s.id;
    });
    expect(sampled).toBe(true);
  });
});
