// Which open span a system call belongs to. The correlator asks an ActiveSpanSource for every syscall; the
// default is sysdig's `evtin.span` rule (innermost span open on the calling thread). Better sources (the SDK
// publishing the active async context, uprobes on libuv's work queue: attribution-context.ts) implement the same interface and
// are chained in front of it; a source that cannot be sure says 'unattributed' instead of guessing.
import type { ProbeEvent, SyscallEvent } from '@nullspan/probe';
import type { Attribution } from './model.js';
import type { OpenSpan, SpanTable } from './spans.js';
import type { ThreadState } from './state/proctable.js';

/**
 * What a source decided about one call:
 *   'span'         it belongs to `span` (found the way `attribution` says)
 *   'none'         no span is active for it (inside a chain: no opinion, the next source is asked)
 *   'unattributed' a span may own it but the source cannot tell which: counted, never guessed
 *   'unsampled'    a span that is not sampled owns it: the fd table saw the call, nothing else keeps it
 */
export type Outcome = 'span' | 'none' | 'unattributed' | 'unsampled';

/** Filled in by a source through `attributeTo`, `attributeToNone` or `attributeUnsure` (one object reused for
 *  every syscall: no allocation on the hot path). */
export interface AttributionResult {
  outcome: Outcome;
  /** the span when outcome is 'span', else null */
  span: OpenSpan | null;
  /** how the span was found; without one, the rule that found none (kept on the call's record) */
  attribution: Attribution;
}

export function attributeTo(out: AttributionResult, span: OpenSpan, how: Attribution): void {
  out.outcome = 'span';
  out.span = span;
  out.attribution = how;
}

export function attributeToNone(out: AttributionResult, rule: Attribution): void {
  out.outcome = 'none';
  out.span = null;
  out.attribution = rule;
}

export function attributeUnsure(out: AttributionResult): void {
  out.outcome = 'unattributed';
  out.span = null;
  out.attribution = 'unattributed';
}

export function attributeToUnsampled(out: AttributionResult, rule: Attribution): void {
  out.outcome = 'unsampled';
  out.span = null;
  out.attribution = rule;
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
    if (stack.length) attributeTo(out, stack[stack.length - 1], 'thread');
    else attributeToNone(out, 'thread');
  }
}

/** Asks sources in order: the first that names a span, or declares the call unattributed or unsampled, decides. */
export class ChainedActiveSpanSource implements ActiveSpanSource {
  readonly name: string;

  constructor(private readonly sources: ActiveSpanSource[]) {
    this.name = sources.map((s) => s.name).join('>');
  }

  resolve(ev: SyscallEvent, ctx: AttributionContext, out: AttributionResult): void {
    for (const s of this.sources) {
      s.resolve(ev, ctx, resetResult(out));
      if (out.outcome !== 'none') return;
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
  attributeToNone(out, 'thread');
  return out;
}
