/**
 * Span and trace ids. A span id is a random base in [2^40, 2^52) picked once per process (per module instance,
 * so per worker thread too) plus a counter: unique within the process, a safe integer, never zero, and its
 * 16-digit hex form is the OpenTelemetry span id (sdk/MARKERS.md, "Numeric span ids").
 */
import { randomFillSync } from 'node:crypto';

const BASE_MIN = 2 ** 40;
const BASE_SPAN = 2 ** 52 - 2 ** 40;

let nextSpanId = BASE_MIN + Math.floor(randomUnit() * BASE_SPAN);

function randomUnit(): number {
  const b = randomFillSync(new Uint32Array(2));
  return (b[0] * 2 ** 21 + (b[1] >>> 11)) / 2 ** 53;
}

export function newSpanId(): number {
  return nextSpanId++;
}

/** The OpenTelemetry span id of a numeric span id: 16 lower-case hex digits. */
export function spanIdHex(id: number): string {
  return id.toString(16).padStart(16, '0');
}

/** The numeric span id of a 16-hex-digit span id, or undefined when it is not one the SDK could have made. */
export function spanIdFromHex(hex: string): number | undefined {
  if (!/^[0-9a-f]{16}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

const HEX = '0123456789abcdef';

// Trace ids come from a pool of crypto-random bytes refilled 4 KiB at a time (one syscall per 256 traces), and
// are kept as hex bytes in a slab: the enter marker copies them, and the string is only made if someone asks.
const pool = new Uint8Array(4096);
let poolPos = pool.length;
const SLAB_IDS = 2048;
let slab = new Uint8Array(32 * SLAB_IDS);
let slab16 = new Uint16Array(slab.buffer);
let slabPos = 0;
/** the two hex digits of each byte value, as one 16-bit store in the platform's byte order */
const HEX_PAIRS = new Uint16Array(256);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
for (let i = 0; i < 256; i++) {
  const hi = HEX.charCodeAt(i >> 4);
  const lo = HEX.charCodeAt(i & 15);
  HEX_PAIRS[i] = LITTLE_ENDIAN ? hi | (lo << 8) : (hi << 8) | lo;
}

/** A trace id: 32 hex digits at bytes[off, off + 32), the string made on demand. */
export class TraceRef {
  bytes: Uint8Array;
  off: number;
  private str: string | undefined;

  constructor(bytes: Uint8Array, off: number, str: string | undefined) {
    this.bytes = bytes;
    this.off = off;
    this.str = str;
  }

  get hex(): string {
    if (this.str === undefined) {
      this.str = String.fromCharCode.apply(null, this.bytes.subarray(this.off, this.off + 32) as unknown as number[]);
    }
    return this.str;
  }
}

/** A new random trace id (never all zero). */
export function newTraceRef(): TraceRef {
  if (poolPos + 16 > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  if (slabPos === SLAB_IDS) {
    slab = new Uint8Array(32 * SLAB_IDS); // the old slab lives on as long as spans of its traces do
    slab16 = new Uint16Array(slab.buffer);
    slabPos = 0;
  }
  pool[poolPos] |= 1;
  const at16 = slabPos * 16;
  for (let k = 0; k < 16; k++) slab16[at16 + k] = HEX_PAIRS[pool[poolPos + k]];
  poolPos += 16;
  return new TraceRef(slab, 32 * slabPos++, undefined);
}

/** The trace id of a remote parent (already validated as 32 hex digits). */
export function traceRefFrom(hex: string): TraceRef {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = hex.charCodeAt(i);
  return new TraceRef(b, 0, hex);
}
