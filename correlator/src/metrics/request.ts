// A SpanMetrics' state as one ExportMetricsServiceRequest, in the OTLP JSON mapping's shape (the protobuf encoder
// walks the same object): one resource per service (`service.name`, as the spanmetrics connector writes it), one
// scope, cumulative temporality, each series' start time fixed at its first recording.

import { childSpanId } from '../ids.js';
import { SCOPE_NAME, SCOPE_VERSION, type WallClock } from '../otlp.js';
import type { Exemplar } from './exemplars.js';
import { ExplicitHistogram } from './explicit-histogram.js';
import type { ExponentialHistogram } from './exponential-histogram.js';
import type { MetricAttributes, Series } from './series.js';
import type { HistogramSeries, SpanMetrics } from './span-metrics.js';

/** AGGREGATION_TEMPORALITY_CUMULATIVE */
export const CUMULATIVE = 2;

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number };
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface OtlpExemplar {
  timeUnixNano: string;
  asDouble: number;
  spanId: string;
  traceId: string;
}
interface PointBase {
  attributes: KeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
}
export interface NumberPoint extends PointBase {
  asInt: string;
}
export interface HistogramPoint extends PointBase {
  count: string;
  sum: number;
  bucketCounts: string[];
  explicitBounds: number[];
  exemplars: OtlpExemplar[];
  min: number;
  max: number;
}
export interface ExponentialHistogramPoint extends PointBase {
  count: string;
  sum: number;
  scale: number;
  zeroCount: string;
  positive: { offset: number; bucketCounts: string[] };
  exemplars: OtlpExemplar[];
  min: number;
  max: number;
}
export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: ExponentialHistogramPoint[]; aggregationTemporality: number };
}
export interface MetricsRequest {
  resourceMetrics: {
    resource: { attributes: KeyValue[] };
    scopeMetrics: { scope: { name: string; version: string }; metrics: OtlpMetric[] }[];
  }[];
}

export function anyValue(v: string | number | boolean): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

function keyValues(attrs: MetricAttributes): KeyValue[] {
  return attrs.map(([key, v]) => ({ key, value: anyValue(v) }));
}

/**
 * The request for everything recorded so far, as of wall-clock `now` (ns). `hostName` joins each resource;
 * the overflow series sit in a resource without a service (they belong to no one service).
 */
export function metricsRequest(m: SpanMetrics, wall: WallClock, now: bigint, hostName?: string): MetricsRequest {
  const time = now.toString();
  // resource → metric name → metric, in first-seen order
  const resources = new Map<string | undefined, Map<string, OtlpMetric>>();
  const metric = (service: string | undefined, template: Omit<OtlpMetric, 'sum' | 'histogram'>) => {
    let metrics = resources.get(service);
    if (!metrics) resources.set(service, (metrics = new Map()));
    let found = metrics.get(template.name);
    if (!found) metrics.set(template.name, (found = { ...template }));
    return found;
  };
  const base = (s: Series<unknown>): PointBase => {
    const start = wall.wallNs(s.start);
    return {
      attributes: keyValues(s.attributes),
      startTimeUnixNano: start.toString(),
      // a series recorded "after" now (a replay's trace clock ahead of this one) still ends no earlier than it starts
      timeUnixNano: start > now ? start.toString() : time,
    };
  };
  const sumPoint = (s: Series<unknown>, value: number): NumberPoint => ({ ...base(s), asInt: String(value) });
  const histogram = (name: string, description: string, s: Series<HistogramSeries>) => {
    const into = metric(s.service, { name, description, unit: 's' });
    addHistogramPoint(into, base(s), s.point, wall);
  };

  for (const s of m.spanSeries.all()) {
    const calls = metric(s.service, {
      name: 'traces.span.metrics.calls',
      description: 'Spans finished, by span name, kind and status.',
      unit: '{call}',
    });
    calls.sum ??= { dataPoints: [], aggregationTemporality: CUMULATIVE, isMonotonic: true };
    calls.sum.dataPoints.push(sumPoint(s, s.point.calls));
    histogram('traces.span.metrics.duration', 'Span durations, by span name, kind and status.', s);
  }
  for (const s of m.httpSeries.all())
    histogram('http.server.request.duration', 'Duration of HTTP server requests (server spans).', s);
  for (const s of m.syscallSeries.all())
    histogram('nullspan.syscall.duration', 'System call latency inside spans, by span name and system call.', s);
  for (const s of m.errorSeries.all()) {
    const errors = metric(s.service, {
      name: 'nullspan.syscall.errors',
      description: 'Failed system calls inside spans, by span name, system call and errno.',
      unit: '{call}',
    });
    errors.sum ??= { dataPoints: [], aggregationTemporality: CUMULATIVE, isMonotonic: true };
    errors.sum.dataPoints.push(sumPoint(s, s.point.count));
  }

  const scope = { name: SCOPE_NAME, version: SCOPE_VERSION };
  return {
    resourceMetrics: [...resources].map(([service, metrics]) => ({
      resource: {
        attributes: keyValues([
          ...(service !== undefined ? ([['service.name', service]] as MetricAttributes) : []),
          ...(hostName ? ([['host.name', hostName]] as MetricAttributes) : []),
        ]),
      },
      scopeMetrics: [{ scope, metrics: [...metrics.values()] }],
    })),
  };
}

function addHistogramPoint(into: OtlpMetric, base: PointBase, s: HistogramSeries, wall: WallClock): void {
  const exemplars = s.exemplars.list().map((e) => otlpExemplar(e, wall));
  if (s.hist instanceof ExplicitHistogram) {
    const p = s.hist.point();
    into.histogram ??= { dataPoints: [], aggregationTemporality: CUMULATIVE };
    into.histogram.dataPoints.push({
      ...base,
      count: String(p.count),
      sum: p.sum,
      bucketCounts: p.counts.map(String),
      explicitBounds: [...p.bounds],
      exemplars,
      min: p.min,
      max: p.max,
    });
    return;
  }
  const p = (s.hist as ExponentialHistogram).point();
  into.exponentialHistogram ??= { dataPoints: [], aggregationTemporality: CUMULATIVE };
  into.exponentialHistogram.dataPoints.push({
    ...base,
    count: String(p.count),
    sum: p.sum,
    scale: p.scale,
    zeroCount: String(p.zeroCount),
    positive: { offset: p.offset, bucketCounts: p.counts.map(String) },
    exemplars,
    min: p.min,
    max: p.max,
  });
}

function otlpExemplar(e: Exemplar, wall: WallClock): OtlpExemplar {
  return {
    timeUnixNano: wall.wallNs(e.time).toString(),
    asDouble: e.value,
    spanId: e.childIndex >= 0 ? childSpanId(e.spanId, e.childIndex) : e.spanId,
    traceId: e.traceId,
  };
}
