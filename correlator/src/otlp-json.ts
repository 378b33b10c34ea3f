// OTLP JSON written straight from SpanRecords into bytes: the same bytes otlp-transformer's JsonTraceSerializer
// produces from the ReadableSpans of otlp.ts (a test holds them byte-identical), without building two object
// graphs and one big string per request first. The serializer costs ~10 µs per span; this is what lets export keep
// up with the probe. Attribute names and values come from otlp.ts (one definition).
import type { Attributes } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { Clock, ProcessInfo, SpanRecord, SyscallRecord } from './model.js';
import { childSpanWords } from './ids.js';
import { JsonWriter, ascii } from './jsonwriter.js';
import {
  KIND_OTEL, SCOPE_NAME, SCOPE_VERSION, STATUS_OTEL, WallClock, forEachSyscallAttribute, parseResourceAttributesEnv,
  resourceAttributes, spanAttributes, syscallFailed, type OtlpMappingOptions,
} from './otlp.js';

const q = JSON.stringify;
/** W3C sampled flag | OTLP "has is_remote" bit, plus the "is_remote" bit for remote parents */
const FLAGS_LOCAL = 257;
const FLAGS_REMOTE = 769;

const B = {
  open: ascii('{"resourceSpans":['),
  close: ascii(']}'),
  groupEnd: ascii(']}]}'),
  scope: ascii(`"scopeSpans":[{"scope":{"name":${q(SCOPE_NAME)},"version":${q(SCOPE_VERSION)}},"spans":[`),
  comma: ascii(','),
  traceId: ascii('{"traceId":"'),
  spanId: ascii('","spanId":"'),
  parentSpanId: ascii('","parentSpanId":"'),
  quote: ascii('"'),
  traceState: ascii(',"traceState":'),
  nameAfterId: ascii('","name":'),
  name: ascii(',"name":'),
  kind: ascii(',"kind":'),
  start: ascii(',"startTimeUnixNano":"'),
  end: ascii('","endTimeUnixNano":"'),
  attrs: ascii('","attributes":['),
  tail: ascii('],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":'),
  message: ascii(',"message":'),
  flags: ascii('},"links":[],"droppedLinksCount":0,"flags":'),
  spanEnd: ascii('}'),
  stringValue: ascii('{"stringValue":'),
  intValue: ascii('{"intValue":'),
  doubleValue: ascii('{"doubleValue":'),
  boolTrue: ascii('{"boolValue":true}'),
  boolFalse: ascii('{"boolValue":false}'),
  empty: ascii('{}'),
  valueEnd: ascii('}}'),
};

/** `{"key":"thread.id","value":` per attribute name, built once (marker arg names are open-ended: bounded). */
const keyPrefixes = new Map<string, Uint8Array>();
function keyPrefix(k: string): Uint8Array {
  let p = keyPrefixes.get(k);
  if (p === undefined) {
    p = new TextEncoder().encode('{"key":' + q(k) + ',"value":');
    if (keyPrefixes.size < 4096) keyPrefixes.set(k, p);
  }
  return p;
}

export interface SpanWithProcess {
  span: SpanRecord;
  proc: ProcessInfo;
}

export class OtlpJsonEncoder {
  private readonly wall: WallClock;
  private readonly hostName: string | undefined;
  private readonly baseAttrs: Attributes;
  private readonly resources = new WeakMap<ProcessInfo, Uint8Array>();
  private w = new JsonWriter();
  private readonly t = new Float64Array(2);
  private readonly ids = new Uint32Array(2);
  private firstAttr = true;

  constructor(clock: Clock, opts: OtlpMappingOptions = {}) {
    this.wall = new WallClock(clock);
    this.hostName = opts.hostName;
    this.baseAttrs = opts.resourceAttributes ?? parseResourceAttributesEnv(process.env.OTEL_RESOURCE_ATTRIBUTES);
  }

  /** `{"resource":{...},` of a process, encoded once per ProcessInfo (they are replaced, never mutated). */
  private resource(proc: ProcessInfo): Uint8Array {
    let r = this.resources.get(proc);
    if (r === undefined) {
      const w = new JsonWriter(1024);
      w.raw(ascii('{"resource":{"attributes":['));
      this.attributes(w, resourceAttributes(proc, this.hostName, this.baseAttrs));
      w.raw(ascii('],"droppedAttributesCount":0},'));
      r = w.bytes().slice();
      this.resources.set(proc, r);
    }
    return r;
  }

  private value(w: JsonWriter, v: unknown): void {
    switch (typeof v) {
      case 'string':
        w.raw(B.stringValue);
        w.str(v);
        w.raw(B.valueEnd);
        return;
      case 'number':
        if (Number.isInteger(v)) {
          w.raw(B.intValue);
          w.num(v);
        } else {
          w.raw(B.doubleValue);
          w.plain(q(v));
        }
        w.raw(B.valueEnd);
        return;
      case 'boolean':
        w.raw(v ? B.boolTrue : B.boolFalse);
        w.raw(B.spanEnd);
        return;
      default:
        w.raw(B.empty);
        w.raw(B.spanEnd);
    }
  }

  private attributes(w: JsonWriter, a: Attributes): void {
    let first = true;
    for (const k of Object.keys(a)) {
      if (!first) w.raw(B.comma);
      first = false;
      w.raw(keyPrefix(k));
      this.value(w, a[k]);
    }
  }

  private readonly visit = (k: string, v: string | number | boolean): void => {
    const w = this.w;
    if (!this.firstAttr) w.raw(B.comma);
    this.firstAttr = false;
    w.raw(keyPrefix(k));
    this.value(w, v);
  };

  private time(mono: number): void {
    this.wall.into(mono, this.t);
    const sec = this.t[0];
    if (sec <= 0) {
      this.w.plain(String(BigInt(sec) * 1_000_000_000n + BigInt(this.t[1])));
      return;
    }
    this.w.num(sec);
    this.w.padded(this.t[1], 9);
  }

  private appSpan(span: SpanRecord): void {
    const w = this.w;
    w.raw(B.traceId);
    w.plain(span.traceId);
    w.raw(B.spanId);
    w.plain(span.spanId);
    if (span.parentSpanId) {
      w.raw(B.parentSpanId);
      w.plain(span.parentSpanId);
    }
    w.raw(B.quote);
    const traceState = span.traceState ? new TraceState(span.traceState).serialize() : '';
    if (traceState) {
      w.raw(B.traceState);
      w.str(traceState);
    }
    w.raw(B.name);
    w.str(span.name);
    w.raw(B.kind);
    w.num(KIND_OTEL[span.kind] + 1);
    w.raw(B.start);
    this.time(span.start);
    w.raw(B.end);
    this.time(span.end);
    w.raw(B.attrs);
    this.attributes(w, spanAttributes(span));
    w.raw(B.tail);
    w.num(STATUS_OTEL[span.status]);
    if (span.statusMessage !== undefined) {
      w.raw(B.message);
      w.str(span.statusMessage);
    }
    w.raw(B.flags);
    w.num(span.parentSpanId && span.remoteParent ? FLAGS_REMOTE : FLAGS_LOCAL);
    w.raw(B.spanEnd);
  }

  private syscallSpan(span: SpanRecord, c: SyscallRecord, hi: number, lo: number, index: number): void {
    const w = this.w;
    childSpanWords(hi, lo, index, this.ids);
    w.raw(B.traceId);
    w.plain(span.traceId);
    w.raw(B.spanId);
    w.hex32(this.ids[0]);
    w.hex32(this.ids[1]);
    w.raw(B.parentSpanId);
    w.plain(span.spanId);
    w.raw(B.nameAfterId);
    w.str(c.name);
    w.raw(B.kind);
    w.num(1);
    w.raw(B.start);
    this.time(c.ts);
    w.raw(B.end);
    this.time(c.end);
    w.raw(B.attrs);
    this.firstAttr = true;
    forEachSyscallAttribute(c, this.visit);
    w.raw(B.tail);
    if (syscallFailed(c)) {
      w.num(2);
      w.raw(B.message);
      w.str(c.errno as string);
    } else w.num(0);
    w.raw(B.flags);
    w.num(FLAGS_LOCAL);
    w.raw(B.spanEnd);
  }

  private spans(span: SpanRecord): void {
    this.appSpan(span);
    const calls = span.syscalls;
    if (calls.length === 0) return;
    const hi = parseInt(span.spanId.slice(0, 8), 16);
    const lo = parseInt(span.spanId.slice(8, 16), 16);
    for (let i = 0; i < calls.length; i++) {
      this.w.raw(B.comma);
      this.syscallSpan(span, calls[i], hi, lo, i);
    }
  }

  /** One ExportTraceServiceRequest (spans grouped by process resource, in first-seen order) as JSON text. */
  request(items: readonly SpanWithProcess[]): string {
    return Buffer.from(this.requestBytes(items)).toString('utf8');
  }

  /** The same as UTF-8 bytes, followed by `suffix` bytes (a newline for JSON Lines). Valid until the next call. */
  requestBytes(items: readonly SpanWithProcess[], suffix?: Uint8Array): Uint8Array {
    const groups = new Map<ProcessInfo, SpanRecord[]>();
    for (const { span, proc } of items) {
      let g = groups.get(proc);
      if (g === undefined) groups.set(proc, (g = []));
      g.push(span);
    }
    if (this.w.buf.length > 16 << 20) this.w = new JsonWriter(); // one huge request grew it: start small again
    const w = this.w;
    w.len = 0;
    w.raw(B.open);
    let firstGroup = true;
    for (const [proc, spans] of groups) {
      if (!firstGroup) w.raw(B.comma);
      firstGroup = false;
      w.raw(this.resource(proc));
      w.raw(B.scope);
      for (let i = 0; i < spans.length; i++) {
        if (i) w.raw(B.comma);
        this.spans(spans[i]);
      }
      w.raw(B.groupEnd);
    }
    w.raw(B.close);
    if (suffix) w.raw(suffix);
    return w.bytes();
  }
}
