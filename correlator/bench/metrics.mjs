// Cost of OTLP metrics recording (issue 15): the correlator's events per CPU-second with metrics off, with
// nullspan's recorder (src/metrics/span-metrics.ts), and with the OpenTelemetry JS metrics SDK recording the same
// instruments (what the README's choice rests on); plus the recording's own cost per span in a tight loop over the
// spans of the capture. The capture is throughput.mjs's synthetic HTTP-server mix (`--build`). Each replay runs in
// a fresh process pinned to one core when taskset exists; modes alternate, medians of the rounds.
//   node correlator/bench/metrics.mjs          (2 M events, 5 rounds)
//   NULLSPAN_BENCH_EVENTS=... NULLSPAN_BENCH_ROUNDS=... node ...
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValueType } from '@opentelemetry/api';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { decodeBatch } from '@nullspan/probe';
import { CaptureReader, correlatorForCapture } from '../dist/index.js';
import { SpanMetrics } from '../dist/metrics/span-metrics.js';
import { timedReplay } from './lib/replay.mjs';

const SELF = fileURLToPath(import.meta.url);
const THROUGHPUT = join(SELF, '..', 'throughput.mjs');
const TARGET_LOSS = 0.1;

class Reader extends MetricReader {
  onForceFlush() {
    return Promise.resolve();
  }
  onShutdown() {
    return Promise.resolve();
  }
}

/** The same instruments through @opentelemetry/sdk-metrics: one record(span, proc) like SpanMetrics'. */
function sdkRecorder() {
  const exponential = { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } };
  const provider = new MeterProvider({
    readers: [new Reader()],
    views: [
      { instrumentName: 'traces.span.metrics.duration', aggregation: exponential },
      { instrumentName: 'nullspan.syscall.duration', aggregation: exponential },
    ],
  });
  const meter = provider.getMeter('nullspan');
  const calls = meter.createCounter('traces.span.metrics.calls', { valueType: ValueType.INT });
  const duration = meter.createHistogram('traces.span.metrics.duration', { unit: 's' });
  const http = meter.createHistogram('http.server.request.duration', { unit: 's' });
  const syscall = meter.createHistogram('nullspan.syscall.duration', { unit: 's' });
  const errors = meter.createCounter('nullspan.syscall.errors', { valueType: ValueType.INT });
  const KIND = { internal: 'SPAN_KIND_INTERNAL', server: 'SPAN_KIND_SERVER', client: 'SPAN_KIND_CLIENT' };
  const STATUS = { unset: 'STATUS_CODE_UNSET', ok: 'STATUS_CODE_OK', error: 'STATUS_CODE_ERROR' };
  return {
    record(span) {
      const attrs = { 'span.name': span.name, 'span.kind': KIND[span.kind], 'status.code': STATUS[span.status] };
      const secs = (span.end - span.start) / 1e9;
      calls.add(1, attrs);
      duration.record(secs, attrs);
      if (span.kind === 'server')
        http.record(secs, { 'http.request.method': span.attributes['http.request.method'] ?? 'GET' });
      for (const c of span.syscalls) {
        if (c.unfinished) continue;
        const a = { 'span.name': span.name, 'syscall.name': c.name };
        const n = c.count || 1;
        for (let k = 0; k < n; k++) syscall.record(c.dur / n / 1e9, a);
        if (c.ret < 0 && c.errno) errors.add(n, { ...a, 'error.type': c.errno });
      }
    },
  };
}

function recorder(mode) {
  if (mode === 'nullspan') return new SpanMetrics();
  if (mode === 'sdk') return sdkRecorder();
  return null;
}

/** One replay in this process: events per CPU-second with `mode`'s recorder on every finished span. */
function measure(path, mode) {
  const rec = recorder(mode);
  const { events, spans, cpuSecs } = timedReplay(path, (span, proc) => rec?.record(span, proc));
  return { mode, events, spans, cpuSecs };
}

/** ns of CPU per span of recording alone: the capture's first spans, recorded over and over. */
function perSpan(path) {
  const reader = CaptureReader.open(path);
  const c = correlatorForCapture(reader.header);
  const spans = [];
  c.onSpan((span, proc) => spans.length < 20_000 && spans.push([span, proc]));
  for (const bytes of reader.batches()) {
    c.pushBatch(decodeBatch(bytes));
    if (spans.length >= 20_000) break;
  }
  reader.close();
  const out = {};
  for (const mode of ['nullspan', 'sdk']) {
    const rec = recorder(mode);
    const rounds = [];
    for (let r = 0; r < 7; r++) {
      const t0 = process.cpuUsage();
      for (const [span, proc] of spans) rec.record(span, proc);
      const t = process.cpuUsage(t0);
      rounds.push(((t.user + t.system) * 1000) / spans.length);
    }
    out[mode] = rounds.sort((a, b) => a - b)[3];
  }
  return out;
}

if (process.argv[2] === '--measure') {
  console.log(JSON.stringify(measure(process.argv[3], process.argv[4])));
  process.exit(0);
}
if (process.argv[2] === '--per-span') {
  console.log(JSON.stringify(perSpan(process.argv[3])));
  process.exit(0);
}

const total = Number(process.env.NULLSPAN_BENCH_EVENTS || 2_000_000);
const ROUNDS = Number(process.env.NULLSPAN_BENCH_ROUNDS || 5);
const dir = mkdtempSync(join(tmpdir(), 'nullspan-bench-metrics-'));
try {
  const path = join(dir, 'bench.nscap');
  const events = Number(
    execFileSync(process.execPath, [THROUGHPUT, '--build', path, String(total)], { encoding: 'utf8' }),
  );
  const pinned = spawnSync('taskset', ['-c', '1', 'true']).status === 0;
  const cmd = pinned ? ['taskset', ['-c', '1', process.execPath]] : [process.execPath, []];
  const child = (...args) =>
    JSON.parse(execFileSync(cmd[0], [...cmd[1], SELF, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 }));
  const MODES = ['off', 'nullspan', 'sdk'];
  const eps = { off: [], nullspan: [], sdk: [] };
  let spans = 0;
  for (let i = 0; i < ROUNDS; i++)
    for (const mode of i % 2 ? [...MODES].reverse() : MODES) {
      const r = child('--measure', path, mode);
      spans = r.spans;
      eps[mode].push(r.events / r.cpuSecs);
      console.log(`metrics ${mode.padEnd(8)}: ${(r.events / r.cpuSecs / 1e6).toFixed(3)} M events/CPU-s`);
    }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const off = median(eps.off);
  const on = median(eps.nullspan);
  const sdk = median(eps.sdk);
  const ns = child('--per-span', path);
  const loss = 1 - on / off;
  console.log(
    `events/CPU-s: off ${(off / 1e6).toFixed(3)} M, nullspan metrics ${(on / 1e6).toFixed(3)} M (${(loss * 100).toFixed(1)} % lower), ` +
      `OTel SDK ${(sdk / 1e6).toFixed(3)} M (${((1 - sdk / off) * 100).toFixed(1)} % lower); recording per span: nullspan ` +
      `${ns.nullspan.toFixed(0)} ns, SDK ${ns.sdk.toFixed(0)} ns`,
  );
  const rows = [
    {
      issue: 15,
      workload: `metrics recording on a replay of a ${(events / 1e6).toFixed(1)}M-event synthetic capture (${spans} spans, HTTP-server mix), ${pinned ? 'pinned to one core' : 'one process'}, median of ${ROUNDS}`,
      figures: {
        events_per_cpu_s_metrics_off: Math.round(off),
        events_per_cpu_s_metrics_on: Math.round(on),
        events_per_cpu_s_otel_sdk: Math.round(sdk),
        throughput_loss_pct: Number((loss * 100).toFixed(1)),
        record_ns_per_span: Math.round(ns.nullspan),
        otel_sdk_record_ns_per_span: Math.round(ns.sdk),
      },
      result: `${(loss * 100).toFixed(1)} % fewer events/CPU-s with metrics on (OTel SDK: ${((1 - sdk / off) * 100).toFixed(1)} %); ${ns.nullspan.toFixed(0)} ns per span (SDK ${ns.sdk.toFixed(0)} ns)`,
      target: '≤ 10 % lower throughput with metrics on',
      met: loss <= TARGET_LOSS,
    },
  ];
  console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
