// SpanMetrics on synthetic spans: what a merged run, an unfinished call and a failure count as; the byte bound
// over hostile names; both encodings of one request read back equal through the official schema; the exporter's
// JSON Lines file, one cumulative request per export.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOtlpMetrics } from '../../test/helpers/otlp.js';
import { tempDir } from '../../test/helpers/cli.js';
import { MetricsOutput } from '../src/cli/metrics-output.js';
import { parseCommandLine } from '../src/cli/options.js';
import { SelfMetrics } from '../src/cli/self-metrics.js';
import { Correlator } from '../src/correlator.js';
import { encodeMetricsJson, encodeMetricsProto } from '../src/metrics/encode.js';
import { MetricsExporter } from '../src/metrics/exporter.js';
import { metricsRequest } from '../src/metrics/request.js';
import { SpanMetrics } from '../src/metrics/span-metrics.js';
import type { SpanRecord, SyscallRecord } from '../src/model.js';
import { WallClock } from '../src/otlp.js';
import { CLOCK, EXPORT_PROC, exportSpan } from './synthetic.js';

const wall = new WallClock(CLOCK);
const NOW = wall.wallNs(10_000_000_000);

function call(name: string, o: Partial<SyscallRecord> = {}): SyscallRecord {
  return { name, ts: 1000, dur: 1000, end: 2000, tid: 5, pid: 5, ret: 0, count: 1, attribution: 'thread', ...o };
}

function span(name: string, calls: SyscallRecord[], o: Partial<SpanRecord> = {}): SpanRecord {
  return { ...exportSpan(1), name, syscalls: calls, start: 0, end: 3_000_000, ...o };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function metric(m: SpanMetrics, name: string): any[] {
  const req = decodeOtlpMetrics(encodeMetricsProto(metricsRequest(m, wall, NOW)), 'protobuf');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return req.resourceMetrics.flatMap((rm: any) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    rm.scopeMetrics.flatMap((sm: any) => sm.metrics.filter((x: any) => x.name === name)),
  );
}

describe('SpanMetrics', () => {
  it('a merged run counts as its calls at their mean, an unfinished call not at all, a failure by errno', () => {
    const m = new SpanMetrics();
    m.record(
      span('job', [
        call('read', { dur: 8000, count: 4 }),
        call('read', { dur: 3000, unfinished: true }),
        call('openat', { ret: -2, errno: 'ENOENT' }),
      ]),
      EXPORT_PROC,
    );
    const [durations] = metric(m, 'nullspan.syscall.duration');
    const reads = durations.exponentialHistogram.dataPoints.find(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (p: any) => p.attributes.some((a: any) => a.value.stringValue === 'read'),
    );
    expect([reads.count, reads.sum, reads.min, reads.max]).toEqual(['4', 8e-6, 2e-6, 2e-6]);
    // the exemplar is the first record's child span (index 0)
    expect(reads.exemplars).toHaveLength(1);
    const [errors] = metric(m, 'nullspan.syscall.errors');
    expect(errors.sum.dataPoints.map((p: { asInt: string }) => p.asInt)).toEqual(['1']);
  });

  it('bounds the series by their estimated bytes: hostile names go to the overflow series', () => {
    const m = new SpanMetrics({ maxSeriesBytes: 64 * 1024 });
    for (let i = 0; i < 100; i++) m.record(span(`${'x'.repeat(4000)}${i}`, []), EXPORT_PROC);
    // the overflow series sits in a resource of its own
    const points = metric(m, 'traces.span.metrics.calls').flatMap((c) => c.sum.dataPoints);
    const overflow = points.filter((p: { attributes: { key: string }[] }) =>
      p.attributes.some((a) => a.key === 'otel.metric.overflow'),
    );
    expect(overflow).toHaveLength(1);
    const kept = points.length - 1;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(10);
    expect(Number(overflow[0].asInt)).toBe(100 - kept);
    expect(m.counts().overflowed['traces.span.metrics.calls']).toBe(100 - kept);
  });

  it('explicit histograms: the spanmetrics buckets, the semantic conventions for HTTP server spans', () => {
    const m = new SpanMetrics({ histogram: 'explicit' });
    const server = {
      kind: 'server' as const,
      attributes: { 'http.request.method': 'POST', 'http.response.status_code': 503 },
    };
    m.record(span('POST /x', [], { ...server, end: 7_000_000 }), EXPORT_PROC);
    const [duration] = metric(m, 'traces.span.metrics.duration');
    const p = duration.histogram.dataPoints[0];
    expect(p.explicitBounds).toEqual([
      0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15,
    ]);
    expect(p.bucketCounts.map(Number)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const [http] = metric(m, 'http.server.request.duration');
    const attrs = Object.fromEntries(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      http.histogram.dataPoints[0].attributes.map((a: any) => [a.key, a.value.stringValue ?? a.value.intValue]),
    );
    expect(attrs).toEqual({ 'http.request.method': 'POST', 'http.response.status_code': '503', 'error.type': '503' });
    // an untyped arg (text) still goes out as the integer the semantic conventions say
    m.record(
      span('GET /y', [], { kind: 'server', attributes: { 'http.response.status_code': '404', 'server.port': 'x' } }),
      EXPORT_PROC,
    );
    const [http2] = metric(m, 'http.server.request.duration');
    const values = http2.histogram.dataPoints[1].attributes.map((a: { value: Record<string, unknown> }) => [
      a.value.value,
      a.value[a.value.value as string],
    ]);
    expect(values).toEqual([
      ['intValue', '404'],
      ['stringValue', 'x'],
    ]);
  });

  it('JSON and protobuf encodings of one request decode to the same message', () => {
    const m = new SpanMetrics();
    m.record(span('job', [call('read'), call('openat', { ret: -13, errno: 'EACCES' })]), EXPORT_PROC);
    m.record(span('job', [], { status: 'error', end: 9_000_000 }), { ...EXPORT_PROC, serviceName: 'other' });
    const req = metricsRequest(m, wall, NOW, 'host-1');
    const fromJson = decodeOtlpMetrics(Buffer.from(encodeMetricsJson(req)), 'json');
    expect(decodeOtlpMetrics(encodeMetricsProto(req), 'protobuf')).toEqual(fromJson);
    expect(fromJson.resourceMetrics).toHaveLength(2);
  });
});

describe('MetricsExporter', () => {
  it('writes one cumulative request per export to the JSON Lines file', async () => {
    const tmp = tempDir('nullspan-metrics-file-');
    try {
      const file = join(tmp.dir, 'm.jsonl');
      const m = new SpanMetrics();
      const exporter = new MetricsExporter(m, CLOCK, { file, now: () => NOW });
      m.record(span('job', []), EXPORT_PROC);
      await exporter.exportNow();
      m.record(span('job', []), EXPORT_PROC);
      await exporter.shutdown();
      const calls = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => decodeOtlpMetrics(Buffer.from(line), 'json').resourceMetrics[0].scopeMetrics[0].metrics[0]);
      expect(calls.map((c) => [c.name, c.sum.aggregationTemporality, c.sum.dataPoints[0].asInt])).toEqual([
        ['traces.span.metrics.calls', 2, '1'],
        ['traces.span.metrics.calls', 2, '2'],
      ]);
      expect(exporter.st).toMatchObject({ exports: 2, failedExports: 0 });
    } finally {
      tmp.remove();
    }
  });
});

describe("the CLI's metrics output", () => {
  it('counts overflowed recordings and exports in /metrics', async () => {
    const tmp = tempDir('nullspan-metrics-self-');
    try {
      const file = join(tmp.dir, 'm.jsonl');
      const { options } = parseCommandLine(
        ['replay', 'x.nscap', '--no-otlp', '--otlp-metrics-file', file, '--metrics-max-series', '1'],
        {},
      );
      const output = MetricsOutput.create(options, CLOCK, 'host-1');
      if (!output) throw new Error('a metrics file was given: metrics must be recorded');
      for (const name of ['a', 'b', 'c']) output.record(span(name, []), EXPORT_PROC);
      const c = new Correlator({ clock: CLOCK });
      const self = new SelfMetrics({
        probe: () => undefined,
        correlator: () => c.stats(),
        tables: () => c.tableSizes(),
        outputs: () => ({ spans: 3, traces: 3, exporters: [], held: [], metrics: output.stats() }),
      });
      const text = await self.render();
      expect(text).toContain('nullspan_metrics_overflow_total{metric="traces.span.metrics.calls"} 2');
      expect(text).toContain('nullspan_metrics_exports_total{result="ok"} 0');
      expect(MetricsOutput.create(parseCommandLine(['replay', 'x.nscap', '--no-otlp'], {}).options, CLOCK, 'h')).toBe(
        undefined,
      );
    } finally {
      tmp.remove();
    }
  });
});
