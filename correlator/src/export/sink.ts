// What every exporter offers the correlator: take finished spans, flush, shut down.
import type { ProcessInfo, SpanRecord } from '../model.js';

export interface SpanSink {
  /** Queue one finished span (and its syscall children). Never throws, never blocks. */
  export(span: SpanRecord, proc: ProcessInfo): void;
  /** Resolves once everything queued so far was written/sent (or given up on and counted). */
  flush(): Promise<void>;
  /** flush, then release resources; later exports are counted as dropped. */
  shutdown(): Promise<void>;
}

export interface ExportStats {
  /** OTel spans (application spans + syscall children) written or acknowledged */
  exported: number;
  /** OTel spans given up on: queue full, endpoint refused them, or still queued at shutdown */
  dropped: number;
  /** OTel spans waiting (queued + in flight) */
  pending: number;
  /** export attempts that failed (each is retried while the queue has room) */
  failedAttempts: number;
  /** OTLP requests sent successfully / lines written */
  requests: number;
  /** estimated bytes of the spans waiting (exporters with a queue) */
  pendingBytes?: number;
  /** `dropped` by reason ('queue limit', 'connection refused', 'HTTP 500', 'timeout', ...) */
  lost?: Record<string, number>;
  /** `failedAttempts` by reason (as `lost` names them) */
  failures?: Record<string, number>;
}
