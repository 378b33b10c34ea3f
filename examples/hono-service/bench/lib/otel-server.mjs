// The OpenTelemetry SDK set up the way a Hono service would use it, for the benchmarks that compare against it:
// BatchSpanProcessor + OTLP/HTTP to the bench's loopback receiver, an AsyncLocalStorage context manager, and a
// middleware making one server span per request. Shared by load.mjs and system.mjs (a module under lib/, so the
// bench runner does not run it as a benchmark).

/**
 * Installs the global tracer provider and the server-span middleware on `app`. Returns `wrap(name, fn)` (a child
 * span around an async step), the API (for propagation) and `shutdown` (flushes the batch processor).
 * `route(c)` names the server span's route.
 */
export async function setUpOtelServer(app, receiverPort, route) {
  const api = await import('@opentelemetry/api');
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  // the equivalent of @opentelemetry/context-async-hooks' AsyncLocalStorageContextManager
  const als = new AsyncLocalStorage();
  api.context.setGlobalContextManager({
    active: () => als.getStore() ?? api.ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => als.run(ctx, () => fn.apply(thisArg, args)),
    bind: (_ctx, target) => target,
    enable() {
      return this;
    },
    disable() {
      return this;
    },
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${receiverPort}/v1/traces` })),
    ],
  });
  api.trace.setGlobalTracerProvider(provider);
  const tracer = api.trace.getTracer('bench');
  app.use(async (c, next) => {
    const parent = api.propagation.extract(api.context.active(), c.req.header());
    await tracer.startActiveSpan(
      `${c.req.method} ${route(c)}`,
      {
        kind: api.SpanKind.SERVER,
        attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path, 'http.route': route(c) },
      },
      parent,
      async (s) => {
        try {
          await next();
          s.setAttribute('http.response.status_code', c.res.status);
        } finally {
          s.end();
        }
      },
    );
  });
  const wrap = (name, fn) =>
    tracer.startActiveSpan(name, async (s) => {
      try {
        return await fn();
      } finally {
        s.end();
      }
    });
  return { api, wrap, shutdown: () => provider.shutdown() };
}
