/**
 * OpenTelemetry bridge: a TracerProvider implementing @opentelemetry/api whose spans are nullspan spans, so code
 * and libraries instrumented with the OpenTelemetry API write markers unchanged. Switching between the in-process
 * OpenTelemetry SDK and nullspan is a matter of which provider the app registers.
 *
 *   import { registerNullspan } from '@nullspan/sdk/otel';
 *   registerNullspan();   // tracer provider + context manager + W3C propagator
 *
 * Mapping (sdk/README.md): attributes given at start go into the enter marker, later ones (setAttribute(s),
 * recordException) into the exit marker; setStatus → `_st`/`_msg`; kind → `_k`; the span context is the marker
 * span's ids. Timestamps passed to start/end are ignored (the probe times the marker writes); events, links and
 * updateName have no marker form and are dropped.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context as contextApi,
  createTraceState,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type Exception,
  type Link,
  type Span as OtelSpan,
  type SpanAttributeValue,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { current, start, withSpan, type Span, type SpanArgs, type SpanKind as NullspanKind } from './span.js';
import { formatTraceparent, parseTraceparent, type TraceContext } from './tracecontext.js';

const KIND_NAMES: Record<number, NullspanKind> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/** An OpenTelemetry Span backed by a nullspan Span. */
export class BridgeSpan implements OtelSpan {
  readonly inner: Span;
  private pending: SpanArgs | undefined = undefined;
  private ctx: SpanContext | undefined = undefined;

  constructor(inner: Span) {
    this.inner = inner;
  }

  spanContext(): SpanContext {
    if (this.ctx === undefined) {
      const s = this.inner;
      this.ctx = { traceId: s.traceId, spanId: s.spanId, traceFlags: s.traceFlags, isRemote: false };
      if (s.traceState) {
        try {
          this.ctx.traceState = createTraceState(s.traceState);
        } catch {
          // an unparsable tracestate is dropped, as the spec allows
        }
      }
    }
    return this.ctx;
  }

  setAttribute(key: string, value: SpanAttributeValue): this {
    if (!this.inner.ended) (this.pending ??= {})[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.inner.ended && attributes) Object.assign((this.pending ??= {}), attributes);
    return this;
  }

  addEvent(): this {
    return this;
  }

  addLink(_link: Link): this {
    return this;
  }

  addLinks(_links: Link[]): this {
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (status?.code === SpanStatusCode.ERROR) this.inner.setStatus('error', status.message);
    else if (status?.code === SpanStatusCode.OK) this.inner.setStatus('ok');
    return this;
  }

  updateName(_name: string): this {
    return this;
  }

  end(): void {
    const p = this.pending;
    this.pending = undefined;
    this.inner.end(p);
  }

  isRecording(): boolean {
    return this.inner.sampled && !this.inner.ended;
  }

  recordException(exception: Exception): void {
    try {
      if (typeof exception === 'string') {
        this.setAttribute('exception.message', exception);
      } else if (exception) {
        const type = exception.name ?? (exception.code !== undefined ? String(exception.code) : undefined);
        if (type !== undefined) this.setAttribute('exception.type', type);
        if (exception.message !== undefined) this.setAttribute('exception.message', exception.message);
      }
    } catch {
      // an exotic exception object must not reach the application
    }
  }
}

/** One BridgeSpan per nullspan span, so getActiveSpan() returns the same object while a span is active. */
const views = new WeakMap<Span, BridgeSpan>();

function viewOf(s: Span): BridgeSpan {
  let v = views.get(s);
  if (v === undefined) {
    v = new BridgeSpan(s);
    views.set(s, v);
  }
  return v;
}

/** The nullspan parent for a span started in `ctx`: undefined = the active nullspan span, null = a new trace. */
function parentIn(ctx: Context): Span | TraceContext | undefined {
  const sp = trace.getSpan(ctx);
  if (sp === undefined) return undefined;
  if (sp instanceof BridgeSpan) return sp.inner;
  const sc = sp.spanContext();
  if (!isSpanContextValid(sc)) return undefined;
  // a remote parent (propagation.extract) or a span of another provider
  return {
    traceId: sc.traceId,
    spanId: sc.spanId,
    flags: sc.traceFlags,
    traceState: sc.traceState?.serialize() || undefined,
  };
}

class BridgeTracer implements Tracer {
  startSpan(name: string, options?: SpanOptions, ctx?: Context): OtelSpan {
    try {
      const parent = options?.root ? null : parentIn(ctx ?? contextApi.active());
      const kind = options?.kind !== undefined ? KIND_NAMES[options.kind] : undefined;
      return viewOf(start(name, options?.attributes, { parent, kind }));
    } catch {
      return viewOf(start(String(name)));
    }
  }

  startActiveSpan<F extends (span: OtelSpan) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(
    name: string,
    a: F | SpanOptions,
    b?: F | Context,
    c?: F,
  ): ReturnType<F> {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (typeof a === 'function') fn = a;
    else if (typeof b === 'function') {
      options = a;
      fn = b;
    } else {
      options = a;
      ctx = b;
      fn = c as F;
    }
    const parentCtx = ctx ?? contextApi.active();
    const s = this.startSpan(name, options, parentCtx) as BridgeSpan;
    // Activate it for both worlds: the API's context manager (whichever is registered) and nullspan's own
    // async context, so span.start() inside OpenTelemetry-instrumented code nests too.
    const run = fn as (span: OtelSpan) => ReturnType<F>;
    return withSpan(s.inner, () => contextApi.with(trace.setSpan(parentCtx, s), run, undefined, s));
  }
}

export class NullspanTracerProvider implements TracerProvider {
  private readonly tracer = new BridgeTracer();

  /** Every name/version gets the same tracer: markers carry no instrumentation scope. */
  getTracer(_name?: string, _version?: string): Tracer {
    return this.tracer;
  }
}

/**
 * A ContextManager on AsyncLocalStorage that stays in step with nullspan's active span: entering a context with a
 * nullspan-backed span makes that span active for span.start() too, and active() reports spans started with
 * span.trace() / the Hono middleware as the active OpenTelemetry span.
 */
export class NullspanContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();

  active(): Context {
    const base = this.als.getStore() ?? ROOT_CONTEXT;
    const cur = current();
    if (cur !== undefined) {
      const sp = trace.getSpan(base);
      if (!(sp instanceof BridgeSpan && sp.inner === cur)) return trace.setSpan(base, viewOf(cur));
    }
    return base;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const sp = trace.getSpan(ctx);
    const inner = sp instanceof BridgeSpan ? sp.inner : undefined;
    return withSpan(inner, () => this.als.run(ctx, () => fn.apply(thisArg, args)));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const self = this;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    return function (this: unknown, ...a: unknown[]) {
      return self.with(ctx, () => fn.apply(this, a));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.als.disable();
    return this;
  }
}

/** W3C trace context for propagation.inject/extract, on nullspan's own parser. */
export class NullspanPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sp = trace.getSpan(ctx);
    if (!sp) return;
    const sc = sp.spanContext();
    if (!isSpanContextValid(sc)) return;
    setter.set(
      carrier,
      'traceparent',
      formatTraceparent({ traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags }),
    );
    const state = sc.traceState?.serialize();
    if (state) setter.set(carrier, 'tracestate', state);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, 'traceparent');
    const tc = parseTraceparent(Array.isArray(raw) ? raw[0] : raw);
    if (!tc) return ctx;
    const rawState = getter.get(carrier, 'tracestate');
    const state = Array.isArray(rawState) ? rawState.join(',') : rawState;
    const sc: SpanContext = { traceId: tc.traceId, spanId: tc.spanId, traceFlags: tc.flags, isRemote: true };
    if (state && state.length <= 512) sc.traceState = createTraceState(state);
    return trace.setSpanContext(ctx, sc);
  }

  fields(): string[] {
    return ['traceparent', 'tracestate'];
  }
}

/**
 * Registers nullspan as the global tracer provider, with its context manager and W3C propagator (each only if
 * asked; all by default). Returns false when another provider was already registered (the API keeps the first;
 * call unregisterNullspan() or trace.disable() to switch).
 */
export function registerNullspan(options: { contextManager?: boolean; propagator?: boolean } = {}): boolean {
  const ok = trace.setGlobalTracerProvider(new NullspanTracerProvider());
  if (options.contextManager !== false) contextApi.setGlobalContextManager(new NullspanContextManager());
  if (options.propagator !== false) propagation.setGlobalPropagator(new NullspanPropagator());
  return ok;
}

/** Removes the global tracer provider, context manager and propagator (whoever registered them). */
export function unregisterNullspan(): void {
  trace.disable();
  contextApi.disable();
  propagation.disable();
}
