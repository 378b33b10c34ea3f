import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { span } from '../src/index.js';
import { type BridgeSpan, NullspanContextManager, registerNullspan, unregisterNullspan } from '../src/otel.js';
import { capture, type Capture } from './capture.js';

let cap: Capture;
beforeEach(() => {
  cap = capture();
  registerNullspan();
});
afterEach(() => {
  unregisterNullspan();
  cap.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (id: number) => id.toString(16).padStart(16, '0');

/** Code instrumented with the OpenTelemetry API only, as a library would be. */
async function instrumented(n: number): Promise<void> {
  const tracer = trace.getTracer('some-lib', '1.0.0');
  await tracer.startActiveSpan(
    'lib.op',
    { kind: SpanKind.SERVER, attributes: { n, 'attr.list': ['a', 'b'] } },
    async (op) => {
      op.setAttribute('phase', 'start');
      await sleep(n % 3);
      await tracer.startActiveSpan('lib.child', async (child) => {
        await sleep(1);
        child.recordException(new TypeError('bad thing'));
        child.setStatus({ code: SpanStatusCode.ERROR, message: 'child failed' });
        child.end();
      });
      const manual = tracer.startSpan('lib.manual', { attributes: { n } });
      manual.setAttributes({ rows: 2, n });
      manual.end();
      op.setStatus({ code: SpanStatusCode.OK });
      op.end();
    },
  );
}

describe('OpenTelemetry bridge', () => {
  it('turns OpenTelemetry API spans into markers, nesting and attributes included', async () => {
    await instrumented(1);
    const ms = cap.markers();
    expect(ms.map((m) => `${m.dir}${m.tags.join('.')}`)).toEqual([
      '>lib.op',
      '>lib.child',
      '<lib.child',
      '>lib.manual',
      '<lib.manual',
      '<lib.op',
    ]);
    const [op, child, childExit, manual, manualExit, opExit] = ms;
    expect(op.ext).toMatchObject({ k: 'server' });
    expect(op.ext.tid).toMatch(/^[0-9a-f]{32}$/);
    expect(op.args).toEqual([
      ['n', 1],
      ['attr.list', '["a","b"]'],
    ]);
    expect(child.ext).toEqual({ p: String(op.id) });
    expect(manual.ext).toEqual({ p: String(op.id) });
    expect(childExit.ext).toEqual({ st: 'error', msg: 'child failed' });
    expect(childExit.args).toEqual([
      ['exception.type', 'TypeError'],
      ['exception.message', 'bad thing'],
    ]);
    expect(manualExit.args).toEqual([
      ['rows', 2],
      ['n', 1],
    ]);
    expect(opExit.ext).toEqual({ st: 'ok' });
    expect(opExit.args).toEqual([['phase', 'start']]);
  });

  it('keeps interleaved async OpenTelemetry traces apart', async () => {
    await Promise.all(Array.from({ length: 15 }, (_, n) => instrumented(n)));
    const enters = cap.markers().filter((m) => m.dir === '>');
    const byId = new Map(enters.map((m) => [m.id, m]));
    const children = enters.filter((m) => m.tags[1] !== 'op');
    expect(children).toHaveLength(30);
    for (const c of children) {
      const parent = byId.get(Number(c.ext.p))!;
      expect(parent.tags).toEqual(['lib', 'op']);
      if (c.tags[1] === 'manual') expect(parent.args[0]).toEqual(c.args[0]); // same n
    }
  });

  it('gives span contexts that are the marker ids, and mixes with span.trace() both ways', async () => {
    const tracer = trace.getTracer('x');
    let otelSpan: BridgeSpan | undefined;
    await span.trace('sdk.outer', async (outer) => {
      // the nullspan span is the active OpenTelemetry span
      expect(trace.getActiveSpan()?.spanContext().spanId).toBe(outer.spanId);
      otelSpan = tracer.startSpan('otel.inside') as BridgeSpan;
      await tracer.startActiveSpan('otel.active', async (s) => {
        await sleep(1);
        span.start('sdk.innermost').end();
        s.end();
      });
      otelSpan.end();
    });
    const enters = cap.markers().filter((m) => m.dir === '>');
    const [outer, inside, active, innermost] = enters;
    expect(inside.ext.p).toBe(String(outer.id));
    expect(active.ext.p).toBe(String(outer.id));
    expect(innermost.ext.p).toBe(String(active.id));
    expect(otelSpan!.spanContext().spanId).toBe(hex(inside.id));
    expect(otelSpan!.spanContext().traceId).toBe(outer.ext.tid);
    expect(otelSpan!.isRecording()).toBe(false);
  });

  it('propagates W3C context through propagation.inject/extract', async () => {
    const tracer = trace.getTracer('x');
    const carrier: Record<string, string> = {};
    let sent = '';
    tracer.startActiveSpan('client', { kind: SpanKind.CLIENT }, (s) => {
      propagation.inject(context.active(), carrier);
      sent = `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`;
      s.end();
    });
    expect(carrier.traceparent).toBe(sent);
    const remote = propagation.extract(context.active(), { ...carrier, tracestate: 'vendor=1' });
    const srv = tracer.startSpan('server', { kind: SpanKind.SERVER }, remote);
    expect(srv.spanContext().traceId).toBe(sent.split('-')[1]);
    srv.end();
    const enters = cap.markers().filter((m) => m.dir === '>');
    expect(enters[1].ext).toMatchObject({ tp: sent, ts: 'vendor=1', k: 'server' });
    // root: true ignores an active parent
    tracer.startActiveSpan('a', (a) => {
      const r = tracer.startSpan('r', { root: true });
      expect(r.spanContext().traceId).not.toBe(a.spanContext().traceId);
      r.end();
      a.end();
    });
  });

  it('an unsampled incoming context gives non-recording spans that write nothing and propagate 00', () => {
    const tracer = trace.getTracer('x');
    const remote = propagation.extract(context.active(), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    });
    const srv = tracer.startSpan('server', { kind: SpanKind.SERVER }, remote);
    expect(srv.isRecording()).toBe(false);
    expect(srv.spanContext().traceFlags).toBe(0);
    const out: Record<string, string> = {};
    context.with(trace.setSpan(remote, srv), () => propagation.inject(context.active(), out));
    expect(out.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${srv.spanContext().spanId}-00`);
    srv.end();
    expect(cap.markers()).toEqual([]);
  });

  it('switches between the OpenTelemetry SDK and nullspan by registering a different provider', async () => {
    unregisterNullspan();
    const exporter = new InMemorySpanExporter();
    const otelSdk = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(otelSdk);
    context.setGlobalContextManager(new NullspanContextManager()); // any ALS context manager works for the OTel SDK

    await instrumented(2);
    const exported = exporter.getFinishedSpans();
    expect(exported.map((s) => s.name).sort()).toEqual(['lib.child', 'lib.manual', 'lib.op']);
    const op = exported.find((s) => s.name === 'lib.op')!;
    expect(exported.find((s) => s.name === 'lib.child')!.parentSpanContext?.spanId).toBe(op.spanContext().spanId);
    expect(cap.markers()).toEqual([]);

    unregisterNullspan();
    expect(registerNullspan()).toBe(true);
    await instrumented(3);
    expect(cap.markers()).toHaveLength(6);
    expect(exporter.getFinishedSpans()).toHaveLength(3);
    await otelSdk.shutdown();
  });

  it("works without nullspan's context manager (noop manager: nesting through nullspan's own context)", async () => {
    unregisterNullspan();
    registerNullspan({ contextManager: false });
    await instrumented(4);
    const enters = cap.markers().filter((m) => m.dir === '>');
    expect(enters[1].ext.p).toBe(String(enters[0].id));
    expect(enters[2].ext.p).toBe(String(enters[0].id));
  });
});
