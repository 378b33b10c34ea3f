/**
 * The active-span slot (sdk/MARKERS.md "Active span"): 16 off-heap bytes holding a magic header and the numeric id
 * of the span active on this thread right now (u32 lo, u32 hi; 0 = none). Writing the buffer itself to /dev/null
 * once tells the probe its address; from then on the probe reads the id at every system call of this thread, and
 * libuv work submitted from here carries it to the worker thread that runs it. Keeping it current costs one
 * comparison (and, when the span changes, two typed-array stores) per async callback: no system call.
 *
 * NULLSPAN_CONTEXT=0 turns it off (the correlator then falls back to sysdig's thread rule for this process).
 */
import { createHook } from 'node:async_hooks';
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';

/** "#\0nsslt1": not a marker (first byte is not '>' or '<'); the probe's NS_SLOT_MAGIC (bpf/nullspan.h). */
const MAGIC = [0x23, 0x00, 0x6e, 0x73, 0x73, 0x6c, 0x74, 0x31];
const NULL_DEVICE_RDEV = (1 << 8) | 3;
const TWO_32 = 4294967296;
/** re-register this often, so a probe attached after startup (`nullspan attach`) finds the slot */
const REREGISTER_MS = 1000;
/** nesting deeper than this means after() hooks went missing (an uncaught exception): start over */
const MAX_DEPTH = 4096;

/** [lo, hi] of the published span id, a view into the registered buffer; undefined while off */
let ids: Uint32Array | undefined;
let published = 0;
let slot: Buffer | undefined;
let fd = -1;
let started = false;
/** callbacks entered and not yet left, as the hook counts them */
let depth = 0;

/** Publishes `id` as this thread's active span (no-op while off or unchanged). */
export function publishActive(id: number): void {
  if (id === published || ids === undefined) return;
  published = id;
  ids[0] = id >>> 0;
  ids[1] = (id / TWO_32) >>> 0;
}

/** The span id published now (0 = none). */
export function publishedActive(): number {
  return published;
}

function register(): void {
  try {
    writeSync(fd, slot!, 0, slot!.length);
  } catch {
    stop();
  }
}

function stop(): void {
  ids = undefined;
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
  if (process.env.NULLSPAN_CONTEXT === '0') return;
  try {
    fd = openSync('/dev/null', 'w');
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || st.rdev !== NULL_DEVICE_RDEV) {
      stop();
      return;
    }
    // allocUnsafeSlow: an unpooled backing store of its own, which V8 never moves
    slot = Buffer.allocUnsafeSlow(16);
    slot.set(MAGIC);
    ids = new Uint32Array(slot.buffer, slot.byteOffset + 8, 2);
    ids[0] = ids[1] = 0;
    register();
    setInterval(() => {
      if (ids !== undefined) register();
    }, REREGISTER_MS).unref();
  } catch {
    stop();
    return;
  }
  // Around every async callback: publish its context's span before, restore what was there after (callbacks can
  // nest), so system calls the event loop makes between callbacks see 0, not the last request's span.
  const saved = new Float64Array(MAX_DEPTH);
  createHook({
    before() {
      if (depth === MAX_DEPTH) depth = 0;
      saved[depth++] = published;
      publishActive(activeId());
    },
    after() {
      publishActive(depth > 0 ? saved[--depth] : 0);
    },
  }).enable();
  // (A handled uncaught exception still gets its after hooks: Node emits them while unwinding its async stack.)
}
