/**
 * Spans: ids, nesting through AsyncLocalStorage, and the two markers each span writes (enter on start, exit on
 * end). Nothing here throws into the application: every public entry point catches, and a failing sink only
 * turns markers off.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { probeListening, publishActive, publishedActive, slotIsCurrent, startActiveContext } from './active.js';
import { MarkerEncoder, encodeTags, reservedPrefix, type EnterTemplate } from './encoder.js';
import { numberType } from './arg-types.js';
import { ARG_ESCAPES, encodeEscaped } from './grammar.js';
import { TRACE_PREFIX_WORDS, localTraceId, newSpanId, spanIdHex } from './ids.js';
import {
  ParentKind,
  asSampler,
  samplerFromEnv,
  traceWordsOfHex,
  type Sampler,
  type SamplingInput,
  type TraceWords,
} from './sampler.js';
import { MarkerSink, type SinkOptions } from './sink.js';
import { formatTraceparent, injectContext, type HeaderCarrier, type TraceContext } from './tracecontext.js';

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatus = 'unset' | 'ok' | 'error';
/**
 * Arg values: strings as they are; numbers, booleans and bigints typed (an int, a double, a bool: sdk/MARKERS.md,
 * "Typed args"; NaN, ±Infinity and integers beyond ±(2^53 - 1) as text); symbols via String(); objects as JSON;
 * null, undefined and functions skipped.
 */
export type SpanArgs = Record<string, unknown>;

export interface StartOptions {
  /**
   * The parent: a local Span, a remote TraceContext (from extract()), or null for a new trace even when a span is
   * active. Default: the active span (span.current()).
   */
  parent?: Span | TraceContext | null;
  /** OpenTelemetry span kind (`_k`); default internal. */
  kind?: SpanKind;
}

export interface SdkOptions extends SinkOptions {
  /** service.name for this process (`_svc` on local root spans); default $OTEL_SERVICE_NAME. */
  serviceName?: string;
  /**
   * Which new spans are sampled (one of `samplers`); default the one $OTEL_TRACES_SAMPLER and
   * $OTEL_TRACES_SAMPLER_ARG name, else parentbased_always_on. Spans not sampled write no markers.
   */
  sampler?: Sampler;
}

const GT = 0x3e;
const LT = 0x3c;
const P_PARENT = reservedPrefix('p');
const P_TRACEPARENT = reservedPrefix('tp');
const P_TRACESTATE = reservedPrefix('ts');
const P_KIND = reservedPrefix('k');
const P_STATUS = reservedPrefix('st');
const P_MESSAGE = reservedPrefix('msg');
const P_END_TIME = reservedPrefix('te');
const KINDS = new Set(['server', 'client', 'producer', 'consumer']);

/** What the slot says while a span that is not sampled is active: the probe records none of its syscalls. */
const UNSAMPLED_ID = -2;

const als = new AsyncLocalStorage<Span>();
/** The id a span publishes in the active-span slot; an ended span's context runs on in its parent's, since the
 * probe attributes by the slot and a batched exit reaches the correlator after the calls made since the end. */
const slotIdOf = (s: Span | undefined): number =>
  s === undefined ? 0 : !s.sampled ? UNSAMPLED_ID : s.ended ? s.parentId : s.id;
const activeSpanId = (): number => slotIdOf(als.getStore());
let contextStarted = false;

/** Runs fn in an AsyncLocalStorage context and keeps the probe-readable active-span slot (active.ts) in step. */
function runActive<T>(s: Span | undefined, fn: (s: Span) => T, arg?: Span): T {
  const prev = publishedActive();
  publishActive(slotIdOf(s));
  try {
    return s === undefined ? als.exit(fn as () => T) : als.run(s, fn, arg as Span);
  } finally {
    publishActive(prev);
  }
}

let sinkOptions: SinkOptions = {};
let sink = new MarkerSink(sinkOptions);
let encoder = new MarkerEncoder(sink.buf);
/** true while a marker is being built in sink.buf (an arg's toString() could start another span) */
let building = false;
let serviceBytes: Uint8Array | undefined = encodeService(process.env.OTEL_SERVICE_NAME);
let sampler: Sampler = envSampler();
/** reused for every decision: samplers read it synchronously and run no caller code */
const sampling: SamplingInput = { parent: ParentKind.None, parentSampled: false, trace: [0, 0, 0, 0] };
/** the words of a local trace id, for the decision being taken */
const localWords: TraceWords = [0, 0, 0, 0];

/** The sampler the environment names; a problem with it is said once, as a process warning, never thrown. */
function envSampler(): Sampler {
  const r = samplerFromEnv(process.env.OTEL_TRACES_SAMPLER, process.env.OTEL_TRACES_SAMPLER_ARG);
  if (r.problem !== undefined) {
    try {
      process.emitWarning(`nullspan: ${r.problem}`);
    } catch {
      // a warning listener that throws must not reach the application
    }
  }
  return r.sampler;
}

/** What is cached per span name: its encoded tags, and enter templates for root and child spans. */
interface NameInfo {
  tags: Uint8Array;
  root: EnterTemplate | undefined;
  child: EnterTemplate | undefined;
}

/** Per span name; names are usually a small fixed set, the cap keeps hostile names from growing it. */
const names = new Map<string, NameInfo>();
const NAMES_MAX = 1024; // worst case (1 KiB names, templates): a few MB
let lastName = '';
let lastInfo: NameInfo = { tags: new Uint8Array(0), root: undefined, child: undefined };

function nameInfo(name: string): NameInfo {
  if (name === lastName) return lastInfo; // spans often come in runs of one name: skip the map
  let info = names.get(name);
  if (info === undefined) {
    info = { tags: encodeTags(name, sink.snapLength >> 2), root: undefined, child: undefined };
    if (names.size < NAMES_MAX) names.set(name, info);
  }
  lastName = name;
  lastInfo = info;
  return info;
}

function encodeService(name: string | undefined): Uint8Array | undefined {
  if (!name) return undefined;
  const prefix = reservedPrefix('svc');
  const out = new Uint8Array(prefix.length + Math.min(name.length, 200) * 3);
  out.set(prefix);
  const n = encodeEscaped(out, prefix.length, out.length, name.slice(0, 200), ARG_ESCAPES);
  return out.slice(0, n < 0 ? ~n : n);
}

/**
 * Changes the configuration (sink target, snap length, enabled, service name); options left out keep their value,
 * an option given as undefined goes back to its default. Never throws.
 */
export function configure(options: SdkOptions = {}): void {
  try {
    if ('serviceName' in options) serviceBytes = encodeService(options.serviceName); // templates see the new bytes
    if ('sampler' in options) {
      const given = options.sampler;
      const next = given === undefined ? envSampler() : asSampler(given);
      if (next !== undefined) sampler = next; // anything but a built-in sampler keeps the current one
    }
    if ('target' in options || 'snapLength' in options || 'enabled' in options) {
      // options not given keep their current value
      sinkOptions = {
        target: 'target' in options ? options.target : sinkOptions.target,
        snapLength: 'snapLength' in options ? options.snapLength : sinkOptions.snapLength,
        enabled: 'enabled' in options ? options.enabled : sinkOptions.enabled,
      };
      flushExits();
      sink.close();
      sink = new MarkerSink(sinkOptions);
      encoder = new MarkerEncoder(sink.buf);
      building = false; // a marker being built right now (configure() from an arg's toString) keeps the old encoder
      names.clear();
      lastName = '';
      lastInfo = { tags: encodeTags('', 1), root: undefined, child: undefined };
    }
  } catch {
    // keep the previous configuration
  }
}

/** Objects as JSON (else String()), symbols via toString(); null gives undefined (no arg). */
function stringify(v: object | symbol | null): string | undefined {
  if (typeof v === 'symbol') return v.toString();
  if (v === null) return undefined;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function putArgs(enc: MarkerEncoder, args: SpanArgs): void {
  try {
    for (const k in args) {
      let v: unknown;
      try {
        v = args[k];
        if (typeof v === 'object' || typeof v === 'symbol') v = stringify(v);
      } catch {
        continue; // a throwing getter, toJSON or toString: leave that arg out
      }
      putArg(enc, k, v);
    }
  } catch {
    // args that cannot be enumerated (a throwing Proxy): the marker keeps what was read
  }
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** One arg value, already read: numbers, booleans and bigints as typed args (sdk/MARKERS.md, "Typed args"). */
function putArg(enc: MarkerEncoder, k: string, v: unknown): void {
  switch (typeof v) {
    case 'string':
      enc.arg(k, v);
      return;
    case 'number': {
      const t = numberType(v);
      if (t === 'i')
        enc.intArg(k, v + 0); // + 0: -0 is 0
      else if (t === 'd') enc.typedArg(0x64 /* d */, k, String(v));
      else enc.arg(k, String(v)); // NaN, ±Infinity, integral beyond ±(2^53 - 1): as text
      return;
    }
    case 'boolean':
      enc.typedArg(0x62 /* b */, k, v ? 'true' : 'false');
      return;
    case 'bigint':
      if (v >= -MAX_SAFE_BIGINT && v <= MAX_SAFE_BIGINT) enc.intArg(k, Number(v));
      else enc.arg(k, String(v));
      return;
    default:
    // undefined, null, functions: not an arg
  }
}

/** The shared encoder, or a private one when a marker is already being built (an arg's toString() started a span). */
function acquire(): MarkerEncoder {
  if (building) return new MarkerEncoder(new Uint8Array(sink.snapLength));
  building = true;
  return encoder;
}

function flushAndRelease(enc: MarkerEncoder): void {
  const n = enc.finish();
  if (enc === encoder) building = false;
  if (queued > 0) {
    if (queued + n <= queue.length) {
      // the exits waiting and this marker in one write; this marker last, so the write's time is its time
      queue.set(enc.buf.subarray(0, n), queued);
      const all = queued + n;
      queued = 0;
      sink.flushOther(queue, all);
      return;
    }
    flushExits();
  }
  sink.flushOther(enc.buf, n);
}

/*
 * Exit markers wait to share a write. While the slot is kept current the probe attributes every system call by it,
 * not by which markers came before, so an exit marker need not be written the moment its span ends: it carries the
 * end time (`_te`, CLOCK_MONOTONIC ns, the probe's clock) and goes out with the next marker written, or at the end
 * of this turn of the event loop. One write instead of two per span on a busy service (sdk/MARKERS.md, "Batched
 * exits"). Elsewhere (no probe acknowledging, another target, NULLSPAN_CONTEXT=0) exits are written at once.
 */
let queue = new Uint8Array(0);
let queued = 0;
let flushScheduled = false;
let exitHookAdded = false;
/** the process is exiting: exits are written at once (no later turn, no later flush) */
let exiting = false;

/** CLOCK_MONOTONIC in ns (libuv's hrtime), the clock the probe stamps records with. */
function monotonicNs(): number {
  const t = process.hrtime();
  return t[0] * 1e9 + t[1];
}

function batchingExits(): boolean {
  return !exiting && sink.onlyForProbe && slotIsCurrent();
}

/** Queues the exit marker just built in `enc` (whole: a batch never splits a marker). */
function queueExit(enc: MarkerEncoder): void {
  const n = enc.finish();
  if (queue.length !== sink.snapLength) {
    flushExits();
    queue = new Uint8Array(sink.snapLength);
  }
  if (queued + n > queue.length) flushExits();
  queue.set(enc.buf.subarray(0, n), queued);
  queued += n;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushExitsLater).unref();
  }
  if (!exitHookAdded) {
    exitHookAdded = true;
    process.once('exit', onExit);
  }
}

/** 'exit' listeners added after this one may still end spans: theirs are written at once. */
function onExit(): void {
  exiting = true;
  flushExits();
}

function flushExitsLater(): void {
  flushScheduled = false;
  flushExits();
}

/** Writes the exits waiting, if any. Never throws. */
function flushExits(): void {
  if (queued === 0) return;
  const n = queued;
  queued = 0;
  try {
    sink.flushOther(queue, n);
  } catch {
    // the sink never throws; a failing one has turned itself off
  }
}

/** The remote parent of a trace continued from another service; shared by all its spans in this process. */
interface RemoteParent {
  traceId: string;
  spanId: string;
  flags: number;
  traceState: string | undefined;
  /** the trace id as four words, for samplers */
  words: TraceWords;
}

/** What the exit marker will add, made only for spans that get a status or exit args before they end. */
interface ExitInfo {
  status: SpanStatus;
  message: string | undefined;
  args: SpanArgs[];
}

export class Span {
  /** numeric marker ID, unique in this process */
  readonly id: number;
  readonly name: string;
  /** @internal id of the root span that started this trace here (the trace id derives from it), 0 if remote */
  readonly traceRoot: number;
  /** numeric ID of the local parent span, 0 for a local root */
  readonly parentId: number;
  /** @internal the remote parent of this trace, if it came from another service */
  readonly remote: RemoteParent | undefined;
  /** Whether the sampler kept this span: a span that is not sampled writes no markers (W3C flag `sampled`). */
  readonly sampled: boolean;
  /** @internal its enter marker was written (sampled, markers on, and a probe listening), so its exit will be */
  readonly marked: boolean;
  ended = false;
  private exit: ExitInfo | undefined = undefined;

  /** @internal use span.start() */
  constructor(
    id: number,
    name: string,
    traceRoot: number,
    parentId: number,
    remote: RemoteParent | undefined,
    sampled = true,
    marked = sampled,
  ) {
    this.id = id;
    this.name = name;
    this.traceRoot = traceRoot;
    this.parentId = parentId;
    this.remote = remote;
    this.sampled = sampled;
    this.marked = marked;
  }

  /** 16 hex digits of the parent span (local or remote), undefined for a new trace. */
  get parentSpanId(): string | undefined {
    return this.parentId !== 0 ? spanIdHex(this.parentId) : this.remote?.spanId;
  }

  /** The trace id: 32 hex digits. */
  get traceId(): string {
    return this.remote !== undefined ? this.remote.traceId : localTraceId(this.traceRoot);
  }

  /** The OpenTelemetry span id: the numeric ID as 16 hex digits. */
  get spanId(): string {
    return spanIdHex(this.id);
  }

  /** W3C trace flags: bit 0 is this span's sampling decision, the other bits come from a remote parent. */
  get traceFlags(): number {
    const other = this.remote !== undefined ? this.remote.flags & 0xfe : 0;
    return this.sampled ? other | 1 : other;
  }

  /** W3C tracestate of a trace continued from a remote parent. */
  get traceState(): string | undefined {
    return this.remote?.traceState;
  }

  get status(): SpanStatus {
    return this.exit?.status ?? 'unset';
  }

  get statusMessage(): string | undefined {
    return this.exit?.message;
  }

  private exitInfo(): ExitInfo {
    return (this.exit ??= { status: 'unset', message: undefined, args: [] });
  }

  /** W3C context of this span, for inject(). */
  context(): TraceContext {
    return { traceId: this.traceId, spanId: this.spanId, flags: this.traceFlags, traceState: this.traceState };
  }

  /** Adds args to the exit marker (the correlator merges enter and exit args). */
  setArgs(args: SpanArgs): this {
    if (!this.ended && args) this.exitInfo().args.push(args);
    return this;
  }

  /** `message` is kept with 'error' only. Unknown statuses are ignored. */
  setStatus(status: SpanStatus, message?: string): this {
    if (this.ended || (status !== 'ok' && status !== 'error' && status !== 'unset')) return this;
    let msg: string | undefined;
    try {
      msg = status === 'error' && message !== undefined ? String(message) : undefined;
    } catch {
      msg = undefined; // a message whose toString throws
    }
    const x = this.exitInfo();
    x.status = status;
    x.message = msg;
    return this;
  }

  /** Marks the span failed; `error` may be an Error (its message is kept), a string, or nothing. */
  setError(error?: unknown): this {
    try {
      const msg = error instanceof Error ? error.message : error === undefined ? undefined : String(error);
      return this.setStatus('error', msg);
    } catch {
      return this.setStatus('error');
    }
  }

  /** Writes the exit marker; a second call does nothing. Never throws. */
  end(args?: SpanArgs): void {
    if (this.ended) return;
    this.ended = true;
    // before the end time is read, so that read and what the callback does after end() are not this span's calls
    if (this.sampled && publishedActive() === this.id) publishActive(this.parentId);
    if (!this.marked || !sink.active) return;
    const batch = batchingExits();
    const endNs = batch ? monotonicNs() : 0; // before any caller code (args) runs
    const enc = acquire();
    try {
      if (enc.headerId === this.id)
        enc.reopen(LT); // nothing written since our enter: its header is still there
      else enc.begin(LT, this.id, nameInfo(this.name).tags);
      if (batch) enc.reservedInt(P_END_TIME, endNs);
      const x = this.exit;
      if (x !== undefined) {
        if (x.status !== 'unset') {
          enc.reserved(P_STATUS, x.status);
          if (x.message !== undefined) enc.reserved(P_MESSAGE, x.message);
        }
        for (const a of x.args) putArgs(enc, a);
      }
      if (args) putArgs(enc, args);
      if (batch) queueExit(enc);
      else flushAndRelease(enc);
    } catch {
      // never reaches the application
    } finally {
      if (enc === encoder) building = false;
    }
    if (this.exit !== undefined) this.exit.args = []; // the status stays readable; the args are written, let them go
  }
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/**
 * A copy of a TraceContext handed in by the application (usually from extract(), but it may be anything), each
 * field read once; undefined when it is not a valid one.
 */
function readRemote(c: TraceContext): RemoteParent | undefined {
  const traceId: unknown = c.traceId;
  const spanId: unknown = c.spanId;
  const flags: unknown = c.flags;
  const traceState: unknown = c.traceState;
  if (typeof traceId !== 'string' || !HEX32.test(traceId) || typeof spanId !== 'string' || !HEX16.test(spanId))
    return undefined;
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 255) return undefined;
  const r: RemoteParent = {
    traceId,
    spanId,
    flags,
    traceState: typeof traceState === 'string' ? traceState : undefined,
    words: traceWordsOfHex(traceId, [0, 0, 0, 0]),
  };
  remotes.add(r);
  return r;
}

/** RemoteParents made by readRemote: children share their parent's without reading it again. */
const remotes = new WeakSet<RemoteParent>();

/** Reads an option once; a throwing getter or Proxy trap counts as the option not given. */
function readOption<K extends keyof StartOptions>(
  options: StartOptions | undefined,
  key: K,
): StartOptions[K] | undefined {
  try {
    return options == null ? undefined : options[key];
  } catch {
    return undefined;
  }
}

/** Starts a span (writes its enter marker) as a child of the active span unless told otherwise. Never throws. */
export function start(name: string, args?: SpanArgs, options?: StartOptions): Span {
  // with markers off there are no spans for the probe's readings to name: publish nothing
  if (!contextStarted && sink.active) {
    contextStarted = true;
    // outside any span: the re-registration timer must not carry (or keep alive) the span active right now
    als.exit(() => startActiveContext(activeSpanId));
  }
  // Everything the caller controls (a name's toString, option getters, Proxy traps) is read before the span id is
  // taken: the enter marker copies the newest id's digits (ids.ts), and caller code may start spans of its own.
  // Args are read while the marker is built: a span started from there writes through its own buffer (acquire).
  try {
    name = typeof name === 'string' ? name : String(name);
  } catch {
    name = 'span';
  }
  let parentId = 0;
  let traceRoot = 0;
  let remote: RemoteParent | undefined;
  let parentKind = ParentKind.None;
  let parentSampled = false;
  let parentMarked = false;
  try {
    const p = readOption(options, 'parent'); // undefined: the active span; null: none
    const local = p === undefined ? als.getStore() : p instanceof Span ? p : undefined;
    if (local !== undefined) {
      const id: unknown = local.id;
      const root: unknown = local.traceRoot;
      const r: unknown = local.remote;
      const smp: unknown = local.sampled;
      const marked: unknown = local.marked;
      if (Number.isSafeInteger(id) && (id as number) > 0 && Number.isSafeInteger(root)) {
        parentId = id as number;
        traceRoot = root as number;
        remote =
          r === undefined || remotes.has(r as RemoteParent)
            ? (r as RemoteParent | undefined)
            : readRemote(r as TraceContext);
        parentKind = ParentKind.Local;
        parentSampled = smp !== false;
        parentMarked = marked !== false;
      }
    } else if (p !== null && typeof p === 'object') {
      remote = readRemote(p as TraceContext);
      if (remote !== undefined) {
        parentKind = ParentKind.Remote;
        parentSampled = (remote.flags & 1) === 1;
      }
    }
  } catch {
    parentId = 0; // a parent that cannot be read is no parent
    traceRoot = 0;
    remote = undefined;
    parentKind = ParentKind.None;
  }
  const k = readOption(options, 'kind');
  const kind = typeof k === 'string' && KINDS.has(k) ? k : undefined;
  const id = newSpanId(); // from here to the header: no caller code
  const sampled = decide(id, traceRoot, remote, parentKind, parentSampled);
  const marked = sampled && sink.active && (!sink.onlyForProbe || probeListening());
  if (marked && parentKind === ParentKind.Local && !parentMarked) {
    // The local parent wrote no markers (not sampled, or started before a probe listened), so the correlator cannot
    // nest under it: this span starts its part of the trace as a span continued from another service does.
    remote = unmarkedParent(parentId, traceRoot, remote, parentSampled);
    parentId = 0;
  }
  const child = parentId !== 0;
  const s = new Span(id, name, child ? traceRoot : remote !== undefined ? 0 : id, parentId, remote, sampled, marked);
  if (!marked) return s;
  const enc = acquire();
  try {
    const info = nameInfo(name);
    if ((child || remote === undefined) && enc === encoder) {
      // local root or child: from the name's template when the shape matches, else the long way + a new template
      const t = child ? info.child : info.root;
      const svc = child ? undefined : serviceBytes;
      if (t?.fits(kind, svc, parentId)) {
        enc.beginFromTemplate(t, id, !child);
      } else {
        enc.beginNewest(GT, id, info.tags);
        if (child) enc.reservedInt(P_PARENT, parentId);
        else enc.newestTraceId(); // id is the newest span id: nothing made another since
        if (svc !== undefined) enc.raw(svc);
        if (kind !== undefined) enc.reserved(P_KIND, kind);
        const nt = enc.capture(parentId, kind, svc);
        if (child) info.child = nt;
        else info.root = nt;
      }
    } else {
      enc.beginNewest(GT, id, info.tags);
      if (child) {
        enc.reservedInt(P_PARENT, parentId);
      } else {
        if (remote !== undefined) {
          enc.reserved(P_TRACEPARENT, formatTraceparent(remote));
          if (remote.traceState) enc.reserved(P_TRACESTATE, remote.traceState);
        } else {
          enc.newestTraceId();
        }
        if (serviceBytes !== undefined) enc.raw(serviceBytes);
      }
      if (kind !== undefined) enc.reserved(P_KIND, kind);
    }
    if (args) putArgs(enc, args);
    flushAndRelease(enc);
  } catch {
    // never reaches the application
  } finally {
    if (enc === encoder) building = false;
  }
  return s;
}

/** The sampler's decision for a new span `id` (no caller code runs: samplers are built-in). */
function decide(
  id: number,
  traceRoot: number,
  remote: RemoteParent | undefined,
  parent: ParentKind,
  parentSampled: boolean,
): boolean {
  sampling.trace =
    remote !== undefined ? remote.words : localTraceWords(parent === ParentKind.Local ? traceRoot : id, localWords);
  sampling.parent = parent;
  sampling.parentSampled = parentSampled;
  return sampler.shouldSample(sampling);
}

/** The words of the local trace rooted at span `root` (localTraceId's value, without making its string). */
function localTraceWords(root: number, out: TraceWords): TraceWords {
  out[0] = TRACE_PREFIX_WORDS[0];
  out[1] = TRACE_PREFIX_WORDS[1];
  out[2] = Math.floor(root / 2 ** 32) >>> 0;
  out[3] = root >>> 0;
  return out;
}

/** The context of a local parent that wrote no markers, as the remote parent of a child that does. */
function unmarkedParent(
  parentId: number,
  traceRoot: number,
  remote: RemoteParent | undefined,
  parentSampled: boolean,
): RemoteParent {
  const r: RemoteParent = {
    traceId: remote !== undefined ? remote.traceId : localTraceId(traceRoot),
    spanId: spanIdHex(parentId),
    flags: ((remote?.flags ?? 0) & 0xfe) | (parentSampled ? 1 : 0),
    traceState: remote?.traceState,
    words: remote !== undefined ? remote.words : localTraceWords(traceRoot, [0, 0, 0, 0]),
  };
  remotes.add(r);
  return r;
}

/** The active span of the current async context, if any. */
export function current(): Span | undefined {
  return als.getStore();
}

/** Writes the active span's (or `s`'s) `traceparent`/`tracestate` into outgoing headers; returns the carrier. Never throws. */
export function inject<C extends HeaderCarrier>(carrier: C, s: Span | undefined = als.getStore()): C {
  return injectContext(carrier, s?.context());
}

/** Runs fn with `s` as the active span (children started inside, also after awaits, get it as parent). */
export function withSpan<T>(s: Span | undefined, fn: () => T): T {
  return runActive(s, fn as (s: Span) => T);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs fn inside a new active span and ends it when fn returns or, for a promise, when it settles; a throw or
 * rejection marks the span failed and is passed on unchanged.
 */
export function trace<T>(name: string, fn: (s: Span) => T): T;
export function trace<T>(name: string, args: SpanArgs | undefined, fn: (s: Span) => T, options?: StartOptions): T;
export function trace<T>(
  name: string,
  a: SpanArgs | undefined | ((s: Span) => T),
  b?: (s: Span) => T,
  options?: StartOptions,
): T {
  const fn = (typeof a === 'function' ? a : b) as (s: Span) => T;
  const s = start(name, typeof a === 'function' ? undefined : a, options);
  let result: T;
  try {
    result = runActive(s, fn, s);
  } catch (e) {
    s.setError(e);
    s.end();
    throw e;
  }
  if (isThenable(result)) {
    return result.then(
      (v) => {
        s.end();
        return v;
      },
      (e: unknown) => {
        s.setError(e);
        s.end();
        throw e;
      },
    ) as T;
  }
  s.end();
  return result;
}
