// End to end: `nullspan run` tracing a C program whose 1,000 spans have known durations (nanosleep), exporting
// traces and metrics to a real loopback receiver that decodes both with the official OTLP schema. The metrics must
// agree with the exported spans (counts, sums, buckets, exemplars), stay cumulative across exports, come out the
// same from a replay of the capture (OTLP/JSON this time, and the JSON Lines file), and honour the series cap.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOtlpMetrics, type OtlpSpan } from './helpers/otlp.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { cliEnv, REPO, runCli, tempDir, type CliResult } from './helpers/cli.js';

const tmp = tempDir('nullspan-otlp-metrics-');
const program = join(tmp.dir, 'known-durations');
const capture = join(tmp.dir, 'run.nscap');
const runFile = join(tmp.dir, 'run-metrics.jsonl');
let live: OtlpReceiver;
let replayed: OtlpReceiver;
let run: CliResult;
let replay: CliResult;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Point {
  service: string;
  metric: string;
  type: 'sum' | 'histogram' | 'exponentialHistogram';
  attributes: Record<string, unknown>;
  point: Json;
}

/** Every data point of a decoded request, with its resource's service.name and its attributes as a record. */
function points(request: Json): Point[] {
  const attrs = (list: Json[] | undefined) =>
    Object.fromEntries(
      (list ?? []).map((kv: Json) => [kv.key, kv.value.stringValue ?? kv.value.boolValue ?? kv.value.intValue]),
    );
  const out: Point[] = [];
  for (const rm of request.resourceMetrics ?? []) {
    const service = String(attrs(rm.resource?.attributes)['service.name'] ?? '');
    for (const sm of rm.scopeMetrics ?? [])
      for (const m of sm.metrics ?? [])
        for (const type of ['sum', 'histogram', 'exponentialHistogram'] as const)
          for (const point of m[type]?.dataPoints ?? [])
            out.push({ service, metric: m.name, type, attributes: attrs(point.attributes), point });
  }
  return out;
}

function find(list: Point[], metric: string, attributes: Record<string, unknown>): Point[] {
  return list.filter(
    (p) => p.metric === metric && Object.entries(attributes).every(([k, v]) => String(p.attributes[k]) === String(v)),
  );
}

/** Seconds a span lasted, from its exported nanosecond times. */
const seconds = (s: OtlpSpan) => Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e9;

/** The bucket of `v` at `scale` by the data model's definition: (base^i, base^(i+1)], base = 2^(2^-scale). */
function bucketOf(v: number, scale: number): number {
  const i = Math.ceil(Math.log2(v) * 2 ** scale) - 1;
  // the logarithm's rounding can land one off at a boundary: settle it with the bucket's own bounds
  const lower = (k: number) => 2 ** (k * 2 ** -scale);
  if (v <= lower(i)) return i - 1;
  if (v > lower(i + 1)) return i + 1;
  return i;
}

/** A data point without its export time (what differs between a run and its replay). */
function timeless(p: Point): unknown {
  const { timeUnixNano: _, ...rest } = p.point;
  return { ...p, point: rest };
}

beforeAll(async () => {
  execFileSync('cc', ['-O1', '-o', program, join(REPO, 'test/fixtures/known-durations-http.c')]);
  live = await startOtlpReceiver();
  replayed = await startOtlpReceiver();
  run = await runCli(
    ['run', '--write', capture, '--otlp-metrics-file', runFile, '--endpoint', live.url, '--', program],
    { env: cliEnv({ OTEL_METRIC_EXPORT_INTERVAL: '400', OTEL_SERVICE_NAME: 'known-durations' }) },
  );
  replay = await runCli(['replay', capture, '--endpoint', replayed.url], {
    env: cliEnv({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' }),
  });
}, 120_000);

afterAll(async () => {
  await live.close();
  await replayed.close();
  tmp.remove();
});

describe('OTLP metrics from a real kernel', () => {
  it('run and replay succeed, the receiver decodes every request', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(replay.code, replay.stderr).toBe(0);
    expect(live.errors).toEqual([]);
    expect(replayed.errors).toEqual([]);
    expect(live.metrics.length).toBeGreaterThanOrEqual(2);
    expect(live.metrics.every((m) => m.encoding === 'protobuf')).toBe(true);
    expect(replayed.metrics.every((m) => m.encoding === 'json')).toBe(true);
  });

  it('the duration histogram matches the exported spans: count, sum, buckets', () => {
    const spans = live.spans().filter((s) => s.name === 'db.query');
    expect(spans).toHaveLength(1000);
    const last = points(live.metrics.at(-1)?.request);
    const [duration] = find(last, 'traces.span.metrics.duration', {
      'span.name': 'db.query',
      'span.kind': 'SPAN_KIND_INTERNAL',
      'status.code': 'STATUS_CODE_UNSET',
    });
    expect(duration.service).toBe('known-durations');
    expect(duration.type).toBe('exponentialHistogram');
    const p = duration.point;
    expect(Number(p.count)).toBe(1000);
    const sum = spans.reduce((n, s) => n + seconds(s), 0);
    expect(p.sum).toBeCloseTo(sum, 6);
    expect(p.min).toBeCloseTo(Math.min(...spans.map(seconds)), 9);
    expect(p.max).toBeCloseTo(Math.max(...spans.map(seconds)), 9);
    const expected = new Map<number, number>();
    for (const s of spans) {
      const i = bucketOf(seconds(s), p.scale);
      expected.set(i, (expected.get(i) ?? 0) + 1);
    }
    const got = new Map<number, number>();
    p.positive.bucketCounts.forEach((c: string, i: number) => {
      if (Number(c) > 0) got.set((p.positive.offset ?? 0) + i, Number(c));
    });
    expect(got).toEqual(expected);
    // 1 ms … 200 ms fit 160 buckets at scale 4 (base 2^(1/16), buckets 4.4 % wide)
    expect(p.scale).toBeGreaterThanOrEqual(4);

    const [calls] = find(last, 'traces.span.metrics.calls', { 'span.name': 'db.query' });
    expect(calls.type).toBe('sum');
    expect(Number(calls.point.asInt)).toBe(1000);
  });

  it('exemplars point to exported spans and carry their durations', () => {
    const byId = new Map(live.spans().map((s) => [`${s.traceId}/${s.spanId}`, s]));
    const last = points(live.metrics.at(-1)?.request);
    const [duration] = find(last, 'traces.span.metrics.duration', { 'span.name': 'db.query' });
    const exemplars: Json[] = duration.point.exemplars;
    // one per power-of-two bucket the durations fell in: 1, 10, 50 and 200 ms land in at least four
    expect(exemplars.length).toBeGreaterThanOrEqual(4);
    for (const e of exemplars) {
      const span = byId.get(`${e.traceId}/${e.spanId}`);
      expect(span, `exemplar ${e.spanId}`).toBeDefined();
      if (span) expect(e.asDouble).toBeCloseTo(seconds(span), 9);
    }
    // the slowest span is an exemplar
    expect(Math.max(...exemplars.map((e) => e.asDouble))).toBeCloseTo(duration.point.max, 9);
    // system call exemplars are the syscall child spans
    const [sleeps] = find(last, 'nullspan.syscall.duration', { 'span.name': 'db.query' });
    for (const e of sleeps.point.exemplars) {
      const child = byId.get(`${e.traceId}/${e.spanId}`);
      expect(child?.name).toBe(sleeps.attributes['syscall.name']);
    }
  });

  it('server spans give http.server.request.duration; system calls their latency and errors', () => {
    const last = points(live.metrics.at(-1)?.request);
    const http = find(last, 'http.server.request.duration', {
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'url.scheme': 'http',
    });
    expect(http.map((p) => [p.attributes['http.response.status_code'], p.attributes['error.type']]).sort()).toEqual([
      ['200', undefined],
      ['500', '500'],
    ]);
    for (const p of http) {
      expect(p.type).toBe('histogram');
      expect(Number(p.point.count)).toBe(5);
      expect(p.point.explicitBounds).toEqual([
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
      ]);
    }
    const sleeps = find(last, 'nullspan.syscall.duration', { 'span.name': 'db.query' });
    expect(sleeps).toHaveLength(1);
    expect(String(sleeps[0].attributes['syscall.name'])).toMatch(/nanosleep/);
    expect(Number(sleeps[0].point.count)).toBe(1000);
    const errors = find(last, 'nullspan.syscall.errors', { 'span.name': 'GET /users/:id', 'error.type': 'ENOENT' });
    expect(errors.map((p) => [p.attributes['syscall.name'], Number(p.point.asInt)])).toEqual([['openat', 10]]);
  });

  it('is cumulative across exports: counts never decrease, start times stay', () => {
    const seen = new Map<string, { count: number; start: string }>();
    let compared = 0;
    for (const m of live.metrics) {
      for (const p of points(m.request)) {
        const id = JSON.stringify([p.service, p.metric, p.attributes]);
        const count = Number(p.point.count ?? p.point.asInt);
        const before = seen.get(id);
        if (before) {
          expect(count).toBeGreaterThanOrEqual(before.count);
          expect(p.point.startTimeUnixNano).toBe(before.start);
          compared++;
        }
        expect(BigInt(p.point.timeUnixNano)).toBeGreaterThanOrEqual(BigInt(p.point.startTimeUnixNano));
        seen.set(id, { count, start: p.point.startTimeUnixNano });
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('the JSON Lines file holds the same exports, and a replay gives the same metrics', () => {
    const lines = readFileSync(runFile, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const fromFile = lines.map((l) => decodeOtlpMetrics(Buffer.from(l), 'json'));
    const lastLive = points(live.metrics.at(-1)?.request).map(timeless);
    expect(points(fromFile.at(-1)).map(timeless)).toEqual(lastLive);
    expect(points(replayed.metrics.at(-1)?.request).map(timeless)).toEqual(lastLive);
  });
});

describe('the series cap', () => {
  it('sends what does not fit to one overflow series, counted and reported', async () => {
    const file = join(tmp.dir, 'capped.jsonl');
    const r = await runCli(['replay', capture, '--no-otlp', '--otlp-metrics-file', file, '--metrics-max-series', '1']);
    expect(r.code, r.stderr).toBe(0);
    const last = points(
      decodeOtlpMetrics(Buffer.from(readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? ''), 'json'),
    );
    // db.query came first and has the one series; the 10 server spans went to the overflow series
    const calls = find(last, 'traces.span.metrics.calls', {});
    expect(
      calls.map((p) => [
        p.attributes['span.name'] ?? null,
        p.attributes['otel.metric.overflow'] ?? null,
        Number(p.point.asInt),
      ]),
    ).toEqual([
      ['db.query', null, 1000],
      [null, true, 10],
    ]);
    expect(r.stderr).toMatch(/10 recordings of traces\.span\.metrics\.calls went to its overflow series/);
  });

  it('explicit buckets match the spans; OTEL_EXPORTER_OTLP_METRICS_ENDPOINT takes the metrics elsewhere', async () => {
    const traces = await startOtlpReceiver();
    const metrics = await startOtlpReceiver();
    try {
      const r = await runCli(['replay', capture, '--metrics-histogram', 'explicit'], {
        env: cliEnv({
          OTEL_EXPORTER_OTLP_ENDPOINT: traces.url,
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${metrics.url}/v1/metrics`,
        }),
      });
      expect(r.code, r.stderr).toBe(0);
      expect([traces.metrics.length, metrics.spans().length]).toEqual([0, 0]);
      const [duration] = find(points(metrics.metrics.at(-1)?.request), 'traces.span.metrics.duration', {
        'span.name': 'db.query',
      });
      expect(duration.type).toBe('histogram');
      const bounds: number[] = duration.point.explicitBounds;
      const expected = new Array<number>(bounds.length + 1).fill(0);
      for (const s of traces.spans().filter((x) => x.name === 'db.query')) {
        const i = bounds.findIndex((b) => seconds(s) <= b);
        expected[i === -1 ? bounds.length : i]++;
      }
      expect(duration.point.bucketCounts.map(Number)).toEqual(expected);
      expect(expected.reduce((a, b) => a + b, 0)).toBe(1000);
    } finally {
      await traces.close();
      await metrics.close();
    }
  });

  it('--no-metrics records and sends none', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const r = await runCli(['replay', capture, '--no-metrics', '--endpoint', receiver.url]);
      expect(r.code, r.stderr).toBe(0);
      expect(receiver.spans().length).toBeGreaterThan(1000);
      expect(receiver.metrics).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
