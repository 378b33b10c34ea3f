// What the time breakdown (issue 14, correlator/README.md "Time breakdown") adds to the correlator's cost per
// event, on two streams each correlated with the probe's scheduler accounting on every record and with none
// (times: null, what a probe without it delivers):
//   synthetic  a Node event loop: 64 requests interleaved on one loop thread, each a server span with socket
//              reads and writes and a file read on the libuv pool, the loop's epoll between callbacks;
//   Hono       the Hono bench service (examples/hono-service/bench/system.mjs) traced by `nullspan run --write`
//              under `wrk -t1 -c16` for 3 s, the capture decoded once (needs root and wrk; skipped without wrk).
// CPU time of this process (process.cpuUsage), alternating on and off, median of ROUNDS (15 for the capture).
//   node correlator/bench/time-breakdown.mjs          (NULLSPAN_BENCH_EVENTS, default 2 M synthetic events)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBatch } from '@nullspan/probe';
import { CaptureReader, Correlator, correlatorForCapture } from '../dist/index.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');

const EVENTS = Number(process.env.NULLSPAN_BENCH_EVENTS ?? 2_000_000);
const ROUNDS = 5;
const CONCURRENT = 64;
const PID = 1000;
const WORKER = 1001;
const enc = new TextEncoder();

function stream(withTimes) {
  const ev = [];
  let ts = 1_000_000_000;
  let lastExit = ts;
  const times = (dur, gap) =>
    withTimes
      ? {
          onCpu: dur,
          runqueue: 0,
          blocked: 0,
          sleptInterruptible: false,
          sleptUninterruptible: false,
          gapOnCpu: gap,
          gapRunqueue: 0,
          gapBlocked: 0,
        }
      : null;
  const sys = (tid, name, args, span, source = 'slot') => {
    ts += 300;
    const dur = 700;
    ev.push({
      kind: 'syscall',
      ts,
      tid,
      pid: PID,
      cpu: 0,
      nr: 0,
      name,
      dur,
      ret: 100,
      args,
      path: null,
      path2: null,
      addr: null,
      fds: null,
      unfinished: false,
      ctxSpan: span,
      ctxSource: source,
      times: times(dur, tid === PID ? ts - lastExit : 300),
    });
    if (tid === PID) lastExit = ts + dur;
    ts += dur;
  };
  const thread = withTimes
    ? {
        onCpu: 0,
        runqueue: 0,
        blocked: { file: 0, net: 0, lock: 0, sleep: 0, poll: 0, pagefault: 0, other: 0 },
        majorFaults: 0,
      }
    : null;
  const marker = (text) => {
    ts += 200;
    const data = enc.encode(text);
    ev.push({ kind: 'marker', ts, tid: PID, pid: PID, cpu: 0, fd: 9, data, len: data.length, times: thread });
  };
  let next = 2 ** 41;
  const open = [];
  while (ev.length < EVENTS) {
    if (open.length < CONCURRENT) {
      const id = next++;
      open.push({ id, step: 0 });
      marker(`>:${id}:GET /items/:id:_tid=${id.toString(16).padStart(32, '0')},_k=server:`);
      continue;
    }
    const r = open[(ev.length * 7) % open.length];
    sys(PID, 'epoll_wait', [5], 0);
    if (r.step < 3) {
      sys(PID, 'read', [20 + (r.id % 100)], r.id);
      sys(WORKER, 'read', [300], r.id, 'submitter');
      sys(PID, 'write', [20 + (r.id % 100)], r.id);
      r.step++;
    } else {
      marker(`<:${r.id}:GET /items/:id:http.response.status_code=200:`);
      open.splice(open.indexOf(r), 1);
    }
  }
  return ev;
}

function correlate(events, make) {
  const c = make();
  let spans = 0;
  c.onSpan(() => spans++);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < events.length; i += 4096) c.pushBatch(events.slice(i, i + 4096));
  c.close();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) * 1000;
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ns per event with the events' times and with them nulled, alternating; `events` keep their times after. */
function onOff(events, make, rounds = ROUNDS) {
  const saved = events.map((e) => e.times);
  const strip = () => {
    for (const e of events) if ('times' in e) e.times = null;
  };
  const restore = () => {
    for (let i = 0; i < events.length; i++) if ('times' in events[i]) events[i].times = saved[i];
  };
  const on = [];
  const off = [];
  correlate(events, make); // warm-up both paths
  strip();
  correlate(events, make);
  for (let r = 0; r < rounds; r++) {
    off.push(correlate(events, make) / events.length);
    restore();
    on.push(correlate(events, make) / events.length);
    strip();
  }
  restore();
  return { nsOn: median(on), nsOff: median(off) };
}

function row(workload, events, { nsOn, nsOff }, rounds = ROUNDS) {
  console.log(
    `${workload}: ${nsOn.toFixed(0)} ns/event with scheduler accounting, ${nsOff.toFixed(0)} ns/event without ` +
      `(+${(nsOn - nsOff).toFixed(0)} ns, ${((nsOn / nsOff - 1) * 100).toFixed(1)} %), ${events} events, median of ${rounds}`,
  );
  return {
    issue: 14,
    workload: `correlator, ${workload}, time breakdown on vs off`,
    figures: { ns_per_event_on: nsOn, ns_per_event_off: nsOff, added_ns_per_event: nsOn - nsOff },
    result: `+${((nsOn / nsOff - 1) * 100).toFixed(1)} % CPU per event`,
  };
}

/** Records the Hono bench service under wrk; returns the capture's path, or null without wrk. */
async function recordHono(dir) {
  if (spawnSync('wrk', ['--version']).error) return null;
  const capture = join(dir, 'hono.nscap');
  const service = join(ROOT, 'examples', 'hono-service', 'bench', 'system.mjs');
  const cli = join(ROOT, 'correlator', 'dist', 'cli', 'main.js');
  const args = [cli, 'run', '--write', capture, '--no-otlp', '--', process.execPath, service, 'serve', 'sdk', 'hono'];
  const ns = spawn(process.execPath, [...args, '0', '0', '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    ns.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    ns.once('exit', (code) => reject(new Error(`nullspan run exited with ${code} before the service listened`)));
  });
  const exited = new Promise((r) => ns.once('exit', r));
  const wrk = spawnSync('wrk', ['-t1', '-c16', '-d3s', `http://127.0.0.1:${port}/bench`], { encoding: 'utf8' });
  ns.kill('SIGTERM');
  await exited;
  if (wrk.status !== 0) throw new Error(`wrk failed: ${wrk.stderr || wrk.error}`);
  return capture;
}

const rows = [];
const synthetic = stream(true);
const plain = () => new Correlator({ clock: { wallOffsetNs: 0n }, idSeed: '0'.repeat(32) });
rows.push(
  row(
    `synthetic Node loop (${CONCURRENT} interleaved requests, worker reads)`,
    synthetic.length,
    onOff(synthetic, plain),
  ),
);
synthetic.length = 0;

const dir = mkdtempSync(join(tmpdir(), 'nullspan-bench-times-'));
try {
  const capture = await recordHono(dir);
  if (capture === null) console.log('Hono capture skipped: wrk is not installed');
  else {
    const reader = CaptureReader.open(capture);
    const events = [];
    for (const batch of reader.batches()) for (const ev of decodeBatch(batch)) events.push(ev);
    const accounted = events.filter((e) => e.times != null).length;
    console.log(`Hono capture: ${events.length} events, ${accounted} with scheduler accounting`);
    // a short capture on a shared machine: more rounds
    const make = () => correlatorForCapture(reader.header);
    rows.push(row('replayed Hono capture (wrk -c16, 3 s)', events.length, onOff(events, make, 15), 15));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
