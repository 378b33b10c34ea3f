// The metrics a session records from its finished spans (metrics/), and where they go: OTLP/HTTP beside the traces
// (only when the traces go there too: --no-otlp turns both off) and/or --otlp-metrics-file. What was capped or not
// delivered is said at exit.

import { MetricsExporter } from '../metrics/exporter.js';
import { SpanMetrics } from '../metrics/span-metrics.js';
import { otlpProtocol } from '../export/protocol.js';
import { signalUrl } from '../export/traces-url.js';
import type { Clock, ProcessInfo, SpanRecord } from '../model.js';
import { probeEndpoint } from './endpoint.js';
import type { CliOptions } from './options.js';
import type { Terminal } from './terminal.js';

export interface MetricsOutputStats {
  /** recordings that went to an overflow series, by metric */
  overflowed: Record<string, number>;
  exports: number;
  failedExports: number;
}

export class MetricsOutput {
  readonly metrics: SpanMetrics;
  private readonly exporter: MetricsExporter;
  private readonly url?: string;

  /** undefined when the options send metrics nowhere */
  static create(opts: CliOptions, clock: Clock, hostName: string): MetricsOutput | undefined {
    if (opts.noMetrics) return undefined;
    const http = !opts.noOtlp;
    if (!http && !opts.otlpMetricsFile) return undefined;
    return new MetricsOutput(opts, clock, hostName, http);
  }

  private constructor(
    private readonly opts: CliOptions,
    clock: Clock,
    hostName: string,
    http: boolean,
  ) {
    this.metrics = new SpanMetrics({
      histogram: opts.metricsHistogram,
      maxSeries: opts.metricsMaxSeries,
    });
    // without --endpoint, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT decide, as for traces
    if (http) this.url = signalUrl('metrics', opts.given.has('endpoint') ? opts.endpoint : undefined);
    this.exporter = new MetricsExporter(this.metrics, clock, {
      hostName,
      file: opts.otlpMetricsFile,
      ...(this.url ? { http: { url: this.url, protocol: otlpProtocol(process.env, 'METRICS') } } : {}),
    });
  }

  start(): void {
    this.exporter.start();
  }

  record(span: SpanRecord, proc: ProcessInfo): void {
    this.metrics.record(span, proc);
  }

  stats(): MetricsOutputStats {
    const { exports, failedExports } = this.exporter.st;
    return { overflowed: this.metrics.counts().overflowed, exports, failedExports };
  }

  /**
   * The final export (over HTTP only when something listens: retrying into the void would hold the exit).
   * `silentFor`: the traces' URL, when nullspan already said nothing listens there (no second notice for
   * the same collector).
   */
  async finish(term: Terminal, silentFor?: string): Promise<void> {
    const reachable = this.url ? (await probeEndpoint(this.url)).reachable : false;
    await this.exporter.shutdown(reachable);
    const st = this.exporter.st;
    if (this.url && !reachable) {
      if (silentFor === undefined || origin(silentFor) !== origin(this.url))
        term.warn(`the metrics were not delivered to ${this.url}: nothing listens there.`);
    } else if (st.failedExports > 0)
      term.warn(
        `${st.failedExports} of ${st.failedExports + st.exports} metrics exports failed (${st.lastFailure}); ` +
          'each export carries all metrics so far, so only the failed last one loses anything.',
      );
    const { overflowed } = this.metrics.counts();
    for (const [name, n] of Object.entries(overflowed))
      term.warn(
        `${n} recordings of ${name} went to its overflow series: it has ${this.opts.metricsMaxSeries} series ` +
          '(--metrics-max-series).',
        { metric: name, overflowed: n },
      );
  }
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
