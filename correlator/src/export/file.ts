// OTLP JSON Lines file: one ExportTraceServiceRequest per line, hex ids — what the OpenTelemetry Collector's
// `file` exporter writes and its `otlpjsonfile` receiver reads. The JSON is byte-for-byte what
// otlp-transformer's JsonTraceSerializer makes of the shared mapping (otlp-json.ts, held to it by a test), written
// synchronously so the file is complete when flush() returns, even if the process exits right after.
import { closeSync, writeSync, writevSync } from 'node:fs';
import type { Clock, ProcessInfo, SpanRecord } from '../model.js';
import type { OtlpMappingOptions } from '../otlp.js';
import { openPrivateFile } from '../private-file.js';
import { OtlpJsonEncoder } from '../otlp-json.js';
import type { ExportStats, SpanSink } from './sink.js';

const NEWLINE = new Uint8Array([0x0a]);

export interface FileExportOptions extends OtlpMappingOptions {
  /** OTel spans per line (default 1024) */
  maxBatchSpans?: number;
  /** append to an existing file instead of truncating it (default false) */
  append?: boolean;
  /** also write a partial batch this long after its first span (default: only full batches and at flush; a
   * long-running agent needs its file current, a run or replay wants lines independent of timing) */
  scheduledDelayMs?: number;
}

export class OtlpFileExporter implements SpanSink {
  private fd: number | null;
  private readonly encoder: OtlpJsonEncoder;
  private readonly maxBatch: number;
  private batchWeight = 0;
  private readonly delayMs?: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly st: ExportStats = { exported: 0, dropped: 0, pending: 0, failedAttempts: 0, requests: 0 };

  constructor(
    readonly path: string,
    clock: Clock,
    opts: FileExportOptions = {},
  ) {
    this.encoder = new OtlpJsonEncoder(clock, opts);
    this.maxBatch = opts.maxBatchSpans ?? 1024;
    this.delayMs = opts.scheduledDelayMs;
    // 0600 (also an existing file), never through a symlink: the traces name other processes' files and peers.
    this.fd = openPrivateFile(path, { append: opts.append });
  }

  export(span: SpanRecord, proc: ProcessInfo): void {
    if (this.fd === null) {
      this.st.dropped += 1 + span.syscalls.length;
      return;
    }
    this.encoder.add(span, proc);
    this.batchWeight += 1 + span.syscalls.length;
    if (this.batchWeight >= this.maxBatch) this.writeBatch();
    else if (this.delayMs !== undefined && this.timer === undefined) {
      this.timer = setTimeout(() => this.writeBatch(), this.delayMs).unref();
    }
  }

  private writeBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.encoder.pending || this.fd === null) return;
    const weight = this.batchWeight;
    this.batchWeight = 0;
    try {
      writePieces(this.fd, this.encoder.take(NEWLINE));
      this.st.exported += weight;
      this.st.requests++;
    } catch (err) {
      // Disk full or similar: count the loss, keep tracing.
      this.st.failedAttempts++;
      this.st.dropped += weight;
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
    return { ...this.st, pending: this.batchWeight };
  }
}

/** One writev for the pieces of a line; whatever a short write left goes out piece by piece. */
function writePieces(fd: number, pieces: Uint8Array[]): void {
  let done = writevSync(fd, pieces);
  for (const p of pieces) {
    if (done >= p.length) {
      done -= p.length;
      continue;
    }
    writeAll(fd, p.subarray(done));
    done = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}
