#!/usr/bin/env node
// The Hono service under loopback load, three ways in one run: uninstrumented, with @nullspan/sdk (markers to
// /dev/null, no probe needed), and with the OpenTelemetry SDK (BatchSpanProcessor, OTLP/HTTP to a loopback
// receiver). Each request makes one server span and two nested spans. Each way runs in its own server process;
// this process is the load generator (keep-alive node:http, fixed concurrency, bounded request count). Runs are
// interleaved in a rotating order; requests/s and p99 are medians over the runs. Last line: BENCH_JSON.
//
// This file is also the server: `node load.mjs serve <mode> [receiverPort]` (so the bench runner, which runs every
// bench/*.mjs, finds no extra program here).
import { spawn } from 'node:child_process';
import http from 'node:http';

// Two diagnostic modes say where the SDK's cost goes: 'als' makes no spans, just an AsyncLocalStorage context
// around each request and step (what any span nesting on Node 20 pays: it turns on async_hooks' promise hooks for
// the whole process); 'sdk_nowrite' is the SDK with markers switched off (NULLSPAN_DISABLED=1): all of its
// JavaScript, none of its system calls. 'sdk' is the SDK as shipped, publishing the active span for syscall
// attribution (issue 7); 'sdk_noctx' is the SDK with that switched off (NULLSPAN_CONTEXT=0).
const MODES = ['plain', 'als', 'sdk_nowrite', 'sdk_noctx', 'sdk', 'otel'];
const MODE_ENV = { sdk_nowrite: { NULLSPAN_DISABLED: '1' }, sdk_noctx: { NULLSPAN_CONTEXT: '0' } };
const RUNS = 7;
const REQUESTS = 3000; // per run
const CONCURRENCY = 16;
const WARMUP = 1000;

if (process.argv[2] === 'serve') await serve(process.argv[3], Number(process.argv[4]));
else await main();

// ---------------------------------------------------------------------------------------------------------------
// server side

async function serve(mode, receiverPort) {
  const { Hono } = await import('hono');
  const { serve: listen } = await import('@hono/node-server');
  const app = new Hono();
  // the work each request does, in two nested steps; `wrap(name, fn)` is how each mode makes a span around a step
  const handler = (wrap) => async (c) => {
    const out = await wrap('bench.load', async () => {
      const items = Array.from({ length: 20 }, (_, i) => ({ i, v: i * 7 }));
      return wrap('bench.render', async () => JSON.stringify(items));
    });
    return c.body(out, 200, { 'content-type': 'application/json' });
  };

  if (mode === 'plain') {
    app.get('/bench', handler((_name, fn) => fn()));
  } else if (mode === 'als') {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const als = new AsyncLocalStorage();
    app.use((c, next) => als.run({ c }, next));
    app.get('/bench', handler((name, fn) => als.run({ name }, fn)));
  } else if (mode === 'sdk' || mode === 'sdk_nowrite' || mode === 'sdk_noctx') {
    const { span } = await import('@nullspan/sdk');
    const { nullspan } = await import('@nullspan/sdk/hono');
    span.configure({ serviceName: 'bench' });
    app.use(nullspan());
    app.get('/bench', handler((name, fn) => span.trace(name, undefined, fn)));
  } else {
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
      enable() { return this; },
      disable() { return this; },
    });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'bench' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${receiverPort}/v1/traces` }))],
    });
    api.trace.setGlobalTracerProvider(provider);
    const tracer = api.trace.getTracer('bench');
    app.use(async (c, next) => {
      const parent = api.propagation.extract(api.context.active(), c.req.header());
      await tracer.startActiveSpan(
        `${c.req.method} /bench`,
        { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path, 'http.route': '/bench' } },
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
    app.get('/bench', handler((name, fn) => tracer.startActiveSpan(name, async (s) => {
      try {
        return await fn();
      } finally {
        s.end();
      }
    })));
  }
  const server = listen({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  server.keepAliveTimeout = 60_000;
  server.once('listening', () => console.log(server.address().port));
}

// ---------------------------------------------------------------------------------------------------------------
// load generator

function startChild(args, env = process.env) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const port = new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, port };
}

async function load(port, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = new Float64Array(count);
  let next = 0;
  let failed = 0;
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.get({ host: '127.0.0.1', port, path: '/bench', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) failed++;
          resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        });
      });
      req.on('error', () => {
        failed++;
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      });
    });
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        latencies[i] = await one();
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  latencies.sort();
  return { rps: count / seconds, p99: latencies[Math.floor(count * 0.99)], failed };
}

async function main() {
  const receiver = startChild(['-e', `
    const http = require('node:http');
    const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{}'); }); });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));
  `]);
  const receiverPort = await receiver.port;
  const me = new URL(import.meta.url).pathname;
  const servers = Object.fromEntries(
    MODES.map((m) => [m, startChild([me, 'serve', m, String(receiverPort)], { ...process.env, ...MODE_ENV[m] })]),
  );
  const ports = Object.fromEntries(await Promise.all(MODES.map(async (m) => [m, await servers[m].port])));

  for (const m of MODES) await load(ports[m], WARMUP);
  const results = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let r = 0; r < RUNS; r++) {
    const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]);
    for (const m of order) {
      const res = await load(ports[m], REQUESTS);
      results[m].push(res);
      console.log(`run ${r + 1} ${m.padEnd(11)} ${res.rps.toFixed(0)} req/s  p99 ${res.p99.toFixed(2)} ms${res.failed ? `  ${res.failed} FAILED` : ''}`);
    }
  }
  for (const s of Object.values(servers)) s.child.kill();
  receiver.child.kill();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rps = Object.fromEntries(MODES.map((m) => [m, median(results[m].map((x) => x.rps))]));
  const p99 = Object.fromEntries(MODES.map((m) => [m, median(results[m].map((x) => x.p99))]));
  // cost per run against the uninstrumented run next to it in time, then the median: robust to drifting load
  const cost = (m) => median(results[m].map((x, i) => 1 - x.rps / results.plain[i].rps));
  const failed = MODES.reduce((n, m) => n + results[m].reduce((k, x) => k + x.failed, 0), 0);
  const sdkCost = cost('sdk');
  const otelCost = cost('otel');
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const jsCost = cost('sdk_nowrite');
  const alsCost = cost('als');
  const noctxCost = cost('sdk_noctx');
  // attribution's own share: SDK with it against the SDK without it, run by run
  const ctxCost = median(results.sdk.map((x, i) => 1 - x.rps / results.sdk_noctx[i].rps));
  console.log(`sdk costs ${pct(sdkCost)} of throughput (its JavaScript alone ${pct(jsCost)}, AsyncLocalStorage alone ${pct(alsCost)}), OpenTelemetry SDK ${pct(otelCost)}`);
  console.log(
    'BENCH_JSON ' +
      JSON.stringify([
        {
          issue: 4,
          workload: `Hono service, loopback, ${CONCURRENCY} keep-alive connections, ${REQUESTS} requests x ${RUNS} runs, 1 server span + 2 nested spans per request`,
          figures: {
            plain_rps: Math.round(rps.plain),
            sdk_rps: Math.round(rps.sdk),
            otel_rps: Math.round(rps.otel),
            plain_p99_ms: Number(p99.plain.toFixed(2)),
            sdk_p99_ms: Number(p99.sdk.toFixed(2)),
            otel_p99_ms: Number(p99.otel.toFixed(2)),
            sdk_cost_pct: Number((sdkCost * 100).toFixed(1)),
            sdk_js_only_cost_pct: Number((jsCost * 100).toFixed(1)),
            als_only_cost_pct: Number((alsCost * 100).toFixed(1)),
            otel_cost_pct: Number((otelCost * 100).toFixed(1)),
          },
          result: `req/s: uninstrumented ${Math.round(rps.plain)}, SDK ${Math.round(rps.sdk)} (${pct(sdkCost)} cost; without its writes ${pct(jsCost)}), OpenTelemetry SDK ${Math.round(rps.otel)} (${pct(otelCost)} cost); p99 ${p99.plain.toFixed(2)} / ${p99.sdk.toFixed(2)} / ${p99.otel.toFixed(2)} ms${failed ? `; ${failed} requests failed` : ''}`,
          target: 'SDK costs ≤ 5% of throughput',
          met: sdkCost <= 0.05 && failed === 0,
        },
        {
          issue: 7,
          workload: `Hono service, loopback, ${CONCURRENCY} keep-alive connections, ${REQUESTS} requests x ${RUNS} runs, 1 server span + 2 nested spans per request; SDK with and without active-span publishing (NULLSPAN_CONTEXT=0), no probe`,
          figures: {
            plain_rps: Math.round(rps.plain),
            sdk_noctx_rps: Math.round(rps.sdk_noctx),
            sdk_attr_rps: Math.round(rps.sdk),
            plain_p99_ms: Number(p99.plain.toFixed(2)),
            sdk_noctx_p99_ms: Number(p99.sdk_noctx.toFixed(2)),
            sdk_attr_p99_ms: Number(p99.sdk.toFixed(2)),
            sdk_noctx_cost_pct: Number((noctxCost * 100).toFixed(1)),
            sdk_attr_cost_pct: Number((sdkCost * 100).toFixed(1)),
            attribution_vs_sdk_pct: Number((ctxCost * 100).toFixed(1)),
          },
          result: `req/s: uninstrumented ${Math.round(rps.plain)}, SDK without attribution ${Math.round(rps.sdk_noctx)} (${pct(noctxCost)}), SDK + attribution ${Math.round(rps.sdk)} (${pct(sdkCost)}; attribution alone ${pct(ctxCost)} against the SDK); p99 ${p99.plain.toFixed(2)} / ${p99.sdk_noctx.toFixed(2)} / ${p99.sdk.toFixed(2)} ms`,
          target: 'SDK + attribution costs ≤ 5% of throughput',
          met: sdkCost <= 0.05 && failed === 0,
        },
      ]),
  );
}
