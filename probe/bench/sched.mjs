// What the scheduler accounting (probe/README.md "Scheduler accounting") costs on a context-switch storm: a pipe
// ping-pong between two processes (test/fixtures/pingpong.c; each round trip is 2 writes, 2 reads, 2 wake-ups and
// 2 context switches, like `perf bench sched pipe`) run plain, while a probe traces only another (idle) process, and
// traced. Figures are the storm's CPU time (user + system of both processes, from bash's `times`: the BPF programs
// run in the storm's own context), medians over interleaved rounds, ratios medians of per-round ratios; plus the
// average run time per call of each hook from the kernel's BPF statistics (kernel.bpf_stats_enabled, restored after).
//
// A/B against another build: NULLSPAN_BENCH_BASE=/path/to/an/older/probe/dist/index.js also runs the 1M-syscall dd
// storm of storm.mjs traced by that build and by this one, interleaved, to show what the accounting adds per syscall.
// Run as root after `pnpm --filter @nullspan/probe build`. Last stdout line: BENCH_JSON [...].
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Probe } from '../dist/index.js';

const RUNS = 7;
const ROUNDS = 50_000; // round trips per storm
const DD_COUNT = 500_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 3) => Number(x.toFixed(d));

const dir = mkdtempSync(join(tmpdir(), 'nullspan-bench-sched-'));
const pingpong = join(dir, 'pingpong');
execFileSync('cc', ['-O2', '-o', pingpong, new URL('../test/fixtures/pingpong.c', import.meta.url).pathname]);

/** An open probe (of the given module) whose batches are consumed (counted, not decoded) as they come. */
function consumingProbe(mod, opts) {
  const probe = mod.Probe.open(opts);
  const done = (async () => {
    for await (const _ of probe.batches());
  })();
  return {
    probe,
    async close() {
      await probe.close();
      await done;
    },
  };
}

/** CPU seconds (user + system) `command` and its waited-for children spend, from bash's `times`. */
function cpuOf(spawnWith, command) {
  return new Promise((resolve, reject) => {
    const child = spawnWith('bash', ['-c', `${command}; times`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      // second line: the children's user and system time, e.g. "0m0.112s 0m0.148s"
      const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(out.trim().split('\n')[1] ?? '');
      if (code !== 0 || !m) return reject(new Error(`${command} under bash exited ${code}: ${out}`));
      resolve(Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]));
    });
  });
}

const storm = `${pingpong} ${ROUNDS}`;
const plain = (cmd, args, opts) => spawn(cmd, args, opts);

/** One interleaved round: plain, attached while tracing an idle process, traced. */
async function stormRound() {
  const base = await cpuOf(plain, storm);

  const idle = spawn('sleep', ['600'], { stdio: 'ignore' });
  const attached = consumingProbe({ Probe }, { pids: [idle.pid] });
  const untraced = await cpuOf(plain, storm);
  const untracedAccounted = attached.probe.stats().sched.accounted;
  await attached.close();
  idle.kill();

  const tracing = consumingProbe({ Probe });
  const traced = await cpuOf((c, a, o) => tracing.probe.spawn(c, a, o), storm);
  const s = tracing.probe.stats();
  await tracing.close();
  return {
    base,
    untraced,
    traced,
    untracedAccounted,
    accounted: s.sched.accounted,
    drops: s.drops.syscall + s.drops.marker + s.drops.process,
  };
}

/** The BPF programs this process holds (prog ids from its fds), by name. */
function ourPrograms() {
  const ids = new Set();
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  const all = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 1 << 26 }));
  return all.filter((p) => ids.has(p.id));
}

/** Average ns per call of each hook while a probe traces one storm (kernel BPF statistics). */
async function hookCosts() {
  const sysctl = '/proc/sys/kernel/bpf_stats_enabled';
  const before = readFileSync(sysctl, 'utf8').trim();
  writeFileSync(sysctl, '1');
  try {
    const tracing = consumingProbe({ Probe });
    await cpuOf((c, a, o) => tracing.probe.spawn(c, a, o), storm);
    const progs = ourPrograms();
    await tracing.close();
    const out = {};
    for (const p of progs) if (p.run_cnt) out[p.name] = { calls: p.run_cnt, ns: round(p.run_time_ns / p.run_cnt, 0) };
    return out;
  } finally {
    writeFileSync(sysctl, before);
  }
}

/** Another build against this one, interleaved, CPU seconds (medians of 5): the dd storm traced, and the ping-pong
 * while each build traces only an idle process. */
async function buildsAB(basePath) {
  const base = await import(basePath);
  const dd = `dd if=/dev/zero of=/dev/null bs=1 count=${DD_COUNT} 2>/dev/null`;
  const per = { plain: [], old: [], now: [], pingOld: [], pingNow: [] };
  for (let i = 0; i < 5; i++) {
    per.plain.push(await cpuOf(plain, dd));
    for (const [key, mod] of [
      ['old', base],
      ['now', { Probe }],
    ]) {
      const c = consumingProbe(mod);
      per[key].push(await cpuOf((cmd, a, o) => c.probe.spawn(cmd, a, o), dd));
      await c.close();
      const idle = spawn('sleep', ['600'], { stdio: 'ignore' });
      const attached = consumingProbe(mod, { pids: [idle.pid] });
      per[key === 'old' ? 'pingOld' : 'pingNow'].push(await cpuOf(plain, storm));
      await attached.close();
      idle.kill();
    }
  }
  return Object.fromEntries(Object.entries(per).map(([k, v]) => [k, median(v)]));
}

console.log(`sched: pipe ping-pong, ${ROUNDS} round trips, storm CPU time, medians of ${RUNS} interleaved rounds`);
const rounds = [];
for (let i = 0; i < RUNS; i++) rounds.push(await stormRound());
const base = median(rounds.map((r) => r.base));
const untracedRatio = median(rounds.map((r) => r.untraced / r.base));
const tracedRatio = median(rounds.map((r) => r.traced / r.base));
const drops = rounds.reduce((n, r) => n + r.drops, 0);
const untracedAccounted = rounds.reduce((n, r) => n + r.untracedAccounted, 0);
const accounted = median(rounds.map((r) => r.accounted));
console.log(
  `  baseline ${round(base)} s | attached, tracing another process ${round(median(rounds.map((r) => r.untraced)))} s (${round(untracedRatio)}x, ${untracedAccounted} sched events accounted) | traced ${round(median(rounds.map((r) => r.traced)))} s (${round(tracedRatio)}x, ${accounted} sched events accounted per run, ${drops} drops)`,
);
const hooks = await hookCosts();
console.log(
  `  hook cost while traced (ns per call, kernel bpf_stats): ${Object.entries(hooks)
    .map(([n, h]) => `${n} ${h.ns} (${h.calls} calls)`)
    .join(', ')}`,
);

const rows = [
  {
    issue: 14,
    workload: `context-switch storm (pipe ping-pong, ${ROUNDS} round trips): CPU time vs baseline`,
    figures: {
      baseline_cpu_s: round(base),
      attached_untraced_ratio: round(untracedRatio),
      traced_ratio: round(tracedRatio),
      untraced_sched_events: untracedAccounted,
      drops,
      ...Object.fromEntries(Object.entries(hooks).map(([n, h]) => [`${n}_ns`, h.ns])),
    },
    result: `attached-untraced ${round(untracedRatio, 2)}x, traced ${round(tracedRatio, 2)}x`,
    target: 'attached-untraced <= 1.15x, traced <= 1.6x',
    met: untracedRatio <= 1.15 && tracedRatio <= 1.6,
  },
];

if (process.env.NULLSPAN_BENCH_BASE) {
  const ab = await buildsAB(process.env.NULLSPAN_BENCH_BASE);
  const pct = (now, old) => `${now >= old ? '+' : ''}${round((now / old - 1) * 100, 1)} %`;
  console.log(
    `  A/B, CPU medians of 5: dd storm (1M syscalls) plain ${round(ab.plain)} s | traced by the base build ${round(ab.old)} s | by this build ${round(ab.now)} s (${pct(ab.now, ab.old)}); ping-pong with a probe tracing another process: base build ${round(ab.pingOld)} s | this build ${round(ab.pingNow)} s (${pct(ab.pingNow, ab.pingOld)})`,
  );
  rows.push({
    issue: 14,
    workload: 'this build vs NULLSPAN_BENCH_BASE: dd storm traced, ping-pong attached-untraced (CPU time)',
    figures: {
      dd_plain_cpu_s: round(ab.plain),
      dd_base_build_cpu_s: round(ab.old),
      dd_this_build_cpu_s: round(ab.now),
      pingpong_untraced_base_build_cpu_s: round(ab.pingOld),
      pingpong_untraced_this_build_cpu_s: round(ab.pingNow),
    },
    result: `dd traced ${pct(ab.now, ab.old)}, ping-pong untraced ${pct(ab.pingNow, ab.pingOld)}`,
  });
}
console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
