// OTLP/HTTP export through @opentelemetry/exporter-trace-otlp-http (JSON), which also applies the standard
// OTEL_EXPORTER_OTLP_* variables (headers, compression); the URL is resolved by tracesUrl (traces-url.ts), so the
// CLI checks the very address the exporter posts to.
// Around it: a bounded queue measured in OTel spans, batching, a bound on requests in flight (the exporter has a
// concurrent-export limit), retries with exponential backoff that keep the batch until the endpoint takes it,
// and counted drops when the queue is full. Memory stays bounded; nothing throws.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Clock, ProcessInfo, SpanRecord } from '../model.js';
import { OtlpMapper, type OtlpMappingOptions } from '../otlp.js';
import type { ExportStats, SpanSink } from './sink.js';
import { tracesUrl } from './traces-url.js';

/** The part of an OTLP span exporter this module uses (tests may pass their own). */
export interface SpanExporterLike {
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export interface HttpExportOptions extends OtlpMappingOptions {
  /** OTLP/HTTP base endpoint (`/v1/traces` is appended). Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
   * OTEL_EXPORTER_OTLP_ENDPOINT as the OTel spec says, else http://localhost:4318 */
  endpoint?: string;
  headers?: Record<string, string>;
  /** OTel spans (application spans + syscall children) queued at most; beyond, new spans are dropped (default 100000) */
  maxQueueSpans?: number;
  /** OTel spans per request (default 2048) */
  maxBatchSpans?: number;
  /** requests in flight at once (default 2) */
  maxInFlight?: number;
  /** a partial batch waits at most this long (default 1000 ms) */
  scheduledDelayMs?: number;
  /** per-request timeout, including the exporter's own quick retries (default OTEL_EXPORTER_OTLP_TIMEOUT or 10000) */
  timeoutMs?: number;
  /** first backoff after a failed request (default 500 ms), doubled up to maxBackoffMs (default 30000) */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** flush() gives up waiting after this long (default 30000 ms); what is left stays queued */
  flushTimeoutMs?: number;
  /** use this exporter instead of an OTLPTraceExporter */
  exporter?: SpanExporterLike;
}

interface Entry {
  span: SpanRecord;
  proc: ProcessInfo;
  weight: number;
}

function permanentFailure(err: unknown): boolean {
  // 4xx other than 429: the receiver will never accept this batch; retrying would block the queue forever.
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code >= 400 && code < 500 && code !== 429 && code !== 408;
}

export { tracesUrl };

export class OtlpHttpExporter implements SpanSink {
  /** where the traces go (tracesUrl: the option, else the OTEL_* variables, else the default) */
  readonly url: string;
  private readonly mapper: OtlpMapper;
  private readonly exporter: SpanExporterLike;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly delayMs: number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly flushTimeout: number;
  /** batches that failed, sent again first */
  private readonly retry: Entry[][] = [];
  private queue: Entry[] = [];
  private head = 0;
  private pendingWeight = 0;
  private inFlight = 0;
  private inFlightWeight = 0;
  private backoff: number;
  private backoffUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private urgent = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly st: ExportStats = { exported: 0, dropped: 0, pending: 0, failedAttempts: 0, requests: 0 };
  lastError: Error | undefined;

  constructor(clock: Clock, opts: HttpExportOptions = {}) {
    this.mapper = new OtlpMapper(clock, opts);
    this.maxQueue = opts.maxQueueSpans ?? 100_000;
    this.maxBatch = opts.maxBatchSpans ?? 2048;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.delayMs = opts.scheduledDelayMs ?? 1000;
    this.initialBackoff = opts.initialBackoffMs ?? 500;
    this.maxBackoff = opts.maxBackoffMs ?? 30_000;
    this.flushTimeout = opts.flushTimeoutMs ?? 30_000;
    this.backoff = this.initialBackoff;
    this.url = tracesUrl(opts.endpoint);
    const envTimeout = Number(process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
    this.exporter = opts.exporter ?? new OTLPTraceExporter({
      url: this.url,
      ...(opts.headers ? { headers: opts.headers } : {}),
      timeoutMillis: opts.timeoutMs ?? (envTimeout > 0 ? envTimeout : 10_000),
      concurrencyLimit: this.maxInFlight + 1,
    });
  }

  export(span: SpanRecord, proc: ProcessInfo): void {
    const weight = 1 + span.syscalls.length;
    if (this.closed || this.pendingWeight + weight > this.maxQueue) {
      this.st.dropped += weight;
      return;
    }
    this.queue.push({ span, proc, weight });
    this.pendingWeight += weight;
    this.pump();
  }

  stats(): ExportStats {
    return { ...this.st, pending: this.pendingWeight };
  }

  /** Sends everything queued now; resolves when sent, or after flushTimeoutMs with the rest still queued. */
  flush(): Promise<void> {
    if (this.pendingWeight === 0) return Promise.resolve();
    this.urgent = true;
    return new Promise<void>((resolve) => {
      const timeout = setTimeout(done, this.flushTimeout);
      timeout.unref();
      const self = this;
      function done(): void {
        clearTimeout(timeout);
        const i = self.waiters.indexOf(done);
        if (i >= 0) self.waiters.splice(i, 1);
        if (self.waiters.length === 0) self.urgent = false;
        resolve();
      }
      this.waiters.push(done);
      this.pump();
    });
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Whatever the endpoint never took is lost now: count it.
    this.st.dropped += this.pendingWeight;
    this.pendingWeight = 0;
    this.queue = [];
    this.head = 0;
    this.retry.length = 0;
    await this.exporter.shutdown().catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump(true);
    }, Math.max(0, ms));
    this.timer.unref();
  }

  private hasQueued(): boolean {
    return this.retry.length > 0 || this.head < this.queue.length;
  }

  private pump(timerFired = false): void {
    if (this.closed) return;
    while (this.inFlight < this.maxInFlight && this.hasQueued()) {
      const now = Date.now();
      if (now < this.backoffUntil) {
        this.schedule(this.backoffUntil - now);
        return;
      }
      const unsent = this.pendingWeight - this.inFlightWeight;
      if (this.retry.length === 0 && unsent < this.maxBatch && !this.urgent && !timerFired) {
        this.schedule(this.delayMs);
        return;
      }
      this.send(this.retry.shift() ?? this.takeBatch());
    }
  }

  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    let w = 0;
    while (this.head < this.queue.length && (batch.length === 0 || w + this.queue[this.head].weight <= this.maxBatch)) {
      const e = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Entry;
      batch.push(e);
      w += e.weight;
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private send(batch: Entry[]): void {
    let weight = 0;
    const spans: ReadableSpan[] = [];
    for (const e of batch) {
      weight += e.weight;
      this.mapper.map(e.span, e.proc, spans);
    }
    this.inFlight++;
    this.inFlightWeight += weight;
    let settled = false;
    const done = (r: ExportResult): void => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      this.inFlightWeight -= weight;
      if (r.code === ExportResultCode.SUCCESS) {
        this.st.exported += weight;
        this.st.requests++;
        this.pendingWeight -= weight;
        this.backoff = this.initialBackoff;
      } else {
        this.st.failedAttempts++;
        this.lastError = r.error;
        if (this.closed || permanentFailure(r.error)) {
          this.st.dropped += weight;
          this.pendingWeight -= weight;
        } else {
          this.retry.push(batch);
          this.backoffUntil = Date.now() + this.backoff;
          this.backoff = Math.min(this.backoff * 2, this.maxBackoff);
        }
      }
      this.notify();
      this.pump();
    };
    try {
      this.exporter.export(spans, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  private notify(): void {
    if (this.pendingWeight > 0 || this.waiters.length === 0) return;
    for (const w of [...this.waiters]) w();
  }
}
