// Which open span a system call belongs to. The correlator asks an ActiveSpanSource for every syscall; the
// default is sysdig's `evtin.span` rule (innermost span open on the calling thread). Better sources (the SDK
// publishing the active async context, uprobes on libuv's work queue: issue 7) implement the same interface and
// are chained in front of it; a source that cannot be sure says 'unattributed' instead of guessing.
import type { ProbeEvent, SyscallEvent } from '@nullspan/probe';
import type { Attribution } from './model.js';
import type { OpenSpan, SpanTable } from './spans.js';
import type { ThreadState } from './state/proctable.js';

/** Filled in by a source (one object reused for every syscall: no allocation on the hot path). */
export interface AttributionResult {
  /** the span the call belongs to, or null */
  span: OpenSpan | null;
  /**
   * With a span: how it was found. Without one: 'unattributed' means "a span may own this call but the source
   * cannot tell which" (counted, never guessed); anything else means "no span is active" (or, inside a chain,
   * "no opinion: ask the next source").
   */
  attribution: Attribution;
}

export interface AttributionContext {
  /** the calling thread (its `stack` holds the spans it entered, innermost last) */
  thread: ThreadState<OpenSpan>;
  /** every open span, for sources that look spans up by id */
  spans: SpanTable;
}

export interface ActiveSpanSource {
  readonly name: string;
  /** Decide for one syscall. Called after the fd table saw the call, before the record is stored. */
  resolve(ev: SyscallEvent, ctx: AttributionContext, out: AttributionResult): void;
  /** Sees every probe event before the correlator handles it (markers included): for sources keeping state. */
  observe?(ev: ProbeEvent): void;
  spanStarted?(span: OpenSpan): void;
  spanEnded?(span: OpenSpan): void;
}

/** sysdig's rule: the innermost span open on the calling thread. */
export class ThreadActiveSpanSource implements ActiveSpanSource {
  readonly name = 'thread';

  resolve(_ev: SyscallEvent, ctx: AttributionContext, out: AttributionResult): void {
    const stack = ctx.thread.stack;
    out.span = stack.length ? stack[stack.length - 1] : null;
    out.attribution = 'thread';
  }
}

/** Asks sources in order: the first that names a span, or declares the call unattributed, decides. */
export class ChainedActiveSpanSource implements ActiveSpanSource {
  readonly name: string;

  constructor(private readonly sources: ActiveSpanSource[]) {
    this.name = sources.map((s) => s.name).join('>');
  }

  resolve(ev: SyscallEvent, ctx: AttributionContext, out: AttributionResult): void {
    for (const s of this.sources) {
      s.resolve(ev, ctx, resetResult(out));
      if (out.span !== null || out.attribution === 'unattributed') return;
    }
  }

  observe(ev: ProbeEvent): void {
    for (const s of this.sources) s.observe?.(ev);
  }

  spanStarted(span: OpenSpan): void {
    for (const s of this.sources) s.spanStarted?.(span);
  }

  spanEnded(span: OpenSpan): void {
    for (const s of this.sources) s.spanEnded?.(span);
  }
}

/** Clears a result before asking a source ("no span, thread rule"). */
export function resetResult(out: AttributionResult): AttributionResult {
  out.span = null;
  out.attribution = 'thread';
  return out;
}
