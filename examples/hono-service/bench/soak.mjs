#!/usr/bin/env node
// Soak: `nullspan agent` for SOAK_SECONDS (default 180) while
//   - the Hono example service (a long-running Node process with @nullspan/sdk) answers a paced client, 100
//     requests/s to /users/<n> (four spans each: the server span, db.query, db.connect, db.fetch),
//   - SOAK_CHURN (default 5000) short-lived instrumented processes start at an even pace: bash scripts writing
//     three spans (`soak.churn` around two `soak.churn.step`, a file read inside each), one in 50 a Node process
//     writing two (`soak.node` around `soak.node.step`) — none a child of the agent or of each other,
//   - untraced noise: a shell every 100 ms that runs cat and ls (and writes non-marker bytes to /dev/null).
// Every program runs in one cgroup the agent is limited to (--include-cgroup), so markers other programs on the
// machine write do not count; the kernel adopts only writers inside it, so a churn program may exit right after its
// last marker, before the agent has read its identity from /proc (README "The agent", "Discovery").
// Figures: the agent's RSS at start / middle / end and its peak (/proc/<pid>/status), its CPU time per second of
// run (/proc/<pid>/stat), records/s and kernel drops (its /metrics), spans written by the programs vs exported to a
// loopback OTLP/HTTP JSON receiver (every span of every exited process must arrive), and the agent's tables at the
// end (its /metrics) against what is alive then (the server: one process). Last stdout line: BENCH_JSON.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(ROOT, 'correlator/dist/cli/main.js');
const SERVER = join(ROOT, 'examples/hono-service/dist/server.js');
const SECONDS = Number(process.env.SOAK_SECONDS) || 180;
const CHURN = Number(process.env.SOAK_CHURN) || 5000;
const NODE_EVERY = 50;
const REQUESTS_PER_SECOND = 100;
const RSS_TARGET_MB = 256;
const CG_ROOT = existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
const SLICE = `/nullspan-soak-${process.pid}.slice`;
const PROCS = join(CG_ROOT, SLICE, 'cgroup.procs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = new Set();

/** `argv` started in the soak's cgroup (moved before it execs); resolves with its exit code. */
function startInSlice(argv, env = {}, stdio = 'ignore') {
  const child = spawn('/bin/sh', ['-c', `echo $$ > ${PROCS} && exec "$@"`, 'sh', ...argv], {
    env: { ...process.env, ...env },
    stdio: [stdio === 'pipe' ? 'pipe' : 'ignore', stdio, 'inherit'],
  });
  children.add(child);
  // 'error' alone when it could not be started at all (EAGAIN under load): counted as a failed run
  const done = new Promise((resolve) => {
    const finish = (code) => {
      children.delete(child);
      resolve(code);
    };
    child.once('exit', (code) => finish(code));
    child.once('error', () => finish(-1));
  });
  return { child, done };
}

// ---- the OTLP/HTTP JSON receiver: counts what arrives ----------------------------------------------------------
// span ids, not counts: an exporter may send a batch again after a timeout
const received = { spans: 0, soakSpans: new Set(), churnIds: new Set(), nodeIds: new Set(), requestIds: new Set() };
let serverPid = 0;

function attr(list, key) {
  const v = list?.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : (v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue);
}

function take(body) {
  for (const rs of JSON.parse(body).resourceSpans ?? []) {
    const pid = Number(attr(rs.resource?.attributes, 'process.pid'));
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        received.spans++;
        if (s.name.startsWith('soak.')) received.soakSpans.add(s.spanId);
        if (s.name === 'soak.churn') received.churnIds.add(attr(s.attributes, 'n'));
        else if (s.name === 'soak.node') received.nodeIds.add(attr(s.attributes, 'n'));
        else if (s.name === 'db.query' && pid === serverPid) received.requestIds.add(attr(s.attributes, 'id'));
      }
    }
  }
}

const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if ((req.headers['content-encoding'] ?? '') === 'gzip') body = gunzipSync(body);
    try {
      take(body.toString('utf8'));
    } catch (err) {
      process.stderr.write(`soak: receiver could not read a body: ${err.message}\n`);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}`;

// ---- the agent ------------------------------------------------------------------------------------------------
mkdirSync(join(CG_ROOT, SLICE), { recursive: true });
const agent = spawn(
  process.execPath,
  [CLI, 'agent', '--include-cgroup', SLICE, '--endpoint', receiverUrl, '--metrics-address', '127.0.0.1:0'],
  {
    env: { ...process.env, NO_COLOR: '1', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' },
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
let agentErr = '';
agent.stderr.setEncoding('utf8').on('data', (d) => (agentErr += d));
const agentDone = new Promise((resolve) => agent.once('exit', (code, signal) => resolve({ code, signal })));
for (let i = 0; i < 600 && !/metrics at (\S+),/.test(agentErr); i++) await sleep(100);
const metricsUrl = /metrics at (\S+),/.exec(agentErr)?.[1];
if (!metricsUrl) throw new Error(`the agent did not start: ${agentErr}`);

/** Sum of every sample of each metric family (labels added up). */
async function metrics() {
  const text = await (await fetch(metricsUrl)).text();
  const sums = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) sums[m[1]] = (sums[m[1]] ?? 0) + Number(m[2]);
  }
  return sums;
}

const TICKS = 100;
function rssMb() {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}
function cpuSeconds() {
  const f = readFileSync(`/proc/${agent.pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS;
}

// ---- the server, warmed up until its spans arrive ------------------------------------------------------------
const server = startInSlice([process.execPath, SERVER], { PORT: '0', OTEL_SERVICE_NAME: 'soak-server' }, 'pipe');
serverPid = server.child.pid;
let serverOut = '';
server.child.stdout.setEncoding('utf8').on('data', (d) => (serverOut += d));
for (let i = 0; i < 300 && !/:(\d+) \(routes/.test(serverOut); i++) await sleep(100);
const port = Number(/:(\d+) \(routes/.exec(serverOut)?.[1]);
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
function request(path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: keepAlive }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
  });
}
for (let i = 0; i < 300 && received.requestIds.size === 0; i++) {
  await request(`/users/warmup-${i}`);
  await sleep(100);
}
if (received.requestIds.size === 0) throw new Error(`no span of the server arrived; agent: ${agentErr}`);
received.requestIds.clear();

// ---- the run --------------------------------------------------------------------------------------------------
const answered = new Set(); // ids of the requests the server answered with 200
const written = { requests: 0, churnOk: 0, churnSpans: 0, nodeOk: 0, nodeSpans: 0 };
const churnOk = new Set();
const nodeOk = new Set();
const churnScript = (n) =>
  `echo '>:p:soak.churn:n=${n}:' > /dev/null; ` +
  `for s in 1 2; do echo '>:p:soak.churn.step::' > /dev/null; read -r l < /etc/hostname; ` +
  `echo '<:p:soak.churn.step::' > /dev/null; done; echo '<:p:soak.churn::' > /dev/null; true`;
const nodeScript = (n) =>
  `const fs = require('fs'); const fd = fs.openSync('/dev/null', 'w'); ` +
  `fs.writeSync(fd, '>:p:soak.node:n=${n}:'); fs.writeSync(fd, '>:p:soak.node.step::'); ` +
  `fs.readFileSync('/etc/hostname'); fs.writeSync(fd, '<:p:soak.node.step::'); fs.writeSync(fd, '<:p:soak.node::');`;

const t0 = Date.now();
const cpu0 = cpuSeconds();
const m0 = await metrics();
const rss = { start: rssMb(), middle: 0, end: 0, peak: 0 };
const end = t0 + SECONDS * 1000;

const sampler = setInterval(() => {
  if (process.env.SOAK_DEBUG || (Date.now() - t0) % 30_000 < 1000)
    process.stderr.write(`soak: ${Math.round((Date.now() - t0) / 1000)} s ${JSON.stringify(written)}\n`);
  const r = rssMb();
  rss.peak = Math.max(rss.peak, r);
  if (!rss.middle && Date.now() - t0 >= (SECONDS * 1000) / 2) rss.middle = r;
}, 1000);

async function client() {
  for (let n = 0; Date.now() < end; n++) {
    const due = t0 + (n * 1000) / REQUESTS_PER_SECOND;
    if (due > Date.now()) await sleep(due - Date.now());
    if ((await request(`/users/${n}`)) === 200) {
      written.requests++;
      answered.add(String(n));
    }
  }
}

// The churn and the noise are started by two bash loops in the soak's cgroup (a fork of bash is cheap; a fork of
// this Node process, which handles the receiver and the client too, would make it the bottleneck). The churn
// launcher runs each program in a subshell that reports `<n> <exit code>` on stdout; the launcher writes no marker,
// so the agent discovers each program on its own, by its first marker.
const launcher = startInSlice(
  [
    'bash',
    '-c',
    'while read -r n kind script; do ' +
      '( if [ "$kind" = node ]; then "$NODE" -e "$script"; else bash -c "$script"; fi; echo "$n $?" ) & done; wait',
  ],
  { NODE: process.execPath },
  'pipe',
);
let reported = '';
launcher.child.stdout.setEncoding('utf8').on('data', (d) => {
  reported += d;
  const lines = reported.split('\n');
  reported = lines.pop();
  for (const line of lines) {
    const [n, code] = line.split(' ');
    if (code !== '0') continue;
    const isNode = Number(n) % NODE_EVERY === NODE_EVERY - 1;
    (isNode ? nodeOk : churnOk).add(n);
    if (isNode) {
      written.nodeOk++;
      written.nodeSpans += 2;
    } else {
      written.churnOk++;
      written.churnSpans += 3;
    }
  }
});

async function churn() {
  for (let n = 0; n < CHURN; n++) {
    const due = t0 + (n * SECONDS * 1000) / CHURN;
    if (due > Date.now()) await sleep(due - Date.now());
    const isNode = n % NODE_EVERY === NODE_EVERY - 1;
    const script = isNode ? nodeScript(n) : churnScript(n);
    launcher.child.stdin.write(`${n} ${isNode ? 'node' : 'bash'} ${script}\n`);
  }
  launcher.child.stdin.end();
  await launcher.done;
}

const noiseLoop = startInSlice([
  'bash',
  '-c',
  `end=$((SECONDS + ${SECONDS})); while [ $SECONDS -lt $end ]; do ` +
    '(cat /etc/hostname > /dev/null; ls /proc > /dev/null); n=$((n + 1)); sleep 0.1; done; exit $((n > 0 ? 0 : 1))',
]);
async function noise() {
  await noiseLoop.done;
}

await Promise.all([client(), churn(), noise()]);
for (let i = 0; i < 300 && children.size > 1; i++) await sleep(100); // noise still running; the server stays
clearInterval(sampler);
const elapsed = (Date.now() - t0) / 1000;

// tables once every churn process exited and the agent took their exits
await sleep(3000);
const m1 = await metrics();
const aliveThreadsAtEnd = readdirSync(`/proc/${serverPid}/task`).length;
rss.end = rssMb();
const cpuPerSecond = (cpuSeconds() - cpu0) / elapsed;

agent.kill('SIGTERM');
const agentExit = await agentDone;
server.child.kill('SIGTERM');
await server.done;
await sleep(500);
receiver.close();
keepAlive.destroy();
try {
  rmdirSync(join(CG_ROOT, SLICE));
} catch {
  // a process still leaving
}

const soakSpansExported = received.soakSpans.size;
const missing = (ids, got) => [...ids].filter((id) => !got.has(id)).length;
const aliveThreads = aliveThreadsAtEnd;
const figures = {
  seconds: Math.round(elapsed),
  rss_start_mb: rss.start,
  rss_middle_mb: rss.middle,
  rss_end_mb: rss.end,
  rss_peak_mb: rss.peak,
  agent_cpu_per_s: cpuPerSecond,
  records_per_s: ((m1.nullspan_records_total ?? 0) - (m0.nullspan_records_total ?? 0)) / elapsed,
  kernel_drops: m1.nullspan_kernel_drops_total ?? 0,
  export_dropped: m1.nullspan_export_spans_dropped_total ?? 0,
  requests: written.requests,
  requests_missing: missing(answered, received.requestIds),
  churn_processes: written.churnOk + written.nodeOk,
  churn_spans_written: written.churnSpans + written.nodeSpans,
  churn_spans_exported: soakSpansExported,
  churn_processes_missing: missing(churnOk, received.churnIds) + missing(nodeOk, received.nodeIds),
  otel_spans_exported: received.spans,
  end_processes: m1.nullspan_traced_processes,
  end_threads: m1.nullspan_traced_threads,
  alive_threads: aliveThreads,
  end_open_spans: m1.nullspan_open_spans,
  end_export_queue: m1.nullspan_export_queue_spans ?? 0,
};
process.stderr.write(`${agentErr}\n`);
process.stderr.write(`${JSON.stringify(figures, null, 1)}\n`);
const allExported =
  figures.requests_missing === 0 &&
  figures.churn_processes_missing === 0 &&
  soakSpansExported === written.churnSpans + written.nodeSpans;
// alive at the end: the server alone (its process; threads are Node's own)
const tablesMatch =
  m1.nullspan_traced_processes === 1 && m1.nullspan_traced_threads === aliveThreads && m1.nullspan_open_spans === 0;
const rows = [
  {
    issue: 13,
    workload: `agent soak ${Math.round(elapsed)} s: server at ${REQUESTS_PER_SECOND} req/s + ${CHURN} short-lived instrumented processes + noise`,
    figures,
    result: `RSS ${rss.start.toFixed(0)} → ${rss.middle.toFixed(0)} → ${rss.end.toFixed(0)} MB (peak ${rss.peak.toFixed(0)}); every span exported: ${allExported}; tables = alive: ${tablesMatch}; agent exit ${agentExit.code}`,
    target: `RSS flat and < ${RSS_TARGET_MB} MB, every span exported, tables = what is alive`,
    met: rss.peak < RSS_TARGET_MB && allExported && tablesMatch && agentExit.code === 0,
  },
];
console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
process.exit(0);
