// Metrics recorded from finished spans, shaped like the OpenTelemetry Collector's spanmetrics connector
// (traces.span.metrics.calls / .duration by service, span name, kind and status), the semantic conventions'
// http.server.request.duration for server spans, and what only nullspan sees: the latency and the errors of the
// system calls inside each span name. Aggregated here (cumulative, per series) and read by collect() at each export;
// why not through @opentelemetry/sdk-metrics: correlator/README.md "Metrics".

import type { ProcessInfo, SpanRecord, SyscallRecord } from '../model.js';
import { ExemplarSet } from './exemplars.js';
import {
  ExplicitHistogram,
  HTTP_SERVER_DURATION_BOUNDS,
  SPANMETRICS_BOUNDS,
  SYSCALL_BOUNDS,
} from './explicit-histogram.js';
import { ExponentialHistogram } from './exponential-histogram.js';
import { DEFAULT_MAX_SERIES, DEFAULT_MAX_SERIES_BYTES, type MetricAttributes, SeriesTable } from './series.js';

export type HistogramKind = 'exponential' | 'explicit';
export const HISTOGRAM_KINDS: readonly HistogramKind[] = ['exponential', 'explicit'];

export interface SpanMetricsOptions {
  /** traces.span.metrics.duration and nullspan.syscall.duration (http.server.request.duration is always explicit,
   * with the semantic conventions' buckets) */
  histogram?: HistogramKind;
  /** series per metric before the overflow series */
  maxSeries?: number;
  /** estimated bytes of all series together, over every metric */
  maxSeriesBytes?: number;
}

const NS_PER_S = 1e9;
/** A histogram series at its largest: 160 bucket counts and 20 exemplars (objects, map entries), rounded up. */
const HISTOGRAM_BYTES = 4096;

const SPAN_KIND: Record<SpanRecord['kind'], string> = {
  internal: 'SPAN_KIND_INTERNAL',
  server: 'SPAN_KIND_SERVER',
  client: 'SPAN_KIND_CLIENT',
  producer: 'SPAN_KIND_PRODUCER',
  consumer: 'SPAN_KIND_CONSUMER',
};
const STATUS_CODE: Record<SpanRecord['status'], string> = {
  unset: 'STATUS_CODE_UNSET',
  ok: 'STATUS_CODE_OK',
  error: 'STATUS_CODE_ERROR',
};

/** Kind and status as one number (no string built per span to find its series) */
const KIND_NUMBER: Record<SpanRecord['kind'], number> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };
const STATUS_NUMBER: Record<SpanRecord['status'], number> = { unset: 0, ok: 1, error: 2 };

/** A histogram of either kind, with its exemplars. */
export interface HistogramSeries {
  hist: ExponentialHistogram | ExplicitHistogram;
  exemplars: ExemplarSet;
}

interface SpanSeries extends HistogramSeries {
  calls: number;
}

/** The http.server.request.duration attributes a server span may carry (as its marker args name them). */
const HTTP_ATTRIBUTES = [
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'url.scheme',
  'server.address',
  'server.port',
] as const;

const INTEGER_ATTRIBUTES = new Set(['http.response.status_code', 'server.port']);

export interface MetricsCounts {
  /** spans recorded */
  spans: number;
  /** recordings that went to an overflow series, by metric */
  overflowed: Record<string, number>;
}

export class SpanMetrics {
  readonly histogram: HistogramKind;
  readonly spanSeries: SeriesTable<SpanSeries>;
  readonly httpSeries: SeriesTable<HistogramSeries>;
  readonly syscallSeries: SeriesTable<HistogramSeries>;
  readonly errorSeries: SeriesTable<{ count: number }>;
  spans = 0;

  constructor(opts: SpanMetricsOptions = {}) {
    this.histogram = opts.histogram ?? 'exponential';
    const max = opts.maxSeries ?? DEFAULT_MAX_SERIES;
    const budget = { max: opts.maxSeriesBytes ?? DEFAULT_MAX_SERIES_BYTES, used: 0 };
    const histogram = (bounds: readonly number[], kind: HistogramKind) => () => ({
      hist: kind === 'exponential' ? new ExponentialHistogram() : new ExplicitHistogram(bounds),
      exemplars: new ExemplarSet(),
    });
    const spanHistogram = histogram(SPANMETRICS_BOUNDS, this.histogram);
    this.spanSeries = new SeriesTable(() => ({ calls: 0, ...spanHistogram() }), max, budget, HISTOGRAM_BYTES);
    this.httpSeries = new SeriesTable(histogram(HTTP_SERVER_DURATION_BOUNDS, 'explicit'), max, budget, HISTOGRAM_BYTES);
    this.syscallSeries = new SeriesTable(histogram(SYSCALL_BOUNDS, this.histogram), max, budget, HISTOGRAM_BYTES);
    this.errorSeries = new SeriesTable(() => ({ count: 0 }), max, budget, 0);
  }

  record(span: SpanRecord, proc: ProcessInfo): void {
    this.spans++;
    const service = proc.serviceName;
    const seconds = Math.max(0, span.end - span.start) / NS_PER_S;
    const variant = KIND_NUMBER[span.kind] * 4 + STATUS_NUMBER[span.status];
    const s = (
      this.spanSeries.variants(service, span.name)?.get(variant) ??
      this.spanSeries.add(service, span.name, variant, span.start, [
        ['span.name', span.name],
        ['span.kind', SPAN_KIND[span.kind]],
        ['status.code', STATUS_CODE[span.status]],
      ])
    ).point;
    s.calls++;
    observe(s, seconds, span.end, span.traceId, span.spanId, -1);
    if (span.kind === 'server') this.recordHttp(span, service, seconds);
    const calls = span.syscalls;
    // the span name's series, looked up once for all its calls (until one of them makes a new series)
    let bySyscall = this.syscallSeries.variants(service, span.name);
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      // an unfinished call has no duration yet
      if (c.unfinished) continue;
      let s = bySyscall?.get(c.name);
      if (s === undefined) {
        s = this.syscallSeries.add(service, span.name, c.name, c.ts, [
          ['span.name', span.name],
          ['syscall.name', c.name],
        ]);
        bySyscall = this.syscallSeries.variants(service, span.name);
      }
      // a merged run (only fast, successful calls merge: correlator/README.md) counts as its calls at their mean
      const n = c.count > 0 ? c.count : 1;
      observe(s.point, c.dur / n / NS_PER_S, c.end, span.traceId, span.spanId, i, n);
      if (c.ret < 0 && c.errno !== undefined) this.recordError(span, service, c, n);
    }
  }

  private recordHttp(span: SpanRecord, service: string, seconds: number): void {
    const attrs: MetricAttributes = [];
    let key = '';
    for (const name of HTTP_ATTRIBUTES) {
      let v = span.attributes[name];
      if (v === undefined) continue;
      // the semantic conventions type these as integers; an untyped marker arg carries them as text
      if (INTEGER_ATTRIBUTES.has(name) && typeof v === 'string' && /^\d{1,9}$/.test(v)) v = Number(v);
      attrs.push([name, v]);
      key += `\0${name}=${v}`;
    }
    const code = Number(span.attributes['http.response.status_code']);
    // semantic conventions: error.type is the status code for 5xx, else what failed when the span is an error
    const errorType = code >= 500 ? String(code) : span.status === 'error' ? '_OTHER' : undefined;
    if (errorType !== undefined) {
      attrs.push(['error.type', errorType]);
      key += `\0error.type=${errorType}`;
    }
    const s = (
      this.httpSeries.variants(service, '')?.get(key) ?? this.httpSeries.add(service, '', key, span.start, attrs)
    ).point;
    observe(s, seconds, span.end, span.traceId, span.spanId, -1);
  }

  private recordError(span: SpanRecord, service: string, c: SyscallRecord, n: number): void {
    const errno = c.errno ?? '';
    const variant = `${c.name} ${errno}`;
    const e =
      this.errorSeries.variants(service, span.name)?.get(variant) ??
      this.errorSeries.add(service, span.name, variant, c.ts, [
        ['span.name', span.name],
        ['syscall.name', c.name],
        ['error.type', errno],
      ]);
    e.point.count += n;
  }

  counts(): MetricsCounts {
    const overflowed: Record<string, number> = {};
    const add = (names: string[], n: number) => {
      if (n > 0) for (const name of names) overflowed[name] = n;
    };
    add(['traces.span.metrics.calls', 'traces.span.metrics.duration'], this.spanSeries.overflowed);
    add(['http.server.request.duration'], this.httpSeries.overflowed);
    add(['nullspan.syscall.duration'], this.syscallSeries.overflowed);
    add(['nullspan.syscall.errors'], this.errorSeries.overflowed);
    return { spans: this.spans, overflowed };
  }
}

/** One observation, and its span as the exemplar of its bucket: the explicit bucket, or the power of two under which
 * an exponential histogram's bucket lies (its scale moves; exemplars must not). */
function observe(
  s: HistogramSeries,
  seconds: number,
  end: number,
  traceId: string,
  spanId: string,
  childIndex: number,
  n = 1,
): void {
  s.exemplars.offer(s.hist.record(seconds, n), seconds, end, traceId, spanId, childIndex);
}
