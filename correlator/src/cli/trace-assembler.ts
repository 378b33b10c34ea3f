// Groups finished spans by trace and hands each trace over once it is complete enough to show as a tree: spans
// finish children-first, so a trace is released when its root finishes. A root whose parent is remote (W3C trace
// context from another process) may still see that parent arrive, so such traces wait a little longer, measured
// in event time (span end timestamps), never wall time: live runs and replays release the same groups.

import type { ProcessInfo, SpanRecord } from '../model.js';
import { spanRecordBytes } from '../span-bytes.js';

export interface TracedSpan {
  span: SpanRecord;
  proc: ProcessInfo;
}

/** How long (event time) a trace whose top span has a remote parent waits for that parent. */
const REMOTE_PARENT_GRACE_NS = 1e9;

/** Span data held back while traces wait for their root, by default (span-bytes.ts estimates). */
export const DEFAULT_MAX_PENDING_BYTES = 64 << 20;

interface PendingTrace {
  spans: TracedSpan[];
  bytes: number;
  /** end of the trace's first span to arrive (event time) */
  firstEnd: number;
}

export interface TraceAssemblerLimits {
  /** spans plus their system call records held back (default 200000) */
  maxPendingWeight?: number;
  /** bytes held back (default DEFAULT_MAX_PENDING_BYTES) */
  maxPendingBytes?: number;
  /** event time after its first span a trace whose root never ends is released with what arrived (default: never) */
  decisionWaitNs?: number;
}

export class TraceAssembler {
  private readonly pending = new Map<string, PendingTrace>();
  /** traces waiting for a remote parent: trace id → end of their top span */
  private readonly awaitingParent = new Map<string, number>();
  /** what is held, in spans plus their system call records */
  private pendingWeight = 0;
  /** what is held, in bytes */
  private pendingBytes = 0;
  private readonly maxPendingWeight: number;
  private readonly maxPendingBytes: number;
  private readonly decisionWaitNs: number;
  /** traces released before their root finished because too much was held */
  releasedEarly = 0;
  /** traces released before their root finished because they waited decisionWaitNs */
  releasedByWait = 0;

  constructor(
    private readonly release: (trace: TracedSpan[]) => void,
    limits: TraceAssemblerLimits = {},
  ) {
    this.maxPendingWeight = limits.maxPendingWeight ?? 200_000;
    this.maxPendingBytes = limits.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.decisionWaitNs = limits.decisionWaitNs ?? Infinity;
  }

  add(span: SpanRecord, proc: ProcessInfo): void {
    let trace = this.pending.get(span.traceId);
    if (!trace) {
      trace = { spans: [], bytes: 0, firstEnd: span.end };
      this.pending.set(span.traceId, trace);
    }
    trace.spans.push({ span, proc });
    const bytes = spanRecordBytes(span);
    trace.bytes += bytes;
    this.pendingBytes += bytes;
    this.pendingWeight += weight(span);
    if (span.parentSpanId === undefined) {
      this.releaseTrace(span.traceId);
    } else if (span.remoteParent) {
      this.awaitingParent.set(span.traceId, Math.max(this.awaitingParent.get(span.traceId) ?? 0, span.end));
    }
    this.releaseOverdue(span.end);
    this.releaseWaitedOut(span.end);
    // Bounded memory: the oldest traces go out as they are when too much is held back.
    while (this.pendingWeight > this.maxPendingWeight || this.pendingBytes > this.maxPendingBytes) {
      const oldest = this.pending.keys().next().value as string;
      this.releasedEarly++;
      this.releaseTrace(oldest);
    }
  }

  /** Releases everything still held (tracing stopped). */
  flush(): void {
    for (const traceId of [...this.pending.keys()]) this.releaseTrace(traceId);
  }

  private releaseOverdue(now: number): void {
    for (const [traceId, rootEnd] of this.awaitingParent) {
      if (now - rootEnd > REMOTE_PARENT_GRACE_NS) this.releaseTrace(traceId);
    }
  }

  /** Traces are held in the order their first span arrived, so the ones waited out are at the front. */
  private releaseWaitedOut(now: number): void {
    for (const [traceId, trace] of this.pending) {
      if (now - trace.firstEnd <= this.decisionWaitNs) break;
      // one waiting for its remote parent has had its top span end: decided in time, not waited out
      if (!this.awaitingParent.has(traceId)) this.releasedByWait++;
      this.releaseTrace(traceId);
    }
  }

  /** What is held back. */
  held(): { traces: number; bytes: number } {
    return { traces: this.pending.size, bytes: this.pendingBytes };
  }

  private releaseTrace(traceId: string): void {
    const trace = this.pending.get(traceId);
    if (!trace) return;
    this.pending.delete(traceId);
    this.awaitingParent.delete(traceId);
    for (const t of trace.spans) this.pendingWeight -= weight(t.span);
    this.pendingBytes -= trace.bytes;
    this.release(trace.spans);
  }
}

function weight(span: SpanRecord): number {
  return 1 + span.syscalls.length;
}

/** The spans of a trace whose parent is not among them, earliest first. */
export function traceRoots(trace: TracedSpan[]): TracedSpan[] {
  const ids = new Set(trace.map((t) => t.span.spanId));
  return trace
    .filter((t) => t.span.parentSpanId === undefined || !ids.has(t.span.parentSpanId))
    .sort((a, b) => a.span.start - b.span.start);
}

/** Duration of a trace as its longest top-level span (what --min-duration compares against). */
export function traceDuration(trace: TracedSpan[]): number {
  let longest = 0;
  for (const root of traceRoots(trace)) longest = Math.max(longest, root.span.end - root.span.start);
  return longest;
}
