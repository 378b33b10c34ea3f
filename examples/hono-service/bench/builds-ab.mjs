// This build against another one on the Hono bench service (system.mjs's `hono` shape, @nullspan/sdk) under
// `nullspan run --no-otlp --otlp-file`, rounds interleaved: the CPU nullspan's process and the traced server (its
// system calls, and so the BPF programs that run in them, included) spend per request at saturation (`wrk -t1
// -c16`). This VM's speed drifts between runs of system.mjs far more than a change costs; interleaving the two
// builds round by round is what makes a before/after figure worth reading.
//   BENCH_BASE_TREE=<another built checkout> node examples/hono-service/bench/builds-ab.mjs
// Without BENCH_BASE_TREE it compares this build with itself under `--no-metrics` (what the OTLP metrics cost).
// BENCH_ROUNDS (5), BENCH_SECONDS (4). Last stdout line: BENCH_JSON [...].
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SYSTEM = join(root, 'examples/hono-service/bench/system.mjs');
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const SECONDS = Number(process.env.BENCH_SECONDS) || 4;
const BASE = process.env.BENCH_BASE_TREE;
const TICK_NS = 1e9 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

const CONFIGS = BASE
  ? { base: { tree: BASE, args: [] }, this: { tree: root, args: [] } }
  : { 'no-metrics': { tree: root, args: ['--no-metrics'] }, this: { tree: root, args: [] } };

/** user + system CPU ticks of a process */
function ticks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

function wrk(url, seconds) {
  const r = spawnSync('wrk', ['-t1', '-c16', `-d${seconds}s`, url], { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(r.stdout ?? '');
  if (!m) throw new Error(`wrk printed no request count: ${r.stderr || r.stdout}`);
  return Number(m[1]);
}

async function once(dir, name, { tree, args }) {
  const out = join(dir, `${name}.jsonl`);
  const data = join(dir, 'data.txt');
  const cli = join(tree, 'correlator/dist/cli/main.js');
  const child = spawn(
    process.execPath,
    [
      cli,
      'run',
      '--no-otlp',
      '--otlp-file',
      out,
      ...args,
      '--',
      process.execPath,
      SYSTEM,
      'serve',
      'sdk',
      'hono',
      '9',
      '9',
      data,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (text += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (text += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  let port;
  while (!(port = /PORT (\d+)/.exec(text)?.[1])) {
    if (Date.now() > deadline) throw new Error(`${name}: the server never listened:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `http://127.0.0.1:${port}/bench`;
  wrk(url, 2); // warm-up
  const server = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  const n0 = ticks(child.pid);
  const s0 = ticks(server);
  const requests = wrk(url, SECONDS);
  const nullspan = ((ticks(child.pid) - n0) * TICK_NS) / requests / 1000;
  const traced = ((ticks(server) - s0) * TICK_NS) / requests / 1000;
  child.kill('SIGINT');
  await exited;
  rmSync(out, { force: true });
  return { nullspan, server: traced, total: nullspan + traced, rps: requests / SECONDS };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'nullspan-ab-'));
writeFileSync(join(dir, 'data.txt'), 'x'.repeat(512));
const runs = Object.fromEntries(Object.keys(CONFIGS).map((k) => [k, []]));
try {
  for (let round = 1; round <= ROUNDS; round++)
    for (const [name, config] of Object.entries(CONFIGS)) {
      const r = await once(dir, name, config);
      runs[name].push(r);
      console.log(
        `round ${round} ${name.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  nullspan ${r.nullspan.toFixed(1)} µs/req  server ${r.server.toFixed(1)} µs/req  total ${r.total.toFixed(1)} µs/req`,
      );
    }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const [before, after] = Object.keys(CONFIGS);
const fig = (name, key) => median(runs[name].map((r) => r[key]));
const change = (key) => ((fig(after, key) / fig(before, key) - 1) * 100).toFixed(1);
console.log(
  `\n${after} vs ${before} (${BASE ? `base ${BASE}` : 'metrics off'}), CPU µs per request at saturation, medians of ${ROUNDS} interleaved rounds:` +
    `\n  nullspan ${fig(before, 'nullspan').toFixed(1)} → ${fig(after, 'nullspan').toFixed(1)} (${change('nullspan')} %)` +
    `  traced server ${fig(before, 'server').toFixed(1)} → ${fig(after, 'server').toFixed(1)} (${change('server')} %)` +
    `  both ${fig(before, 'total').toFixed(1)} → ${fig(after, 'total').toFixed(1)} (${change('total')} %)`,
);
console.log(
  `BENCH_JSON ${JSON.stringify([
    {
      issue: BASE ? 14 : 15,
      workload: `Hono shape under nullspan run --no-otlp --otlp-file, wrk -t1 -c16 ${SECONDS} s, ${ROUNDS} interleaved rounds: ${after} vs ${before}`,
      figures: {
        [`${before}_nullspan_us`]: fig(before, 'nullspan'),
        [`${after}_nullspan_us`]: fig(after, 'nullspan'),
        [`${before}_server_us`]: fig(before, 'server'),
        [`${after}_server_us`]: fig(after, 'server'),
        [`${before}_total_us`]: fig(before, 'total'),
        [`${after}_total_us`]: fig(after, 'total'),
      },
      result: `nullspan + traced server CPU per request ${change('total')} % (${after} vs ${before})`,
    },
  ])}`,
);
