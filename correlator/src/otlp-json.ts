// OTLP JSON written straight from SpanRecords: the same bytes otlp-transformer's JsonTraceSerializer produces from
// the ReadableSpans of otlp.ts (a test holds them byte-identical), without building two object graphs per span
// first — the serializer's object graph and JSON.stringify of it cost ~10 µs per span, this ~1 µs, which is what
// lets the correlator keep up with the probe. Attribute names and values come from otlp.ts (one definition).
import { TraceState } from '@opentelemetry/core';
import type { Attributes } from '@opentelemetry/api';
import type { Clock, ProcessInfo, SpanRecord } from './model.js';
import { childSpanId } from './ids.js';
import {
  KIND_OTEL, SCOPE_NAME, SCOPE_VERSION, STATUS_OTEL, WallClock, forEachSyscallAttribute, parseResourceAttributesEnv,
  resourceAttributes, spanAttributes, syscallFailed, type OtlpMappingOptions,
} from './otlp.js';

const q = JSON.stringify;
/** W3C sampled flag | OTLP "has is_remote" bit, plus the "is_remote" bit for remote parents */
const FLAGS_LOCAL = 257;
const FLAGS_REMOTE = 769;
const SPAN_TAIL = ',"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":';
const SCOPE = `"scopeSpans":[{"scope":{"name":${q(SCOPE_NAME)},"version":${q(SCOPE_VERSION)}},"spans":[`;

function anyValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return '{"stringValue":' + q(v) + '}';
    case 'number':
      return Number.isInteger(v) ? '{"intValue":' + v + '}' : '{"doubleValue":' + q(v) + '}';
    case 'boolean':
      return '{"boolValue":' + v + '}';
    default:
      return '{}';
  }
}

/** `{"key":"thread.id","value":` for the fixed attribute names, built once. */
const keyPrefixes = new Map<string, string>();
function keyPrefix(k: string): string {
  let p = keyPrefixes.get(k);
  if (p === undefined) {
    p = '{"key":' + q(k) + ',"value":';
    if (keyPrefixes.size < 4096) keyPrefixes.set(k, p); // marker arg names are open-ended: bound the cache
  }
  return p;
}

const quotedNames = new Map<string, string>();
function quotedName(n: string): string {
  let p = quotedNames.get(n);
  if (p === undefined) {
    p = q(n);
    if (quotedNames.size < 4096) quotedNames.set(n, p);
  }
  return p;
}

function attributeList(a: Attributes): string {
  let out = '';
  for (const k of Object.keys(a)) out += (out ? ',' : '') + keyPrefix(k) + anyValue(a[k]) + '}';
  return '[' + out + ']';
}

/** A growing byte buffer the request is written into span by span (no giant string to flatten). */
class ByteSink {
  buf = Buffer.allocUnsafe(1 << 20);
  len = 0;

  append(s: string): void {
    if (this.len + s.length * 3 > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + s.length * 3));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.len += this.buf.write(s, this.len, 'utf8');
  }
}

function status(code: number, message: string | undefined): string {
  return message === undefined ? '{"code":' + code + '}' : '{"code":' + code + ',"message":' + q(message) + '}';
}

export interface SpanWithProcess {
  span: SpanRecord;
  proc: ProcessInfo;
}

export class OtlpJsonEncoder {
  private readonly wall: WallClock;
  private readonly hostName: string | undefined;
  private readonly baseAttrs: Attributes;
  private readonly resources = new WeakMap<ProcessInfo, string>();
  private attrs = '';

  constructor(clock: Clock, opts: OtlpMappingOptions = {}) {
    this.wall = new WallClock(clock);
    this.hostName = opts.hostName;
    this.baseAttrs = opts.resourceAttributes ?? parseResourceAttributesEnv(process.env.OTEL_RESOURCE_ATTRIBUTES);
  }

  private resource(proc: ProcessInfo): string {
    let r = this.resources.get(proc);
    if (r === undefined) {
      r = '{"resource":{"attributes":' + attributeList(resourceAttributes(proc, this.hostName, this.baseAttrs)) + ',"droppedAttributesCount":0},';
      this.resources.set(proc, r);
    }
    return r;
  }

  private readonly visit = (k: string, v: string | number | boolean): void => {
    this.attrs += (this.attrs.length > 1 ? ',' : '') + keyPrefix(k) + anyValue(v) + '}';
  };

  /** The application span and its syscall children, as comma-separated OTLP span objects. */
  spans(span: SpanRecord): string {
    const w = this.wall;
    const traceState = span.traceState ? new TraceState(span.traceState).serialize() : '';
    let out = '{"traceId":"' + span.traceId + '","spanId":"' + span.spanId + '"' +
      (span.parentSpanId ? ',"parentSpanId":"' + span.parentSpanId + '"' : '') +
      (traceState ? ',"traceState":' + q(traceState) : '') +
      ',"name":' + q(span.name) + ',"kind":' + (KIND_OTEL[span.kind] + 1) +
      ',"startTimeUnixNano":"' + w.nanoString(span.start) + '","endTimeUnixNano":"' + w.nanoString(span.end) +
      '","attributes":' + attributeList(spanAttributes(span)) + SPAN_TAIL +
      status(STATUS_OTEL[span.status], span.statusMessage) + ',"links":[],"droppedLinksCount":0,"flags":' +
      (span.parentSpanId && span.remoteParent ? FLAGS_REMOTE : FLAGS_LOCAL) + '}';
    const calls = span.syscalls;
    const head = '{"traceId":"' + span.traceId + '","spanId":"';
    const parent = '","parentSpanId":"' + span.spanId + '","name":';
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      this.attrs = '[';
      forEachSyscallAttribute(c, this.visit);
      out += ',' + head + childSpanId(span.spanId, i) + parent + quotedName(c.name) + ',"kind":1,"startTimeUnixNano":"' +
        w.nanoString(c.ts) + '","endTimeUnixNano":"' + w.nanoString(c.end) + '","attributes":' + this.attrs + ']' +
        SPAN_TAIL + (syscallFailed(c) ? status(2, c.errno) : '{"code":0}') +
        ',"links":[],"droppedLinksCount":0,"flags":257}';
    }
    return out;
  }

  /** One ExportTraceServiceRequest (spans grouped by process resource, in first-seen order) as JSON text. */
  request(items: readonly SpanWithProcess[]): string {
    return this.requestBytes(items).toString('utf8');
  }

  /** The same as UTF-8 bytes, followed by `suffix` (a newline for JSON Lines). Valid until the next call. */
  requestBytes(items: readonly SpanWithProcess[], suffix = ''): Buffer {
    const groups = new Map<ProcessInfo, SpanRecord[]>();
    for (const { span, proc } of items) {
      let g = groups.get(proc);
      if (g === undefined) groups.set(proc, (g = []));
      g.push(span);
    }
    const out = this.sink;
    out.len = 0;
    out.append('{"resourceSpans":[');
    let firstGroup = true;
    for (const [proc, spans] of groups) {
      out.append((firstGroup ? '' : ',') + this.resource(proc) + SCOPE);
      firstGroup = false;
      for (let i = 0; i < spans.length; i++) out.append((i ? ',' : '') + this.spans(spans[i]));
      out.append(']}]}');
    }
    out.append(']}' + suffix);
    if (out.buf.length > 16 << 20) {
      // one huge request grew it: hand that out, start small again next time
      const big = out.buf.subarray(0, out.len);
      this.sink = new ByteSink();
      return big;
    }
    return out.buf.subarray(0, out.len);
  }

  private sink = new ByteSink();
}
