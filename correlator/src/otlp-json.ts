// OTLP JSON written straight from SpanRecords into bytes: the same bytes otlp-transformer's JsonTraceSerializer
// produces from the ReadableSpans of otlp.ts (a test holds them byte-identical), without building two object
// graphs and one big string per request first. The serializer costs ~10 µs per span; this is what lets export keep
// up with the probe. Attribute names and values come from otlp.ts (one definition).
import type { Attributes } from '@opentelemetry/api';
import type { Clock, ProcessInfo, SpanRecord, SyscallRecord } from './model.js';
import { childSpanWords, hexWord } from './ids.js';
import { Bytes, JsonWriter, LiteralCache, ascii } from './jsonwriter.js';
import {
  KIND_OTEL,
  SCOPE_NAME,
  SCOPE_VERSION,
  STATUS_OTEL,
  SYSCALL_ATTRIBUTE_KEYS,
  FLAGS_REMOTE,
  spanFlags,
  spanTraceState,
  WallClock,
  forEachSyscallAttribute,
  parseResourceAttributesEnv,
  resourceAttributes,
  forEachSpanAttribute,
  syscallFailed,
  type OtlpMappingOptions,
} from './otlp.js';

const q = JSON.stringify;

const TAIL = '],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":';
const FLAGS = '},"links":[],"droppedLinksCount":0,"flags":';

const B = {
  groupEnd: ascii(']}]}'),
  scope: ascii(`"scopeSpans":[{"scope":{"name":${q(SCOPE_NAME)},"version":${q(SCOPE_VERSION)}},"spans":[`),
  comma: ascii(','),
  traceId: ascii('{"traceId":"'),
  spanId: ascii('","spanId":"'),
  parentSpanId: ascii('","parentSpanId":"'),
  quote: ascii('"'),
  quoteName: ascii('","name":'),
  traceState: ascii(',"traceState":'),
  name: ascii(',"name":'),
  kind: ascii(',"kind":'),
  start: ascii(',"startTimeUnixNano":"'),
  end: ascii('","endTimeUnixNano":"'),
  attrs: ascii('","attributes":['),
  tail: ascii(TAIL),
  message: ascii(',"message":'),
  flags: ascii(FLAGS),
  spanEnd: ascii('}'),
  true: ascii('true'),
  false: ascii('false'),
  empty: ascii('{"key":'),
  commaEmpty: ascii('}},{"key":'),
  emptyValue: ascii(',"value":{'),
  valueEnd: ascii('}}'),
  kindInternal: ascii(',"kind":1,"startTimeUnixNano":"'),
  okTail: ascii(
    '],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":0},"links":[],"droppedLinksCount":0,"flags":257}',
  ),
  errorTail: ascii('],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":2,"message":'),
  /** the same two, closing the last attribute first */
  okTailAfterAttr: ascii(
    '}}],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":0},"links":[],"droppedLinksCount":0,"flags":257}',
  ),
  errorTailAfterAttr: ascii(
    '}}],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":2,"message":',
  ),
  errorFlags: ascii('},"links":[],"droppedLinksCount":0,"flags":257}'),
};

type ValueKind = 0 | 1 | 2 | 3; // string, int, double, bool
const VALUE_OPEN = ['{"stringValue":', '{"intValue":', '{"doubleValue":', '{"boolValue":'];

/**
 * Everything before an attribute's value, as one constant per name, value kind and position:
 * `{"key":"file.path","value":{"stringValue":`, or for later attributes `}},{"key":...` which also closes the
 * previous one. Built once per attribute name. Marker arg names are open-ended (up to a marker's size), so at most
 * HEADS_MAX names of at most HEAD_NAME_MAX characters are kept (≈ 4096 × 8 × 1.6 KiB ≤ 52 MiB even if every
 * character needed a \u escape; ≈ 3 MiB for plain names); others are built each time.
 */
const heads = new Map<string, Bytes[]>();
const HEADS_MAX = 4096;
const HEAD_NAME_MAX = 256;
let headBytes = 0;
function attrHead(k: string, kind: ValueKind, first: boolean): Bytes {
  let h = heads.get(k);
  if (h === undefined) {
    h = [];
    const key = `{"key":${q(k)},"value":`;
    for (let i = 0; i < 4; i++) {
      h.push(ascii(key + VALUE_OPEN[i]));
      h.push(ascii(`}},${key}${VALUE_OPEN[i]}`));
    }
    if (heads.size < HEADS_MAX && k.length <= HEAD_NAME_MAX) {
      heads.set(k, h);
      for (const b of h) headBytes += b.words.byteLength;
    }
  }
  return h[kind * 2 + (first ? 0 : 1)];
}

/** @internal For tests: names and bytes the attribute-head cache holds. */
export function attributeHeadCache(): { names: number; bytes: number } {
  return { names: heads.size, bytes: headBytes };
}

/** attrHead's constants for the syscall attributes, by key index: no map lookup per attribute. */
const syscallHeads: Bytes[][] = SYSCALL_ATTRIBUTE_KEYS.map((k) =>
  [0, 1, 2, 3].flatMap((kind) => [attrHead(k, kind as ValueKind, true), attrHead(k, kind as ValueKind, false)]),
);

/** What every syscall child of an application span starts with, up to its own span id, and what follows that id. */
const childHead = (traceId: string): Bytes => ascii(`,{"traceId":"${traceId}","spanId":"`);
const childParent = (spanId: string): Bytes => ascii(`","parentSpanId":"${spanId}","name":`);
const CHILD_HEAD_BYTES = childHead('0'.repeat(32)).n;
const CHILD_PARENT_BYTES = childParent('0'.repeat(16)).n;

export interface SpanWithProcess {
  span: SpanRecord;
  proc: ProcessInfo;
}

export class OtlpJsonEncoder {
  private readonly wall: WallClock;
  private readonly hostName: string | undefined;
  private readonly baseAttrs: Attributes;
  private readonly resources = new WeakMap<ProcessInfo, Bytes>();
  private w = new JsonWriter(1024);
  private readonly t = new Float64Array(2);
  private readonly ids = new Uint32Array(2);
  private firstAttr = true;

  constructor(clock: Clock, opts: OtlpMappingOptions = {}) {
    this.wall = new WallClock(clock);
    this.hostName = opts.hostName;
    this.baseAttrs = opts.resourceAttributes ?? parseResourceAttributesEnv(process.env.OTEL_RESOURCE_ATTRIBUTES);
  }

  /** `{"resource":{...},` of a process, encoded once per ProcessInfo (they are replaced, never mutated). */
  private resource(proc: ProcessInfo): Bytes {
    let r = this.resources.get(proc);
    if (r === undefined) {
      const w = new JsonWriter(1024);
      w.raw(ascii('{"resource":{"attributes":['));
      this.attributes(w, resourceAttributes(proc, this.hostName, this.baseAttrs));
      w.raw(ascii('],"droppedAttributesCount":0},'));
      r = new Bytes(w.bytes());
      this.resources.set(proc, r);
    }
    return r;
  }

  /** One attribute (closing the previous one); returns false for values OTLP JSON cannot carry here. */
  private attr(w: JsonWriter, k: string, v: unknown, first: boolean): void {
    switch (typeof v) {
      case 'string':
        w.raw(attrHead(k, 0, first));
        w.cachedStr(v);
        return;
      case 'number':
        if (Number.isInteger(v)) {
          w.raw(attrHead(k, 1, first));
          w.num(v);
        } else {
          w.raw(attrHead(k, 2, first));
          w.plain(q(v));
        }
        return;
      case 'boolean':
        w.raw(attrHead(k, 3, first));
        w.raw(v ? B.true : B.false);
        return;
      default:
        // (not produced by the mapping) the transformer writes {} for other values
        w.raw(first ? B.empty : B.commaEmpty);
        w.raw(ascii(q(k)));
        w.raw(B.emptyValue);
    }
  }

  /** `[` … `]` of an attribute list. */
  private attributes(w: JsonWriter, a: Attributes): void {
    let first = true;
    for (const k of Object.keys(a)) {
      this.attr(w, k, a[k], first);
      first = false;
    }
    if (!first) w.raw(B.valueEnd);
  }

  private readonly visit = (k: string, v: string | number | boolean): void => {
    this.attr(this.w, k, v, this.firstAttr);
    this.firstAttr = false;
  };

  /** per syscall attribute key and position: string values already encoded with their head (see syscallAttr) */
  private readonly valueCaches: (LiteralCache | undefined)[] = new Array(SYSCALL_ATTRIBUTE_KEYS.length * 2).fill(
    undefined,
  );

  /** Syscall attributes: the head constant comes by key index. */
  private readonly visitSyscall = (_k: string, v: string | number | boolean, index: number): void => {
    this.syscallAttr(v, index, this.firstAttr);
    this.firstAttr = false;
  };

  /** One syscall attribute: the head constant comes by key index. */
  private syscallAttr(v: string | number | boolean, index: number, first: boolean): void {
    const w = this.w;
    const heads = syscallHeads[index];
    const second = first ? 0 : 1;
    switch (typeof v) {
      case 'string': {
        // head and value as one remembered piece: these values repeat (a fd's target on each of its calls)
        const k = index * 2 + second;
        const cache = this.valueCaches[k] ?? (this.valueCaches[k] = new LiteralCache());
        w.strPiece(heads[second], v, null, cache);
        return;
      }
      case 'number':
        if (Number.isInteger(v)) {
          w.raw(heads[2 + second]);
          w.num(v);
        } else {
          w.raw(heads[4 + second]);
          w.plain(JSON.stringify(v));
        }
        return;
      default:
        w.raw(heads[6 + second]);
        w.raw(v ? B.true : B.false);
    }
  }

  /** digits of the last seconds value written: consecutive timestamps almost always share it */
  private lastSec = -1;
  private lastSecDigits: Bytes = ascii('');

  private time(mono: number): void {
    this.wall.into(mono, this.t);
    const sec = this.t[0];
    const w = this.w;
    if (sec <= 0) {
      w.plain(String(BigInt(sec) * 1_000_000_000n + BigInt(this.t[1])));
      return;
    }
    if (sec !== this.lastSec) {
      this.lastSec = sec;
      this.lastSecDigits = ascii(String(sec));
    }
    w.raw(this.lastSecDigits);
    w.padded(this.t[1], 9);
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
    const traceState = spanTraceState(span);
    if (traceState) {
      w.raw(B.quote);
      w.raw(B.traceState);
      w.str(traceState);
      w.raw(B.name);
    } else w.raw(B.quoteName);
    // name, kind and the start's key as one piece per name and kind
    const kind = KIND_OTEL[span.kind] + 1;
    const names = this.appNames[kind] ?? (this.appNames[kind] = new LiteralCache());
    w.strPiece(null, span.name, this.kindStart(kind), names);
    this.time(span.start);
    w.raw(B.end);
    this.time(span.end);
    w.raw(B.attrs);
    this.firstAttr = true;
    forEachSpanAttribute(span, this.visit);
    const closeAttr = !this.firstAttr;
    const code = STATUS_OTEL[span.status];
    const flags = spanFlags(span);
    if (span.statusMessage === undefined) {
      w.raw(this.appTail(closeAttr, code, flags));
      return;
    }
    if (closeAttr) w.raw(B.valueEnd);
    w.raw(B.tail);
    w.num(code);
    w.raw(B.message);
    w.str(span.statusMessage);
    w.raw(B.flags);
    w.num(flags);
    w.raw(B.spanEnd);
  }

  /** application span names with their kind and start key, per kind (see appSpan) */
  private readonly appNames: (LiteralCache | undefined)[] = [];
  private readonly kindStarts: (Bytes | undefined)[] = [];
  private readonly appTails: (Bytes | undefined)[] = [];

  /** `,"kind":K,"startTimeUnixNano":"` */
  private kindStart(kind: number): Bytes {
    return this.kindStarts[kind] ?? (this.kindStarts[kind] = ascii(`,"kind":${kind},"startTimeUnixNano":"`));
  }

  /** Everything after an application span's attributes when it has no status message, as one constant. */
  private appTail(closeAttr: boolean, code: number, flags: number): Bytes {
    const i = code * 4 + (flags === FLAGS_REMOTE ? 2 : 0) + (closeAttr ? 1 : 0);
    return this.appTails[i] ?? (this.appTails[i] = ascii(`${closeAttr ? '}}' : ''}${TAIL}${code}${FLAGS}${flags}}`));
  }

  /** For the current application span's children: `,{"traceId":"…","spanId":"` and `","parentSpanId":"…","name":`,
   * the ids overwritten in place for each application span (ids are validated hex of fixed length) */
  private childHead = childHead('0'.repeat(32));
  private childParent = childParent('0'.repeat(16));
  private readonly scratch = new JsonWriter(256);

  /** `"read","kind":1,"startTimeUnixNano":"` by syscall name (names come from the probe's table: few). */
  private readonly nameHeads = new Map<string, Bytes>();

  private nameHead(name: string): Bytes | undefined {
    let h = this.nameHeads.get(name);
    if (h === undefined && this.nameHeads.size < 1024) {
      const w = this.scratch;
      w.len = 0;
      w.str(name);
      w.raw(B.kindInternal);
      h = new Bytes(w.bytes());
      this.nameHeads.set(name, h);
    }
    return h;
  }

  private syscallSpan(c: SyscallRecord, hi: number, lo: number, index: number): void {
    const w = this.w;
    childSpanWords(hi, lo, index, this.ids);
    w.raw(this.childHead);
    w.hex32(this.ids[0]);
    w.hex32(this.ids[1]);
    w.raw(this.childParent);
    const head = this.nameHead(c.name);
    if (head !== undefined) w.raw(head);
    else {
      w.cachedStr(c.name);
      w.raw(B.kindInternal);
    }
    this.time(c.ts);
    w.raw(B.end);
    this.time(c.end);
    w.raw(B.attrs);
    this.firstAttr = true;
    forEachSyscallAttribute(c, this.visitSyscall);
    const closeAttr = !this.firstAttr;
    if (syscallFailed(c)) {
      w.raw(closeAttr ? B.errorTailAfterAttr : B.errorTail);
      w.str(c.errno as string);
      w.raw(B.errorFlags);
    } else w.raw(closeAttr ? B.okTailAfterAttr : B.okTail);
  }

  private spans(span: SpanRecord): void {
    this.appSpan(span);
    const calls = span.syscalls;
    if (calls.length === 0) return;
    const id = span.spanId;
    if (
      span.traceId.length === 32 &&
      id.length === 16 &&
      this.childHead.n === CHILD_HEAD_BYTES &&
      this.childParent.n === CHILD_PARENT_BYTES
    ) {
      this.childHead.setAsciiAt(13, span.traceId);
      this.childParent.setAsciiAt(18, id);
    } else {
      // (ids are validated hex of those lengths; this keeps the output right if one ever is not)
      this.childHead = childHead(span.traceId);
      this.childParent = childParent(id);
    }
    const hi = hexWord(id, 0);
    const lo = hexWord(id, 8);
    for (let i = 0; i < calls.length; i++) this.syscallSpan(calls[i], hi, lo, i);
  }

  /** Spans added since the last take(), encoded already, one writer per process resource (first-seen order). */
  private readonly groups = new Map<ProcessInfo, JsonWriter>();
  private readonly pool: JsonWriter[] = [];
  private readonly literals = new LiteralCache();

  /**
   * Encodes a finished span (and its syscall children) now, into the next request. Encoding at once rather than at
   * take() lets span records die young instead of surviving in a batch.
   */
  add(span: SpanRecord, proc: ProcessInfo): void {
    let g = this.groups.get(proc);
    if (g === undefined) {
      if (this.groups.size === 0) this.recycle();
      g = this.pool.pop() ?? new JsonWriter(64 << 10, this.literals);
      g.len = 0;
      // Every group starts with the comma that separates it from the previous one; take() drops the first's.
      g.raw(B.comma);
      g.raw(this.resource(proc));
      g.raw(B.scope);
      this.groups.set(proc, g);
    } else g.raw(B.comma);
    this.w = g;
    this.spans(span);
  }

  /** Spans waiting for take(). */
  get pending(): boolean {
    return this.groups.size > 0;
  }

  /** Group buffers handed out by the last take(): reusable once the caller wrote them (at the next add/take). */
  private taken: JsonWriter[] = [];

  private recycle(): void {
    for (const g of this.taken) if (g.buf.length <= 4 << 20 && this.pool.length < 64) this.pool.push(g);
    this.taken = [];
  }

  /**
   * The ExportTraceServiceRequest of every span added since the last call — spans grouped by process resource in
   * first-seen order, as otlp-transformer groups them — followed by `suffix`, as pieces to write in order (no copy
   * into one buffer). Valid until the next add() or take().
   */
  take(suffix?: Uint8Array): Uint8Array[] {
    this.recycle();
    const pieces: Uint8Array[] = [OPEN];
    let first = true;
    for (const g of this.groups.values()) {
      g.raw(B.groupEnd);
      pieces.push(first ? g.bytes().subarray(1) : g.bytes());
      first = false;
      this.taken.push(g);
    }
    this.groups.clear();
    pieces.push(CLOSE);
    if (suffix) pieces.push(suffix);
    return pieces;
  }

  /** One request for `items`, as JSON text (tests compare it with otlp-transformer's). */
  request(items: readonly SpanWithProcess[]): string {
    for (const { span, proc } of items) this.add(span, proc);
    return Buffer.concat(this.take()).toString('utf8');
  }
}

const OPEN = new TextEncoder().encode('{"resourceSpans":[');
const CLOSE = new TextEncoder().encode(']}');
