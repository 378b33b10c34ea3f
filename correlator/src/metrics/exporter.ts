// Sends a SpanMetrics' cumulative state every OTEL_METRIC_EXPORT_INTERVAL (the specification's periodic reader,
// default 60 s) and once more at shutdown: over OTLP/HTTP to `/v1/metrics` beside the traces (the same
// OTEL_EXPORTER_OTLP_* handling, the metrics' own variables first) and/or as one line of OTLP JSON Lines per export.
// Cumulative temporality makes a failed export harmless: the next one carries everything, so nothing is queued or
// retried here beyond what the OTLP exporter itself retries within its timeout.

import { writeSync, closeSync } from 'node:fs';
import { ExportResultCode } from '@opentelemetry/core';
import type { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { createOtlpMetricsExporter, type EncodedMetricsRequest } from '../export/otlp-http-transport.js';
import type { OtlpProtocol } from '../export/protocol.js';
import type { Clock } from '../model.js';
import { WallClock } from '../otlp.js';
import { openPrivateFile } from '../private-file.js';
import { encodeMetricsJson, encodeMetricsProto } from './encode.js';
import { metricsRequest, type MetricsRequest } from './request.js';
import type { SpanMetrics } from './span-metrics.js';

export const DEFAULT_EXPORT_INTERVAL_MS = 60_000;

/** OTEL_METRIC_EXPORT_INTERVAL (ms), the default when unset or not a positive number. */
export function exportIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return ms > 0 ? ms : DEFAULT_EXPORT_INTERVAL_MS;
}

/** OTEL_EXPORTER_OTLP_METRICS_TIMEOUT, else OTEL_EXPORTER_OTLP_TIMEOUT (ms), else 10 s. */
export function metricsTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.OTEL_EXPORTER_OTLP_METRICS_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT);
  return ms > 0 ? ms : 10_000;
}

export interface MetricsExportOptions {
  hostName?: string;
  intervalMs?: number;
  /** OTLP JSON Lines file */
  file?: string;
  /** OTLP/HTTP: the metrics URL and encoding */
  http?: { url: string; protocol: OtlpProtocol; timeoutMs?: number };
  /** wall-clock ns of an export (data points' time) */
  now?: () => bigint;
}

export interface MetricsExportStats {
  /** exports that reached every output */
  exports: number;
  failedExports: number;
  /** why the latest failed one failed */
  lastFailure?: string;
  lastFileError?: Error;
}

export class MetricsExporter {
  private readonly wall: WallClock;
  private fd: number | null = null;
  private readonly http?: OTLPExporterBase<EncodedMetricsRequest>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private inFlight = false;
  private closed = false;
  readonly st: MetricsExportStats = { exports: 0, failedExports: 0 };

  constructor(
    private readonly metrics: SpanMetrics,
    clock: Clock,
    private readonly opts: MetricsExportOptions,
  ) {
    this.wall = new WallClock(clock);
    // 0600, never through a symlink: the series name spans and system calls of other processes
    if (opts.file !== undefined) this.fd = openPrivateFile(opts.file);
    if (opts.http)
      this.http = createOtlpMetricsExporter({
        url: opts.http.url,
        protocol: opts.http.protocol,
        timeoutMillis: opts.http.timeoutMs ?? metricsTimeoutFromEnv(),
        concurrencyLimit: 2,
      });
  }

  /** Exports every interval from now on (the timer does not hold the process). A tick that finds the previous
   * export still waiting for the endpoint is skipped: the next one carries the same data and more. */
  start(): void {
    const ms = this.opts.intervalMs ?? exportIntervalFromEnv();
    this.timer = setInterval(() => {
      if (!this.inFlight) void this.exportNow();
    }, ms).unref();
  }

  /** One export of everything recorded so far; exports run one at a time, in order. */
  exportNow(http = true): Promise<void> {
    this.running = this.running.then(() => this.exportOnce(http));
    return this.running;
  }

  /**
   * The last export (to the file always, over HTTP when `http`), then nothing more. It does not wait behind a
   * periodic export still retrying an endpoint in trouble (that one wrote its file line already, and this one
   * carries everything it did), nor for that retry to end: the exporter is left to the process's exit.
   */
  async shutdown(http = true): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.exportAll(http);
    this.closed = true;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private async exportOnce(http: boolean): Promise<void> {
    if (this.closed) return;
    this.inFlight = true;
    try {
      await this.exportAll(http);
    } finally {
      this.inFlight = false;
    }
  }

  private async exportAll(http: boolean): Promise<void> {
    const now = this.opts.now?.() ?? BigInt(Date.now()) * 1_000_000n;
    const req = metricsRequest(this.metrics, this.wall, now, this.opts.hostName);
    if (req.resourceMetrics.length === 0) return;
    let failure = this.writeLine(req);
    if (this.http && http) failure = (await this.send(this.http, req)) ?? failure;
    if (failure === undefined) this.st.exports++;
    else {
      this.st.failedExports++;
      this.st.lastFailure = failure;
    }
  }

  private writeLine(req: MetricsRequest): string | undefined {
    if (this.fd === null) return undefined;
    try {
      const line = Buffer.from(`${encodeMetricsJson(req)}\n`);
      let off = 0;
      while (off < line.length) off += writeSync(this.fd, line, off);
      return undefined;
    } catch (err) {
      this.st.lastFileError = err as Error;
      return (err as Error).message;
    }
  }

  private send(exporter: OTLPExporterBase<EncodedMetricsRequest>, req: MetricsRequest): Promise<string | undefined> {
    const json = this.opts.http?.protocol === 'http/json';
    const body = json ? new TextEncoder().encode(encodeMetricsJson(req)) : encodeMetricsProto(req);
    return new Promise((resolve) => {
      exporter.export({ body, length: dataPoints(req) }, (result) =>
        resolve(result.code === ExportResultCode.SUCCESS ? undefined : (result.error?.message ?? 'export failed')),
      );
    });
  }
}

function dataPoints(req: MetricsRequest): number {
  let n = 0;
  for (const rm of req.resourceMetrics)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics)
        n +=
          (m.sum?.dataPoints.length ?? 0) +
          (m.histogram?.dataPoints.length ?? 0) +
          (m.exponentialHistogram?.dataPoints.length ?? 0);
  return n;
}
