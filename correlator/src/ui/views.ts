// JSON shapes of the UI's API, built from retained spans. Values are passed through as data (never markup):
// the page renders every string with textContent.

import type { SpanTimes, SyscallRecord, WaitKind } from '../model.js';
import type {
  SpanNodeJson,
  SpanSummaryJson,
  SpanTimesJson,
  SpanTreeJson,
  SyscallJson,
  SyscallTimesJson,
  TimeBreakdownJson,
} from './api-types.js';
import type { SpanTreeNode, StoredSpan, TraceTree } from './store.js';

export type {
  SpanNodeJson,
  SpanSummaryJson,
  SpanTimesJson,
  SpanTreeJson,
  SyscallJson,
  SyscallTimesJson,
  TimeBreakdownJson,
} from './api-types.js';

/** Caps one tree response: a span can hold a very large number of system calls. */
const MAX_SYSCALLS_PER_RESPONSE = 20_000;

export function spanSummary(entry: StoredSpan): SpanSummaryJson {
  const { span, proc } = entry;
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? null,
    name: span.name,
    kind: span.kind,
    service: proc.serviceName,
    pid: proc.pid,
    tid: span.tid,
    exe: proc.exe,
    startUs: entry.startUs,
    durationNs: entry.durationNs,
    status: span.status,
    statusMessage: span.statusMessage ?? null,
    incomplete: span.incomplete ?? null,
    attributes: span.attributes,
    syscallCount: span.syscalls.reduce((n, s) => n + s.count, 0),
    times: span.times ? spanTimesJson(span.times) : null,
  };
}

const WAIT_KINDS: readonly WaitKind[] = ['file', 'net', 'lock', 'sleep', 'poll', 'pagefault', 'other'];
const SLEEP_KINDS = new Set(['none', 'interruptible', 'uninterruptible', 'both']);

/** Non-negative finite ns: the page draws proportions from these, so a bad value must not become NaN widths. */
function ns(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function spanTimesJson(t: SpanTimes): SpanTimesJson {
  const blockedNs = {} as Record<WaitKind, number>;
  for (const kind of WAIT_KINDS) blockedNs[kind] = ns(t.blocked?.[kind]);
  const top = t.loopBusyTop;
  return {
    model: t.model === 'event-loop' ? 'event-loop' : 'thread',
    onCpuNs: ns(t.onCpu),
    runqueueNs: ns(t.runqueue),
    blockedNs,
    majorFaults: ns(t.majorFaults),
    loopBusyOtherNs: t.loopBusyOther === undefined ? null : ns(t.loopBusyOther),
    loopBusyTop: top ? { name: String(top.name), spanId: String(top.spanId), ns: ns(top.ns) } : null,
    asyncWaitNs: t.asyncWait === undefined ? null : ns(t.asyncWait),
    worker: t.worker
      ? { onCpuNs: ns(t.worker.onCpu), runqueueNs: ns(t.worker.runqueue), blockedNs: ns(t.worker.blocked) }
      : null,
  };
}

function syscallTimesJson(t: NonNullable<SyscallRecord['times']>): SyscallTimesJson {
  return {
    onCpuNs: ns(t.onCpu),
    runqueueNs: ns(t.runqueue),
    blockedNs: ns(t.blocked),
    sleep: SLEEP_KINDS.has(t.sleep) ? t.sleep : 'none',
  };
}

/** The span ids named as loop-busy culprits in trees, for one lookup pass over the store. */
export function loopBusyTopIds(roots: readonly SpanTreeNode[]): Set<string> {
  const ids = new Set<string>();
  const pending = [...roots];
  while (pending.length) {
    const node = pending.pop()!;
    const top = node.entry.span.times?.loopBusyTop;
    if (top) ids.add(top.spanId);
    for (const child of node.children) pending.push(child);
  }
  return ids;
}

function syscallJson(call: SyscallRecord, originNs: number): SyscallJson {
  return {
    name: call.name,
    offsetNs: call.ts - originNs,
    durationNs: call.dur,
    extentNs: Math.max(0, call.end - call.ts),
    tid: call.tid,
    pid: call.pid,
    ret: call.ret,
    errno: call.errno ?? null,
    fd: call.fd ?? null,
    target: call.target ?? null,
    path: call.path ?? null,
    peer: call.peerAddress !== undefined ? hostPort(call.peerAddress, call.peerPort) : null,
    local: call.localAddress !== undefined ? hostPort(call.localAddress, call.localPort) : null,
    transport: call.transport ?? null,
    bytes: call.bytes ?? null,
    count: call.count,
    attribution: call.attribution,
    unfinished: call.unfinished ?? false,
    times: call.times ? syscallTimesJson(call.times) : null,
  };
}

export function hostPort(address: string, port: number | undefined): string {
  if (port === undefined || port === 0) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** One span with its retained descendants (no trace around it). */
export function spanTreeJson(
  root: SpanTreeNode,
  traceOfSpan?: (pid: number, spanId: string) => string | undefined,
): SpanTreeJson {
  return traceJson({ roots: [root], focus: root, omittedSpans: 0 }, traceOfSpan);
}

/** `traceOfSpan`: trace id of a retained span with that span id in the same process (for loop-busy links).
 *  The focus span's system calls are served first, so the syscall cap never empties the span the page opened. */
export function traceJson(
  trace: TraceTree,
  traceOfSpan: (pid: number, spanId: string) => string | undefined = () => undefined,
): SpanTreeJson {
  let originNs = Infinity;
  const order: { node: SpanTreeNode; parent: number | null; depth: number }[] = [];
  const pending = trace.roots.map((node) => ({ node, parent: null as number | null, depth: 0 })).reverse();
  while (pending.length) {
    const step = pending.pop()!;
    const index = order.length;
    order.push(step);
    originNs = Math.min(originNs, step.node.entry.span.start);
    // last child first, so the first comes off the stack next
    const { children } = step.node;
    for (let i = children.length - 1; i >= 0; i--)
      pending.push({ node: children[i], parent: index, depth: step.depth + 1 });
  }
  const focusCalls = trace.focus.entry.span.syscalls.length;
  let budget = MAX_SYSCALLS_PER_RESPONSE - Math.min(focusCalls, MAX_SYSCALLS_PER_RESPONSE);
  let focus = 0;
  const nodes = order.map(({ node, parent, depth }, index): SpanNodeJson => {
    const calls = node.entry.span.syscalls;
    let kept: SyscallRecord[];
    if (node === trace.focus) {
      focus = index;
      kept = calls.slice(0, MAX_SYSCALLS_PER_RESPONSE);
    } else {
      kept = calls.slice(0, Math.max(0, budget));
      budget -= kept.length;
    }
    const topId = node.entry.span.times?.loopBusyTop?.spanId;
    return {
      span: spanSummary(node.entry),
      offsetNs: node.entry.span.start - originNs,
      syscalls: kept.map((c) => syscallJson(c, originNs)),
      omittedSyscalls: calls.length - kept.length,
      parent,
      depth,
      loopBusyTopTraceId: topId === undefined ? null : (traceOfSpan(node.entry.proc.pid, topId) ?? null),
    };
  });
  return { nodes, focus, omittedSpans: trace.omittedSpans };
}

/** Where the time of a span went: system calls by name vs. the rest. */
export function timeBreakdown(root: SpanTreeNode): TimeBreakdownJson {
  const { start, end } = root.entry.span;
  const durationNs = Math.max(0, end - start);
  const byName = new Map<string, { ns: number; calls: number }>();
  const intervals: [number, number][] = [];
  let spans = 0;
  let syscalls = 0;
  const pending = [root];
  while (pending.length) {
    const node = pending.pop()!;
    spans++;
    for (const call of node.entry.span.syscalls) {
      syscalls += call.count;
      const slot = byName.get(call.name) ?? { ns: 0, calls: 0 };
      slot.ns += call.dur;
      slot.calls += call.count;
      byName.set(call.name, slot);
      // A merged run's calls are spread over [ts, end]; its summed duration placed at its start is the closest
      // interval we have without the individual calls.
      const from = Math.max(start, call.ts);
      const to = Math.min(end, call.ts + call.dur);
      if (to > from) intervals.push([from, to]);
    }
    for (const child of node.children) pending.push(child);
  }
  const inSyscallsNs = unionLength(intervals);
  return {
    durationNs,
    bySyscall: [...byName].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.ns - a.ns),
    inSyscallsNs,
    outsideSyscallsNs: Math.max(0, durationNs - inSyscallsNs),
    spans,
    syscalls,
  };
}

function unionLength(intervals: [number, number][]): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curFrom = -Infinity;
  let curTo = -Infinity;
  for (const [from, to] of intervals) {
    if (from > curTo) {
      if (curTo > curFrom) total += curTo - curFrom;
      curFrom = from;
      curTo = to;
    } else if (to > curTo) curTo = to;
  }
  if (curTo > curFrom) total += curTo - curFrom;
  return total;
}
