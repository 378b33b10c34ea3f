// Markers → spans, following sdk/MARKERS.md "Matching and nesting": exits match the most recent open enter with
// the same resolved ID and tags (writer's process first, then any process); parents come from `_p`, W3C context,
// tag prefixes or the thread's innermost span; the open-span table is bounded in spans and in bytes. Every span is
// handed to `finish` exactly once, whether its exit marker came or the correlator had to close it.
//
// Open spans are indexed in a tree of their tags (one node per distinct tag path), so matching an exit and finding
// a tag-prefix parent walk the marker's tags once: the cost is linear in the marker, whatever is open.
import type { ArgValue, CorrelatorStats, SpanKind, SpanRecord, SyscallRecord } from './model.js';
import type { IdKind, ResolvedMarker } from './markers.js';
import type { ProcState, ProcTable, ThreadState } from './state/proctable.js';
import { SPAN_RECORD_BYTES, pairsBytes, textBytes } from './span-bytes.js';
import { parseTraceparent } from '@nullspan/sdk/tracecontext';
import { type IdGenerator, isSdkSpanId, isValidTraceId, sdkSpanIdHex } from './ids.js';
import type { SpanTiming } from './times/span-timing.js';

export interface OpenSpan {
  readonly seq: number;
  readonly id: number;
  readonly idKind: IdKind;
  readonly tags: string[];
  /** where the span is indexed by its tags */
  readonly node: TagNode;
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
  /** memory the span holds (span-bytes.ts): its record, tags, args and syscall records */
  bytes: number;
  /** the process's count of lost records when the span started */
  readonly lostAtStart: number;
  /** what its time breakdown accumulates (times/time-breakdown.ts); null while the probe accounts no times */
  timing: SpanTiming | null;
}

export interface SpanTableOptions {
  ids: IdGenerator;
  maxOpenSpans: number;
  /** bytes all open spans may hold together (span-bytes.ts); beyond it the oldest are evicted */
  maxOpenBytes: number;
  stats: CorrelatorStats;
  procs: ProcTable<OpenSpan>;
  /** receives every span exactly once, when it ends */
  finish(span: OpenSpan): void;
  /** records of `proc` the kernel dropped so far (the probe reports them per thread) */
  lostRecords?(proc: ProcState<OpenSpan>): number;
  started?(span: OpenSpan): void;
  ended?(span: OpenSpan): void;
}

interface ParentRef {
  traceId: string;
  spanId: string;
}

/**
 * One tag path of open spans (`db` → `db.query`): the spans whose tags are exactly this path, by owner process
 * and by ID, oldest first. A node lives while spans are indexed at it or below it.
 */
class TagNode {
  readonly children = new Map<string, TagNode>();
  /** spans by the pid owning them: the tag-prefix parent rule takes the most recent of the writer's process */
  readonly byOwner = new Map<number, OpenSpan[]>();
  /** spans by ID and owner: an exit takes the most recent of its own process */
  readonly byIdOwner = new Map<number, Map<number, OpenSpan[]>>();
  /** spans by ID with a shared ID (global or small numbers, `pp`): an exit from another process may end them */
  readonly sharedById = new Map<number, OpenSpan[]>();
  /** spans indexed here or below */
  weight = 0;
  /** nodes in the subtree rooted here, this one included */
  size = 1;
  constructor(
    readonly parent: TagNode | null,
    readonly tag: string,
  ) {}
}

const KINDS = new Map<string | undefined, SpanKind>([
  ['server', 'server'],
  ['client', 'client'],
  ['producer', 'producer'],
  ['consumer', 'consumer'],
  ['internal', 'internal'],
]);
/**
 * Nodes the tag tree may hold; below it, a node whose spans all ended stays for the next span with its tags (a
 * service repeats a few tag paths per request, and building a node with its maps costs more than the span's
 * matching). Nodes holding open spans stay whatever the count.
 */
const MAX_TAG_NODES = 4096;
/** SDK spans remembered per process after they end, so a late child's `_p` still finds its trace */
const RECENT_PER_PROCESS = 1024;

/**
 * The last RECENT_PER_PROCESS ended SDK spans of one process, in a ring: remembering one is three stores, with no
 * allocation and no Map keyed by ids above 2^31 (boxed numbers) on every span; finding one is a scan newest first,
 * which only a child starting after its parent ended (or a `_p` naming nothing) pays. An ID that ends again is
 * found with its latest trace.
 */
class RecentSpans {
  private readonly ids = new Float64Array(RECENT_PER_PROCESS);
  private readonly traceIds: string[] = [];
  private readonly spanIds: string[] = [];
  private count = 0;
  private next = 0;

  get(id: number): ParentRef | undefined {
    for (let k = 1; k <= this.count; k++) {
      const i = (this.next - k + RECENT_PER_PROCESS) % RECENT_PER_PROCESS;
      if (this.ids[i] === id) return { traceId: this.traceIds[i], spanId: this.spanIds[i] };
    }
    return undefined;
  }

  set(id: number, record: SpanRecord): void {
    const i = this.next;
    this.ids[i] = id;
    this.traceIds[i] = record.traceId;
    this.spanIds[i] = record.spanId;
    this.next = (i + 1) % RECENT_PER_PROCESS;
    if (this.count < RECENT_PER_PROCESS) this.count++;
  }
}

function removeFrom<T>(list: T[] | undefined, item: T): void {
  if (list === undefined) return;
  const i = list.lastIndexOf(item);
  if (i >= 0) list.splice(i, 1);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Keeps a list oldest first when a span changes owner (an adopted span is older than the adopter's). */
function pushBySeq<K>(map: Map<K, OpenSpan[]>, key: K, span: OpenSpan): void {
  const list = map.get(key);
  if (list === undefined) return void map.set(key, [span]);
  let i = list.length;
  while (i > 0 && list[i - 1].seq > span.seq) i--;
  list.splice(i, 0, span);
}

function pull<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  removeFrom(list, value);
  if (list?.length === 0) map.delete(key);
}

function last<T>(list: T[] | undefined): T | undefined {
  return list === undefined ? undefined : list[list.length - 1];
}

/** A shared ID pairs up across processes (helpers like /bin/echo); a thread, process or SDK ID does not. */
function sharedId(s: OpenSpan): boolean {
  return (s.idKind === 'num' && !s.sdkId) || s.idKind === 'pp';
}

function addArgs(attrs: Record<string, ArgValue>, args: [string, ArgValue][]): void {
  for (let i = 0; i < args.length; i++) attrs[args[i][0]] = args[i][1];
}

export class SpanTable {
  private seq = 0;
  /** every open span, oldest first (Map keeps insertion order): eviction takes the first */
  private readonly all = new Map<number, OpenSpan>();
  /** open spans by writer process and ID: what `_p` and the published active span name */
  private readonly byProcId = new WeakMap<ProcState<OpenSpan>, Map<number, OpenSpan[]>>();
  private readonly tagRoot = new TagNode(null, '');
  private readonly openPerPid = new Map<number, number>();
  private readonly recent = new Map<number, RecentSpans>();
  /** what all open spans hold (the sum of their `bytes`) */
  private openBytes = 0;

  constructor(private readonly o: SpanTableOptions) {}

  get size(): number {
    return this.all.size;
  }

  /** Bytes held by open spans (what maxOpenBytes bounds). */
  get bytes(): number {
    return this.openBytes;
  }

  /** Nodes of the tag tree (open spans' tag paths, and idle ones kept up to MAX_TAG_NODES). */
  get tagNodes(): number {
    return this.tagRoot.size - 1;
  }

  /** Open spans, oldest first (read-only view for attribution sources and the UI). */
  open(): IterableIterator<OpenSpan> {
    return this.all.values();
  }

  /** Most recent open span of `proc` with numeric ID `id`. */
  findById(proc: ProcState<OpenSpan>, id: number): OpenSpan | undefined {
    return last(this.byProcId.get(proc)?.get(id));
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
      seq: ++this.seq,
      id: m.id,
      idKind: m.idKind,
      tags: m.tags,
      node: this.nodeFor(m.tags),
      sdkId,
      ownerPid: proc.info.pid,
      proc,
      thread,
      record,
      last: null,
      closed: false,
      bytes:
        SPAN_RECORD_BYTES +
        textBytes(record.name) +
        textBytes(record.statusMessage) +
        pairsBytes(m.args) +
        m.tags.length * 24, // the tags array's slots; the tag strings are the name's in all but a header
      lostAtStart: this.o.lostRecords?.(proc) ?? 0,
      timing: null,
    };
    this.openBytes += span.bytes;
    this.all.set(span.seq, span);
    let byId = this.byProcId.get(proc);
    if (byId === undefined) this.byProcId.set(proc, (byId = new Map()));
    push(byId, m.id, span);
    this.indexOwner(span);
    if (sharedId(span)) push(span.node.sharedById, span.id, span);
    for (let n: TagNode | null = span.node; n !== null; n = n.parent) n.weight++;
    thread.stack.push(span);
    stats.spansStarted++;
    this.o.started?.(span);
    this.evictOverLimits(ts);
    return span;
  }

  /** An open span took `bytes` more (a syscall record); the oldest spans go when all together hold too much. */
  grow(span: OpenSpan, bytes: number, ts: number): void {
    span.bytes += bytes;
    this.openBytes += bytes;
    this.evictOverLimits(ts);
  }

  private evictOverLimits(ts: number): void {
    const { stats, maxOpenSpans, maxOpenBytes } = this.o;
    while (this.all.size > maxOpenSpans) {
      stats.spansEvicted++;
      this.close(
        this.oldest(),
        ts,
        'evicted',
        `evicted from the open-span table (limit ${maxOpenSpans} spans) before its exit marker`,
      );
    }
    while (this.openBytes > maxOpenBytes && this.all.size > 0) {
      stats.spansEvicted++;
      stats.spansEvictedByBytes++;
      this.close(
        this.oldest(),
        ts,
        'evicted',
        `evicted from the open-span table (limit ${maxOpenBytes} bytes) before its exit marker`,
      );
    }
  }

  private oldest(): OpenSpan {
    return this.all.values().next().value as OpenSpan;
  }

  /** Matches an exit marker; returns false (and counts it) when no open enter matches. */
  exit(m: ResolvedMarker, thread: ThreadState<OpenSpan>, ts: number): boolean {
    const pid = thread.proc.info.pid;
    const node = this.findNode(m.tags);
    // The writer's own span first; else the most recent span with a shared ID (no span of the writer's process
    // has these tags and ID then, so the most recent shared one is another process's).
    const match = node && (last(node.byIdOwner.get(m.id)?.get(pid)) ?? last(node.sharedById.get(m.id)));
    if (match === undefined) {
      this.o.stats.unmatchedExits++;
      return false;
    }
    addArgs(match.record.attributes, m.args);
    this.applyStatus(match.record, m);
    this.o.stats.spansFinished++;
    this.close(match, endTime(m.ext.te, match.record.start, ts));
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
      if (sharedId(s) && parent !== undefined && !parent.exited) {
        this.unindexOwner(s);
        s.ownerPid = parent.info.pid;
        this.indexOwner(s);
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
    this.openBytes -= span.bytes;
    this.all.delete(span.seq);
    const byId = this.byProcId.get(span.proc);
    if (byId !== undefined) pull(byId, span.id, span);
    this.unindexOwner(span);
    if (sharedId(span)) pull(span.node.sharedById, span.id, span);
    this.releaseNode(span.node);
    if (span.thread !== null) removeFrom(span.thread.stack, span);
    const r = span.record;
    r.end = ts;
    const lost = (this.o.lostRecords?.(span.proc) ?? 0) - span.lostAtStart;
    if (lost > 0) r.droppedRecords = lost;
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
    if (m === undefined) this.recent.set(pid, (m = new RecentSpans()));
    m.set(span.id, span.record);
  }

  /** Most recent open span of the same process whose tags are a proper prefix of `m`'s. */
  private prefixParent(m: ResolvedMarker, proc: ProcState<OpenSpan>): OpenSpan | undefined {
    // A live process owns every span it wrote (spans change owner only when their writer exits).
    const pid = proc.info.pid;
    let best: OpenSpan | undefined;
    let node: TagNode | undefined = this.tagRoot;
    for (let k = 0; k < m.tags.length - 1; k++) {
      node = node.children.get(m.tags[k]);
      if (node === undefined) break;
      const s = last(node.byOwner.get(pid));
      if (s !== undefined && (best === undefined || s.seq > best.seq)) best = s;
    }
    return best;
  }

  private innermost(thread: ThreadState<OpenSpan>): OpenSpan | undefined {
    const st = thread.stack;
    return st.length ? st[st.length - 1] : undefined;
  }

  /** The node of `tags`, created with its missing ancestors. */
  private nodeFor(tags: string[]): TagNode {
    let node = this.tagRoot;
    for (let i = 0; i < tags.length; i++) {
      let child = node.children.get(tags[i]);
      if (child === undefined) {
        node.children.set(tags[i], (child = new TagNode(node, tags[i])));
        for (let n: TagNode | null = node; n !== null; n = n.parent) n.size++;
      }
      node = child;
    }
    return node;
  }

  private findNode(tags: string[]): TagNode | undefined {
    let node: TagNode | undefined = this.tagRoot;
    for (let i = 0; i < tags.length && node !== undefined; i++) node = node.children.get(tags[i]);
    return node;
  }

  /**
   * A span left `node`. Nodes with nothing indexed at or below them stay while the tree is under MAX_TAG_NODES;
   * over it they go, with their (idle) subtrees.
   */
  private releaseNode(node: TagNode): void {
    for (let n: TagNode | null = node; n !== null; n = n.parent) {
      n.weight--;
      if (n.weight === 0 && n.parent !== null && this.tagRoot.size > MAX_TAG_NODES) {
        n.parent.children.delete(n.tag);
        for (let a: TagNode | null = n.parent; a !== null; a = a.parent) a.size -= n.size;
      }
    }
  }

  private indexOwner(span: OpenSpan): void {
    pushBySeq(span.node.byOwner, span.ownerPid, span);
    let byOwner = span.node.byIdOwner.get(span.id);
    if (byOwner === undefined) span.node.byIdOwner.set(span.id, (byOwner = new Map()));
    pushBySeq(byOwner, span.ownerPid, span);
    this.countOwner(span.ownerPid, 1);
  }

  private unindexOwner(span: OpenSpan): void {
    pull(span.node.byOwner, span.ownerPid, span);
    const byOwner = span.node.byIdOwner.get(span.id);
    if (byOwner !== undefined) {
      pull(byOwner, span.ownerPid, span);
      if (byOwner.size === 0) span.node.byIdOwner.delete(span.id);
    }
    this.countOwner(span.ownerPid, -1);
  }

  private countOwner(pid: number, delta: number): void {
    const n = (this.openPerPid.get(pid) ?? 0) + delta;
    if (n > 0) this.openPerPid.set(pid, n);
    else this.openPerPid.delete(pid);
  }
}

/**
 * When a span ended: the time its exit marker carries (`_te`, sdk/MARKERS.md "Batched exits": the writer queued
 * the exit to share a later write), trusted only between the span's start and the write that carried it; else
 * the write's time.
 */
function endTime(te: string | undefined, start: number, written: number): number {
  if (te === undefined || !/^\d{1,16}$/.test(te)) return written;
  const t = Number(te);
  return t >= start && t <= written ? t : written;
}
