/**
 * The active-span slot (sdk/MARKERS.md "Active span"): 24 off-heap bytes holding a magic header, the numeric id of
 * the span active on this thread right now (u32 lo, u32 hi; 0 = none, all ones but the lowest bit = a span that is
 * not sampled, whose system calls the probe skips) and a probe-ack word. Writing the buffer
 * itself to /dev/null (once a second) tells the probe its address; from then on the probe reads the id at every
 * system call of this thread, and libuv work submitted from here carries it to the worker thread that runs it.
 *
 * Keeping the id current takes an async hook around every callback, which costs real throughput, so it runs only
 * while a probe reads the slot: a probe that sees the registration writes a nonzero ack word into the slot; the
 * SDK starts the hook when it sees one and stops it after two registration periods without one. With no probe the
 * slot says "unknown" (all ones) and nothing runs per callback.
 *
 * NULLSPAN_CONTEXT=0 turns it all off (the correlator then falls back to sysdig's thread rule for this process);
 * NULLSPAN_CONTEXT=1 keeps the hook on without waiting for an ack (`nullspan run` sets it).
 */
import { createHook, type AsyncHook } from 'node:async_hooks';
import { closeSync, openSync } from 'node:fs';
import { writeBytes } from './fastwrite.js';
import { isNullDevice } from './sink.js';

/** "#\0nsslt1": not a marker (first byte is not '>' or '<'); the probe's NS_SLOT_MAGIC (bpf/nullspan.h). */
const MAGIC = [0x23, 0x00, 0x6e, 0x73, 0x73, 0x6c, 0x74, 0x31];
/** magic (8) + span id (8) + probe-ack word (4) + reserved zero (4): NS_SLOT_SIZE */
const SLOT_SIZE = 24;
/** byte offset of the probe-ack word in the slot (NS_SLOT_ACK_OFF) */
const ACK_OFFSET = 16;
const TWO_32 = 4294967296;
/** re-register this often, so a probe attached after startup (`nullspan attach`) finds the slot */
const REREGISTER_MS = 1000;
/** registration periods without an ack after which the probe is taken to be gone */
const MISSED_ACKS_TO_STOP = 2;
/** nesting deeper than this means after() hooks went missing (an uncaught exception): start over */
const MAX_DEPTH = 4096;
/** published while idle: the slot's id words all ones, "not kept current", never a span id (those are < 2^53) */
const UNKNOWN = -1;

const OFF = 0;
const IDLE = 1;
const ON = 2;
let state: typeof OFF | typeof IDLE | typeof ON = OFF;
/** false with NULLSPAN_CONTEXT=1: the hook stays on whether or not a probe acknowledges */
let handshake = true;
/** consecutive registration periods that ended without an ack */
let missed = 0;
/** an ack was seen between registrations and the hook starts at the next turn of the event loop */
let enabling = false;

/** [lo, hi] of the published span id, and the probe-ack word: views into the registered buffer */
let ids: Uint32Array | undefined;
let ack: Uint32Array | undefined;
let published = 0;
let slot: Buffer | undefined;
let fd = -1;
let started = false;
let hook: AsyncHook | undefined;
let activeIdOf: () => number = () => 0;
/** callbacks entered and not yet left, as the hook counts them, and what each found published */
let depth = 0;
let saved = new Float64Array(0);

/**
 * Publishes `id` as this thread's active span (no-op while off or unchanged). While idle it only looks at the ack
 * word, so the hook starts as soon as a probe's first acknowledgement arrives.
 */
export function publishActive(id: number): void {
  if (state !== ON) {
    if (state === IDLE && !enabling && ack![0] !== 0) enableSoon();
    return;
  }
  store(id);
}

/**
 * Whether markers written now reach a reader: false only while the slot is registered and no probe has acknowledged
 * it (handshake mode), so an application nobody traces pays for no marker writes. An acknowledgement seen here
 * turns the hook on at the next turn of the event loop.
 */
export function probeListening(): boolean {
  if (state !== IDLE) return true;
  if (ack![0] === 0) return false;
  if (!enabling) enableSoon();
  return true;
}

/** Whether the slot is kept current right now: the probe then attributes every system call by it, exactly. */
export function slotIsCurrent(): boolean {
  return state === ON;
}

/** The span id published now (0 = none; -1 while no probe reads the slot). */
export function publishedActive(): number {
  return published;
}

/** @internal For tests: 'off' (no slot), 'idle' (slot registered, no probe acknowledged it, no hook) or 'on'. */
export function activeContextState(): 'off' | 'idle' | 'on' {
  return state === ON ? 'on' : state === IDLE ? 'idle' : 'off';
}

/** Span ids (< 2^53) as they are; the negative markers -1 (unknown) and -2 (not sampled) as 2^64 + id. */
function store(id: number): void {
  if (id === published) return;
  published = id;
  ids![0] = id >>> 0;
  ids![1] = id < 0 ? 0xffffffff : (id / TWO_32) >>> 0;
}

function storeUnknown(): void {
  store(UNKNOWN);
}

/**
 * Starts the hook from a callback of its own, at the top of the event loop: enabled in the middle of nested
 * callbacks, the after() of the outer ones would find no saved value and publish 0 too early.
 */
function enableSoon(): void {
  enabling = true;
  setImmediate(() => {
    enabling = false;
    if (state === IDLE) enable();
  }).unref();
}

function enable(): void {
  state = ON;
  depth = 0;
  store(0); // between callbacks; this callback's after() (with no before()) publishes 0 again
  hook!.enable();
}

function disable(): void {
  hook!.disable();
  state = IDLE;
  depth = 0; // the after() of callbacks entered so far never comes
  storeUnknown();
}

/** Once per period: follow the probe's acks (handshake), then register again. */
function reregister(): void {
  if (state === OFF) return;
  if (handshake) {
    if (ack![0] !== 0) {
      missed = 0;
      if (state === IDLE) enable();
    } else if (++missed >= MISSED_ACKS_TO_STOP && state === ON) {
      disable();
    }
    ack![0] = 0; // the probe acks each registration: zero again means no probe saw the next one
  }
  register();
}

function register(): void {
  if (writeBytes(fd, slot!, SLOT_SIZE) < 0) stop();
}

function stop(): void {
  hook?.disable();
  state = OFF;
  published = 0;
  if (fd >= 0) {
    try {
      closeSync(fd);
    } catch {
      // already closed under us
    }
  }
  fd = -1;
}

/**
 * Starts publishing (once per thread; later calls do nothing): `activeId()` returns the id of the span of the async
 * context about to run. Never throws: without a usable /dev/null the slot simply stays off.
 */
export function startActiveContext(activeId: () => number): void {
  if (started) return;
  started = true;
  const mode = process.env.NULLSPAN_CONTEXT;
  if (mode === '0') return;
  handshake = mode !== '1';
  activeIdOf = activeId;
  saved = new Float64Array(MAX_DEPTH);
  // Around every async callback (while on): publish its context's span before, restore what was there after
  // (callbacks can nest), so system calls the event loop makes between callbacks see 0, not the last request's span.
  hook = createHook({
    before() {
      if (depth === MAX_DEPTH) depth = 0;
      saved[depth++] = published;
      store(activeIdOf());
    },
    after() {
      store(depth > 0 ? saved[--depth] : 0);
    },
  });
  // (A handled uncaught exception still gets its after hooks: Node emits them while unwinding its async stack.)
  try {
    fd = openSync('/dev/null', 'w');
    if (!isNullDevice(fd)) {
      stop();
      return;
    }
    // allocUnsafeSlow: an unpooled backing store of its own, which V8 never moves
    slot = Buffer.allocUnsafeSlow(SLOT_SIZE);
    slot.fill(0);
    slot.set(MAGIC);
    ids = new Uint32Array(slot.buffer, slot.byteOffset + MAGIC.length, 2);
    ack = new Uint32Array(slot.buffer, slot.byteOffset + ACK_OFFSET, 1);
    state = IDLE;
    if (handshake) storeUnknown();
    else enable();
    register();
    setInterval(reregister, REREGISTER_MS).unref();
  } catch {
    stop();
  }
}
