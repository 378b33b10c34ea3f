// What the time breakdown (issue 14, correlator/README.md "Time breakdown") adds to the correlator's cost per
// event: the same synthetic Node event-loop stream (64 requests interleaved on one loop thread, each a server span
// with socket reads and writes and a file read on the libuv pool, the loop's epoll between callbacks) correlated
// with the probe's scheduler accounting on every record and with none (times: null, what a probe without it
// delivers). CPU time of this process (process.cpuUsage), alternating the two, median of ROUNDS.
//   node correlator/bench/time-breakdown.mjs          (NULLSPAN_BENCH_EVENTS, default 2 M events per run)
import { Correlator } from '../dist/index.js';

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
    ? { onCpu: 0, runqueue: 0, blocked: { file: 0, net: 0, lock: 0, sleep: 0, poll: 0, pagefault: 0, other: 0 }, majorFaults: 0 }
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

function run(events) {
  const c = new Correlator({ clock: { wallOffsetNs: 0n }, idSeed: '0'.repeat(32) });
  let spans = 0;
  c.onSpan(() => spans++);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < events.length; i += 4096) c.pushBatch(events.slice(i, i + 4096));
  c.close();
  const cpu = process.cpuUsage(cpu0);
  return { cpuNs: (cpu.user + cpu.system) * 1000, spans };
}

const withTimes = stream(true);
const without = stream(false);
const on = [];
const off = [];
run(withTimes); // warm-up both paths
run(without);
for (let r = 0; r < ROUNDS; r++) {
  off.push(run(without).cpuNs / without.length);
  on.push(run(withTimes).cpuNs / withTimes.length);
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const nsOff = median(off);
const nsOn = median(on);
console.log(
  `time breakdown: ${nsOn.toFixed(0)} ns/event with scheduler accounting, ${nsOff.toFixed(0)} ns/event without ` +
    `(+${(nsOn - nsOff).toFixed(0)} ns, ${((nsOn / nsOff - 1) * 100).toFixed(1)} %), ${withTimes.length} events, median of ${ROUNDS}`,
);
console.log(
  `BENCH_JSON ${JSON.stringify([
    {
      issue: 14,
      workload: `correlator, Node event loop (${CONCURRENT} interleaved requests, worker reads), time breakdown on vs off`,
      figures: { ns_per_event_on: nsOn, ns_per_event_off: nsOff, added_ns_per_event: nsOn - nsOff },
      result: `+${((nsOn / nsOff - 1) * 100).toFixed(1)} % CPU per event`,
    },
  ])}`,
);
