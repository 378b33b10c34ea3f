// SpanRecord + ProcessInfo + Clock → OpenTelemetry ReadableSpans (what the OTLP serializers take). One mapping
// shared by the HTTP and file exporters. Attribute names: OpenTelemetry semantic conventions where they exist,
// `syscall.*` / `nullspan.*` otherwise (documented in correlator/README.md).
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Clock, ProcessInfo, SpanRecord, SpanTimes, StatusCode, SyscallRecord } from './model.js';
import { WAIT_KINDS } from './times/wait-kind.js';
import { childSpanId } from './ids.js';

export interface OtlpMappingOptions {
  hostName?: string;
  /** extra resource attributes for every process (default: parsed from OTEL_RESOURCE_ATTRIBUTES) */
  resourceAttributes?: Attributes;
}

const SCOPE = { name: 'nullspan', version: '0.1.0' };
const KIND: Record<SpanRecord['kind'], SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};
const STATUS: Record<StatusCode, SpanStatusCode> = {
  unset: SpanStatusCode.UNSET,
  ok: SpanStatusCode.OK,
  error: SpanStatusCode.ERROR,
};
/** failures that are part of normal non-blocking I/O, not errors worth a red span */
const BENIGN_ERRNO = new Set(['EAGAIN', 'EINPROGRESS', 'EINTR', 'EALREADY']);
const NS_PER_S = 1_000_000_000;
const NO_LINKS: never[] = [];
const NO_EVENTS: never[] = [];

/** OTEL_RESOURCE_ATTRIBUTES: `k=v,k2=v2`, values percent-encoded (W3C baggage octets). */
export function parseResourceAttributesEnv(s: string | undefined): Attributes {
  const out: Attributes = {};
  if (!s) return out;
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // a malformed percent-escape: skip that pair, keep the rest
    }
  }
  return out;
}

/** Monotonic ns → wall-clock HrTime, exact: the offset is split once, the rest is integer double arithmetic. */
export class WallClock {
  private readonly offSec: number;
  private readonly offNs: number;

  constructor(clock: Clock) {
    const off = clock.wallOffsetNs;
    let sec = off / 1_000_000_000n;
    let ns = off % 1_000_000_000n;
    if (ns < 0n) {
      ns += 1_000_000_000n;
      sec -= 1n;
    }
    this.offSec = Number(sec);
    this.offNs = Number(ns);
  }

  /** [seconds, nanoseconds] of wall-clock time into `out` (no allocation). */
  into(mono: number, out: Float64Array): void {
    const m = Math.round(mono);
    const ms = Math.floor(m / NS_PER_S);
    let ns = m - ms * NS_PER_S + this.offNs;
    let sec = ms + this.offSec;
    if (ns >= NS_PER_S) {
      ns -= NS_PER_S;
      sec++;
    }
    out[0] = sec;
    out[1] = ns;
  }

  hrTime(mono: number): HrTime {
    this.into(mono, this.tmp);
    return [this.tmp[0], this.tmp[1]];
  }

  private readonly tmp = new Float64Array(2);

  /** Wall-clock ns as a bigint (for display and tests). */
  wallNs(mono: number): bigint {
    const [s, ns] = this.hrTime(mono);
    return BigInt(s) * 1_000_000_000n + BigInt(ns);
  }
}

function duration(start: HrTime, end: HrTime): HrTime {
  let s = end[0] - start[0];
  let ns = end[1] - start[1];
  if (ns < 0) {
    ns += NS_PER_S;
    s--;
  }
  return s < 0 ? [0, 0] : [s, ns];
}

class MappedSpan implements ReadableSpan {
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly instrumentationScope = SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly duration: HrTime;

  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    private readonly ctx: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly startTime: HrTime,
    readonly endTime: HrTime,
    readonly status: { code: SpanStatusCode; message?: string },
    readonly attributes: Attributes,
    readonly resource: Resource,
  ) {
    this.duration = duration(startTime, endTime);
  }

  spanContext(): SpanContext {
    return this.ctx;
  }
}

export class OtlpMapper {
  readonly wall: WallClock;
  readonly hostName: string | undefined;
  readonly baseAttrs: Attributes;
  /** ProcessInfo objects are replaced when identity changes, so they key the cache exactly */
  private readonly resources = new WeakMap<ProcessInfo, Resource>();

  constructor(clock: Clock, opts: OtlpMappingOptions = {}) {
    this.wall = new WallClock(clock);
    this.hostName = opts.hostName;
    this.baseAttrs = opts.resourceAttributes ?? parseResourceAttributesEnv(process.env.OTEL_RESOURCE_ATTRIBUTES);
  }

  resource(proc: ProcessInfo): Resource {
    let r = this.resources.get(proc);
    if (r === undefined) {
      r = resourceFromAttributes(resourceAttributes(proc, this.hostName, this.baseAttrs));
      this.resources.set(proc, r);
    }
    return r;
  }

  /** Appends the application span and one child per syscall record to `out`; returns how many were added. */
  map(span: SpanRecord, proc: ProcessInfo, out: ReadableSpan[]): number {
    const resource = this.resource(proc);
    const traceState = span.traceState ? new TraceState(span.traceState) : undefined;
    const ctx: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED, traceState };
    const parent: SpanContext | undefined = span.parentSpanId
      ? {
          traceId: span.traceId,
          spanId: span.parentSpanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: span.remoteParent === true,
        }
      : undefined;
    const attrs = spanAttributes(span);
    const status =
      span.statusMessage !== undefined
        ? { code: STATUS[span.status], message: span.statusMessage }
        : { code: STATUS[span.status] };
    out.push(
      new MappedSpan(
        span.name,
        KIND[span.kind],
        ctx,
        parent,
        this.wall.hrTime(span.start),
        this.wall.hrTime(span.end),
        status,
        attrs,
        resource,
      ),
    );
    const asParent: SpanContext = {
      traceId: span.traceId,
      spanId: span.spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: false,
    };
    const calls = span.syscalls;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      const cctx: SpanContext = {
        traceId: span.traceId,
        spanId: childSpanId(span.spanId, i),
        traceFlags: TraceFlags.SAMPLED,
      };
      const failed = syscallFailed(c);
      out.push(
        new MappedSpan(
          c.name,
          SpanKind.INTERNAL,
          cctx,
          asParent,
          this.wall.hrTime(c.ts),
          this.wall.hrTime(c.end),
          failed ? { code: SpanStatusCode.ERROR, message: c.errno } : { code: SpanStatusCode.UNSET },
          syscallAttributes(c),
          resource,
        ),
      );
    }
    return 1 + calls.length;
  }
}

/** Visits the attributes of one syscall child span in order (names documented in correlator/README.md). The one
 * definition of those attributes: the ReadableSpan mapping and the direct OTLP JSON encoder both use it. */
/** Names of the syscall attributes; `forEachSyscallAttribute` passes each with its index here. */
export const SYSCALL_ATTRIBUTE_KEYS = [
  'thread.id',
  'syscall.ret',
  'syscall.attribution',
  'syscall.errno',
  'syscall.fd',
  'syscall.target',
  'file.path',
  'network.peer.address',
  'network.peer.port',
  'network.local.address',
  'network.local.port',
  'network.transport',
  'syscall.bytes',
  'syscall.count',
  'syscall.duration_ns',
  'syscall.unfinished',
  'nullspan.time.on_cpu',
  'nullspan.time.runqueue',
  'nullspan.time.blocked',
  'nullspan.sleep',
] as const;
const K = SYSCALL_ATTRIBUTE_KEYS;

export function forEachSyscallAttribute(
  c: SyscallRecord,
  visit: (key: string, value: string | number | boolean, keyIndex: number) => void,
): void {
  visit(K[0], c.tid, 0);
  visit(K[1], c.ret, 1);
  visit(K[2], c.attribution, 2);
  if (c.errno !== undefined) visit(K[3], c.errno, 3);
  if (c.fd !== undefined) visit(K[4], c.fd, 4);
  if (c.target !== undefined) visit(K[5], c.target, 5);
  if (c.path !== undefined) visit(K[6], c.path, 6);
  if (c.peerAddress !== undefined) visit(K[7], c.peerAddress, 7);
  if (c.peerPort !== undefined) visit(K[8], c.peerPort, 8);
  if (c.localAddress !== undefined) visit(K[9], c.localAddress, 9);
  if (c.localPort !== undefined) visit(K[10], c.localPort, 10);
  if (c.transport !== undefined) visit(K[11], c.transport, 11);
  if (c.bytes !== undefined) visit(K[12], c.bytes, 12);
  if (c.count > 1) {
    visit(K[13], c.count, 13);
    visit(K[14], c.dur, 14);
  }
  if (c.unfinished) visit(K[15], true, 15);
  const t = c.times;
  if (t !== undefined) {
    // on_cpu says the call was accounted; the other parts only when not zero (most calls never wait): a
    // missing part is 0, and the bytes per exported call stay where they were
    visit(K[16], Math.round(t.onCpu), 16);
    if (t.runqueue >= 0.5) visit(K[17], Math.round(t.runqueue), 17);
    if (t.blocked >= 0.5) visit(K[18], Math.round(t.blocked), 18);
    if (t.sleep !== 'none') visit(K[19], t.sleep, 19);
  }
}

export function syscallAttributes(c: SyscallRecord): Attributes {
  const a: Attributes = {};
  forEachSyscallAttribute(c, (k, v) => {
    a[k] = v;
  });
  return a;
}

/** What nullspan adds to an application span's marker args (names documented in correlator/README.md). */
function forEachAddedAttribute(span: SpanRecord, visit: (key: string, value: string | number | boolean) => void): void {
  visit('thread.id', span.tid);
  if (span.incomplete) visit('nullspan.incomplete', span.incomplete);
  if (span.truncated) visit('nullspan.truncated', true);
  if (span.droppedSyscalls) visit('nullspan.dropped_syscalls', span.droppedSyscalls);
  if (span.droppedRecords) visit('nullspan.dropped_records', span.droppedRecords);
  if (span.times !== undefined) forEachTimeAttribute(span.times, visit);
}

const BLOCKED_KEYS = WAIT_KINDS.map((k) => [k, `nullspan.time.blocked.${k}`] as const);

/** The time breakdown's attributes (correlator/README.md "Time breakdown"), integer ns. The model and on_cpu always
 * (they say the span was accounted); every other part only when it is not zero — a missing part is 0 — so a span
 * carries the few parts its time actually went to, not a dozen zeros in every export. */
function forEachTimeAttribute(t: SpanTimes, visit: (key: string, value: string | number | boolean) => void): void {
  visit('nullspan.time.model', t.model);
  visit('nullspan.time.on_cpu', t.onCpu);
  if (t.runqueue > 0) visit('nullspan.time.runqueue', t.runqueue);
  for (const [k, key] of BLOCKED_KEYS) if (t.blocked[k] > 0) visit(key, t.blocked[k]);
  if (t.majorFaults > 0) visit('nullspan.faults.major', t.majorFaults);
  if (t.loopBusyOther) visit('nullspan.time.loop_busy_other', t.loopBusyOther);
  if (t.loopBusyTop !== undefined)
    visit('nullspan.loop_busy_top', `${t.loopBusyTop.name} (span ${t.loopBusyTop.spanId})`);
  if (t.asyncWait) visit('nullspan.time.async_wait', t.asyncWait);
  if (t.worker !== undefined) {
    if (t.worker.onCpu > 0) visit('nullspan.time.worker.on_cpu', t.worker.onCpu);
    if (t.worker.runqueue > 0) visit('nullspan.time.worker.runqueue', t.worker.runqueue);
    if (t.worker.blocked > 0) visit('nullspan.time.worker.blocked', t.worker.blocked);
  }
}

/** Attributes of an application span: its marker args, then what nullspan adds (which wins over an arg of the same
 * name, keeping the arg's position, as an object assignment does). */
export function spanAttributes(span: SpanRecord): Attributes {
  const attrs: Attributes = { ...span.attributes };
  forEachAddedAttribute(span, (k, v) => {
    attrs[k] = v;
  });
  return attrs;
}

/** Visits spanAttributes(span) in order without building the object (the common case: no arg named like ours). */
export function forEachSpanAttribute(
  span: SpanRecord,
  visit: (key: string, value: string | number | boolean) => void,
): void {
  const args = span.attributes;
  const keys = Object.keys(args);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === 'thread.id' || k.startsWith('nullspan.')) {
      const all = spanAttributes(span);
      for (const key of Object.keys(all)) visit(key, all[key] as string | number | boolean);
      return;
    }
  }
  for (let i = 0; i < keys.length; i++) visit(keys[i], args[keys[i]]);
  forEachAddedAttribute(span, visit);
}

/** Resource attributes of a traced process. */
export function resourceAttributes(proc: ProcessInfo, hostName: string | undefined, base: Attributes): Attributes {
  const attrs: Attributes = {
    ...base,
    'service.name': proc.serviceName,
    'process.pid': proc.pid,
    'process.parent_pid': proc.ppid,
    'process.executable.name': proc.exe,
  };
  if (proc.exePath) attrs['process.executable.path'] = proc.exePath;
  if (proc.cmdline.length) attrs['process.command_line'] = proc.cmdline.join(' ');
  if (hostName) attrs['host.name'] = hostName;
  if (proc.containerId) attrs['container.id'] = proc.containerId;
  if (proc.podUid) attrs['k8s.pod.uid'] = proc.podUid;
  return attrs;
}

/** A syscall failed in a way worth an error status (EAGAIN and friends are how non-blocking I/O works). */
export function syscallFailed(c: SyscallRecord): boolean {
  return c.ret < 0 && c.errno !== undefined && !BENIGN_ERRNO.has(c.errno);
}

/** OTLP span flags: the W3C sampled flag | "has is_remote" (0x100), plus "is_remote" (0x200) for a remote parent. */
export const FLAGS_LOCAL = 0x101;
export const FLAGS_REMOTE = 0x301;

export function spanFlags(span: SpanRecord): number {
  return span.parentSpanId && span.remoteParent ? FLAGS_REMOTE : FLAGS_LOCAL;
}

/** The W3C tracestate an application span carries, normalised as OpenTelemetry JS serializes it ('' for none). */
export function spanTraceState(span: SpanRecord): string {
  return span.traceState ? new TraceState(span.traceState).serialize() : '';
}

export const SCOPE_NAME = SCOPE.name;
export const SCOPE_VERSION = SCOPE.version;
export const KIND_OTEL = KIND;
export const STATUS_OTEL = STATUS;
