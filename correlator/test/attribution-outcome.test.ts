// The three outcomes a source can reach for one call (attribution.ts Outcome): a span, no span, or "a span may own
// it but which is unknown". Each is explicit in the reused result object, whatever `span`/`attribution` say.
import type { SyscallEvent } from '@nullspan/probe';
import { describe, expect, it } from 'vitest';
import {
  ChainedActiveSpanSource,
  ThreadActiveSpanSource,
  resetResult,
  type AttributionContext,
  type AttributionResult,
} from '../src/attribution.js';
import { ContextActiveSpanSource } from '../src/attribution-context.js';
import type { OpenSpan } from '../src/spans.js';

const open = { closed: false } as unknown as OpenSpan;
const ended = { closed: true } as unknown as OpenSpan;

function call(o: Partial<SyscallEvent>): SyscallEvent {
  return {
    kind: 'syscall',
    ts: 1,
    tid: 10,
    pid: 10,
    cpu: 0,
    nr: 0,
    name: 'read',
    dur: 1,
    ret: 0,
    args: [0, 0, 0, 0, 0, 0],
    path: null,
    path2: null,
    addr: null,
    fds: null,
    unfinished: false,
    ctxSpan: 0,
    ctxSource: 'none',
    ...o,
  };
}

function context(stack: OpenSpan[], tid = 10): AttributionContext {
  const proc = { fds: new Map() };
  const spans = { findById: (_p: unknown, id: number) => (id === 7 ? open : id === 8 ? ended : undefined) };
  return { thread: { tid, proc, stack }, spans } as unknown as AttributionContext;
}

function decide(
  source: { resolve(ev: SyscallEvent, ctx: AttributionContext, out: AttributionResult): void },
  ev: SyscallEvent,
  ctx: AttributionContext,
) {
  const out = resetResult({ outcome: 'span', span: open, attribution: 'fd' });
  source.resolve(ev, ctx, out);
  return { outcome: out.outcome, span: out.span, attribution: out.attribution };
}

describe('attribution outcomes', () => {
  const thread = new ThreadActiveSpanSource();
  const ctxSource = () => new ContextActiveSpanSource(new ThreadActiveSpanSource());

  it('thread rule: the innermost span entered, or none', () => {
    expect(decide(thread, call({}), context([ended, open]))).toEqual({
      outcome: 'span',
      span: open,
      attribution: 'thread',
    });
    expect(decide(thread, call({}), context([]))).toEqual({ outcome: 'none', span: null, attribution: 'thread' });
  });

  it('published context: the named span, none between callbacks, unsure for a span that is not open', () => {
    expect(decide(ctxSource(), call({ ctxSource: 'slot', ctxSpan: 7 }), context([]))).toEqual({
      outcome: 'span',
      span: open,
      attribution: 'context',
    });
    expect(decide(ctxSource(), call({ ctxSource: 'submitter', ctxSpan: 0 }), context([open], 11))).toEqual({
      outcome: 'none',
      span: null,
      attribution: 'submitter',
    });
    expect(decide(ctxSource(), call({ ctxSource: 'slot', ctxSpan: 8 }), context([open]))).toEqual({
      outcome: 'unattributed',
      span: null,
      attribution: 'unattributed',
    });
  });

  it('a chain stops at the first source that decides a span or unsure, and asks on past none', () => {
    const none = { name: 'none', resolve: () => {} };
    const unsure = new ContextActiveSpanSource(thread);
    const chain = new ChainedActiveSpanSource([none, unsure, thread]);
    expect(decide(chain, call({ ctxSource: 'slot', ctxSpan: 9 }), context([open]))).toEqual({
      outcome: 'unattributed',
      span: null,
      attribution: 'unattributed',
    });
    expect(decide(new ChainedActiveSpanSource([none, thread]), call({}), context([open]))).toEqual({
      outcome: 'span',
      span: open,
      attribution: 'thread',
    });
  });
});
