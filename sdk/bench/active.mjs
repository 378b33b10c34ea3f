#!/usr/bin/env node
// Cost of the active-span slot (sdk/MARKERS.md "Active span"), context publishing on vs off
// (NULLSPAN_CONTEXT=0), each in its own child process (the async hook is process-wide), rounds interleaved:
//   hop   one async hop inside a span: `await` of a resolved promise (a promise reaction: before + after hooks)
//   tick  one setImmediate hop inside a span (a libuv-driven callback: before + after hooks)
//   span  span.trace(name, fn) with a synchronous fn: start + end markers + entering/leaving the span's context
// Reports ns per operation (median over rounds) and the difference on - off. Last line: BENCH_JSON.
import { spawn } from 'node:child_process';

const ROUNDS = 15;
const N = { hop: 200_000, tick: 50_000, span: 50_000 };

if (process.argv[2] === 'child') await child();
else await main();

async function child() {
  const { span } = await import('../dist/index.js');
  span.start('warm').end(); // starts context publishing (when on), as the first span of an app does
  const out = {};
  await span.trace('bench', async () => {
    for (let w = 0; w < 2; w++) {
      let t = process.hrtime.bigint();
      for (let i = 0; i < N.hop; i++) await null;
      out.hop = Number(process.hrtime.bigint() - t) / N.hop;
      t = process.hrtime.bigint();
      for (let i = 0; i < N.tick; i++) await new Promise((r) => setImmediate(r));
      out.tick = Number(process.hrtime.bigint() - t) / N.tick;
    }
  });
  const fn = () => 1;
  for (let w = 0; w < 2; w++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N.span; i++) span.trace('bench.span', fn);
    out.span = Number(process.hrtime.bigint() - t) / N.span;
  }
  console.log(JSON.stringify(out));
}

function runChild(on) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NULLSPAN_CONTEXT: on ? '1' : '0' };
    const c = spawn(process.execPath, [new URL(import.meta.url).pathname, 'child'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited with ${code}`))));
  });
}

async function main() {
  const rows = { on: [], off: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 ? ['on', 'off'] : ['off', 'on']) rows[mode].push(await runChild(mode === 'on'));
    const last = (m) => rows[m][rows[m].length - 1];
    console.log(
      `round ${r + 1}: hop ${last('off').hop.toFixed(1)} → ${last('on').hop.toFixed(1)} ns, tick ${last('off').tick.toFixed(0)} → ${last('on').tick.toFixed(0)} ns, span ${last('off').span.toFixed(0)} → ${last('on').span.toFixed(0)} ns`,
    );
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = (mode, k) => median(rows[mode].map((x) => x[k]));
  // per-round differences, then the median: robust to the machine's drift between rounds
  const d = (k) => median(rows.on.map((x, i) => x[k] - rows.off[i][k]));
  const f = (x) => Number(x.toFixed(1));
  const figures = {
    hop_off_ns: f(m('off', 'hop')),
    hop_on_ns: f(m('on', 'hop')),
    hop_cost_ns: f(d('hop')),
    tick_off_ns: f(m('off', 'tick')),
    tick_on_ns: f(m('on', 'tick')),
    tick_cost_ns: f(d('tick')),
    span_off_ns: f(m('off', 'span')),
    span_on_ns: f(m('on', 'span')),
    span_cost_ns: f(d('span')),
  };
  const signed = (x) => (x >= 0 ? `+${x}` : `${x}`);
  const result = `per async hop (await) ${figures.hop_off_ns} → ${figures.hop_on_ns} ns (${signed(figures.hop_cost_ns)}); per setImmediate hop ${figures.tick_off_ns} → ${figures.tick_on_ns} ns (${signed(figures.tick_cost_ns)}); per span.trace ${figures.span_off_ns} → ${figures.span_on_ns} ns (${signed(figures.span_cost_ns)}), context publishing off → on`;
  console.log(result);
  console.log(
    'BENCH_JSON ' +
      JSON.stringify([
        {
          issue: 7,
          workload: `active-span slot: ${N.hop} awaits, ${N.tick} setImmediate hops and ${N.span} span.trace per child process, NULLSPAN_CONTEXT=0 vs on, ${ROUNDS} interleaved rounds`,
          figures,
          result,
          target:
            'publishing adds < 200 ns per async hop and per span (the issue target, ≤ 5% Hono throughput for SDK + attribution, is the load bench row)',
          met: figures.hop_cost_ns < 200 && figures.span_cost_ns < 200,
        },
      ]),
  );
}
