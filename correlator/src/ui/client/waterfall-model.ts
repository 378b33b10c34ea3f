// The waterfall's rows, computed from a trace answer without the DOM: the span tree with its system calls in time
// order, collapsed spans, calls hidden under a duration threshold, runs of tiny or repeated calls folded into one
// row, find-in-trace, the critical path and each span's self time. The trace is whatever a traced process made it
// (10,000 spans, 20,000 calls, any depth, hostile text): every walk uses an explicit stack and costs O(n log n).

/** The fields of a system call the model reads (a subset of the API's SyscallJson). */
export interface TraceCall {
  name: string;
  offsetNs: number;
  durationNs: number;
  extentNs: number;
  errno: string | null;
  path: string | null;
  target: string | null;
  peer: string | null;
  count: number;
}

/** The fields of a span node the model reads (a subset of the API's SpanNodeJson). */
export interface TraceNode {
  span: {
    spanId: string;
    name: string;
    durationNs: number;
    status: string;
    attributes: Readonly<Record<string, string | number | boolean>>;
  };
  offsetNs: number;
  syscalls: readonly TraceCall[];
  omittedSyscalls: number;
  parent: number | null;
  depth: number;
}

/** Row ids: `s<node>` a span, `c<node>.<call>` a system call, `f<node>.<first call>` a folded run. */
export const spanId = (node: number): string => `s${node}`;
export const callId = (node: number, call: number): string => `c${node}.${call}`;
const foldId = (node: number, firstCall: number): string => `f${node}.${firstCall}`;

/** One child of a span in time order: a child span (node index) or one of its own system calls. */
type Item = { node: number; call: number | null; startNs: number; endNs: number };

export interface TraceModel {
  nodes: readonly TraceNode[];
  /** per node, its child spans and system calls by start */
  items: Item[][];
  /** per node: its duration minus the union of its child spans' intervals, clipped to it */
  selfNs: number[];
  /** row ids of the spans and calls on the critical path (see criticalPath) */
  critical: Set<string>;
  /** ns from the earliest span to the latest end of anything in the trace: the waterfall's scale */
  totalNs: number;
  /** node indexes whose parent is null, by start */
  roots: number[];
}

export interface ViewOptions {
  /** span row ids whose children are hidden */
  collapsed: ReadonlySet<string>;
  /** fold row ids opened into their calls */
  expandedFolds: ReadonlySet<string>;
  /** calls whose mean duration per call is under this are hidden and counted on their span's row; failed calls are
   *  always shown (an error is worth a row whatever it cost) */
  hideUnderNs: number;
  /** row ids always shown on a row of their own (the current find match) */
  pinned?: ReadonlySet<string>;
}

/** Calls faster than this (mean per call) fold together into one row when they come in a run. */
export const TINY_CALL_NS = 10_000;
/** A run folds from this many rows on: two rows are as short as the fold row plus one. */
export const MIN_FOLD_RUN = 3;
/** The "hide calls under" control's starting value: sub-µs calls (getpid, capget, getuid, clock_gettime…) are
 *  bookkeeping, not where a request's time goes. */
export const DEFAULT_HIDE_UNDER_NS = 1_000;

export type WaterfallRow =
  | {
      kind: 'span';
      id: string;
      node: number;
      depth: number;
      hasChildren: boolean;
      collapsed: boolean;
      /** calls of this span hidden by the threshold, and their summed duration */
      hiddenCalls: number;
      hiddenNs: number;
      selfNs: number;
      critical: boolean;
      error: boolean;
    }
  | { kind: 'call'; id: string; node: number; call: number; depth: number; critical: boolean; error: boolean }
  | {
      kind: 'fold';
      id: string;
      node: number;
      /** call indexes of the run */
      calls: number[];
      depth: number;
      expanded: boolean;
      /** the one name of a run of repeated calls, null for a run of different tiny calls */
      sameName: string | null;
      /** the error every call of the run failed with (a run of repeated calls shares its outcome), else null */
      errno: string | null;
      /** distinct names in order of first appearance (at most 4) */
      names: string[];
      /** calls in the run (merged records count each of their calls) */
      count: number;
      totalNs: number;
      startNs: number;
      endNs: number;
      critical: boolean;
      error: boolean;
    }
  | { kind: 'omitted'; id: string; node: number; depth: number; count: number };

const callEnd = (c: TraceCall) => c.offsetNs + Math.max(c.extentNs, c.durationNs, 0);
const spanEnd = (n: TraceNode) => n.offsetNs + Math.max(0, n.span.durationNs);
const meanNs = (c: TraceCall) => c.durationNs / Math.max(1, c.count);

export function buildModel(nodes: readonly TraceNode[]): TraceModel {
  const items: Item[][] = nodes.map((n, i) =>
    n.syscalls.map((c, j) => ({ node: i, call: j, startNs: c.offsetNs, endNs: callEnd(c) })),
  );
  const roots: number[] = [];
  let totalNs = 1;
  nodes.forEach((n, i) => {
    totalNs = Math.max(totalNs, spanEnd(n));
    for (const c of n.syscalls) totalNs = Math.max(totalNs, callEnd(c));
    const parent = n.parent;
    if (parent === null || parent < 0 || parent >= i) roots.push(i);
    else items[parent].push({ node: i, call: null, startNs: n.offsetNs, endNs: spanEnd(n) });
  });
  // Stable: a span's own call sorts before a child span starting at the same ns (calls were pushed first).
  for (const list of items) list.sort((a, b) => a.startNs - b.startNs);
  const model: TraceModel = { nodes, items, selfNs: [], critical: new Set(), totalNs, roots };
  model.selfNs = nodes.map((_, i) => selfTime(model, i));
  model.critical = criticalPath(model);
  return model;
}

/** A span's duration minus the union of its child spans' intervals (clipped to the span). */
function selfTime(model: TraceModel, index: number): number {
  const node = model.nodes[index];
  const from = node.offsetNs;
  const to = spanEnd(node);
  let covered = 0;
  let curFrom = from;
  let curTo = from;
  // items are by start, so one pass merges the child intervals
  for (const item of model.items[index]) {
    if (item.call !== null) continue;
    const a = Math.max(from, item.startNs);
    const b = Math.min(to, item.endNs);
    if (b <= a) continue;
    if (a > curTo) {
      covered += curTo - curFrom;
      curFrom = a;
      curTo = b;
    } else if (b > curTo) curTo = b;
  }
  covered += curTo - curFrom;
  return Math.max(0, to - from - covered);
}

/**
 * Jaeger's critical path, with system calls as children too: from a span's end backwards, the child (span or
 * call) that finished last is on the path, then, before that child started, the child that finished last before
 * it, and so on; each child span chosen gets the same treatment inside its own interval (children clipped to
 * it). Marked: every root, and every span and call so chosen — the work the trace's end waited for.
 */
export function criticalPath(model: TraceModel): Set<string> {
  const marked = new Set<string>();
  const pending = model.roots.map((r) => ({ node: r, from: model.nodes[r].offsetNs, to: spanEnd(model.nodes[r]) }));
  for (const r of model.roots) marked.add(spanId(r));
  while (pending.length) {
    const { node, from, to } = pending.pop()!;
    const clipped = model.items[node]
      .map((item) => ({ item, a: Math.max(from, item.startNs), b: Math.min(to, item.endNs) }))
      .filter((c) => c.b > c.a || (c.b === c.a && c.item.startNs >= from && c.item.startNs <= to))
      .sort((x, y) => y.b - x.b || y.a - x.a);
    let cursor = to;
    for (const { item, a, b } of clipped) {
      if (b > cursor) continue;
      if (item.call === null) {
        marked.add(spanId(item.node));
        pending.push({ node: item.node, from: a, to: b });
      } else marked.add(callId(item.node, item.call));
      cursor = a;
    }
  }
  return marked;
}

/** The rows to draw for the view: depth-first, each span followed by its calls and child spans in time order. */
export function visibleRows(model: TraceModel, view: ViewOptions): WaterfallRow[] {
  const rows: WaterfallRow[] = [];
  type Step = { row: WaterfallRow } | { span: number };
  const stack: Step[] = [...model.roots].reverse().map((r) => ({ span: r }));
  while (stack.length) {
    const step = stack.pop()!;
    if ('row' in step) {
      rows.push(step.row);
      continue;
    }
    const index = step.span;
    const node = model.nodes[index];
    const id = spanId(index);
    const collapsed = view.collapsed.has(id);
    const items = model.items[index];
    const shown: Item[] = [];
    let hiddenCalls = 0;
    let hiddenNs = 0;
    for (const item of items) {
      if (item.call !== null) {
        const call = node.syscalls[item.call];
        const pinned = view.pinned?.has(callId(index, item.call)) ?? false;
        if (!pinned && !call.errno && meanNs(call) < view.hideUnderNs) {
          hiddenCalls += call.count;
          hiddenNs += call.durationNs;
          continue;
        }
      }
      shown.push(item);
    }
    rows.push({
      kind: 'span',
      id,
      node: index,
      depth: node.depth,
      hasChildren: items.length > 0 || node.omittedSyscalls > 0,
      collapsed,
      hiddenCalls,
      hiddenNs,
      selfNs: model.selfNs[index],
      critical: model.critical.has(id),
      error: node.span.status === 'error',
    });
    if (collapsed) continue;
    const childDepth = node.depth + 1;
    const steps: Step[] = [];
    for (let i = 0; i < shown.length; ) {
      const item = shown[i];
      if (item.call === null) {
        steps.push({ span: item.node });
        i++;
        continue;
      }
      const run = foldableRun(node, shown, i, view.pinned);
      if (run.length >= MIN_FOLD_RUN) {
        const fold = foldRow(model, index, run, childDepth, view.expandedFolds);
        steps.push({ row: fold });
        if (fold.kind === 'fold' && fold.expanded)
          for (const c of run) steps.push({ row: callRow(model, index, c, childDepth + 1) });
        i += run.length;
      } else {
        steps.push({ row: callRow(model, index, item.call, childDepth) });
        i++;
      }
    }
    if (node.omittedSyscalls > 0)
      steps.push({
        row: { kind: 'omitted', id: `o${index}`, node: index, depth: childDepth, count: node.omittedSyscalls },
      });
    for (let i = steps.length - 1; i >= 0; i--) stack.push(steps[i]);
  }
  return rows;
}

/** The longest run of calls starting at `from` that folds: all tiny, or all the same call with the same outcome.
 *  Pinned calls never fold. Returns call indexes (empty-ish runs are the caller's to reject). */
function foldableRun(node: TraceNode, shown: readonly Item[], from: number, pinned?: ReadonlySet<string>): number[] {
  const callAt = (i: number): number | null => {
    const item = shown[i];
    if (!item || item.call === null) return null;
    return pinned?.has(callId(item.node, item.call)) ? null : item.call;
  };
  const first = callAt(from);
  if (first === null) return [];
  const head = node.syscalls[first];
  const same: number[] = [];
  const tiny: number[] = [];
  let sameOpen = true;
  let tinyOpen = true;
  for (let i = from; sameOpen || tinyOpen; i++) {
    const j = callAt(i);
    if (j === null) break;
    const c = node.syscalls[j];
    if (sameOpen && c.name === head.name && c.errno === head.errno) same.push(j);
    else sameOpen = false;
    if (tinyOpen && !c.errno && meanNs(c) < TINY_CALL_NS) tiny.push(j);
    else tinyOpen = false;
  }
  return same.length >= tiny.length ? same : tiny;
}

function callRow(model: TraceModel, node: number, call: number, depth: number): WaterfallRow {
  const id = callId(node, call);
  const c = model.nodes[node].syscalls[call];
  return { kind: 'call', id, node, call, depth, critical: model.critical.has(id), error: c.errno !== null };
}

function foldRow(
  model: TraceModel,
  node: number,
  calls: number[],
  depth: number,
  expanded: ReadonlySet<string>,
): WaterfallRow {
  const syscalls = model.nodes[node].syscalls;
  const names: string[] = [];
  let count = 0;
  let totalNs = 0;
  let startNs = Infinity;
  let endNs = -Infinity;
  let critical = false;
  let error = false;
  for (const j of calls) {
    const c = syscalls[j];
    if (names.length < 4 && !names.includes(c.name)) names.push(c.name);
    count += c.count;
    totalNs += c.durationNs;
    startNs = Math.min(startNs, c.offsetNs);
    endNs = Math.max(endNs, callEnd(c));
    critical ||= model.critical.has(callId(node, j));
    error ||= c.errno !== null;
  }
  const head = syscalls[calls[0]].name;
  const sameName = calls.every((j) => syscalls[j].name === head) ? head : null;
  const headErrno = syscalls[calls[0]].errno;
  const errno = headErrno !== null && calls.every((j) => syscalls[j].errno === headErrno) ? headErrno : null;
  const id = foldId(node, calls[0]);
  return {
    kind: 'fold',
    id,
    node,
    calls,
    depth,
    expanded: expanded.has(id),
    sameName,
    errno,
    names,
    count,
    totalNs,
    startNs,
    endNs,
    critical,
    error,
  };
}

/** The span row ids above a row (its span's ancestors, and its span when the row is a call), nearest first. */
export function ancestorSpans(model: TraceModel, rowId: string): string[] {
  const m = /^[sc](\d+)/.exec(rowId);
  if (!m) return [];
  const out: string[] = [];
  let at: number | null = Number(m[1]);
  if (rowId.startsWith('s')) at = model.nodes[at]?.parent ?? null;
  // depth-first order puts a parent before its child: stepping to a lower index always ends, even on bad input
  for (let guard = model.nodes.length; at !== null && guard > 0; guard--) {
    out.push(spanId(at));
    const parent: number | null = model.nodes[at]?.parent ?? null;
    at = parent !== null && parent < at ? parent : null;
  }
  return out;
}

/** Rows whose text contains the query (case-insensitive): span names and attribute values, call names, paths,
 *  targets, peers and errno names. In trace order; empty for a blank query. */
export function findInTrace(model: TraceModel, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hit = (v: string | number | boolean | null) => v !== null && String(v).toLowerCase().includes(q);
  const found: string[] = [];
  const stack = [...model.roots].reverse();
  while (stack.length) {
    const index = stack.pop()!;
    const node = model.nodes[index];
    if (hit(node.span.name) || Object.values(node.span.attributes).some(hit)) found.push(spanId(index));
    const items = model.items[index];
    const kids: number[] = [];
    for (const item of items) {
      if (item.call === null) {
        kids.push(item.node);
        continue;
      }
      const c = node.syscalls[item.call];
      if (hit(c.name) || hit(c.path) || hit(c.target) || hit(c.peer) || hit(c.errno))
        found.push(callId(index, item.call));
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return found;
}

/** How nullspan decided a call belongs to its span (correlator/README.md, "Attribution"): a short label for the row
 *  and the sentence for its tooltip. Null for the plain thread rule, which needs no word. */
export function attributionText(attribution: string): { label: string; explain: string } | null {
  switch (attribution) {
    case 'thread':
      return null;
    case 'context':
      return {
        label: 'async context',
        explain:
          'Attributed by async context: when the call was made, the SDK had published this span as the active one on the calling thread (event loops serve many requests on one thread).',
      };
    case 'submitter':
      return {
        label: 'thread-pool work',
        explain:
          'Made on a worker thread (thread pool) while it ran work this span submitted: nullspan follows the submitting span to the worker.',
      };
    case 'fd':
      return {
        label: 'owner of the fd',
        explain:
          'Made by the event loop between callbacks on a file or socket that only this span had used since it was opened, so it is counted as this span’s.',
      };
    default:
      return { label: attribution, explain: `Attribution rule: ${attribution}.` };
  }
}
