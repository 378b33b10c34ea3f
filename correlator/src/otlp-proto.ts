// OTLP protobuf (ExportTraceServiceRequest) written straight from SpanRecords into bytes: the bytes otlp-transformer's
// ProtobufTraceSerializer produces from the ReadableSpans of otlp.ts (a test holds them byte-identical), without the
// ReadableSpan objects, their attribute maps and a size pass per request. Hand-written for the same reason as
// otlp-json.ts: export has to keep up with the probe. The span → OTLP mapping (attributes, resource, kind, status,
// flags, child ids) is otlp.ts's, shared with the JSON encoder; only the wire format is written here.
import type { Attributes } from '@opentelemetry/api';
import type { Clock, ProcessInfo, SpanRecord, SyscallRecord } from './model.js';
import { childSpanWords, hexWord } from './ids.js';
import { LiteralCache } from './jsonwriter.js';
import { ProtoWriter, varintSize } from './protowriter.js';
import {
  KIND_OTEL,
  SCOPE_NAME,
  SCOPE_VERSION,
  STATUS_OTEL,
  SYSCALL_ATTRIBUTE_KEYS,
  FLAGS_LOCAL,
  WallClock,
  forEachSpanAttribute,
  forEachSyscallAttribute,
  parseResourceAttributesEnv,
  resourceAttributes,
  spanFlags,
  spanTraceState,
  syscallFailed,
  type OtlpMappingOptions,
} from './otlp.js';

/** a field's tag byte: field number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32) */
const tag = (field: number, wire: number): number => (field << 3) | wire;
const LD = 2;

// ExportTraceServiceRequest.resource_spans, ResourceSpans.{resource, scope_spans}, ScopeSpans.{scope, spans}
const RESOURCE_SPANS = tag(1, LD);
const RESOURCE = tag(1, LD);
const SCOPE_SPANS = tag(2, LD);
const SPAN = tag(2, LD);
// Span
const TRACE_ID = tag(1, LD);
const SPAN_ID = tag(2, LD);
const TRACE_STATE = tag(3, LD);
const PARENT_SPAN_ID = tag(4, LD);
const NAME = tag(5, LD);
const KIND = tag(6, 0);
const START = tag(7, 1);
const END = tag(8, 1);
const SPAN_ATTRIBUTE = tag(9, LD);
const STATUS = tag(15, LD);
/** dropped_attributes_count, dropped_events_count, dropped_links_count: all 0 (no events, no links) */
const DROPPED_COUNTS = new Uint8Array([tag(10, 0), 0, tag(12, 0), 0, tag(14, 0), 0]);
/** Span.flags: field 16, fixed32 — a two-byte tag */
const FLAGS_TAG = new Uint8Array([0x85, 0x01]);
// Status
const STATUS_MESSAGE = tag(2, LD);
const STATUS_CODE = tag(3, 0);
// Resource.attributes, KeyValue.{key, value}, AnyValue
const RESOURCE_ATTRIBUTE = tag(1, LD);
const KEY = tag(1, LD);
const VALUE = tag(2, LD);
const STRING_VALUE = tag(1, LD);
const BOOL_VALUE = tag(2, 0);
const INT_VALUE = tag(3, 0);
const DOUBLE_VALUE = tag(4, 1);
/** Resource.dropped_attributes_count = 0 */
const RESOURCE_END = new Uint8Array([tag(2, 0), 0]);

/** int64 holds integers in [-2^63, 2^63); otlp-transformer writes other numbers as doubles, and so do we */
const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63;

/** `KeyValue.key` with its tag and length, per name: marker arg names are open-ended, so at most 4096 names of at
 * most 256 characters are kept (≈ 3 MiB); others are encoded each time. */
const keyFields = new Map<string, Uint8Array>();
function keyField(k: string): Uint8Array {
  let f = keyFields.get(k);
  if (f === undefined) {
    const w = new ProtoWriter(k.length * 3 + 8);
    w.byte(KEY);
    w.string(k);
    f = w.bytes().slice();
    if (keyFields.size < 4096 && k.length <= 256) keyFields.set(k, f);
  }
  return f;
}
const syscallKeyFields = SYSCALL_ATTRIBUTE_KEYS.map(keyField);

/** The InstrumentationScope as ScopeSpans.scope, tag included. */
const SCOPE_FIELD = ((): Uint8Array => {
  const w = new ProtoWriter(64);
  w.byte(tag(1, LD));
  const at = w.begin(1);
  w.byte(tag(1, LD));
  w.string(SCOPE_NAME);
  w.byte(tag(2, LD));
  w.string(SCOPE_VERSION);
  w.end(at, 1);
  return w.bytes().slice();
})();

/** A varint alone, for the headers take() puts in front of each group. */
function varintBytes(v: number): Uint8Array {
  const w = new ProtoWriter(8);
  w.varint(v);
  return w.bytes().slice();
}

/** One KeyValue under `fieldTag`: the value typed as otlp-transformer types it. */
function keyValue(w: ProtoWriter, fieldTag: number, key: Uint8Array, v: unknown): void {
  w.byte(fieldTag);
  if (typeof v === 'string') {
    const at = w.begin(1);
    w.raw(key);
    w.byte(VALUE);
    const valueAt = w.begin(1);
    w.byte(STRING_VALUE);
    w.string(v);
    w.end(valueAt, 1);
    w.end(at, 1);
    return;
  }

  const int = typeof v === 'number' && Number.isInteger(v) && v >= INT64_MIN && v < INT64_MAX;
  const valueLen = typeof v === 'number' ? (int ? 1 + int64Size(v) : 9) : typeof v === 'boolean' ? 2 : 0;
  w.varint(key.length + 1 + varintSize(valueLen) + valueLen);
  w.raw(key);
  w.byte(VALUE);
  w.byte(valueLen);
  if (typeof v === 'number') {
    if (int) {
      w.byte(INT_VALUE);
      w.int64(v);
    } else {
      w.byte(DOUBLE_VALUE);
      w.double(v);
    }
  } else if (typeof v === 'boolean') {
    w.byte(BOOL_VALUE);
    w.byte(v ? 1 : 0);
  }
  // (other values are not produced by the mapping) otlp-transformer writes an empty AnyValue for them
}

/** bytes of the int64 varint of an integer in [-2^63, 2^63) */
function int64Size(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class OtlpProtoEncoder {
  private readonly wall: WallClock;
  private readonly hostName: string | undefined;
  private readonly baseAttrs: Attributes;
  /** `Resource` of a process with its tag, encoded once per ProcessInfo (they are replaced, never mutated) */
  private readonly resources = new WeakMap<ProcessInfo, Uint8Array>();
  private w = new ProtoWriter(1024);
  private readonly t = new Float64Array(2);
  private readonly ids = new Uint32Array(2);

  constructor(clock: Clock, opts: OtlpMappingOptions = {}) {
    this.wall = new WallClock(clock);
    this.hostName = opts.hostName;
    this.baseAttrs = opts.resourceAttributes ?? parseResourceAttributesEnv(process.env.OTEL_RESOURCE_ATTRIBUTES);
  }

  private resource(proc: ProcessInfo): Uint8Array {
    let r = this.resources.get(proc);
    if (r === undefined) {
      const w = new ProtoWriter(1024);
      w.byte(RESOURCE);
      const at = w.begin(2);
      const attrs = resourceAttributes(proc, this.hostName, this.baseAttrs);
      for (const k of Object.keys(attrs)) keyValue(w, RESOURCE_ATTRIBUTE, keyField(k), attrs[k]);
      w.raw(RESOURCE_END);
      w.end(at, 2);
      r = w.bytes().slice();
      this.resources.set(proc, r);
    }
    return r;
  }

  private readonly visit = (k: string, v: string | number | boolean): void => {
    keyValue(this.w, SPAN_ATTRIBUTE, keyField(k), v);
  };

  /** per syscall attribute key: whole KeyValues of string values, which repeat (a fd's target on each call) */
  private readonly syscallValues = SYSCALL_ATTRIBUTE_KEYS.map(() => new LiteralCache());

  private readonly visitSyscall = (_k: string, v: string | number | boolean, index: number): void => {
    if (typeof v === 'string') this.cached(v, this.syscallValues[index], SPAN_ATTRIBUTE, syscallKeyFields[index]);
    else keyValue(this.w, SPAN_ATTRIBUTE, syscallKeyFields[index], v);
  };

  /** span names (with their tag): few distinct ones */
  private readonly names = new LiteralCache();

  /** A string field (`key` undefined: `fieldTag` and the string) or a KeyValue with a string value, copied from
   * `cache` when it was written before (bounded: see LiteralCache). */
  private cached(s: string, cache: LiteralCache, fieldTag: number, key?: Uint8Array): void {
    const w = this.w;
    const hit = s.length <= 512 ? cache.get(s) : undefined;
    if (hit !== undefined) {
      w.raw(hit.u8);
      return;
    }
    const start = w.len;
    if (key === undefined) {
      w.byte(fieldTag);
      w.string(s);
    } else keyValue(w, fieldTag, key, s);
    if (s.length <= 512) cache.put(s, w.buf, start, w.len);
  }

  /** A fixed64 of wall-clock ns, split into 32-bit words without leaving exact double arithmetic (as
   * otlp-transformer's writeHrTimeAsFixed64 does, so times before 1970 wrap the same way). */
  private time(mono: number): void {
    this.wall.into(mono, this.t);
    const sec = this.t[0];
    const ns = this.t[1];
    const low = (sec & 0xffff) * 1e9;
    const high = ((sec / 0x10000) >>> 0) * 1e9;
    const sum = (low >>> 0) + (((high & 0xffff) * 0x10000) >>> 0) + ns;
    const carry = Math.floor(sum / 0x100000000);
    this.w.fixed64(sum >>> 0, Math.floor(low / 0x100000000) + ((high / 0x10000) >>> 0) + carry);
  }

  private status(code: number, message: string | undefined): void {
    const w = this.w;
    w.byte(STATUS);
    if (!message) {
      w.byte(2);
      w.byte(STATUS_CODE);
      w.byte(code);
      return;
    }
    const at = w.begin(1);
    w.byte(STATUS_MESSAGE);
    w.string(message);
    w.byte(STATUS_CODE);
    w.byte(code);
    w.end(at, 1);
  }

  private flags(flags: number): void {
    this.w.raw(FLAGS_TAG);
    this.w.fixed32(flags);
  }

  private appSpan(span: SpanRecord): void {
    const w = this.w;
    w.byte(SPAN);
    const at = w.begin(2);
    w.byte(TRACE_ID);
    w.hexBytes(span.traceId);
    w.byte(SPAN_ID);
    w.hexBytes(span.spanId);
    const traceState = spanTraceState(span);
    if (traceState) {
      w.byte(TRACE_STATE);
      w.string(traceState);
    }
    if (span.parentSpanId) {
      w.byte(PARENT_SPAN_ID);
      w.hexBytes(span.parentSpanId);
    }
    this.cached(span.name, this.names, NAME);
    w.byte(KIND);
    w.byte(KIND_OTEL[span.kind] + 1);
    w.byte(START);
    this.time(span.start);
    w.byte(END);
    this.time(span.end);
    forEachSpanAttribute(span, this.visit);
    w.raw(DROPPED_COUNTS);
    this.status(STATUS_OTEL[span.status], span.statusMessage);
    this.flags(spanFlags(span));
    w.end(at, 2);
  }

  /** trace_id of the current application span's children, with tag and length */
  private readonly childTrace = new ProtoWriter(32);
  /** parent_span_id of the current application span's children (the application span), with tag and length */
  private readonly childParent = new ProtoWriter(32);

  private syscallSpan(c: SyscallRecord, hi: number, lo: number, i: number): void {
    const w = this.w;
    w.byte(SPAN);
    const at = w.begin(2);
    w.raw(this.childTrace.buf, this.childTrace.len);
    childSpanWords(hi, lo, i, this.ids);
    w.byte(SPAN_ID);
    w.byte(8);
    w.word32be(this.ids[0]);
    w.word32be(this.ids[1]);
    w.raw(this.childParent.buf, this.childParent.len);
    this.cached(c.name, this.names, NAME);
    w.byte(KIND);
    w.byte(KIND_OTEL.internal + 1);
    w.byte(START);
    this.time(c.ts);
    w.byte(END);
    this.time(c.end);
    forEachSyscallAttribute(c, this.visitSyscall);
    w.raw(DROPPED_COUNTS);
    if (syscallFailed(c)) this.status(STATUS_OTEL.error, c.errno);
    else this.status(STATUS_OTEL.unset, undefined);
    this.flags(FLAGS_LOCAL);
    w.end(at, 2);
  }

  /** Spans added since the last take(), encoded already, one writer per process resource (first-seen order). */
  private readonly groups = new Map<ProcessInfo, ProtoWriter>();
  private readonly pool: ProtoWriter[] = [];
  private taken: ProtoWriter[] = [];

  /** Encodes a finished span (and its syscall children) now, into the next request (see OtlpJsonEncoder.add). */
  add(span: SpanRecord, proc: ProcessInfo): void {
    let g = this.groups.get(proc);
    if (g === undefined) {
      if (this.groups.size === 0) this.recycle();
      g = this.pool.pop() ?? new ProtoWriter(64 << 10);
      g.len = 0;
      this.groups.set(proc, g);
    }
    this.w = g;
    this.appSpan(span);
    const calls = span.syscalls;
    if (calls.length === 0) return;
    this.childTrace.len = 0;
    this.childTrace.byte(TRACE_ID);
    this.childTrace.hexBytes(span.traceId);
    this.childParent.len = 0;
    this.childParent.byte(PARENT_SPAN_ID);
    this.childParent.hexBytes(span.spanId);
    const hi = hexWord(span.spanId, 0);
    const lo = hexWord(span.spanId, 8);
    for (let i = 0; i < calls.length; i++) this.syscallSpan(calls[i], hi, lo, i);
  }

  /** Spans waiting for take(). */
  get pending(): boolean {
    return this.groups.size > 0;
  }

  private recycle(): void {
    for (const g of this.taken) if (g.buf.length <= 4 << 20 && this.pool.length < 64) this.pool.push(g);
    this.taken = [];
  }

  /**
   * The ExportTraceServiceRequest of every span added since the last call, spans grouped by process resource in
   * first-seen order as otlp-transformer groups them, as pieces to write in order. Valid until the next add/take.
   */
  take(): Uint8Array[] {
    this.recycle();
    const pieces: Uint8Array[] = [];
    for (const [proc, g] of this.groups) {
      const resource = this.resource(proc);
      const scopeSpans = SCOPE_FIELD.length + g.len;
      const resourceSpans = resource.length + 1 + varintSize(scopeSpans) + scopeSpans;
      pieces.push(
        new Uint8Array([RESOURCE_SPANS]),
        varintBytes(resourceSpans),
        resource,
        new Uint8Array([SCOPE_SPANS]),
        varintBytes(scopeSpans),
        SCOPE_FIELD,
        g.bytes(),
      );
      this.taken.push(g);
    }
    this.groups.clear();
    return pieces;
  }

  /** One request for `items` (tests compare it with otlp-transformer's). */
  request(items: readonly { span: SpanRecord; proc: ProcessInfo }[]): Uint8Array {
    for (const { span, proc } of items) this.add(span, proc);
    return Buffer.concat(this.take());
  }
}
