// OTLP JSON Lines file: one ExportTraceServiceRequest per line, hex ids — what the OpenTelemetry Collector's
// `file` exporter writes and its `otlpjsonfile` receiver reads. Serialised with otlp-transformer's JSON
// serializer (the same mapping as the HTTP exporter); written synchronously so the file is complete when
// flush() returns, even if the process exits right after.
import { closeSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Clock, ProcessInfo, SpanRecord } from '../model.js';
import { OtlpMapper, type OtlpMappingOptions } from '../otlp.js';
import type { ExportStats, SpanSink } from './sink.js';

export interface FileExportOptions extends OtlpMappingOptions {
  /** OTel spans per line (default 1024) */
  maxBatchSpans?: number;
  /** append to an existing file instead of truncating it (default false) */
  append?: boolean;
}

const NEWLINE = new Uint8Array([0x0a]);

export class OtlpFileExporter implements SpanSink {
  private fd: number | null;
  private readonly mapper: OtlpMapper;
  private readonly maxBatch: number;
  private batch: ReadableSpan[] = [];
  private readonly st: ExportStats = { exported: 0, dropped: 0, pending: 0, failedAttempts: 0, requests: 0 };

  constructor(readonly path: string, clock: Clock, opts: FileExportOptions = {}) {
    this.mapper = new OtlpMapper(clock, opts);
    this.maxBatch = opts.maxBatchSpans ?? 1024;
    // 0600: the traces name other processes' files, peers and arguments.
    const flags = fsc.O_WRONLY | fsc.O_CREAT | (opts.append ? fsc.O_APPEND : fsc.O_TRUNC);
    this.fd = openSync(path, flags, 0o600);
  }

  export(span: SpanRecord, proc: ProcessInfo): void {
    if (this.fd === null) {
      this.st.dropped += 1 + span.syscalls.length;
      return;
    }
    this.mapper.map(span, proc, this.batch);
    if (this.batch.length >= this.maxBatch) this.writeBatch();
  }

  private writeBatch(): void {
    if (this.batch.length === 0 || this.fd === null) return;
    const spans = this.batch;
    this.batch = [];
    try {
      const line = JsonTraceSerializer.serializeRequest(spans);
      if (line === undefined) throw new Error('the OTLP JSON serializer returned nothing');
      writeAll(this.fd, line);
      writeAll(this.fd, NEWLINE);
      this.st.exported += spans.length;
      this.st.requests++;
    } catch (err) {
      // Disk full or similar: count the loss, keep tracing.
      this.st.failedAttempts++;
      this.st.dropped += spans.length;
      this.lastError = err as Error;
    }
  }

  lastError: Error | undefined;

  async flush(): Promise<void> {
    this.writeBatch();
  }

  /** Synchronous flush, for exit paths that cannot await. */
  flushSync(): void {
    this.writeBatch();
  }

  async shutdown(): Promise<void> {
    this.writeBatch();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  stats(): ExportStats {
    return { ...this.st, pending: this.batch.length };
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}
