// Cost of --summary: the correlator replaying a capture (throughput.mjs's HTTP-server-like workload) with and
// without every finished span going into the summary builder, in fresh child processes, alternated, median of
// the runs. CPU time per event and per span (process.cpuUsage), so other load on the machine matters less.
// Target: ≤ 10 % fewer events/s with the summary on (issue 15's bound for metrics, applied here too).
//   node correlator/bench/summary.mjs             (2 M events, 5 runs each)
//   NULLSPAN_BENCH_EVENTS=500000 NULLSPAN_BENCH_RUNS=3 node ...
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SummaryBuilder } from '../dist/summary/builder.js';
import { timedReplay } from './lib/replay.mjs';

const SELF = fileURLToPath(import.meta.url);
const THROUGHPUT = join(SELF, '..', 'throughput.mjs');
const MAX_SLOWDOWN = 0.1;
/** spans kept from the run to time the builder alone */
const KEPT_SPANS = 50_000;

/** mode: `off` correlates only, `on` also feeds the summary, `builder` keeps spans to time the builder alone
 *  afterwards (a run of its own: holding the spans makes the correlator's own garbage collection dearer). */
function measure(path, mode) {
  const summary = mode === 'on' ? new SummaryBuilder() : null;
  const kept = [];
  const { events, spans, cpuSecs, finished } = timedReplay(
    path,
    (span, proc) => {
      summary?.add(span, proc);
      if (mode === 'builder' && kept.length < KEPT_SPANS) kept.push([span, proc]);
    },
    () => (summary ? summary.result().rows.length : 0),
  );
  return { events, spans, rows: finished, cpuSecs, builderNsPerSpan: builderCost(kept) };
}

/** The builder alone on the workload's own spans: CPU per add, best of 5 passes (the noise of other load only adds). */
function builderCost(kept) {
  if (kept.length === 0) return null;
  let best = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const b = new SummaryBuilder();
    const cpu0 = process.cpuUsage();
    for (const [span, proc] of kept) b.add(span, proc);
    b.result();
    const cpu = process.cpuUsage(cpu0);
    best = Math.min(best, ((cpu.user + cpu.system) * 1000) / kept.length);
  }
  return best;
}

if (process.argv[2] === '--measure') {
  console.log(JSON.stringify(measure(process.argv[3], process.argv[4])));
  process.exit(0);
}

const total = Number(process.env.NULLSPAN_BENCH_EVENTS || 2_000_000);
const runs = Number(process.env.NULLSPAN_BENCH_RUNS || 5);
const dir = mkdtempSync(join(tmpdir(), 'nullspan-bench-summary-'));
try {
  const path = join(dir, 'bench.nscap');
  execFileSync(process.execPath, [THROUGHPUT, '--build', path, String(total)]);
  const results = { off: [], on: [], builder: [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of ['off', 'on', 'builder']) {
      const r = spawnSync(process.execPath, [SELF, '--measure', path, mode], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`measure ${mode} failed: ${r.stderr}`);
      results[mode].push(JSON.parse(r.stdout.trim().split('\n').pop()));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cpu = { off: median(results.off.map((r) => r.cpuSecs)), on: median(results.on.map((r) => r.cpuSecs)) };
  const { events, spans } = results.on[0];
  const epsOff = events / cpu.off;
  const epsOn = events / cpu.on;
  const perSpanNs = median(results.builder.map((r) => r.builderNsPerSpan));
  const slowdown = 1 - epsOn / epsOff;
  console.log(
    `summary: ${events} events, ${spans} spans; median CPU ${cpu.off.toFixed(2)} s off, ${cpu.on.toFixed(2)} s on ` +
      `(${runs} runs each): ${(epsOff / 1e6).toFixed(2)} → ${(epsOn / 1e6).toFixed(2)} M events/CPU-s, ` +
      `${(slowdown * 100).toFixed(1)} % fewer; the builder alone ${perSpanNs.toFixed(0)} ns per span ` +
      `(${(((perSpanNs * spans) / 1e9 / cpu.off) * 100).toFixed(1)} % of the correlator's CPU)`,
  );
  console.log(
    `BENCH_JSON ${JSON.stringify([
      {
        issue: 15,
        workload: `--summary on a ${events}-event capture (correlate only vs correlate + summary)`,
        figures: {
          eventsPerCpuSecOff: Math.round(epsOff),
          eventsPerCpuSecOn: Math.round(epsOn),
          nsPerSpan: Math.round(perSpanNs),
        },
        result: `${(slowdown * 100).toFixed(1)} % fewer events/s`,
        target: `≤ ${MAX_SLOWDOWN * 100} % fewer events/s`,
        met: slowdown <= MAX_SLOWDOWN,
      },
    ])}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
