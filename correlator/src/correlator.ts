// The correlator: probe events in, finished spans (with their system calls) out. Pure: it reads nothing but the
// events and the seeded InitialState, and generated ids come from a seeded generator, so replaying a capture
// reproduces the live output exactly. Assumes the stream keeps each thread's events in order (one ring buffer).
import type { DropsEvent, LostEvent, MarkerEvent, ProbeEvent, SyscallEvent } from '@nullspan/probe';
import {
  ChainedActiveSpanSource,
  ThreadActiveSpanSource,
  resetResult,
  type ActiveSpanSource,
  type AttributionContext,
  type AttributionResult,
} from './attribution.js';
import { ContextActiveSpanSource } from './attribution-context.js';
import { IdGenerator, newIdSeed } from './ids.js';
import { assembleMarker, dropPending, nextInWrite, type PendingBudget } from './markers.js';
import { makeRecord, resolveMergeOptions, tryMerge, type MergeOptions, type ResolvedMergeOptions } from './merge.js';
import type { Clock, CorrelatorStats, ProcessInfo, SpanRecord, SyscallRecord, TableSizes } from './model.js';
import { SyscallRing } from './ring.js';
import { DEFAULT_MAX_OPEN_SPAN_BYTES, syscallRecordBytes } from './span-bytes.js';
import { SpanTable, type OpenSpan } from './spans.js';
import { applyFdEffect, resolvePath, type FdDesc, type FdTable } from './state/fdtable.js';
import { ProcTable, type ProcState, type ThreadState } from './state/proctable.js';
import type { InitialState } from './state/snapshot.js';
import { AT_FDCWD, Effect, SyscallClassifier, argInt, createsFd } from './state/syscalls.js';
import { TimeBreakdown } from './times/time-breakdown.js';

export interface CorrelatorOptions {
  clock: Clock;
  hostName?: string;
  /** merging of identical consecutive syscalls (see merge.ts / README) */
  merge?: MergeOptions;
  /** open spans kept before the oldest is evicted (default 10000) */
  maxOpenSpans?: number;
  /** bytes open spans may hold together (span-bytes.ts) before the oldest is evicted (default 128 MiB) */
  maxOpenSpanBytes?: number;
  /** syscall records kept per span; more are counted on the span (default 10000) */
  maxSyscallsPerSpan?: number;
  /** syscall records held by all open spans together; more are counted on their span (default 500000) */
  maxHeldSyscalls?: number;
  /** syscalls outside any span kept per process for drill-down (default 1024) */
  outsideRingSize?: number;
  /** processes whose outside-span rings are kept at once; the oldest ring goes first (default 256) */
  maxOutsideRings?: number;
  /** also emit syscalls outside spans, as spans named "syscalls outside spans" (default false) */
  exportOutsideSpans?: boolean;
  /** records per emitted outside-spans span (default 512) */
  outsideBatchSize?: number;
  /** which span is active for a syscall; chained in front of the thread rule (default: thread rule only) */
  activeSpanSource?: ActiveSpanSource;
  /** 32 hex digits seeding generated ids (store it with a capture; default: random) */
  idSeed?: string;
}

export type SpanListener = (span: SpanRecord, proc: ProcessInfo) => void;

/** Name of the synthetic spans carrying syscalls made outside any span (exportOutsideSpans). */
export const OUTSIDE_SPAN_NAME = 'syscalls outside spans';

interface ProcExtra {
  /** records of its threads the kernel dropped so far */
  lost?: number;
  outside?: SyscallRing;
  outsideBatch?: SyscallRecord[];
}

type Proc = ProcState<OpenSpan> & ProcExtra;

const EXITED_KEPT = 64;

function newStats(): CorrelatorStats {
  return {
    events: 0,
    markers: 0,
    malformedMarkers: 0,
    markersOverTagLimit: 0,
    unmatchedExits: 0,
    spansStarted: 0,
    spansFinished: 0,
    spansClosedByExit: 0,
    spansEvicted: 0,
    spansEvictedByBytes: 0,
    spansClosedAtStop: 0,
    openSpans: 0,
    openSpanBytes: 0,
    badContext: 0,
    syscalls: 0,
    syscallsInSpans: 0,
    syscallsOutsideSpans: 0,
    syscallsUnsampled: 0,
    unattributed: 0,
    syscallsOverSpanLimit: 0,
    markerWrites: 0,
    markerEvents: 0,
    processEvents: 0,
    spanTimesInconsistent: 0,
    loopWindowsTruncated: 0,
    drops: { syscall: 0, marker: 0, process: 0 },
  };
}

export class Correlator {
  readonly clock: Clock;
  readonly hostName: string | undefined;
  readonly idSeed: string;
  private readonly st = newStats();
  private readonly ids: IdGenerator;
  private readonly procs: ProcTable<OpenSpan>;
  private readonly spans: SpanTable;
  private readonly source: ActiveSpanSource;
  private readonly classifier = new SyscallClassifier();
  private readonly merge: ResolvedMergeOptions;
  private readonly listeners: SpanListener[] = [];
  private readonly maxPerSpan: number;
  private readonly maxHeld: number;
  /** records held by open spans now */
  private held = 0;
  private readonly ringSize: number;
  private readonly exportOutside: boolean;
  private readonly outsideBatchSize: number;
  private readonly maxRings: number;
  /** processes holding an outside ring, oldest first: bounds that memory however many processes there are */
  private readonly ringOwners = new Set<Proc>();
  private readonly exited = new Map<number, Proc>();
  private readonly out: AttributionResult = { outcome: 'none', span: null, attribution: 'thread' };
  private readonly ctx: AttributionContext;
  private lastTs = 0;
  /** split-marker bytes waiting on all threads together: at most 16 MiB */
  private readonly pending: PendingBudget = { bytes: 0, max: 16 << 20 };
  private closed = false;
  private readonly times: TimeBreakdown;
  /** the marker being handled, while it ends a span: its times close the span's breakdown */
  private exitMarker: MarkerEvent | null = null;

  constructor(opts: CorrelatorOptions) {
    this.clock = opts.clock;
    this.hostName = opts.hostName;
    this.idSeed = opts.idSeed ?? newIdSeed();
    this.ids = new IdGenerator(this.idSeed);
    this.merge = resolveMergeOptions(opts.merge);
    this.maxPerSpan = opts.maxSyscallsPerSpan ?? 10_000;
    this.maxHeld = opts.maxHeldSyscalls ?? 500_000;
    this.ringSize = opts.outsideRingSize ?? 1024;
    this.exportOutside = opts.exportOutsideSpans ?? false;
    this.outsideBatchSize = opts.outsideBatchSize ?? 512;
    this.maxRings = opts.maxOutsideRings ?? 256;
    // the published active span where a thread publishes one, else sysdig's thread rule
    const base = new ContextActiveSpanSource(new ThreadActiveSpanSource());
    this.source = opts.activeSpanSource ? new ChainedActiveSpanSource([opts.activeSpanSource, base]) : base;
    this.procs = new ProcTable<OpenSpan>({
      threadExit: (t, ts) => {
        dropPending(t, this.pending);
        this.spans.threadExited(t, ts);
      },
      processExit: (p, ts) => this.processExited(p as Proc, ts),
    });
    this.spans = new SpanTable({
      ids: this.ids,
      maxOpenSpans: opts.maxOpenSpans ?? 10_000,
      maxOpenBytes: opts.maxOpenSpanBytes ?? DEFAULT_MAX_OPEN_SPAN_BYTES,
      stats: this.st,
      procs: this.procs,
      finish: (s) => this.finish(s),
      lostRecords: (p) => (p as Proc).lost ?? 0,
      started: this.source.spanStarted?.bind(this.source),
      ended: this.source.spanEnded?.bind(this.source),
    });
    this.ctx = { thread: null as unknown as ThreadState<OpenSpan>, spans: this.spans };
    this.times = new TimeBreakdown(this.spans, this.st);
  }

  /** Seeds processes, threads and fds present before tracing started (InitialState from snapshotProc). */
  seed(state: InitialState): void {
    this.procs.seed(state);
  }

  onSpan(cb: SpanListener): void {
    this.listeners.push(cb);
  }

  pushBatch(evs: ProbeEvent[]): void {
    for (let i = 0; i < evs.length; i++) this.push(evs[i]);
  }

  push(ev: ProbeEvent): void {
    if (this.closed) return;
    this.st.events++;
    if (ev.ts > this.lastTs) this.lastTs = ev.ts;
    this.source.observe?.(ev);
    switch (ev.kind) {
      case 'syscall':
        this.syscall(ev);
        break;
      case 'marker':
        this.st.markerEvents++;
        this.marker(ev);
        break;
      case 'fork':
        this.st.processEvents++;
        this.procs.fork(ev);
        break;
      case 'exec':
        this.st.processEvents++;
        this.procs.exec(ev);
        break;
      case 'exit':
        this.st.processEvents++;
        this.procs.exit(ev);
        break;
      case 'drops':
        this.drops(ev);
        break;
      case 'lost':
        this.lost(ev);
        break;
      case 'slot':
        // the live probe's handshake with the SDK (acknowledged there, sdk/MARKERS.md); the thread is an event loop
        this.times.slot(this.procs.thread(ev.tid, ev.pid));
        break;
    }
  }

  /** Tracing stopped: every open span is closed as incomplete and emitted; later events are ignored. */
  close(reason = 'tracing stopped'): void {
    if (this.closed) return;
    this.spans.closeAll(this.lastTs, reason);
    if (this.exportOutside) for (const p of this.procs.procs.values()) this.flushOutside(p as Proc);
    this.closed = true;
  }

  stats(): CorrelatorStats {
    this.st.openSpans = this.spans.size;
    this.st.openSpanBytes = this.spans.bytes;
    return { ...this.st, drops: { ...this.st.drops } };
  }

  /** Entries of each table, counted when asked (a scrape), not kept up on the event path. */
  tableSizes(): TableSizes {
    const fdTables = new Set<FdTable>();
    for (const p of this.procs.procs.values()) fdTables.add(p.fds);
    let fds = 0;
    for (const t of fdTables) fds += t.descs.size;
    return {
      processes: this.procs.procs.size,
      threads: this.procs.threads.size,
      fds,
      exitedProcesses: this.exited.size,
      openSpans: this.spans.size,
      openSpanBytes: this.spans.bytes,
    };
  }

  processes(): ReadonlyMap<number, ProcessInfo> {
    const m = new Map<number, ProcessInfo>();
    for (const [pid, p] of this.procs.procs) m.set(pid, p.info);
    return m;
  }

  /** Whether `pid` is a live process whose identity is known (seeded, or forked or exec'd while traced). */
  knowsProcess(pid: number): boolean {
    const p = this.procs.procs.get(pid);
    return p !== undefined && !p.lazy;
  }

  /** Identity of a live or recently exited process. */
  processInfo(pid: number): ProcessInfo | undefined {
    return (this.procs.procs.get(pid) ?? this.exited.get(pid))?.info;
  }

  /** The last syscalls `pid` made outside any span (oldest first; live or recently exited processes). */
  outsideSyscalls(pid: number): SyscallRecord[] {
    const p = (this.procs.procs.get(pid) ?? this.exited.get(pid)) as Proc | undefined;
    return p?.outside ? p.outside.toArray().map((r) => ({ ...r })) : [];
  }

  /** The fd table of a live process: fd → what it refers to. */
  fds(pid: number): ReadonlyMap<number, FdDesc> | undefined {
    return this.procs.procs.get(pid)?.fds.descs;
  }

  // ------------------------------------------------------------------------------------------------------------

  private syscall(ev: SyscallEvent): void {
    const st = this.st;
    const thread = this.procs.thread(ev.tid, ev.pid);
    const cls = this.classifier.of(ev.nr, ev.name);
    // The probe reports a marker at the write's entry and the write itself at its exit, with the same entry time:
    // that write is the marker, not work done inside the span.
    if (cls.write && ev.ts === thread.lastMarkerTs) {
      st.markerWrites++;
      if (ev.times != null) this.times.syscall(ev, thread, undefined);
      return;
    }
    st.syscalls++;
    const proc = thread.proc as Proc;
    let fd = -1;
    let desc: FdDesc | undefined;
    if (cls.fdArg >= 0) {
      fd = argInt(ev.args[cls.fdArg]);
      desc = proc.fds.get(fd);
    }
    if (cls.effect !== Effect.None) {
      applyFdEffect(proc, ev, cls);
      if (ev.ret >= 0 && createsFd(cls.effect)) {
        fd = ev.ret;
        desc = proc.fds.get(fd);
      }
    }
    if (ev.times != null) this.times.syscall(ev, thread, desc);
    const bytes = cls.bytes && ev.ret >= 0 ? ev.ret : -1;
    const out = resetResult(this.out);
    this.ctx.thread = thread;
    this.source.resolve(ev, this.ctx, out);
    const span = out.span;
    if (out.outcome === 'span' && span !== null && !span.closed) {
      st.syscallsInSpans++;
      const last = span.last;
      if (last !== null && tryMerge(last, ev, fd, bytes, out.attribution, this.merge)) return;
      const list = span.record.syscalls;
      if (list.length >= this.maxPerSpan || this.held >= this.maxHeld) {
        st.syscallsOverSpanLimit++;
        span.record.droppedSyscalls = (span.record.droppedSyscalls ?? 0) + 1;
        return;
      }
      span.last = makeRecord(ev, fd, desc, desc === undefined ? this.pathOf(ev, proc) : null, bytes, out.attribution);
      list.push(span.last);
      this.held++;
      this.spans.grow(span, syscallRecordBytes(span.last), ev.ts);
      return;
    }
    if (out.outcome === 'unsampled') {
      st.syscallsUnsampled++;
      return;
    }
    const attribution = out.attribution;
    if (out.outcome === 'unattributed') st.unattributed++;
    else st.syscallsOutsideSpans++;
    let ring = proc.outside;
    if (ring === undefined) ring = this.newRing(proc);
    const last = ring.last();
    if (last !== null && tryMerge(last, ev, fd, bytes, attribution, this.merge)) return;
    const rec = makeRecord(ev, fd, desc, desc === undefined ? this.pathOf(ev, proc) : null, bytes, attribution);
    ring.push(rec);
    if (this.exportOutside) {
      const batch = (proc.outsideBatch ??= []);
      batch.push(rec);
      if (batch.length >= this.outsideBatchSize) this.flushOutside(proc);
    }
  }

  private newRing(proc: Proc): SyscallRing {
    if (this.ringOwners.size >= this.maxRings) {
      const oldest = this.ringOwners.values().next().value as Proc;
      this.ringOwners.delete(oldest);
      oldest.outside = undefined;
    }
    this.ringOwners.add(proc);
    return (proc.outside = new SyscallRing(this.ringSize));
  }

  private pathOf(ev: SyscallEvent, proc: Proc): string | null {
    return ev.path === null ? null : resolvePath(proc, AT_FDCWD, ev.path);
  }

  private marker(ev: MarkerEvent): void {
    const thread = this.procs.thread(ev.tid, ev.pid);
    thread.lastMarkerTs = ev.ts;
    // one write may carry several whole markers (batched exits), each parsed once, in order
    for (let r = assembleMarker(thread, ev, this.pending); ; r = nextInWrite(r, thread)) {
      if (r.kind === 'ignored' || r.kind === 'pending') return;
      if (r.kind === 'malformed') {
        this.st.malformedMarkers++;
        if (r.tooManyTags) this.st.markersOverTagLimit++;
        return;
      }
      this.st.markers++;
      const m = r.marker;
      if (m.ext.svc !== undefined && m.ext.svc !== '') this.procs.setServiceName(thread.proc, m.ext.svc);
      if (m.dir === '>') this.times.entered(this.spans.enter(m, thread, ev.ts), ev);
      else {
        this.exitMarker = ev;
        this.spans.exit(m, thread, ev.ts);
        this.exitMarker = null;
      }
    }
  }

  private drops(ev: DropsEvent): void {
    this.st.drops.syscall += ev.syscall;
    this.st.drops.marker += ev.marker;
    this.st.drops.process += ev.process;
  }

  /** Counts a thread's lost records on its process: the spans open across them say how many they miss. */
  private lost(ev: LostEvent): void {
    const proc = this.procs.thread(ev.tid, ev.pid).proc as Proc;
    proc.lost = (proc.lost ?? 0) + ev.records;
  }

  private processExited(proc: Proc, ts: number): void {
    this.spans.processExited(proc, ts);
    if (this.exportOutside) this.flushOutside(proc);
    this.exited.set(proc.info.pid, proc);
    if (this.exited.size > EXITED_KEPT) {
      const gone = this.exited.get(this.exited.keys().next().value as number) as Proc;
      this.exited.delete(gone.info.pid);
      this.ringOwners.delete(gone);
      gone.outside = undefined;
    }
  }

  /** Emits a process's pending outside-span syscalls as one span of its own trace. */
  private flushOutside(proc: Proc): void {
    const batch = proc.outsideBatch;
    if (batch === undefined || batch.length === 0) return;
    proc.outsideBatch = [];
    const record: SpanRecord = {
      traceId: this.ids.traceId(),
      spanId: this.ids.spanId(),
      name: OUTSIDE_SPAN_NAME,
      kind: 'internal',
      start: batch[0].ts,
      end: Math.max(...batch.map((r) => r.end)),
      pid: proc.info.pid,
      tid: batch[0].tid,
      attributes: Object.create(null),
      status: 'unset',
      syscalls: batch,
    };
    this.emit(record, proc.info);
  }

  private finish(span: OpenSpan): void {
    const r = span.record;
    // Children must lie inside their span (Jaeger flags anything else as clock skew).
    const list = r.syscalls;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (s.ts < r.start) s.ts = r.start;
      if (s.end > r.end) s.end = r.end;
      if (s.end < s.ts) s.end = s.ts;
    }
    span.last = null;
    this.held -= list.length;
    if (span.timing !== null) this.times.finished(span, r.incomplete === undefined ? this.exitMarker : null);
    this.emit(r, span.proc.info);
  }

  private emit(r: SpanRecord, info: ProcessInfo): void {
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](r, info);
  }
}
