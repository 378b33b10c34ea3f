// OTLP/HTTP export: spans encoded by the project's OTLP encoders — protobuf (otlp-proto.ts) or JSON, the file
// output's bytes (otlp-json.ts), as OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL says (protocol.ts) — sent through the
// official exporter machinery (otlp-http-transport.ts), which also applies the standard OTEL_EXPORTER_OTLP_*
// variables (headers, compression); the URL is resolved by tracesUrl (traces-url.ts), so the CLI checks the very
// address the exporter posts to.
// Around it: a queue bounded in OTel spans and in estimated bytes, batching, a bound on requests in flight (the
// exporter has a concurrent-export limit), retries with exponential backoff that keep the batch until the endpoint
// takes it, and every span given up on counted under the reason it was lost. Memory stays bounded; nothing throws.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { Clock, ProcessInfo, SpanRecord } from '../model.js';
import type { OtlpMappingOptions } from '../otlp.js';
import { OtlpJsonEncoder } from '../otlp-json.js';
import { OtlpProtoEncoder } from '../otlp-proto.js';
import { createOtlpTraceExporter, type EncodedTraceRequest } from './otlp-http-transport.js';
import { otlpProtocol, type OtlpProtocol } from './protocol.js';
import { ResponseStatuses } from './response-statuses.js';
import type { ExportStats, SpanSink } from './sink.js';
import { DEFAULT_MAX_QUEUE_BYTES, spanRecordBytes } from '../span-bytes.js';
import { tracesUrl } from './traces-url.js';

/** The part of an OTLP span exporter this module uses (tests may pass their own). */
export interface SpanExporterLike {
  export(request: EncodedTraceRequest, done: (r: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export interface HttpExportOptions extends OtlpMappingOptions {
  /** OTLP/HTTP base endpoint (`/v1/traces` is appended). Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
   * OTEL_EXPORTER_OTLP_ENDPOINT as the OTel spec says, else http://localhost:4318 */
  endpoint?: string;
  headers?: Record<string, string>;
  /** the encoding of requests (default: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL, else
   * http/protobuf as the OTel spec says; a value other than these two throws) */
  protocol?: OtlpProtocol;
  /** OTel spans (application spans + syscall children) queued at most; beyond, new spans are dropped (default 100000) */
  maxQueueSpans?: number;
  /** estimated bytes of the queued spans at most (span-bytes.ts); beyond, new spans are dropped (default 64 MiB) */
  maxQueueBytes?: number;
  /** OTel spans per request (default 2048) */
  maxBatchSpans?: number;
  /** estimated bytes per request (default 4 MiB; a single larger span goes alone): what bounds the memory of the
   * requests in flight, which hold their spans' text once more as the request body */
  maxBatchBytes?: number;
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
  /** shutdown() waits at most this long for the endpoint, then counts what is left as lost (default: timeoutMs) */
  shutdownTimeoutMs?: number;
  /** use this exporter instead of the OTLP/HTTP one */
  exporter?: SpanExporterLike;
}

interface Entry {
  span: SpanRecord;
  proc: ProcessInfo;
  weight: number;
  bytes: number;
}

interface Batch {
  entries: Entry[];
  weight: number;
  bytes: number;
  /** why its last attempt failed (a batch waiting for a retry) */
  failure?: string;
  /** counted as lost at shutdown while its request was still out: its late answer changes nothing */
  abandoned?: boolean;
}

/** Reasons spans are lost, as the exit notice names them. */
export const LOSS = {
  queueLimit: 'queue limit',
  connectionRefused: 'connection refused',
  timeout: 'timeout',
  shutDown: 'exported after shutdown',
} as const;

/** the statuses OTLP/HTTP says to retry (the specification's list, plus 408) */
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);

/** An HTTP status the endpoint answered with, when an export failed because of it. */
function httpStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function permanentFailure(err: unknown): boolean {
  // A status outside the retryable ones (400, 500, ...): the receiver will not accept this batch by being asked
  // again, and retrying would block the queue.
  const status = httpStatusOf(err);
  return status !== undefined && !RETRYABLE_STATUS.has(status);
}

export { tracesUrl };

/** What an OTLP encoder offers the exporter: spans encoded as they come, taken as one request's pieces. */
interface RequestEncoder {
  add(span: SpanRecord, proc: ProcessInfo): void;
  take(): Uint8Array[];
}

export class OtlpHttpExporter implements SpanSink {
  /** where the traces go (tracesUrl: the option, else the OTEL_* variables, else the default) */
  readonly url: string;
  /** the encoding requests are sent in */
  readonly protocol: OtlpProtocol;
  private readonly encoder: RequestEncoder;
  private readonly exporter: SpanExporterLike;
  private readonly statuses?: ResponseStatuses;
  private readonly maxQueue: number;
  private readonly maxQueueBytes: number;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly maxInFlight: number;
  private readonly delayMs: number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly flushTimeout: number;
  private readonly shutdownTimeout: number;
  /** batches that failed, sent again first */
  private readonly retry: Batch[] = [];
  private readonly inFlightBatches = new Set<Batch>();
  private queue: Entry[] = [];
  private head = 0;
  private pendingWeight = 0;
  private pendingBytes = 0;
  private inFlight = 0;
  private inFlightWeight = 0;
  private backoff: number;
  private backoffUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private urgent = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly st: ExportStats = { exported: 0, dropped: 0, pending: 0, failedAttempts: 0, requests: 0 };
  private readonly lost = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  /** why the most recent attempt failed, in the words of the loss notice */
  private lastFailure: string | undefined;
  lastError: Error | undefined;

  constructor(clock: Clock, opts: HttpExportOptions = {}) {
    this.protocol = opts.protocol ?? otlpProtocol();
    this.encoder = this.protocol === 'http/json' ? new OtlpJsonEncoder(clock, opts) : new OtlpProtoEncoder(clock, opts);
    this.maxQueue = opts.maxQueueSpans ?? 100_000;
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.maxBatch = opts.maxBatchSpans ?? 2048;
    this.maxBatchBytes = opts.maxBatchBytes ?? 4 * 1024 * 1024;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.delayMs = opts.scheduledDelayMs ?? 1000;
    this.initialBackoff = opts.initialBackoffMs ?? 500;
    this.maxBackoff = opts.maxBackoffMs ?? 30_000;
    this.flushTimeout = opts.flushTimeoutMs ?? 30_000;
    this.backoff = this.initialBackoff;
    this.url = tracesUrl(opts.endpoint);
    const timeoutMs = opts.timeoutMs ?? exportTimeoutFromEnv();
    this.shutdownTimeout = opts.shutdownTimeoutMs ?? timeoutMs;
    if (opts.exporter) {
      this.exporter = opts.exporter;
    } else {
      this.statuses = new ResponseStatuses(this.url);
      this.exporter = createOtlpTraceExporter({
        protocol: this.protocol,
        url: this.url,
        ...(opts.headers ? { headers: opts.headers } : {}),
        timeoutMillis: timeoutMs,
        concurrencyLimit: this.maxInFlight + 1,
      });
    }
  }

  export(span: SpanRecord, proc: ProcessInfo): void {
    const weight = 1 + span.syscalls.length;
    if (this.closed) {
      this.drop(weight, LOSS.shutDown);
      return;
    }
    const bytes = spanRecordBytes(span);
    if (this.pendingWeight + weight > this.maxQueue || this.pendingBytes + bytes > this.maxQueueBytes) {
      this.drop(weight, LOSS.queueLimit);
      return;
    }
    this.queue.push({ span, proc, weight, bytes });
    this.pendingWeight += weight;
    this.pendingBytes += bytes;
    this.pump();
  }

  stats(): ExportStats {
    return {
      ...this.st,
      pending: this.pendingWeight,
      pendingBytes: this.pendingBytes,
      lost: Object.fromEntries(this.lost),
      failures: Object.fromEntries(this.failures),
    };
  }

  /** Sends everything queued now; resolves when sent, or after `timeoutMs` with the rest still queued. */
  flush(timeoutMs = this.flushTimeout): Promise<void> {
    if (this.pendingWeight === 0) return Promise.resolve();
    this.urgent = true;
    return new Promise<void>((resolve) => {
      // Not unref'd: the wait is bounded, and while someone awaits it Node must not run out of work and end the
      // process inside the await (the caller's exit code and loss report would never come).
      const timeout = setTimeout(done, timeoutMs);
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

  /**
   * Sends what is queued for at most shutdownTimeoutMs, then counts everything not delivered under the reason it
   * was not: its last failure, or `timeout` for what the endpoint had not answered by then.
   */
  async shutdown(): Promise<void> {
    const deadline = Date.now() + this.shutdownTimeout;
    await this.flush(this.shutdownTimeout);
    this.giveUp(this.lastFailure ?? LOSS.timeout);
    // The OTel exporter waits for its requests in flight; one that never gets an answer must not hold us past
    // the deadline.
    await Promise.race([this.exporter.shutdown().catch(() => undefined), sleep(deadline - Date.now())]);
    this.statuses?.close();
  }

  /** Counts everything not yet delivered as lost under `reason` and stops, without waiting for the endpoint (the
   * caller knows nobody answers there: a request still out is being retried against the same refusal). */
  async abandon(reason: string): Promise<void> {
    this.giveUp(reason, reason);
    await Promise.race([this.exporter.shutdown().catch(() => undefined), sleep(0)]);
    this.statuses?.close();
  }

  /**
   * `inFlightReason`: why requests still out failed, when the caller knows; otherwise such a request was either
   * never answered or is being retried by the OTel exporter after a refusal.
   */
  private giveUp(unsentReason: string, inFlightReason?: string): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const refusal = this.statuses?.lastRefusal;
    const inFlight = inFlightReason ?? (refusal !== undefined ? `HTTP ${refusal}` : LOSS.timeout);
    for (const batch of this.inFlightBatches) {
      batch.abandoned = true;
      this.drop(batch.weight, inFlight);
    }
    this.inFlightBatches.clear();
    for (const batch of this.retry) this.drop(batch.weight, batch.failure ?? unsentReason);
    this.retry.length = 0;
    let unsent = 0;
    for (let i = this.head; i < this.queue.length; i++) unsent += this.queue[i].weight;
    this.drop(unsent, unsentReason);
    this.pendingWeight = 0;
    this.pendingBytes = 0;
    this.inFlight = 0;
    this.inFlightWeight = 0;
    this.queue = [];
    this.head = 0;
    for (const w of [...this.waiters]) w();
  }

  private drop(weight: number, reason: string): void {
    if (weight <= 0) return;
    this.st.dropped += weight;
    countByReason(this.lost, reason, weight);
  }

  /** The reason an attempt failed, as the loss notice names it. */
  private failureReason(err: unknown): string {
    const status = httpStatusOf(err);
    if (status !== undefined) return `HTTP ${status}`;
    const code = (err as { code?: unknown } | undefined)?.code;
    if (code === 'ECONNREFUSED') return LOSS.connectionRefused;
    if (typeof code === 'string') return code;
    const message = (err as Error | undefined)?.message;
    if (message === 'Request timed out') return LOSS.timeout;
    // a retryable status the exporter gave up on (429, 503, ...) after its own quick retries
    const refusal = this.statuses?.lastRefusal;
    if (refusal !== undefined) return `HTTP ${refusal}`;
    return message ?? 'export failed';
  }

  private schedule(ms: number): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.pump(true);
      },
      Math.max(0, ms),
    );
    // unref'd: a pending retry alone must not keep a process alive; flush() holds the loop while it waits
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

  private takeBatch(): Batch {
    const batch: Batch = { entries: [], weight: 0, bytes: 0 };
    while (this.head < this.queue.length && (batch.entries.length === 0 || this.fits(batch, this.queue[this.head]))) {
      const e = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Entry;
      batch.entries.push(e);
      batch.weight += e.weight;
      batch.bytes += e.bytes;
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private fits(batch: Batch, e: Entry): boolean {
    return batch.weight + e.weight <= this.maxBatch && batch.bytes + e.bytes <= this.maxBatchBytes;
  }

  private send(batch: Batch): void {
    for (const e of batch.entries) this.encoder.add(e.span, e.proc);
    // one buffer: the transport sends (and may compress) a single body; the encoder's pieces are reused later
    const request: EncodedTraceRequest = { body: Buffer.concat(this.encoder.take()), length: batch.weight };
    this.inFlight++;
    this.inFlightWeight += batch.weight;
    this.inFlightBatches.add(batch);
    let settled = false;
    const done = (r: ExportResult): void => {
      if (settled || batch.abandoned) return;
      settled = true;
      this.inFlight--;
      this.inFlightWeight -= batch.weight;
      this.inFlightBatches.delete(batch);
      if (r.code === ExportResultCode.SUCCESS) {
        this.st.exported += batch.weight;
        this.st.requests++;
        this.settle(batch);
        this.backoff = this.initialBackoff;
      } else {
        this.st.failedAttempts++;
        this.lastError = r.error;
        batch.failure = this.lastFailure = this.failureReason(r.error);
        countByReason(this.failures, batch.failure, 1);
        if (this.closed || permanentFailure(r.error)) {
          this.drop(batch.weight, batch.failure);
          this.settle(batch);
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
      this.exporter.export(request, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  /** The batch left the queue for good (delivered or counted as lost). */
  private settle(batch: Batch): void {
    this.pendingWeight -= batch.weight;
    this.pendingBytes -= batch.bytes;
  }

  private notify(): void {
    if (this.pendingWeight > 0 || this.waiters.length === 0) return;
    for (const w of [...this.waiters]) w();
  }
}

/** OTEL_EXPORTER_OTLP_TRACES_TIMEOUT / OTEL_EXPORTER_OTLP_TIMEOUT (ms), else the specification's 10 s. */
export function exportTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT);
  return ms > 0 ? ms : 10_000;
}

/** A bounded wait that holds the event loop (see flush). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Distinct reasons counted at most: a reason may quote an error message, and every one becomes a metric label. */
export const MAX_REASONS = 32;
const OTHER_REASON = 'other';

function countByReason(counts: Map<string, number>, reason: string, n: number): void {
  const key = counts.has(reason) || counts.size < MAX_REASONS - 1 ? reason : OTHER_REASON;
  counts.set(key, (counts.get(key) ?? 0) + n);
}
