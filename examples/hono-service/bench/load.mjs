#!/usr/bin/env node
// The Hono service under loopback load, three ways in one run: uninstrumented, with @nullspan/sdk (markers to
// /dev/null, no probe needed), and with the OpenTelemetry SDK (BatchSpanProcessor, OTLP/HTTP to a loopback
// receiver). Each request makes one server span and two nested spans. Each way runs in its own server process;
// this process is the load generator (keep-alive node:http, fixed concurrency, bounded request count). Runs are
// interleaved in a rotating order; requests/s and p99 are medians over the runs. Last line: BENCH_JSON.
//
// This file is also the server: `node load.mjs serve <mode> [receiverPort]` (so the bench runner, which runs every
// bench/*.mjs, finds no extra program here).
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { setUpOtelServer } from './lib/otel-server.mjs';

// Modes, each in its own server process:
//   plain     uninstrumented
//   writes    uninstrumented + the six marker writes of this request shape (the SDK's exact bytes, through its
//             native write), nothing else: the floor that "one write() per marker" sets for any marker SDK
//   als       no spans, just an AsyncLocalStorage context around the request and each step: what any span nesting
//             costs on Node 20 (it turns on async_hooks' promise hooks for the whole process)
//   sdk       @nullspan/sdk as shipped, no probe attached
//   sdk_fs    the same with markers written by fs.writeSync (NULLSPAN_NATIVE=0: no native module)
//   sdk_ctx   the SDK publishing the active span for syscall attribution (NULLSPAN_CONTEXT=1: what it costs while a
//             probe traces the process; without one the SDK leaves that off)
//   otel      the OpenTelemetry SDK (BatchSpanProcessor, OTLP/HTTP to a loopback receiver)
//
// Two figures per mode. Requests/s and p99 as the load generator sees them. And the server's CPU time per request
// (all its threads, from /proc/<pid>/task/*/schedstat): on this 2-core machine the load generator, not the server,
// is the bottleneck, so throughput hides part of what a server pays; CPU per request is what a saturated server's
// throughput divides by. Costs are the median over runs of each run against the plain run next to it in time.
const MODES = ['plain', 'writes', 'als', 'sdk', 'sdk_fs', 'sdk_ctx', 'otel'];
const MODE_ENV = { sdk_fs: { NULLSPAN_NATIVE: '0' }, sdk_ctx: { NULLSPAN_CONTEXT: '1' } };
const RUNS = Number(process.env.BENCH_RUNS) || 9;
const REQUESTS = 4000; // per run
const CONCURRENCY = 16;
const WARMUP = 2000;

/**
 * Servers on the last CPU, this load generator on the others (taskset, when there are two CPUs or more): the
 * scheduler moving the two across cores was most of the run-to-run noise on this 2-core VM.
 */
const cpus = availableParallelism();
const pin = process.argv[2] !== 'serve' && cpus >= 2 && spawnSync('taskset', ['-V']).status === 0;
if (pin) spawnSync('taskset', ['-a', '-p', '-c', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' });

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
    app.get(
      '/bench',
      handler((_name, fn) => fn()),
    );
  } else if (mode === 'writes') {
    const { openSync } = await import('node:fs');
    const { writeBytes } = await import(new URL('fastwrite.js', import.meta.resolve('@nullspan/sdk')).href);
    const fd = openSync('/dev/null', 'a');
    const marker = (text) => new TextEncoder().encode(text);
    // byte for byte what the SDK writes for this request (15-digit ids, like most of the SDK's)
    const server = marker(
      '>:100000000000000:GET /bench:_tid=e7e8f1d508c3b65200005af3107a4000,_svc=bench,_k=server,http.request.method=GET,url.path=/bench,http.route=/bench:',
    );
    const serverEnd = marker('<:100000000000000:GET /bench:http.response.status_code=200:');
    const load = marker('>:100000000000001:bench.load:_p=100000000000000:');
    const loadEnd = marker('<:100000000000001:bench.load::');
    const render = marker('>:100000000000002:bench.render:_p=100000000000001:');
    const renderEnd = marker('<:100000000000002:bench.render::');
    const w = (b) => writeBytes(fd, b, b.length);
    app.use(async (_c, next) => {
      w(server);
      await next();
      w(serverEnd);
    });
    app.get(
      '/bench',
      handler(async (name, fn) => {
        const [enter, exit] = name === 'bench.load' ? [load, loadEnd] : [render, renderEnd];
        w(enter);
        const r = await fn();
        w(exit);
        return r;
      }),
    );
  } else if (mode === 'als') {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const als = new AsyncLocalStorage();
    app.use((c, next) => als.run({ c }, next));
    app.get(
      '/bench',
      handler((name, fn) => als.run({ name }, fn)),
    );
  } else if (mode.startsWith('sdk')) {
    const { span } = await import('@nullspan/sdk');
    const { nullspan } = await import('@nullspan/sdk/hono');
    span.configure({ serviceName: 'bench' });
    app.use(nullspan());
    app.get(
      '/bench',
      handler((name, fn) => span.trace(name, undefined, fn)),
    );
  } else {
    const { wrap } = await setUpOtelServer(app, receiverPort, () => '/bench');
    app.get('/bench', handler(wrap));
  }
  const server = listen({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  server.keepAliveTimeout = 60_000;
  server.once('listening', () => console.log(server.address().port));
}

// ---------------------------------------------------------------------------------------------------------------
// load generator

function startChild(args, env = process.env) {
  const [cmd, argv] = pin ? ['taskset', ['-c', String(cpus - 1), process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const port = new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, port };
}

/** CPU time (ns) the process has used so far, all threads (exited threads' time is in no task: servers keep theirs). */
function cpuNs(pid) {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns;
}

async function load(port, count, pid) {
  const cpu0 = pid ? cpuNs(pid) : 0;
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
  const cpuUs = pid ? (cpuNs(pid) - cpu0) / count / 1000 : 0;
  agent.destroy();
  latencies.sort();
  return { rps: count / seconds, p99: latencies[Math.floor(count * 0.99)], cpuUs, failed };
}

async function main() {
  const receiver = startChild([
    '-e',
    `
    const http = require('node:http');
    const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{}'); }); });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));
  `,
  ]);
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
      const res = await load(ports[m], REQUESTS, servers[m].child.pid);
      results[m].push(res);
      console.log(
        `run ${r + 1} ${m.padEnd(8)} ${res.rps.toFixed(0)} req/s  p99 ${res.p99.toFixed(2)} ms  server CPU ${res.cpuUs.toFixed(1)} µs/request${res.failed ? `  ${res.failed} FAILED` : ''}`,
      );
    }
  }
  for (const s of Object.values(servers)) s.child.kill();
  receiver.child.kill();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const med = (m, key) => median(results[m].map((x) => x[key]));
  // per run against the plain run next to it in time, then the median: robust to drifting machine speed
  const tputCost = (m) => median(results[m].map((x, i) => 1 - x.rps / results.plain[i].rps));
  const cpuCost = (m) => median(results[m].map((x, i) => 1 - results.plain[i].cpuUs / x.cpuUs));
  const failed = MODES.reduce((n, m) => n + results[m].reduce((k, x) => k + x.failed, 0), 0);
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const num = (x, d = 1) => Number(x.toFixed(d));
  console.log('mode       req/s   p99 ms  CPU µs/req  throughput cost  CPU cost');
  for (const m of MODES) {
    console.log(
      `${m.padEnd(8)} ${med(m, 'rps').toFixed(0).padStart(7)} ${med(m, 'p99').toFixed(2).padStart(8)} ${med(m, 'cpuUs').toFixed(1).padStart(11)} ${(m === 'plain' ? '' : pct(tputCost(m))).padStart(16)} ${(m === 'plain' ? '' : pct(cpuCost(m))).padStart(9)}`,
    );
  }
  const figures = {};
  for (const m of MODES) {
    figures[`${m}_rps`] = Math.round(med(m, 'rps'));
    figures[`${m}_p99_ms`] = num(med(m, 'p99'), 2);
    figures[`${m}_cpu_us`] = num(med(m, 'cpuUs'));
    if (m !== 'plain') {
      figures[`${m}_tput_cost_pct`] = num(tputCost(m) * 100);
      figures[`${m}_cpu_cost_pct`] = num(cpuCost(m) * 100);
    }
  }
  const workload = `Hono service, loopback, ${CONCURRENCY} keep-alive connections, ${REQUESTS} requests x ${RUNS} runs, 1 server span + 2 nested spans per request`;
  const line = (m) =>
    `${Math.round(med(m, 'rps'))} req/s, ${med(m, 'cpuUs').toFixed(1)} µs CPU (${pct(tputCost(m))} / ${pct(cpuCost(m))})`;
  console.log(
    'BENCH_JSON ' +
      JSON.stringify([
        {
          issue: 4,
          workload,
          figures,
          result: `uninstrumented ${Math.round(med('plain', 'rps'))} req/s, ${med('plain', 'cpuUs').toFixed(1)} µs server CPU/request; cost in throughput / in CPU: SDK ${line('sdk')}; OpenTelemetry SDK ${line('otel')}; floors: the 6 marker writes alone ${line('writes')}, AsyncLocalStorage alone ${line('als')}; SDK with fs.writeSync ${line('sdk_fs')}; p99 ${med('plain', 'p99').toFixed(2)} / ${med('sdk', 'p99').toFixed(2)} / ${med('otel', 'p99').toFixed(2)} ms${failed ? `; ${failed} requests failed` : ''}`,
          target: 'SDK costs ≤ 5% of throughput',
          met: tputCost('sdk') <= 0.05 && cpuCost('sdk') <= 0.05 && failed === 0,
        },
        {
          issue: 7,
          workload: `${workload}; the SDK publishing the active span (NULLSPAN_CONTEXT=1, as while a probe traces it), no probe`,
          figures: {
            plain_rps: figures.plain_rps,
            sdk_rps: figures.sdk_rps,
            sdk_ctx_rps: figures.sdk_ctx_rps,
            sdk_cpu_us: figures.sdk_cpu_us,
            sdk_ctx_cpu_us: figures.sdk_ctx_cpu_us,
            sdk_ctx_tput_cost_pct: figures.sdk_ctx_tput_cost_pct,
            sdk_ctx_cpu_cost_pct: figures.sdk_ctx_cpu_cost_pct,
          },
          result: `SDK publishing the active span ${line('sdk_ctx')} against SDK without ${line('sdk')} (cost against uninstrumented, throughput / CPU)`,
          target: 'SDK + attribution costs ≤ 5% of throughput',
          met: tputCost('sdk_ctx') <= 0.05 && cpuCost('sdk_ctx') <= 0.05 && failed === 0,
        },
      ]),
  );
}
