// Retained copies of finished spans in a fixed shape. The correlator builds a span field by field as its markers
// and system calls arrive, so V8 keeps most of its properties in a separate out-of-object array (~190 bytes per
// span on the Hono bench service); a class that declares every field up front keeps them inside the object. The
// copies read as the model's SpanRecord / SyscallRecord, so everything that serves spans is unchanged; the system
// calls are kept packed (packed-syscalls.ts) and decoded when read.

import type { ArgValue, SpanKind, SpanRecord, SpanTimes, StatusCode, SyscallRecord, WaitKind } from '../model.js';
import { PackedSyscalls } from './packed-syscalls.js';

/** Shared by every span without attributes or system calls: read-only, as everything the store serves. */
const NO_ATTRIBUTES: Record<string, ArgValue> = Object.freeze({});
const NO_SYSCALLS: SyscallRecord[] = Object.freeze([]) as unknown as SyscallRecord[];

/** Most spans of an event loop never block: their (all-zero) wait split is one shared object. */
const NOT_BLOCKED: Record<WaitKind, number> = Object.freeze({
  file: 0,
  net: 0,
  lock: 0,
  sleep: 0,
  poll: 0,
  pagefault: 0,
  other: 0,
});

function compactBlocked(blocked: Record<WaitKind, number>): Record<WaitKind, number> {
  for (const kind in blocked) if (blocked[kind as WaitKind] !== 0) return blocked;
  return NOT_BLOCKED;
}

/** A span's time split; the correlator adds the event-loop fields after creating it (out-of-object storage). */
class RetainedTimes implements SpanTimes {
  readonly model: SpanTimes['model'];
  readonly onCpu: number;
  readonly runqueue: number;
  readonly blocked: Record<WaitKind, number>;
  readonly majorFaults: number;
  readonly loopBusyOther?: number;
  readonly loopBusyTop?: SpanTimes['loopBusyTop'];
  readonly asyncWait?: number;
  readonly worker?: SpanTimes['worker'];

  constructor(t: SpanTimes) {
    this.model = t.model;
    this.onCpu = t.onCpu;
    this.runqueue = t.runqueue;
    this.blocked = compactBlocked(t.blocked);
    this.majorFaults = t.majorFaults;
    this.loopBusyOther = t.loopBusyOther;
    this.loopBusyTop = t.loopBusyTop;
    this.asyncWait = t.asyncWait;
    this.worker = t.worker;
  }
}

class RetainedSpan implements SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly remoteParent?: boolean;
  readonly traceState?: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly start: number;
  readonly end: number;
  readonly pid: number;
  readonly tid: number;
  readonly attributes: Record<string, ArgValue>;
  readonly status: StatusCode;
  readonly statusMessage?: string;
  readonly incomplete?: string;
  readonly truncated?: boolean;
  readonly droppedSyscalls?: number;
  readonly droppedRecords?: number;
  readonly times?: SpanTimes;
  /** undefined when the span made no system calls; private, so the span's own keys are SpanRecord's */
  readonly #packedSyscalls: PackedSyscalls | undefined;

  constructor(s: SpanRecord) {
    this.traceId = s.traceId;
    this.spanId = s.spanId;
    this.parentSpanId = s.parentSpanId;
    this.remoteParent = s.remoteParent;
    this.traceState = s.traceState;
    this.name = s.name;
    this.kind = s.kind;
    this.start = s.start;
    this.end = s.end;
    this.pid = s.pid;
    this.tid = s.tid;
    this.attributes = compactAttributes(s.attributes);
    this.status = s.status;
    this.statusMessage = s.statusMessage;
    this.incomplete = s.incomplete;
    this.truncated = s.truncated;
    this.droppedSyscalls = s.droppedSyscalls;
    this.droppedRecords = s.droppedRecords;
    this.times = s.times && new RetainedTimes(s.times);
    this.#packedSyscalls = s.syscalls.length === 0 ? undefined : new PackedSyscalls(s.syscalls);
  }

  /** Decoded on each read (the store keeps them packed): callers that only count them use syscallCountOf. */
  get syscalls(): SyscallRecord[] {
    return this.#packedSyscalls?.decode() ?? NO_SYSCALLS;
  }

  syscallsNamed(name: string): SyscallRecord[] {
    return this.#packedSyscalls?.named(name) ?? NO_SYSCALLS;
  }

  get syscallCount(): number {
    return this.#packedSyscalls?.length ?? 0;
  }

  forEachCallCount(visit: (name: string, count: number) => void): void {
    const packed = this.#packedSyscalls;
    if (packed) for (let i = 0; i < packed.length; i++) visit(packed.nameAt(i), packed.countAt(i));
  }
}

/**
 * Attributes as one object built at once: the correlator adds them one by one, which leaves them in a separate
 * property array (~270 bytes per span with a few attributes); JSON.parse builds objects with their properties
 * inside. Only when every value survives JSON unchanged (a non-finite number would not).
 */
function compactAttributes(attributes: Record<string, ArgValue>): Record<string, ArgValue> {
  let keys = 0;
  for (const key in attributes) {
    keys++;
    const v = attributes[key];
    if (typeof v === 'number' && !Number.isFinite(v)) return attributes;
  }
  if (keys === 0) return NO_ATTRIBUTES;
  return JSON.parse(JSON.stringify(attributes)) as Record<string, ArgValue>;
}

/** The span as the store keeps it: same fields, compact layout. */
export function compactSpan(span: SpanRecord): SpanRecord {
  return new RetainedSpan(span);
}

/** How many call records a span holds, without decoding them. */
export function syscallCountOf(span: SpanRecord): number {
  return span instanceof RetainedSpan ? span.syscallCount : span.syscalls.length;
}

/** Each call record's name and the calls it stands for, decoding nothing else (eviction keeps per-name counts). */
export function forEachCallCount(span: SpanRecord, visit: (name: string, count: number) => void): void {
  if (span instanceof RetainedSpan) span.forEachCallCount(visit);
  else for (const c of span.syscalls) visit(c.name, c.count);
}

/** A span's calls of one name, decoding no others. */
export function syscallsNamed(span: SpanRecord, name: string): SyscallRecord[] {
  return span instanceof RetainedSpan ? span.syscallsNamed(name) : span.syscalls.filter((c) => c.name === name);
}
