// The web UI's memory: the most recent finished spans (with their system calls) and the indexes the page queries.
// Bounded by span count, by total syscall count and by the text the spans hold (names, attributes, paths: each up
// to the snap length, so a hostile process could otherwise fill memory within the count bounds); the oldest spans
// drop out first and are counted, never silently lost. Everything else (columns, children, facets) is derived from the retained spans and shrinks
// with them.

import type { Clock, ProcessInfo, SpanRecord } from '../model.js';
import { bucketOf, columnOf, BUCKET_COUNT, COLUMN_US } from './buckets.js';

/** Defaults of the store's bounds (also the defaults of `--ui-max-spans` / `--ui-max-syscalls`). */
export const DEFAULT_MAX_SPANS = 50_000;
export const DEFAULT_MAX_SYSCALLS = 1_000_000;
export const DEFAULT_MAX_TEXT_BYTES = 128 * 1024 * 1024;

export interface SpanStoreOptions {
  /** spans kept in memory (default 50,000) */
  maxSpans?: number;
  /** system-call records kept in memory across all retained spans (default 1,000,000) */
  maxSyscalls?: number;
  /** text kept in memory across all retained spans, in string characters (≈ bytes): span names, attributes,
   *  status messages, system-call paths and targets (default 128 Mi) */
  maxTextBytes?: number;
  /** monotonic → wall-clock offset; without it monotonic ns are shown as if they were wall-clock ns */
  clock?: Clock;
}

/** One retained span with the values every query needs precomputed. */
export interface StoredSpan {
  /** arrival order, unique within the store */
  seq: number;
  span: SpanRecord;
  proc: ProcessInfo;
  /** span start, wall clock, µs since the Unix epoch */
  startUs: number;
  durationNs: number;
  bucket: number;
  column: number;
  /** what the span counts against maxTextBytes */
  textBytes: number;
}

export interface SpanFilter {
  /** case-insensitive substring of the span name */
  name?: string;
  /** exact service.name */
  service?: string;
  /** exact process id */
  pid?: number;
}

export interface WindowQuery extends SpanFilter {
  /** span start ≥ fromUs (wall clock, µs since epoch) */
  fromUs?: number;
  /** span start < toUs */
  toUs?: number;
  /** duration ≥ minDurationNs */
  minDurationNs?: number;
  /** duration < maxDurationNs */
  maxDurationNs?: number;
  order?: 'slowest' | 'newest' | 'oldest';
  limit?: number;
}

export interface SpectrogramCell {
  /** column start, wall clock, ms since epoch */
  t: number;
  /** duration bucket index */
  b: number;
  /** spans in the cell */
  n: number;
}

export interface Spectrogram {
  cells: SpectrogramCell[];
  maxCount: number;
  /** first and last column (ms since epoch) holding any span of the filter, null when empty */
  firstColumnMs: number | null;
  lastColumnMs: number | null;
}

export interface StoreStats {
  spans: number;
  syscalls: number;
  maxSpans: number;
  maxSyscalls: number;
  textBytes: number;
  maxTextBytes: number;
  /** spans ever added */
  added: number;
  /** spans dropped because the store was full */
  evicted: number;
  oldestStartUs: number | null;
  newestStartUs: number | null;
}

export interface SpanTreeNode {
  entry: StoredSpan;
  children: SpanTreeNode[];
}

/** A whole retained trace: its roots (spans whose parent is not retained, by start) and the requested span. */
export interface TraceTree {
  roots: SpanTreeNode[];
  focus: SpanTreeNode;
  /** spans of the trace left out because the tree reached MAX_TREE_NODES */
  omittedSpans: number;
}

export type SpanListener = (entry: StoredSpan) => void;

/** Bounds for the tree of one span: hostile markers can build very deep or very wide trees. */
const MAX_TREE_NODES = 10_000;

/**
 * trace id → span id → value. Two levels instead of one concatenated key: the ids are strings the correlator
 * already holds (their hashes are cached), while a fresh `trace/span` string per lookup would make every add and
 * eviction pay for building and hashing it.
 */
class IdMap<V> {
  private readonly traces = new Map<string, Map<string, V>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(traceId: string, spanId: string): V | undefined {
    return this.traces.get(traceId)?.get(spanId);
  }

  set(traceId: string, spanId: string, value: V): void {
    let spans = this.traces.get(traceId);
    if (!spans) this.traces.set(traceId, (spans = new Map()));
    if (!spans.has(spanId)) this.count++;
    spans.set(spanId, value);
  }

  delete(traceId: string, spanId: string): void {
    const spans = this.traces.get(traceId);
    if (!spans?.delete(spanId)) return;
    this.count--;
    if (spans.size === 0) this.traces.delete(traceId);
  }

  *values(): Generator<V> {
    for (const spans of this.traces.values()) yield* spans.values();
  }

  /** The values of one trace id (none when unknown). */
  ofTrace(traceId: string): Iterable<V> {
    return this.traces.get(traceId)?.values() ?? [];
  }
}

export class SpanStore {
  readonly maxSpans: number;
  readonly maxSyscalls: number;
  readonly maxTextBytes: number;
  private clock: Clock;
  private nextSeq = 0;
  private evicted = 0;
  private syscallCount = 0;
  private textBytes = 0;
  /** arrival order: queue[head] is the oldest retained span (a Map used as a FIFO degrades with deletions) */
  private queue: (StoredSpan | undefined)[] = [];
  private head = 0;
  /** trace/span id → newest span with those ids (hostile processes may reuse ids) */
  private readonly byKey = new IdMap<StoredSpan>();
  /** trace/parent span id → retained children */
  private readonly children = new IdMap<Set<StoredSpan>>();
  /** column → spans starting in it, plus the sorted list of non-empty columns for window scans */
  private readonly byColumn = new Map<number, Set<StoredSpan>>();
  /** column → span count per duration bucket, kept current so the unfiltered spectrogram (live mode's redraw)
   *  costs a pass over the columns, not over the spans */
  private readonly columnCounts = new Map<number, Uint32Array>();
  private sortedColumns: number[] = [];
  private readonly nameCounts = new Map<string, number>();
  private readonly serviceCounts = new Map<string, number>();
  private readonly pidCounts = new Map<number, { count: number; proc: ProcessInfo }>();
  private readonly listeners = new Set<SpanListener>();

  constructor(options: SpanStoreOptions = {}) {
    this.maxSpans = positiveInteger(options.maxSpans ?? DEFAULT_MAX_SPANS, 'maxSpans');
    this.maxSyscalls = positiveInteger(options.maxSyscalls ?? DEFAULT_MAX_SYSCALLS, 'maxSyscalls');
    this.maxTextBytes = positiveInteger(options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES, 'maxTextBytes');
    this.clock = options.clock ?? { wallOffsetNs: 0n };
  }

  /** Sets the monotonic → wall-clock offset (a capture's or a live session's) and re-indexes retained spans. */
  setClock(clock: Clock): void {
    this.clock = clock;
    this.byColumn.clear();
    this.columnCounts.clear();
    this.sortedColumns = [];
    for (const entry of this.retained()) {
      Object.assign(entry, this.timing(entry.span));
      this.indexColumn(entry);
    }
  }

  add(span: SpanRecord, proc: ProcessInfo): StoredSpan {
    const entry: StoredSpan = { seq: this.nextSeq++, span, proc, ...this.timing(span), textBytes: textBytesOf(span) };
    this.queue.push(entry);
    this.byKey.set(span.traceId, span.spanId, entry);
    if (span.parentSpanId !== undefined) {
      let siblings = this.children.get(span.traceId, span.parentSpanId);
      if (!siblings) this.children.set(span.traceId, span.parentSpanId, (siblings = new Set()));
      siblings.add(entry);
    }
    this.indexColumn(entry);
    increment(this.nameCounts, span.name);
    increment(this.serviceCounts, proc.serviceName);
    const pidEntry = this.pidCounts.get(proc.pid);
    if (pidEntry) {
      pidEntry.count++;
      pidEntry.proc = proc;
    } else this.pidCounts.set(proc.pid, { count: 1, proc });
    this.syscallCount += span.syscalls.length;
    this.textBytes += entry.textBytes;
    this.evictOverflow();
    // Eviction is oldest-first, so the new span survived unless the store is now empty.
    if (this.size > 0) {
      for (const listener of this.listeners) {
        try {
          listener(entry);
        } catch {
          // A failing subscriber (a closed SSE stream) must not stop the correlator feeding the store.
        }
      }
    }
    return entry;
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Live updates: called with every span added; returns the unsubscribe function. */
  subscribe(listener: SpanListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(traceId: string, spanId: string): StoredSpan | undefined {
    return this.byKey.get(traceId, spanId);
  }

  /**
   * Finds retained spans by span id alone, within a process: a loop-busy culprit names only its span id, and is
   * usually in another trace. One pass over the store per call, so callers collect
   * the ids of a whole response first. Hostile processes may reuse ids: the newest span wins.
   */
  bySpanId(spanIds: ReadonlySet<string>): (pid: number, spanId: string) => StoredSpan | undefined {
    const found = new Map<string, StoredSpan>();
    if (spanIds.size > 0) {
      // A plain loop over the arrival queue: a generator here costs several times the lookups themselves.
      for (let i = this.head; i < this.queue.length; i++) {
        const entry = this.queue[i]!;
        if (!spanIds.has(entry.span.spanId)) continue;
        const key = `${entry.proc.pid}/${entry.span.spanId}`;
        const seen = found.get(key);
        if (!seen || seen.seq < entry.seq) found.set(key, entry);
      }
    }
    return (pid, spanId) => found.get(`${pid}/${spanId}`);
  }

  /** Spans whose start and duration fall into the window and that match the filter. */
  query(q: WindowQuery): { total: number; spans: StoredSpan[] } {
    const matched: StoredSpan[] = [];
    for (const entry of this.scanWindow(q.fromUs, q.toUs)) {
      if (q.minDurationNs !== undefined && entry.durationNs < q.minDurationNs) continue;
      if (q.maxDurationNs !== undefined && entry.durationNs >= q.maxDurationNs) continue;
      if (matches(entry, q)) matched.push(entry);
    }
    const order = q.order ?? 'slowest';
    if (order === 'slowest') matched.sort((a, b) => b.durationNs - a.durationNs || a.seq - b.seq);
    else if (order === 'newest') matched.sort((a, b) => b.startUs - a.startUs || b.seq - a.seq);
    else matched.sort((a, b) => a.startUs - b.startUs || a.seq - b.seq);
    const limit = q.limit ?? 200;
    return { total: matched.length, spans: matched.slice(0, limit) };
  }

  /** The retained spans matching the filter that start in [fromUs, toUs), in column order (for views built on
   *  top of the store: percentiles, syscall latency). */
  *matching(q: SpanFilter & { fromUs?: number; toUs?: number }): Generator<StoredSpan> {
    for (const entry of this.scanWindow(q.fromUs, q.toUs)) if (matches(entry, q)) yield entry;
  }

  /** Spectrogram cells (count per column × duration bucket) of the spans matching the filter. */
  spectrogram(filter: SpanFilter & { fromUs?: number; toUs?: number }): Spectrogram {
    const counts = new Map<number, Uint32Array>();
    const unfiltered = filter.name === undefined && filter.service === undefined && filter.pid === undefined;
    const { fromUs, toUs } = filter;
    for (const column of this.columnsIn(fromUs, toUs)) {
      const whole =
        (fromUs === undefined || column * COLUMN_US >= fromUs) &&
        (toUs === undefined || (column + 1) * COLUMN_US <= toUs);
      if (unfiltered && whole) {
        counts.set(column, this.columnCounts.get(column)!);
        continue;
      }
      for (const entry of this.byColumn.get(column)!) {
        if ((fromUs !== undefined && entry.startUs < fromUs) || (toUs !== undefined && entry.startUs >= toUs)) continue;
        if (!matches(entry, filter)) continue;
        let perBucket = counts.get(column);
        if (!perBucket) counts.set(column, (perBucket = new Uint32Array(BUCKET_COUNT)));
        perBucket[entry.bucket]++;
      }
    }
    const cells: SpectrogramCell[] = [];
    let maxCount = 0;
    const columns = [...counts.keys()].sort((a, b) => a - b);
    for (const column of columns) {
      const perBucket = counts.get(column)!;
      for (let b = 0; b < BUCKET_COUNT; b++) {
        const n = perBucket[b];
        if (n === 0) continue;
        cells.push({ t: (column * COLUMN_US) / 1000, b, n });
        if (n > maxCount) maxCount = n;
      }
    }
    return {
      cells,
      maxCount,
      firstColumnMs: columns.length ? (columns[0] * COLUMN_US) / 1000 : null,
      lastColumnMs: columns.length ? (columns[columns.length - 1] * COLUMN_US) / 1000 : null,
    };
  }

  /** A span with its retained descendants, children ordered by start; null when the span is not retained. */
  tree(traceId: string, spanId: string): SpanTreeNode | null {
    const root = this.get(traceId, spanId);
    if (!root) return null;
    // Iterative with a visited set: hostile ids can form cycles (a span naming itself as parent).
    const visited = new Set<StoredSpan>([root]);
    const rootNode: SpanTreeNode = { entry: root, children: [] };
    const pending: SpanTreeNode[] = [rootNode];
    while (pending.length && visited.size < MAX_TREE_NODES) {
      const node = pending.pop()!;
      const kids = this.children.get(node.entry.span.traceId, node.entry.span.spanId);
      if (!kids) continue;
      for (const kid of [...kids].sort((a, b) => a.span.start - b.span.start || a.seq - b.seq)) {
        if (visited.has(kid) || visited.size >= MAX_TREE_NODES) continue;
        visited.add(kid);
        const kidNode: SpanTreeNode = { entry: kid, children: [] };
        node.children.push(kidNode);
        pending.push(kidNode);
      }
    }
    return rootNode;
  }

  /**
   * Every retained span of the trace the span belongs to, as trees under its roots (spans whose parent is not
   * retained, ordered by start; children by start too). Spans caught in a parent cycle (hostile ids) have no root:
   * each cycle is entered at its earliest span. Capped at MAX_TREE_NODES, the requested span and its ancestors
   * always kept; the rest of the trace is counted in `omittedSpans`. Null when the span is not retained.
   */
  trace(traceId: string, spanId: string): TraceTree | null {
    const focusEntry = this.get(traceId, spanId);
    if (!focusEntry) return null;
    const byStart = (a: StoredSpan, b: StoredSpan) => a.span.start - b.span.start || a.seq - b.seq;
    const all = [...this.byKey.ofTrace(traceId)].sort(byStart);
    const kids = new Map<string, StoredSpan[]>();
    for (const entry of all) {
      const parentId = entry.span.parentSpanId;
      if (parentId === undefined || this.get(traceId, parentId) === undefined) continue;
      const list = kids.get(parentId);
      if (list) list.push(entry);
      else kids.set(parentId, [entry]);
    }
    // The requested span and its ancestors are kept whatever the cap: the page opens the trace at that span.
    const mustKeep = new Set<StoredSpan>([focusEntry]);
    for (let at = focusEntry; mustKeep.size < MAX_TREE_NODES; ) {
      const parentId = at.span.parentSpanId;
      const parent = parentId === undefined ? undefined : this.get(traceId, parentId);
      if (!parent || mustKeep.has(parent)) break;
      mustKeep.add(parent);
      at = parent;
    }
    let mustKeepPending = mustKeep.size;
    let kept = 0;
    const visited = new Set<StoredSpan>();
    const nodeOf = new Map<StoredSpan, SpanTreeNode>();
    const keep = (entry: StoredSpan): SpanTreeNode | null => {
      visited.add(entry);
      const must = mustKeep.has(entry);
      if (!must && kept + mustKeepPending >= MAX_TREE_NODES) return null;
      if (must) mustKeepPending--;
      kept++;
      const node: SpanTreeNode = { entry, children: [] };
      nodeOf.set(entry, node);
      return node;
    };
    const roots: SpanTreeNode[] = [];
    const walk = (rootEntry: StoredSpan) => {
      const root = keep(rootEntry);
      if (!root) return;
      roots.push(root);
      const pending = [root];
      while (pending.length) {
        const node = pending.pop()!;
        for (const kid of kids.get(node.entry.span.spanId) ?? []) {
          if (visited.has(kid)) continue;
          const kidNode = keep(kid);
          if (!kidNode) continue;
          node.children.push(kidNode);
          pending.push(kidNode);
        }
      }
    };
    const retainedParent = (entry: StoredSpan) => {
      const parentId = entry.span.parentSpanId;
      return parentId === undefined ? undefined : this.get(traceId, parentId);
    };
    for (const entry of all) if (!retainedParent(entry)) walk(entry);
    // Left over: spans whose ancestors form a cycle. Climb to the cycle and enter it there, so the spans below it
    // keep their place; once the cap is reached only the requested span's line is still walked.
    for (const entry of all) {
      if (visited.has(entry) || (!mustKeep.has(entry) && kept + mustKeepPending >= MAX_TREE_NODES)) continue;
      const climbed = new Set<StoredSpan>([entry]);
      let up = retainedParent(entry);
      while (up && !visited.has(up) && !climbed.has(up)) {
        climbed.add(up);
        up = retainedParent(up);
      }
      // `up` closes the cycle: enter it at its earliest span
      let start = up && climbed.has(up) ? up : entry;
      for (let x = retainedParent(start); x && x !== up && climbed.has(x); x = retainedParent(x))
        if (byStart(x, start) < 0) start = x;
      walk(start);
    }
    roots.sort((x, y) => byStart(x.entry, y.entry));
    return { roots, focus: nodeOf.get(focusEntry)!, omittedSpans: all.length - kept };
  }

  /** Distinct names, services and processes of the retained spans, with counts (for the page's filters). */
  facets(): {
    names: { name: string; count: number }[];
    services: { service: string; count: number }[];
    processes: { pid: number; exe: string; service: string; count: number }[];
  } {
    return {
      names: [...this.nameCounts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count),
      services: [...this.serviceCounts]
        .map(([service, count]) => ({ service, count }))
        .sort((a, b) => b.count - a.count),
      processes: [...this.pidCounts]
        .map(([pid, { count, proc }]) => ({ pid, exe: proc.exe, service: proc.serviceName, count }))
        .sort((a, b) => a.pid - b.pid),
    };
  }

  stats(): StoreStats {
    const first = this.sortedColumns[0];
    const last = this.sortedColumns[this.sortedColumns.length - 1];
    return {
      spans: this.size,
      syscalls: this.syscallCount,
      maxSpans: this.maxSpans,
      maxSyscalls: this.maxSyscalls,
      textBytes: this.textBytes,
      maxTextBytes: this.maxTextBytes,
      added: this.nextSeq,
      evicted: this.evicted,
      oldestStartUs: first === undefined ? null : minStart(this.byColumn.get(first)!),
      newestStartUs: last === undefined ? null : maxStart(this.byColumn.get(last)!),
    };
  }

  /** Sizes of the internal indexes: lets tests check that every index shrinks with eviction. */
  indexSizes(): Record<string, number> {
    let childEntries = 0;
    for (const set of this.children.values()) childEntries += set.size;
    let columnEntries = 0;
    for (const set of this.byColumn.values()) columnEntries += set.size;
    return {
      spans: this.size,
      keys: this.byKey.size,
      childEntries,
      childParents: this.children.size,
      columnEntries,
      columns: this.sortedColumns.length,
      columnCounts: this.columnCounts.size,
      names: this.nameCounts.size,
      services: this.serviceCounts.size,
      pids: this.pidCounts.size,
    };
  }

  private timing(span: SpanRecord): Pick<StoredSpan, 'startUs' | 'durationNs' | 'bucket' | 'column'> {
    // Wall-clock ns exceed a double's exact range; add the offset in bigint, then keep µs (exact as a number).
    const startUs = Number((BigInt(Math.round(span.start)) + this.clock.wallOffsetNs) / 1000n);
    const durationNs = Math.max(0, span.end - span.start);
    return { startUs, durationNs, bucket: bucketOf(durationNs), column: columnOf(startUs) };
  }

  /** Non-empty columns that may hold spans starting in [fromUs, toUs), in time order. */
  private *columnsIn(fromUs: number | undefined, toUs: number | undefined): Generator<number> {
    const columns = this.sortedColumns;
    const lastColumn = toUs === undefined ? Infinity : columnOf(toUs);
    for (
      let i = fromUs === undefined ? 0 : lowerBound(columns, columnOf(fromUs));
      i < columns.length && columns[i] <= lastColumn;
      i++
    ) {
      yield columns[i];
    }
  }

  private *scanWindow(fromUs: number | undefined, toUs: number | undefined): Generator<StoredSpan> {
    for (const column of this.columnsIn(fromUs, toUs)) {
      for (const entry of this.byColumn.get(column)!) {
        if (fromUs !== undefined && entry.startUs < fromUs) continue;
        if (toUs !== undefined && entry.startUs >= toUs) continue;
        yield entry;
      }
    }
  }

  private indexColumn(entry: StoredSpan): void {
    let set = this.byColumn.get(entry.column);
    if (!set) {
      this.byColumn.set(entry.column, (set = new Set()));
      this.columnCounts.set(entry.column, new Uint32Array(BUCKET_COUNT));
      this.sortedColumns.splice(lowerBound(this.sortedColumns, entry.column), 0, entry.column);
    }
    set.add(entry);
    this.columnCounts.get(entry.column)![entry.bucket]++;
  }

  private unindexColumn(entry: StoredSpan): void {
    const set = this.byColumn.get(entry.column);
    if (!set?.delete(entry)) return;
    this.columnCounts.get(entry.column)![entry.bucket]--;
    if (set.size === 0) {
      this.byColumn.delete(entry.column);
      this.columnCounts.delete(entry.column);
      const i = lowerBound(this.sortedColumns, entry.column);
      if (this.sortedColumns[i] === entry.column) this.sortedColumns.splice(i, 1);
    }
  }

  private evictOverflow(): void {
    while (
      this.size > this.maxSpans ||
      ((this.syscallCount > this.maxSyscalls || this.textBytes > this.maxTextBytes) && this.size > 0)
    ) {
      const oldest = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      this.remove(oldest);
      this.evicted++;
    }
    // Drop the consumed prefix once it is the larger part, keeping the queue's memory proportional to its size.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private *retained(): Generator<StoredSpan> {
    for (let i = this.head; i < this.queue.length; i++) yield this.queue[i]!;
  }

  private remove(entry: StoredSpan): void {
    const { span, proc } = entry;
    if (this.byKey.get(span.traceId, span.spanId) === entry) this.byKey.delete(span.traceId, span.spanId);
    if (span.parentSpanId !== undefined) {
      const siblings = this.children.get(span.traceId, span.parentSpanId);
      siblings?.delete(entry);
      if (siblings?.size === 0) this.children.delete(span.traceId, span.parentSpanId);
    }
    this.unindexColumn(entry);
    decrement(this.nameCounts, span.name);
    decrement(this.serviceCounts, proc.serviceName);
    const pidEntry = this.pidCounts.get(proc.pid);
    if (pidEntry && --pidEntry.count === 0) this.pidCounts.delete(proc.pid);
    this.syscallCount -= span.syscalls.length;
    this.textBytes -= entry.textBytes;
  }
}

/** The text a span holds that the traced process chose (so may be as long as the snap length allows). */
function textBytesOf(span: SpanRecord): number {
  let n =
    span.name.length +
    (span.statusMessage?.length ?? 0) +
    (span.incomplete?.length ?? 0) +
    (span.traceState?.length ?? 0) +
    (span.times?.loopBusyTop?.name.length ?? 0);
  for (const key in span.attributes) n += key.length + String(span.attributes[key]).length;
  for (const call of span.syscalls) {
    if (call.target !== undefined) n += call.target.length;
    if (call.path !== undefined && call.path !== call.target) n += call.path.length;
  }
  return n;
}

function matches(entry: StoredSpan, filter: SpanFilter): boolean {
  if (filter.pid !== undefined && entry.proc.pid !== filter.pid) return false;
  if (filter.service !== undefined && entry.proc.serviceName !== filter.service) return false;
  if (filter.name !== undefined && !entry.span.name.toLowerCase().includes(filter.name.toLowerCase())) return false;
  return true;
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const n = (counts.get(key) ?? 0) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

function minStart(set: Set<StoredSpan>): number {
  let min = Infinity;
  for (const e of set) if (e.startUs < min) min = e.startUs;
  return min;
}

function maxStart(set: Set<StoredSpan>): number {
  let max = -Infinity;
  for (const e of set) if (e.startUs > max) max = e.startUs;
  return max;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer.`);
  return value;
}
