// Markers → spans, following sdk/MARKERS.md "Matching and nesting": exits match the most recent open enter with
// the same resolved ID and tags (writer's process first, then any process); parents come from `_p`, W3C context,
// tag prefixes or the thread's innermost span; the open-span table is bounded. Every span is handed to `finish`
// exactly once, whether its exit marker came or the correlator had to close it.
import type { ArgValue, CorrelatorStats, SpanKind, SpanRecord, SyscallRecord } from './model.js';
import { tagKeyOf, type IdKind, type ResolvedMarker } from './markers.js';
import type { ProcState, ProcTable, ThreadState } from './state/proctable.js';
import { parseTraceparent } from '@nullspan/sdk/tracecontext';
import { IdGenerator, isSdkSpanId, isValidTraceId, sdkSpanIdHex } from './ids.js';

export interface OpenSpan {
  readonly seq: number;
  readonly id: number;
  readonly idKind: IdKind;
  readonly tagKey: string;
  readonly tags: string[];
  /** the ID is an SDK span id: unique in its process, and the OTel span id */
  readonly sdkId: boolean;
  /** process whose markers own the span: the writer, or an ancestor that adopted it when the writer exited */
  ownerPid: number;
  /** process that wrote the enter marker: its resource goes on the exported span */
  readonly proc: ProcState<OpenSpan>;
  /** thread that wrote the enter marker, while it lives */
  thread: ThreadState<OpenSpan> | null;
  readonly record: SpanRecord;
  /** the span's last syscall record: the candidate for merging the next identical call */
  last: SyscallRecord | null;
  closed: boolean;
}

export interface SpanTableOptions {
  ids: IdGenerator;
  maxOpenSpans: number;
  stats: CorrelatorStats;
  procs: ProcTable<OpenSpan>;
  /** receives every span exactly once, when it ends */
  finish(span: OpenSpan): void;
  started?(span: OpenSpan): void;
  ended?(span: OpenSpan): void;
}

interface ParentRef {
  traceId: string;
  spanId: string;
}

const KINDS = new Map<string | undefined, SpanKind>([['server', 'server'], ['client', 'client'], ['producer', 'producer'], ['consumer', 'consumer'], ['internal', 'internal']]);
/** SDK spans remembered per process after they end, so a late child's `_p` still finds its trace */
const RECENT_PER_PROCESS = 1024;

function removeFrom<T>(list: T[] | undefined, item: T): void {
  if (list === undefined) return;
  const i = list.lastIndexOf(item);
  if (i >= 0) list.splice(i, 1);
}

function addArgs(attrs: Record<string, ArgValue>, args: [string, ArgValue][]): void {
  for (let i = 0; i < args.length; i++) attrs[args[i][0]] = args[i][1];
}

export class SpanTable {
  private seq = 0;
  /** every open span, oldest first (Map keeps insertion order): eviction takes the first */
  private readonly all = new Map<number, OpenSpan>();
  private readonly byId = new Map<number, OpenSpan[]>();
  private readonly byTag = new Map<string, OpenSpan[]>();
  private readonly openPerPid = new Map<number, number>();
  private readonly recent = new Map<number, Map<number, ParentRef>>();

  constructor(private readonly o: SpanTableOptions) {}

  get size(): number {
    return this.all.size;
  }

  /** Open spans, oldest first (read-only view for attribution sources and the UI). */
  open(): IterableIterator<OpenSpan> {
    return this.all.values();
  }

  /** Most recent open span of `proc` with numeric ID `id`. */
  findById(proc: ProcState<OpenSpan>, id: number): OpenSpan | undefined {
    const list = this.byId.get(id);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].proc === proc) return list[i];
    return undefined;
  }

  enter(m: ResolvedMarker, thread: ThreadState<OpenSpan>, ts: number): OpenSpan {
    const { stats, ids } = this.o;
    const proc = thread.proc;
    const ext = m.ext;
    let parent: ParentRef | undefined;
    let traceId: string | undefined;
    let parentSpanId: string | undefined;
    let remoteParent = false;
    let traceState: string | undefined;
    let explicitRoot = false;

    if (ext.p !== undefined) {
      parent = /^-?\d{1,16}$/.test(ext.p) ? this.localParent(proc, Number(ext.p)) : undefined;
      if (parent === undefined) stats.badContext++;
    }
    if (parent === undefined && ext.tp !== undefined) {
      const tp = parseTraceparent(ext.tp);
      if (tp !== undefined) {
        traceId = tp.traceId;
        parentSpanId = tp.spanId;
        remoteParent = true;
        if (ext.ts !== undefined && ext.ts.length <= 512) traceState = ext.ts;
      } else stats.badContext++;
    }
    if (parent === undefined && !remoteParent && ext.tid !== undefined) {
      explicitRoot = true; // the SDK says: a new trace, whatever else is open on this thread
      if (isValidTraceId(ext.tid)) traceId = ext.tid;
      else stats.badContext++;
    }
    if (parent === undefined && !remoteParent && !explicitRoot) {
      parent = (this.prefixParent(m, proc) ?? this.innermost(thread))?.record;
    }
    if (parent !== undefined) {
      traceId = parent.traceId;
      parentSpanId = parent.spanId;
    }
    const sdkId = m.idKind === 'num' && isSdkSpanId(m.id);
    const attributes: Record<string, ArgValue> = Object.create(null);
    addArgs(attributes, m.args);
    const record: SpanRecord = {
      traceId: traceId ?? ids.traceId(),
      spanId: sdkId ? sdkSpanIdHex(m.id) : ids.spanId(),
      name: m.tags.length ? m.tags.join('.') : 'span',
      kind: KINDS.get(ext.k) ?? 'internal', // a Map: `_k=constructor` must not find Object's
      start: ts,
      end: ts,
      pid: proc.info.pid,
      tid: thread.tid,
      attributes,
      status: 'unset',
      syscalls: [],
    };
    if (parentSpanId !== undefined) record.parentSpanId = parentSpanId;
    if (remoteParent) record.remoteParent = true;
    if (traceState !== undefined) record.traceState = traceState;
    this.applyStatus(record, m);
    const span: OpenSpan = {
      seq: ++this.seq, id: m.id, idKind: m.idKind, tagKey: m.tagKey, tags: m.tags, sdkId,
      ownerPid: proc.info.pid, proc, thread, record, last: null, closed: false,
    };
    this.all.set(span.seq, span);
    this.index(this.byId, m.id, span);
    this.index(this.byTag, m.tagKey, span);
    this.countOwner(span.ownerPid, 1);
    thread.stack.push(span);
    stats.spansStarted++;
    this.o.started?.(span);
    while (this.all.size > this.o.maxOpenSpans) {
      const oldest = this.all.values().next().value as OpenSpan;
      stats.spansEvicted++;
      this.close(oldest, ts, 'evicted', `evicted from the open-span table (limit ${this.o.maxOpenSpans}) before its exit marker`);
    }
    return span;
  }

  /** Matches an exit marker; returns false (and counts it) when no open enter matches. */
  exit(m: ResolvedMarker, thread: ThreadState<OpenSpan>, ts: number): boolean {
    const list = this.byId.get(m.id);
    const pid = thread.proc.info.pid;
    let match: OpenSpan | undefined;
    let elsewhere: OpenSpan | undefined;
    if (list !== undefined) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i];
        if (s.tagKey !== m.tagKey) continue;
        if (s.ownerPid === pid) {
          match = s;
          break;
        }
        // Only shared IDs pair up across processes (helpers); a thread, process or SDK id belongs to its process,
        // so another process cannot end that span.
        if (!s.sdkId && (s.idKind === 'num' || s.idKind === 'pp')) elsewhere ??= s;
      }
    }
    match ??= elsewhere;
    if (match === undefined) {
      this.o.stats.unmatchedExits++;
      return false;
    }
    addArgs(match.record.attributes, m.args);
    this.applyStatus(match.record, m);
    this.o.stats.spansFinished++;
    this.close(match, ts);
    return true;
  }

  /** The writer's thread is gone: its `t` spans can never be matched; others just lose their thread. */
  threadExited(thread: ThreadState<OpenSpan>, ts: number): void {
    const stack = thread.stack;
    thread.stack = [];
    for (const s of stack) {
      s.thread = null;
      if (!thread.proc.exited && s.idKind === 't' && s.id === thread.tid && !s.closed) {
        this.o.stats.spansClosedByExit++;
        this.close(s, ts, 'thread exited', `thread ${thread.tid} exited before the span ended`);
      }
    }
  }

  /**
   * The owner process exited. Spans with process-scoped IDs (t, p, SDK ids) can never be matched again and are
   * closed with an error; spans with shared IDs (global, small numbers, pp) written by short-lived helpers
   * (`/bin/echo` in a shell script) are adopted by the parent process while it is traced and alive.
   */
  processExited(proc: ProcState<OpenSpan>, ts: number): void {
    const pid = proc.info.pid;
    this.recent.delete(pid);
    if (!this.openPerPid.get(pid)) return;
    const parent = this.o.procs.procs.get(proc.info.ppid);
    for (const s of [...this.all.values()]) {
      if (s.ownerPid !== pid) continue;
      const shared = (s.idKind === 'num' && !s.sdkId) || s.idKind === 'pp';
      if (shared && parent !== undefined && !parent.exited) {
        this.countOwner(pid, -1);
        s.ownerPid = parent.info.pid;
        this.countOwner(s.ownerPid, 1);
        continue;
      }
      this.o.stats.spansClosedByExit++;
      this.close(s, ts, 'process exited', `process ${pid} (${proc.info.exe}) exited before the span ended`);
    }
  }

  /** Tracing stops: every open span ends now, marked incomplete. */
  closeAll(ts: number, reason: string): void {
    for (const s of [...this.all.values()]) {
      this.o.stats.spansClosedAtStop++;
      this.close(s, Math.max(ts, s.record.start), reason, undefined);
    }
  }

  private close(span: OpenSpan, ts: number, incomplete?: string, errorMessage?: string): void {
    span.closed = true;
    this.all.delete(span.seq);
    removeFrom(this.byId.get(span.id), span);
    if (this.byId.get(span.id)?.length === 0) this.byId.delete(span.id);
    removeFrom(this.byTag.get(span.tagKey), span);
    if (this.byTag.get(span.tagKey)?.length === 0) this.byTag.delete(span.tagKey);
    this.countOwner(span.ownerPid, -1);
    if (span.thread !== null) removeFrom(span.thread.stack, span);
    const r = span.record;
    r.end = ts;
    if (incomplete !== undefined) {
      r.incomplete = incomplete;
      if (errorMessage !== undefined) {
        r.status = 'error';
        r.statusMessage = errorMessage;
      }
    }
    if (span.sdkId && !span.proc.exited) this.remember(span);
    this.o.ended?.(span);
    this.o.finish(span);
  }

  private applyStatus(r: SpanRecord, m: ResolvedMarker): void {
    const st = m.ext.st;
    if (st === 'ok' || st === 'error') r.status = st;
    if (m.ext.msg !== undefined) r.statusMessage = m.ext.msg;
    if (m.ext.trunc === '1') r.truncated = true;
  }

  private localParent(proc: ProcState<OpenSpan>, id: number): ParentRef | undefined {
    const open = this.findById(proc, id);
    if (open !== undefined) return open.record;
    return this.recent.get(proc.info.pid)?.get(id);
  }

  private remember(span: OpenSpan): void {
    const pid = span.proc.info.pid;
    let m = this.recent.get(pid);
    if (m === undefined) this.recent.set(pid, (m = new Map()));
    m.set(span.id, { traceId: span.record.traceId, spanId: span.record.spanId });
    if (m.size > RECENT_PER_PROCESS) m.delete(m.keys().next().value as number);
  }

  /** Most recent open span of the same process whose tags are a proper prefix of `m`'s. */
  private prefixParent(m: ResolvedMarker, proc: ProcState<OpenSpan>): OpenSpan | undefined {
    if (m.tags.length < 2) return undefined;
    let best: OpenSpan | undefined;
    for (let k = m.tags.length - 1; k >= 1; k--) {
      const list = this.byTag.get(tagKeyPrefix(m.tags, k));
      if (list === undefined) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i];
        if (s.proc === proc || s.ownerPid === proc.info.pid) {
          if (best === undefined || s.seq > best.seq) best = s;
          break;
        }
      }
    }
    return best;
  }

  private innermost(thread: ThreadState<OpenSpan>): OpenSpan | undefined {
    const st = thread.stack;
    return st.length ? st[st.length - 1] : undefined;
  }

  private index<K>(map: Map<K, OpenSpan[]>, key: K, span: OpenSpan): void {
    const list = map.get(key);
    if (list === undefined) map.set(key, [span]);
    else list.push(span);
  }

  private countOwner(pid: number, delta: number): void {
    const n = (this.openPerPid.get(pid) ?? 0) + delta;
    if (n > 0) this.openPerPid.set(pid, n);
    else this.openPerPid.delete(pid);
  }
}

function tagKeyPrefix(tags: string[], k: number): string {
  return tagKeyOf(tags.slice(0, k));
}
