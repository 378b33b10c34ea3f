// The web UI's memory: the most recent finished spans (with their system calls) and the indexes the page queries.
// Bounded by span count, by total syscall count and by the text the spans hold (names, attributes, paths: each up
// to the snap length, so a hostile process could otherwise fill memory within the count bounds); the oldest spans
// drop out first and are counted, never silently lost. Everything else (scan columns, children, facets) is derived from the retained spans and shrinks
// with them.

import type { Clock, ProcessInfo, SpanRecord } from '../model.js';
import { bucketOf } from './buckets.js';
import { compactSpan, forEachCallCount, syscallCountOf } from './compact-span.js';
import type { StoreStatsJson } from './api-types.js';
import { IdMap } from './id-map.js';
import { TraceIndex } from './trace-index.js';
import { type SpanPredicate, type SpanScope, storedSubject } from './filter-subject.js';
import { ERROR, ROOT, SERVER, SpanColumns } from './span-columns.js';
import { buildSpectrogram, DEFAULT_COLUMNS, type Spectrogram, type TimeWindow } from './spectrogram-grid.js';

/** Defaults of the store's bounds (also the defaults of `--ui-max-spans` / `--ui-max-syscalls`). */
export const DEFAULT_MAX_SPANS = 200_000;
export const DEFAULT_MAX_SYSCALLS = 1_000_000;
export const DEFAULT_MAX_TEXT_BYTES = 128 * 1024 * 1024;

export interface SpanStoreOptions {
  /** spans kept in memory (default 200,000) */
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
  /** which spans count: 'root' (no parent in their process), 'server' (kind server) or 'all' (the default here;
   *  the API's default is 'root') */
  scope?: SpanScope;
  /** a parsed filter expression */
  where?: SpanPredicate;
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

export type { Spectrogram, SpectrogramCell } from './spectrogram-grid.js';

/** The store's counters, as /api/stats answers them. */
export type StoreStats = StoreStatsJson;

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
/** Distinct syscall names counted for the mode list: the kernel's table has ~460, but a process may call any number
 *  (named `syscall_<nr>`); calls of names beyond this many are left out of the counts. */
const MAX_SYSCALL_NAMES = 1024;

export class SpanStore {
  readonly maxSpans: number;
  readonly maxSyscalls: number;
  readonly maxTextBytes: number;
  private clock: Clock;
  private nextSeq = 0;
  private readonly evictedBy = { spans: 0, syscalls: 0, textBytes: 0 };
  private syscallCount = 0;
  private textBytes = 0;
  /** arrival order, oldest first, with the scan columns (a Map used as a FIFO degrades with deletions) */
  private readonly rows = new SpanColumns<StoredSpan>();
  /** trace/span id → newest span with those ids (hostile processes may reuse ids) */
  private readonly byKey = new IdMap<StoredSpan>((entry) => entry.span.traceId);
  /** trace/parent span id → retained children, in arrival order (an array: a Set per parent cost ~130 bytes) */
  private readonly children = new IdMap<StoredSpan[]>((siblings) => siblings[0].span.traceId);
  /** trace id → its retained spans (opening a span's trace must not scan every span) */
  private readonly traceSpans = new TraceIndex<StoredSpan>();
  /** syscall name → calls in the retained spans (the mode list must not scan every call) */
  private readonly syscallCalls = new Map<string, number>();
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
    const { rows } = this;
    for (let i = rows.head; i < rows.tail; i++) {
      const entry = rows.entries[i]!;
      entry.startUs = this.startUsOf(entry.span);
      rows.startUs[i] = entry.startUs;
    }
  }

  add(finished: SpanRecord, proc: ProcessInfo): StoredSpan {
    const span = compactSpan(finished);
    const durationNs = Math.max(0, span.end - span.start);
    const entry: StoredSpan = {
      seq: this.nextSeq++,
      span,
      proc,
      startUs: this.startUsOf(span),
      durationNs,
      bucket: bucketOf(durationNs),
      textBytes: textBytesOf(finished),
    };
    this.rows.push(entry, entry.startUs, durationNs, entry.bucket, flagsOf(span));
    this.byKey.set(span.traceId, span.spanId, entry);
    this.traceSpans.add(span.traceId, entry);
    if (span.parentSpanId !== undefined) {
      const siblings = this.children.get(span.traceId, span.parentSpanId);
      // most parents have one child: an array literal holds just it, a pushed-into empty one reserves 17 slots
      if (!siblings) this.children.set(span.traceId, span.parentSpanId, [entry]);
      else siblings.push(entry);
    }
    increment(this.nameCounts, span.name);
    increment(this.serviceCounts, proc.serviceName);
    const pidEntry = this.pidCounts.get(proc.pid);
    if (pidEntry) {
      pidEntry.count++;
      pidEntry.proc = proc;
    } else this.pidCounts.set(proc.pid, { count: 1, proc });
    this.syscallCount += syscallCountOf(span);
    forEachCallCount(span, (name, count) => {
      const calls = this.syscallCalls.get(name);
      if (calls !== undefined) this.syscallCalls.set(name, calls + count);
      else if (this.syscallCalls.size < MAX_SYSCALL_NAMES) this.syscallCalls.set(name, count);
    });
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
    return this.rows.size;
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
      const { rows } = this;
      for (let i = rows.head; i < rows.tail; i++) {
        const entry = rows.entries[i]!;
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
    const minNs = q.minDurationNs ?? -Infinity;
    const maxNs = q.maxDurationNs ?? Infinity;
    const { durationNs, entries } = this.rows;
    for (const i of this.scan(q, q)) if (durationNs[i] >= minNs && durationNs[i] < maxNs) matched.push(entries[i]!);
    const order = q.order ?? 'slowest';
    if (order === 'slowest') matched.sort((a, b) => b.durationNs - a.durationNs || a.seq - b.seq);
    else if (order === 'newest') matched.sort((a, b) => b.startUs - a.startUs || b.seq - a.seq);
    else matched.sort((a, b) => a.startUs - b.startUs || a.seq - b.seq);
    const limit = q.limit ?? 200;
    return { total: matched.length, spans: matched.slice(0, limit) };
  }

  /** The retained spans matching the filter that start in [fromUs, toUs), oldest arrival first (for views built
   *  on top of the store: percentiles, syscall latency). */
  matching(q: SpanFilter & TimeWindow): StoredSpan[] {
    const { entries } = this.rows;
    return Array.from(this.scan(q, q), (i) => entries[i]!);
  }

  /**
   * Spectrogram cells (count per column × duration bucket) of the spans matching the filter, on a grid of about
   * `columns` columns over the window; an open side of the window is fitted to the matching spans.
   */
  spectrogram(filter: SpanFilter & TimeWindow & { columns?: number }): Spectrogram {
    const rows = this.scan(filter, {});
    const starts = new Float64Array(rows.length);
    const buckets = new Uint8Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      starts[k] = this.rows.startUs[rows[k]];
      buckets[k] = this.rows.bucket[rows[k]];
    }
    return buildSpectrogram({ startUs: starts, bucket: buckets }, filter, filter.columns ?? DEFAULT_COLUMNS);
  }

  /**
   * The rows of the retained spans starting in the window and matching the filter, oldest first. The window and
   * scope are tested on the typed columns; only spans that pass them are looked at as objects. A plain loop that
   * collects indexes: a callback per span made a scan of 100,000 spans several times slower.
   */
  private scan(filter: SpanFilter, window: TimeWindow): Int32Array {
    const { startUs, flags, entries, head, tail } = this.rows;
    const fromUs = window.fromUs ?? -Infinity;
    const toUs = window.toUs ?? Infinity;
    const scope = filter.scope ?? 'all';
    const mask = scope === 'root' ? ROOT : scope === 'server' ? SERVER : 0;
    const byEntry = filter.name !== undefined || filter.service !== undefined || filter.pid !== undefined;
    const nameMatches = filter.name === undefined ? undefined : nameMatcher(filter.name);
    const where = filter.where;
    const rows = new Int32Array(tail - head);
    let n = 0;
    for (let i = head; i < tail; i++) {
      const t = startUs[i];
      if (t < fromUs || t >= toUs || (flags[i] & mask) !== mask) continue;
      if (byEntry || where) {
        const entry = entries[i]!;
        if (byEntry && !matches(entry, filter, nameMatches)) continue;
        if (where && !where.test(storedSubject(entry))) continue;
      }
      rows[n++] = i;
    }
    return rows.subarray(0, n);
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
    // a reused span id leaves older spans in the trace index: the tree holds the one `get` answers
    const all: StoredSpan[] = [];
    for (const entry of this.traceSpans.of(traceId))
      if (this.get(traceId, entry.span.spanId) === entry) all.push(entry);
    all.sort(byStart);
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
    const { startUs, head, tail } = this.rows;
    let oldest = Infinity;
    let newest = -Infinity;
    for (let i = head; i < tail; i++) {
      if (startUs[i] < oldest) oldest = startUs[i];
      if (startUs[i] > newest) newest = startUs[i];
    }
    const { spans, syscalls, textBytes } = this.evictedBy;
    return {
      spans: this.size,
      syscalls: this.syscallCount,
      maxSpans: this.maxSpans,
      maxSyscalls: this.maxSyscalls,
      textBytes: this.textBytes,
      maxTextBytes: this.maxTextBytes,
      added: this.nextSeq,
      evicted: spans + syscalls + textBytes,
      evictedBy: { spans, syscalls, textBytes },
      oldestStartUs: tail > head ? oldest : null,
      newestStartUs: tail > head ? newest : null,
    };
  }

  /** Calls per syscall name in the retained spans (up to MAX_SYSCALL_NAMES names), kept current on add/evict. */
  syscallCallCounts(): ReadonlyMap<string, number> {
    return this.syscallCalls;
  }

  /** Sizes of the internal indexes: lets tests check that every index shrinks with eviction. */
  indexSizes(): Record<string, number> {
    let childEntries = 0;
    for (const siblings of this.children.values()) childEntries += siblings.length;
    return {
      spans: this.size,
      keys: this.byKey.size,
      childEntries,
      childParents: this.children.size,
      names: this.nameCounts.size,
      services: this.serviceCounts.size,
      pids: this.pidCounts.size,
      traces: this.traceSpans.size,
      syscallNames: this.syscallCalls.size,
    };
  }

  private startUsOf(span: SpanRecord): number {
    // Wall-clock ns exceed a double's exact range; add the offset in bigint, then keep µs (exact as a number).
    return Number((BigInt(Math.round(span.start)) + this.clock.wallOffsetNs) / 1000n);
  }

  private evictOverflow(): void {
    for (;;) {
      // counted against the first bound still exceeded, in this order
      const by =
        this.size > this.maxSpans
          ? 'spans'
          : this.size === 0
            ? undefined
            : this.syscallCount > this.maxSyscalls
              ? 'syscalls'
              : this.textBytes > this.maxTextBytes
                ? 'textBytes'
                : undefined;
      if (by === undefined) return;
      this.remove(this.rows.shift());
      this.evictedBy[by]++;
    }
  }

  private remove(entry: StoredSpan): void {
    const { span, proc } = entry;
    if (this.byKey.get(span.traceId, span.spanId) === entry) this.byKey.delete(span.traceId, span.spanId);
    this.traceSpans.delete(span.traceId, entry);
    if (span.parentSpanId !== undefined) {
      const siblings = this.children.get(span.traceId, span.parentSpanId);
      // the oldest goes first, so it is found at the front; an entry is never left empty (it names its trace)
      const at = siblings?.indexOf(entry) ?? -1;
      if (at >= 0 && siblings!.length === 1) this.children.delete(span.traceId, span.parentSpanId);
      else if (at >= 0) siblings!.splice(at, 1);
    }
    decrement(this.nameCounts, span.name);
    decrement(this.serviceCounts, proc.serviceName);
    const pidEntry = this.pidCounts.get(proc.pid);
    if (pidEntry && --pidEntry.count === 0) this.pidCounts.delete(proc.pid);
    this.syscallCount -= syscallCountOf(span);
    forEachCallCount(span, (name, count) => {
      const calls = this.syscallCalls.get(name);
      if (calls === undefined) return;
      if (calls <= count) this.syscallCalls.delete(name);
      else this.syscallCalls.set(name, calls - count);
    });
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

function flagsOf(span: SpanRecord): number {
  return (
    (span.parentSpanId === undefined || span.remoteParent ? ROOT : 0) |
    (span.kind === 'server' ? SERVER : 0) |
    (span.status === 'error' ? ERROR : 0)
  );
}

/** The name/service/pid part of a filter. */
function matches(entry: StoredSpan, filter: SpanFilter, nameMatches: ((name: string) => boolean) | undefined): boolean {
  if (filter.pid !== undefined && entry.proc.pid !== filter.pid) return false;
  if (filter.service !== undefined && entry.proc.serviceName !== filter.service) return false;
  if (nameMatches !== undefined && !nameMatches(entry.span.name)) return false;
  return true;
}

/** Case-insensitive substring test, decided once per distinct name within one scan: spans repeat a few names,
 *  and lower-casing every span's name made a filtered scan of 100,000 spans take ~60 ms. */
function nameMatcher(part: string): (name: string) => boolean {
  const lower = part.toLowerCase();
  const decided = new Map<string, boolean>();
  return (name) => {
    let hit = decided.get(name);
    if (hit === undefined) decided.set(name, (hit = name.toLowerCase().includes(lower)));
    return hit;
  };
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement<K>(counts: Map<K, number>, key: K): void {
  const n = (counts.get(key) ?? 0) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer.`);
  return value;
}
