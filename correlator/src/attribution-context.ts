// Which span a system call belongs to when many requests interleave on one Node thread. The probe stamps
// every syscall with the span the calling thread published as active (SyscallEvent.ctxSpan/ctxSource, see
// sdk/MARKERS.md "Active span"); this source turns that into an attribution and falls back to sysdig's thread rule
// for threads that publish nothing (programs without the Node SDK, sysdig markers from threaded programs).
//
//   slot, id ≠ 0       → the open span with that id in the caller's process               'context'
//   submitter, id ≠ 0  → the same, for a libuv worker running work that span submitted   'submitter'
//   id names no open span of the process                                                  'unattributed'
//   submitter, id 0    → work submitted outside any span: no span
//   SPAN_UNSAMPLED     → a span that is not sampled (slot or submitter): 'unsampled'; the probe records only the
//                        calls that change the fd table there, which the fd table has applied: nothing else keeps them
//   slot, id 0         → the event loop between callbacks: a call on a socket or file whose only user so far is
//                        one open span goes to it ('fd'); other fd calls are 'unattributed'; calls on no fd (or
//                        on epoll/eventfd/pipes, which every request shares) belong to no span
//   none               → thread rule, except in a process that publishes: its main thread → 'unattributed' (the
//                        slot could not be read); its other threads (libuv workers, when the worker probes are
//                        missing) 'unattributed' until the process has shown working worker probes, after which a
//                        thread with nothing published is between work items: no span
import { SPAN_UNSAMPLED, type ProbeEvent, type SyscallEvent } from '@nullspan/probe';
import {
  attributeTo,
  attributeToNone,
  attributeToUnsampled,
  attributeUnsure,
  type ActiveSpanSource,
  type AttributionContext,
  type AttributionResult,
} from './attribution.js';
import type { OpenSpan } from './spans.js';
import type { FdDesc, FdOwner } from './state/fdtable.js';
import type { ProcState } from './state/proctable.js';
import { Effect, SyscallClassifier, argInt, createsFd } from './state/syscalls.js';

/** An fd used by two spans that were open at the same time: its later calls cannot be told apart. */
const SHARED = 'shared' as const;
type FdUser = OpenSpan | typeof SHARED;
/** fds remembered per fd table; past this (close events lost?) the table starts over */
const MAX_FDS_PER_TABLE = 65536;

export class ContextActiveSpanSource implements ActiveSpanSource {
  readonly name: string;
  private readonly classifier = new SyscallClassifier();
  /** pids with a thread that publishes its active span (until the process execs or exits) */
  private readonly publishing = new Set<number>();
  /** pids whose libuv workers have shown submitter context (the worker probes work there) */
  private readonly workersProbed = new Set<number>();
  /** per fd table: which span used each socket/file fd (shared tables are one object, so one entry) */
  private readonly fdUsers = new WeakMap<FdOwner['fds'], Map<number, FdUser>>();

  /** `fallback` decides for threads that publish nothing (the thread rule) */
  constructor(private readonly fallback: ActiveSpanSource) {
    this.name = `context>${fallback.name}`;
  }

  resolve(ev: SyscallEvent, ctx: AttributionContext, out: AttributionResult): void {
    const src = ev.ctxSource;
    const proc = ctx.thread.proc;
    if (src === 'slot' || src === 'submitter') {
      if (src === 'slot') this.publishing.add(ev.pid);
      else this.workersProbed.add(ev.pid);
      const id = ev.ctxSpan;
      if (id === SPAN_UNSAMPLED) {
        attributeToUnsampled(out, src === 'slot' ? 'context' : 'submitter');
        this.trackFd(ev, proc, null); // a created or closed fd no longer belongs to the span that used it before
        return;
      }
      if (id !== 0) {
        const span = ctx.spans.findById(proc, id);
        if (span !== undefined && !span.closed) {
          attributeTo(out, span, src === 'slot' ? 'context' : 'submitter');
        } else {
          attributeUnsure(out); // ended already, or never seen (dropped marker, hostile slot)
        }
        this.trackFd(ev, proc, out.span);
        return;
      }
      attributeToNone(out, src === 'slot' ? 'context' : 'submitter');
      if (src === 'slot') this.eventLoop(ev, proc, out);
      else this.trackFd(ev, proc, null);
      return;
    }
    if (this.publishing.has(ev.pid)) {
      if (ctx.thread.tid === ev.pid) {
        // the main thread's slot could not be read (a page the probe cannot fault in): unknown
        attributeUnsure(out);
        return;
      }
      if (ctx.thread.stack.length === 0) {
        // another thread: a libuv worker between work items, or running work whose submitter is unknown
        if (this.workersProbed.has(ev.pid)) attributeToNone(out, 'context');
        else attributeUnsure(out);
        return;
      }
    }
    this.fallback.resolve(ev, ctx, out);
  }

  observe(ev: ProbeEvent): void {
    if ((ev.kind === 'exec' || (ev.kind === 'exit' && ev.groupDead)) && this.publishing.size > 0) {
      // a new program (or none): it has to publish again
      this.publishing.delete(ev.pid);
      this.workersProbed.delete(ev.pid);
    }
    this.fallback.observe?.(ev);
  }

  spanStarted(span: OpenSpan): void {
    this.fallback.spanStarted?.(span);
  }

  spanEnded(span: OpenSpan): void {
    this.fallback.spanEnded?.(span);
  }

  /** A call made while no callback ran (slot 0). */
  private eventLoop(ev: SyscallEvent, proc: ProcState<OpenSpan>, out: AttributionResult): void {
    const cls = this.classifier.of(ev.nr, ev.name);
    if (cls.fdArg >= 0) {
      const fd = argInt(ev.args[cls.fdArg]);
      // a close has already left the fd table, not this record
      const user = this.fdUsers.get(proc.fds)?.get(fd);
      if (user !== undefined && user !== SHARED && !user.closed) {
        attributeTo(out, user, 'fd');
      } else if (user !== undefined || this.trackedFd(ev, proc) >= 0) {
        attributeUnsure(out);
      }
    }
    this.trackFd(ev, proc, null);
  }

  /** The socket or file fd the call works on, or -1 (no fd, or one every request shares: epoll, eventfd, pipe,
   * /dev/null). */
  private trackedFd(ev: SyscallEvent, proc: ProcState<OpenSpan>): number {
    const cls = this.classifier.of(ev.nr, ev.name);
    if (cls.fdArg < 0) return -1;
    const fd = argInt(ev.args[cls.fdArg]);
    return isTracked(proc.fds.get(fd)) ? fd : -1;
  }

  /** Keeps the fd → span record current: `span` (null: none known) used the call's fd, created or closed one. */
  private trackFd(ev: SyscallEvent, proc: ProcState<OpenSpan>, span: OpenSpan | null): void {
    const cls = this.classifier.of(ev.nr, ev.name);
    const e = cls.effect;
    let users = this.fdUsers.get(proc.fds);
    if (e === Effect.Close || e === Effect.CloseRange || e === Effect.Dup2 || e === Effect.Dup3) {
      // the fd (or the dup target) now means something else: forget it
      const fd = argInt(ev.args[e === Effect.Close || e === Effect.CloseRange ? 0 : 1]);
      if (e === Effect.CloseRange) users?.clear();
      else users?.delete(fd);
      return;
    }
    if (ev.ret >= 0 && createsFd(e)) {
      users?.delete(ev.ret);
      if (span === null || !isTracked(proc.fds.get(ev.ret))) return;
      if (users === undefined) this.fdUsers.set(proc.fds, (users = new Map()));
      if (users.size >= MAX_FDS_PER_TABLE) users.clear();
      users.set(ev.ret, span);
      return;
    }
    if (span === null) return;
    const fd = this.trackedFd(ev, proc);
    if (fd < 0) return;
    if (users === undefined) this.fdUsers.set(proc.fds, (users = new Map()));
    const prev = users.get(fd);
    if (prev === span || prev === SHARED) return; // shared stays shared until the fd is closed
    if (prev === undefined || prev.closed) {
      if (users.size >= MAX_FDS_PER_TABLE) users.clear();
      users.set(fd, span);
    } else {
      users.set(fd, SHARED);
    }
  }
}

/** Sockets and files; the null device carries markers and slot registrations, never a request's I/O. */
function isTracked(d: FdDesc | undefined): boolean {
  return d !== undefined && (d.kind === 'socket' || (d.kind === 'file' && d.path !== '/dev/null'));
}
