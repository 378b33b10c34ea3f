// Correlator throughput from a recorded capture (target: 1 M events/s on one core): events/s turned into exported spans on one core, and
// RSS while doing it. Builds a synthetic capture in the probe's binary layout (an HTTP-server-like mix: accepts,
// request spans with file reads, a database call in a child span, outside-span epoll/futex noise), then replays
// it in fresh child processes: (1) correlate only, (2) correlate + serialise every span as OTLP JSON Lines
// (the file exporter, to /dev/null). Plain Node ESM on the built dist/.
//   node correlator/bench/throughput.mjs            (10 M events)
//   NULLSPAN_BENCH_EVENTS=2000000 node ...           (smaller)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBatch, syscallNumber } from '@nullspan/probe';
import * as layout from '../../probe/dist/layout.generated.js';
import { CaptureReader, CaptureWriter, OtlpFileExporter, correlatorForCapture } from '../dist/index.js';
import { createEncoder } from './lib/encode.mjs';

const SELF = fileURLToPath(import.meta.url);
const TARGET_EPS = 1_000_000;
const TARGET_RSS_MB = 256;

// ------------------------------------------------------------------------------------------------------------
// Synthetic workload

const enc = new TextEncoder();

/** Events of `requests` requests served by 4 worker threads of one process (pid 1000), ts increasing. */
function template(requests) {
  const ev = [];
  let ts = 1_000_000_000;
  const PID = 1000;
  const sys = (tid, name, o = {}) => {
    ts += 300;
    const e = {
      kind: 'syscall',
      ts,
      tid,
      pid: PID,
      cpu: tid % 2,
      name,
      dur: o.dur ?? 700,
      ret: o.ret ?? 0,
      args: o.args ?? [0, 0, 0, 0, 0, 0],
      path: o.path ?? null,
      path2: null,
      addr: o.addr ?? null,
      fds: null,
      unfinished: false,
    };
    ts += e.dur;
    ev.push(e);
  };
  const marker = (tid, text) => {
    ts += 200;
    const data = enc.encode(text);
    ev.push({ kind: 'marker', ts, tid, pid: PID, cpu: tid % 2, fd: 9, data, len: data.length });
  };
  for (let r = 0; r < requests; r++) {
    const tid = PID + 1 + (r % 4);
    const conn = 20 + (r % 4) * 10;
    sys(tid, 'epoll_wait', { args: [5], ret: 1 });
    sys(tid, 'accept4', {
      args: [6, 0, 0, 0o2000000],
      ret: conn,
      addr: { family: 'inet', address: '10.1.2.3', port: 40000 + (r % 20000) },
    });
    marker(tid, `>:t:http.request:method=GET,path=/items/${r % 1000}:`);
    sys(tid, 'read', { args: [conn], ret: 512 });
    sys(tid, 'openat', { args: [-100, 0, 0o2000000], path: `/srv/data/item-${r % 1000}.json`, ret: conn + 1 });
    sys(tid, 'fstat', { args: [conn + 1] });
    for (let k = 0; k < 8; k++) sys(tid, 'read', { args: [conn + 1], ret: 4096 });
    sys(tid, 'read', { args: [conn + 1], ret: 0 });
    sys(tid, 'close', { args: [conn + 1] });
    marker(tid, '>:t:http.request.db:table=items:');
    sys(tid, 'write', { args: [7], ret: 120 });
    sys(tid, 'read', { args: [7], ret: -11 });
    sys(tid, 'poll', { args: [0, 1, 100], ret: 1, dur: r % 50 === 0 ? 2_000_000 : 20_000 });
    sys(tid, 'read', { args: [7], ret: 800 });
    marker(tid, '<:t:http.request.db:rows=1:');
    sys(tid, 'write', { args: [conn], ret: 2048 });
    sys(tid, 'write', { args: [conn], ret: 2048 });
    marker(tid, '<:t:http.request:status=200:');
    sys(tid, 'close', { args: [conn] });
    sys(tid, 'futex', { args: [0, 1, 1] });
    sys(tid, 'futex', { args: [0, 1, 1] });
  }
  return { events: ev, span: ts - 1_000_000_000 };
}

const TS_OFFSET = layout.OFFSETS.ns_hdr_ts;
/** Shifts every record's timestamp in an encoded batch (copies of the template stay in time order). */
function shifted(batch, delta) {
  const out = Uint8Array.from(batch);
  const dv = new DataView(out.buffer);
  let o = 0;
  while (o < out.length) {
    const size = dv.getUint32(o, true);
    const lo = dv.getUint32(o + TS_OFFSET, true);
    const hi = dv.getUint32(o + TS_OFFSET + 4, true);
    const ts = hi * 4294967296 + lo + delta;
    dv.setUint32(o + TS_OFFSET, ts % 4294967296, true);
    dv.setUint32(o + TS_OFFSET + 4, Math.floor(ts / 4294967296), true);
    o += Math.ceil(size / 8) * 8;
  }
  return out;
}

function buildCapture(path, totalEvents) {
  const { encodeBatch } = createEncoder(layout, syscallNumber);
  const REQ_PER_BATCH = 128; // ≈ 4k events, a typical probe batch
  const { events, span } = template(REQ_PER_BATCH);
  const batch = encodeBatch(events);
  const perBatch = events.length;
  const initialState = {
    version: 1,
    processes: [
      {
        pid: 1000,
        ppid: 1,
        tids: [1000, 1001, 1002, 1003, 1004],
        exe: 'node',
        exePath: '/usr/bin/node',
        cmdline: ['node', 'server.js'],
        cwd: '/srv',
        fds: [
          { fd: 5, cloexec: true, desc: { kind: 'other', target: 'anon_inode:[eventpoll]' } },
          {
            fd: 6,
            cloexec: true,
            desc: {
              kind: 'socket',
              target: '0.0.0.0:8080',
              transport: 'tcp',
              localAddress: '0.0.0.0',
              localPort: 8080,
            },
          },
          {
            fd: 7,
            cloexec: true,
            desc: {
              kind: 'socket',
              target: '10.0.0.5:41000 -> 10.0.0.9:5432',
              transport: 'tcp',
              localAddress: '10.0.0.5',
              localPort: 41000,
              peerAddress: '10.0.0.9',
              peerPort: 5432,
            },
          },
        ],
      },
    ],
  };
  const w = CaptureWriter.create(path, {
    hostName: 'bench',
    wallOffsetNs: '1700000000000000000',
    idSeed: '00112233445566778899aabbccddeeff',
    probe: {},
    initialState,
  });
  let n = 0;
  for (let i = 0; n < totalEvents; i++) {
    w.writeBatch(shifted(batch, i * (span + 1000)));
    n += perBatch;
  }
  w.end({});
  return n;
}

// ------------------------------------------------------------------------------------------------------------
// One measured replay (child process)

function measure(path, mode) {
  const rss0 = process.memoryUsage().rss;
  const reader = CaptureReader.open(path);
  const c = correlatorForCapture(reader.header);
  let appSpans = 0;
  let otelSpans = 0;
  // The exporter writes regular files only: a real file next to the capture, opened for appending so that it can be
  // emptied every 64 batches (≈ 90 MB of JSON) instead of growing to gigabytes; writing into the page cache is
  // part of the measured cost, as it is for a user's --otlp-file.
  const outPath = `${path}.otlp.jsonl`;
  const file =
    mode === 'export'
      ? new OtlpFileExporter(
          outPath,
          { wallOffsetNs: BigInt(reader.header.wallOffsetNs) },
          { hostName: 'bench', resourceAttributes: {}, append: true },
        )
      : null;
  let outBytes = 0;
  c.onSpan((span, proc) => {
    appSpans++;
    otelSpans += 1 + span.syscalls.length;
    file?.export(span, proc);
  });
  let events = 0;
  let batches = 0;
  const samples = [];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const bytes of reader.batches()) {
    const evs = decodeBatch(bytes);
    events += evs.length;
    c.pushBatch(evs);
    if (++batches % 64 === 0) {
      samples.push(process.memoryUsage().rss);
      if (file) {
        outBytes += statSync(outPath).size;
        truncateSync(outPath, 0);
      }
    }
  }
  c.close('end of capture');
  file?.flushSync();
  if (file) {
    outBytes += statSync(outPath).size;
    void file.shutdown();
    rmSync(outPath, { force: true });
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  reader.close();
  samples.push(process.memoryUsage().rss);
  const q = (f) => samples[Math.min(samples.length - 1, Math.floor(samples.length * f))];
  return {
    mode,
    events,
    secs,
    eps: events / secs,
    cpuSecs: (cpu.user + cpu.system) / 1e6,
    appSpans,
    otelSpans,
    outBytes,
    stats: c.stats(),
    rssStartMb: rss0 / 2 ** 20,
    rssPeakMb: Math.max(...samples) / 2 ** 20,
    rssQuarterMb: q(0.25) / 2 ** 20,
    rssEndMb: samples[samples.length - 1] / 2 ** 20,
  };
}

if (process.argv[2] === '--build') {
  // keep a capture around for profiling: --build FILE EVENTS
  console.log(buildCapture(process.argv[3], Number(process.argv[4] || 1_000_000)));
  process.exit(0);
}
if (process.argv[2] === '--measure') {
  console.log(JSON.stringify(measure(process.argv[3], process.argv[4])));
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------------------
// Driver

const total = Number(process.env.NULLSPAN_BENCH_EVENTS || 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'nullspan-bench-'));
try {
  const path = join(dir, 'bench.nscap');
  const tg = Date.now();
  const events = buildCapture(path, total);
  console.log(
    `capture: ${events} events, ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB, built in ${((Date.now() - tg) / 1000).toFixed(1)} s`,
  );
  // "One core": the replay runs pinned to one CPU (GC helper threads included) when taskset exists, and its
  // throughput is events per CPU-second of that process: what one core does, whatever else the machine runs.
  const pinned = spawnSync('taskset', ['-c', '1', 'true']).status === 0;
  const cmd = pinned ? ['taskset', ['-c', '1', process.execPath]] : [process.execPath, []];
  const run = (mode) =>
    JSON.parse(
      execFileSync(cmd[0], [...cmd[1], SELF, '--measure', path, mode], { encoding: 'utf8', maxBuffer: 1 << 24 }),
    );
  // Side by side, alternating, 3 rounds: medians discount the other work on this shared machine.
  const ROUNDS = Number(process.env.NULLSPAN_BENCH_ROUNDS || 3);
  const runs = { correlate: [], export: [] };
  for (let i = 0; i < ROUNDS; i++)
    for (const mode of ['correlate', 'export']) {
      const r = run(mode);
      runs[mode].push(r);
      console.log(
        `${r.mode.padEnd(9)}: ${r.events} events in ${r.secs.toFixed(2)} s = ${(r.eps / 1e6).toFixed(2)} M events/s ` +
          `(cpu ${r.cpuSecs.toFixed(2)} s = ${(r.events / r.cpuSecs / 1e6).toFixed(2)} M/CPU-s); ${r.appSpans} application spans, ${r.otelSpans} OTel spans; ` +
          `RSS start ${r.rssStartMb.toFixed(0)} MB, at 25% ${r.rssQuarterMb.toFixed(0)} MB, peak ${r.rssPeakMb.toFixed(0)} MB, end ${r.rssEndMb.toFixed(0)} MB` +
          (r.outBytes
            ? `; ${(r.outBytes / 2 ** 30).toFixed(2)} GiB of OTLP JSON (${(r.outBytes / r.otelSpans).toFixed(0)} bytes per OTel span)`
            : ''),
      );
    }
  const median = (rs, f) => rs.map(f).sort((a, b) => a - b)[Math.floor(rs.length / 2)];
  const pick = (rs) => ({
    events: rs[0].events,
    otelSpans: rs[0].otelSpans,
    stats: rs[0].stats,
    eps: median(rs, (r) => r.eps),
    cpuEps: median(rs, (r) => r.events / r.cpuSecs),
    cpuEpsMin: Math.min(...rs.map((r) => r.events / r.cpuSecs)),
    cpuEpsMax: Math.max(...rs.map((r) => r.events / r.cpuSecs)),
    rssPeakMb: Math.max(...rs.map((r) => r.rssPeakMb)),
    growthMb: Math.max(...rs.map((r) => r.rssEndMb - r.rssQuarterMb)),
  });
  const corr = pick(runs.correlate);
  const exp = pick(runs.export);
  console.log(`correlator stats: ${JSON.stringify(exp.stats)}`);
  // `met` judges events per CPU-second of the pinned replay process: what one core does, as the issue asks.
  // Wall-clock figures are reported alongside; on this shared 2-core machine they also count time spent waiting
  // for the CPU (steal, other work), so they are lower and noisier.
  const flat = exp.growthMb < 64;
  const met = exp.cpuEps >= TARGET_EPS && exp.rssPeakMb < TARGET_RSS_MB && flat;
  console.log(
    `with OTLP JSON export: ${(exp.cpuEps / 1e6).toFixed(2)} M events per CPU-second (used for "met"), ` +
      `${(exp.eps / 1e6).toFixed(2)} M events per wall-clock second; correlate only: ${(corr.cpuEps / 1e6).toFixed(2)} / ${(corr.eps / 1e6).toFixed(2)} M ` +
      `(rounds per CPU-second: export ${(exp.cpuEpsMin / 1e6).toFixed(2)}–${(exp.cpuEpsMax / 1e6).toFixed(2)}, correlate only ${(corr.cpuEpsMin / 1e6).toFixed(2)}–${(corr.cpuEpsMax / 1e6).toFixed(2)} M)`,
  );
  const rows = [
    {
      issue: 5,
      workload: `replay of a ${(events / 1e6).toFixed(1)}M-event synthetic capture (HTTP-server mix: ${(exp.otelSpans / events).toFixed(2)} exported OTel spans per event), ${pinned ? 'pinned to one core' : 'one process'}, median of ${ROUNDS}`,
      figures: {
        events_per_cpu_s_export: Math.round(exp.cpuEps),
        events_per_cpu_s_correlate_only: Math.round(corr.cpuEps),
        events_per_wall_s_export: Math.round(exp.eps),
        events_per_wall_s_correlate_only: Math.round(corr.eps),
        rss_peak_mb: Math.round(exp.rssPeakMb),
        rss_growth_after_25pct_mb: Math.round(exp.growthMb),
        // what export adds per OTel span: CPU-seconds of the export run minus the correlate-only run, per span
        export_cpu_ns_per_otel_span: Math.round(((events / exp.cpuEps - events / corr.cpuEps) / exp.otelSpans) * 1e9),
      },
      result:
        `${(exp.cpuEps / 1e6).toFixed(2)} M events/CPU-s with OTLP JSON export, ${(corr.cpuEps / 1e6).toFixed(2)} M correlate only ` +
        `(wall ${(exp.eps / 1e6).toFixed(2)} / ${(corr.eps / 1e6).toFixed(2)} M/s; export rounds ${(exp.cpuEpsMin / 1e6).toFixed(2)}–${(exp.cpuEpsMax / 1e6).toFixed(2)} M/CPU-s) ` +
        `vs target 1.00 M/s (met judged on the median CPU-s figure); ` +
        `RSS peak ${exp.rssPeakMb.toFixed(0)} MB, ${exp.growthMb.toFixed(0)} MB growth after 25% vs < 256 MB flat`,
      target: '≥ 1,000,000 events/s on one core; RSS flat and < 256 MB for a 10-million-event capture',
      met,
    },
  ];
  console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
