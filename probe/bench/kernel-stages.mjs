// What the kernel side costs per request: the Hono bench service (examples/hono-service/bench/system.mjs, `hono`
// shape, @nullspan/sdk) under `nullspan run` with the default OTLP/HTTP export, loaded by `wrk -t1 -c16`. Per BPF
// program, the kernel's own accounting (kernel.bpf_stats_enabled=1: run_time_ns / run_cnt, from `bpftool prog show`)
// gives ns per invocation and invocations per request; the run's capture gives the records per request by kind.
// Two configurations, rounds interleaved: `all` (--outside-spans: every selected call of a traced thread is
// recorded) and `skip` (the default: the kernel skips calls made with no span active, except fd-table calls and
// calls on sockets and files). bpf_stats is switched on for the measurement and restored after.
// BENCH_BASE_TREE=<another built checkout> adds its `nullspan run` (default options) as a third configuration,
// `base`: the figures before a change, measured in the same rounds.
// Run as root after `pnpm build`. BENCH_ROUNDS (3), BENCH_SECONDS (3). Last stdout line: BENCH_JSON [...].
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBatch, SPAN_UNSAMPLED } from '../dist/index.js';
import { CaptureReader } from '../../correlator/dist/capture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SYSTEM = join(root, 'examples/hono-service/bench/system.mjs');
const CLI = join(root, 'correlator/dist/cli/main.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 3;
const SECONDS = Number(process.env.BENCH_SECONDS) || 3;
const BASE = process.env.BENCH_BASE_TREE;
const CONFIGS = { all: ['--outside-spans'], skip: [], ...(BASE ? { base: [] } : {}) };
const DESCRIBE = {
  all: 'every selected call recorded (--outside-spans)',
  skip: 'calls with no span skipped in the kernel (default)',
  base: `default options of ${BASE}`,
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 1) => Number(x.toFixed(d));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-10000)));
  const port = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code} before listening:\n${err}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, port, exited, out: () => out };
}

/** ids of the BPF programs process `pid` holds (its fds' fdinfo names them): other probes may be loaded too */
function progIds(pid) {
  const ids = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return ids;
}

/** run_time_ns and run_cnt of the probe's programs loaded by process `pid`, by program name */
function progStats(pid) {
  const mine = progIds(pid);
  const progs = JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' }));
  const out = {};
  for (const p of progs) {
    if (!p.name?.startsWith('ns_') || !mine.has(p.id)) continue;
    const o = (out[p.name] ??= { ns: 0, runs: 0 });
    o.ns += p.run_time_ns ?? 0;
    o.runs += p.run_cnt ?? 0;
  }
  return out;
}

function serverPid(parent) {
  const kids = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).map(Number);
  return kids[0];
}

/** The capture reader and decoder of the tree that wrote a capture (record layouts differ between builds). */
async function readerOf(config) {
  if (config !== 'base') return { CaptureReader, decodeBatch };
  const [{ CaptureReader: reader }, { decodeBatch: decode }] = await Promise.all([
    import(join(BASE, 'correlator/dist/capture.js')),
    import(join(BASE, 'probe/dist/index.js')),
  ]);
  return { CaptureReader: reader, decodeBatch: decode };
}

/** Which records a request costs: markers, and syscalls by the context they carried. */
async function recordsByKind(capture, config) {
  const counts = {};
  const tree = await readerOf(config);
  const reader = tree.CaptureReader.open(capture);
  for (const batch of reader.batches())
    for (const e of tree.decodeBatch(batch)) {
      let k = e.kind;
      if (e.kind === 'syscall') {
        if (e.ctxSource === 'none') k = 'syscall, no slot';
        else if (e.ctxSpan === 0) k = `syscall, ${e.ctxSource} 0 (no span)`;
        else if (e.ctxSpan === SPAN_UNSAMPLED) k = 'syscall, unsampled';
        else if (e.ctxSpan >= 2 ** 53) k = 'syscall, unknown';
        else k = `syscall, ${e.ctxSource} span`;
      }
      counts[k] = (counts[k] ?? 0) + 1;
    }
  reader.close();
  return counts;
}

async function runOnce(config, receiverPort, dir) {
  const capture = join(dir, `${config}.cap`);
  const ns = start(process.execPath, [
    config === 'base' ? join(BASE, 'correlator/dist/cli/main.js') : CLI,
    'run',
    '--endpoint',
    `http://127.0.0.1:${receiverPort}`,
    '--write',
    capture,
    ...CONFIGS[config],
    '--',
    process.execPath,
    SYSTEM,
    'serve',
    'sdk',
    'hono',
    String(receiverPort),
    '0',
    '/dev/null',
  ]);
  const port = await ns.port;
  const url = `http://127.0.0.1:${port}/bench`;
  execFileSync('wrk', ['-t1', '-c16', '-d1s', url], { stdio: 'ignore' }); // warm-up
  const before = progStats(ns.child.pid);
  const wrkOut = execFileSync('wrk', ['-t1', '-c16', `-d${SECONDS}s`, url], { encoding: 'utf8' });
  const after = progStats(ns.child.pid);
  const requests = Number(/(\d+) requests in/.exec(wrkOut)[1]);
  process.kill(serverPid(ns.child.pid), 'SIGTERM');
  await ns.exited;
  const served = Number(/SERVED (\d+)/.exec(ns.out())?.[1]);
  const progs = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name] ?? { ns: 0, runs: 0 };
    const runs = a.runs - b.runs;
    progs[name] = {
      nsPerRun: runs ? (a.ns - b.ns) / runs : 0,
      runsPerReq: runs / requests,
      nsPerReq: (a.ns - b.ns) / requests,
    };
  }
  const records = Object.fromEntries(
    Object.entries(await recordsByKind(capture, config)).map(([k, n]) => [k, n / served]),
  );
  rmSync(capture, { force: true });
  return { progs, records };
}

const dir = mkdtempSync(join(tmpdir(), 'nullspan-kstages-'));
const statsSysctl = '/proc/sys/kernel/bpf_stats_enabled';
const wasEnabled = readFileSync(statsSysctl, 'utf8').trim();
const receiver = start(process.execPath, [SYSTEM, 'receiver']);
const results = Object.fromEntries(Object.keys(CONFIGS).map((c) => [c, []]));
try {
  writeFileSync(statsSysctl, '1');
  const rx = await receiver.port;
  const names = Object.keys(CONFIGS);
  for (let r = 0; r < ROUNDS; r++)
    for (const config of names.map((_, i) => names[(i + r) % names.length])) {
      results[config].push(await runOnce(config, rx, dir));
      await sleep(200);
    }
} finally {
  writeFileSync(statsSysctl, wasEnabled);
  receiver.child.kill();
  rmSync(dir, { recursive: true, force: true });
}

const rows = [];
for (const config of Object.keys(CONFIGS)) {
  const rs = results[config];
  console.log(`\n${DESCRIBE[config]}`);
  for (const name of Object.keys(rs[0].progs).sort()) {
    const f = (k) => median(rs.map((x) => x.progs[name]?.[k] ?? 0));
    console.log(
      `  ${name.padEnd(14)} ${round(f('nsPerRun')).toString().padStart(7)} ns/run  ${round(f('runsPerReq'), 2).toString().padStart(7)} runs/req  ${round(f('nsPerReq')).toString().padStart(8)} ns/req`,
    );
  }
  const kinds = [...new Set(rs.flatMap((x) => Object.keys(x.records)))].sort();
  for (const k of kinds)
    console.log(`  ${k.padEnd(34)} ${round(median(rs.map((x) => x.records[k] ?? 0)), 2)} records/req`);
  const total = (x) => Object.values(x.progs).reduce((s, p) => s + p.nsPerReq, 0);
  rows.push({
    issue: 12,
    workload: `kernel side per request, hono shape: ${DESCRIBE[config]}`,
    figures: {
      bpfNsPerReq: round(median(rs.map(total))),
      sysEnterNsPerRun: round(median(rs.map((x) => x.progs.ns_sys_enter?.nsPerRun ?? 0))),
      sysExitNsPerRun: round(median(rs.map((x) => x.progs.ns_sys_exit?.nsPerRun ?? 0))),
      syscallRecordsPerReq: round(
        median(
          rs.map((x) => Object.entries(x.records).reduce((s, [k, n]) => s + (k.startsWith('syscall') ? n : 0), 0)),
        ),
        2,
      ),
    },
  });
}
console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
