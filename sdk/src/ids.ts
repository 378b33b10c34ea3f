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
const HEX_BYTES = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  HEX_BYTES[i * 2] = HEX.charCodeAt(i >> 4);
  HEX_BYTES[i * 2 + 1] = HEX.charCodeAt(i & 15);
}

// Trace ids come from a pool of crypto-random bytes refilled 4 KiB at a time: one syscall per 256 traces.
const pool = new Uint8Array(4096);
let poolPos = pool.length;

/**
 * Writes a new random trace id (32 hex digits, never all zero) into buf at pos; returns pos + 32. The caller reads
 * the string back from the buffer when it needs it, so the hot path makes no intermediate string.
 */
export function writeNewTraceId(buf: Uint8Array, pos: number): number {
  if (poolPos + 16 > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  pool[poolPos] |= 1; // never all zero
  for (let k = 0; k < 16; k++) {
    const b = pool[poolPos++];
    buf[pos++] = HEX_BYTES[b * 2];
    buf[pos++] = HEX_BYTES[b * 2 + 1];
  }
  return pos;
}

export function newTraceId(): string {
  const b = new Uint8Array(32);
  writeNewTraceId(b, 0);
  return String.fromCharCode.apply(null, b as unknown as number[]);
}
