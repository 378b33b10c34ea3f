/**
 * Span and trace ids. A span id is a random base in [2^40, 2^52) picked once per process (per module instance,
 * so per worker thread too) plus a counter: unique within the process, a safe integer, never zero, and its
 * 16-digit hex form is the OpenTelemetry span id (sdk/MARKERS.md, "Numeric span ids").
 */
import { randomFillSync } from 'node:crypto';

const BASE_MIN = 2 ** 40;
const BASE_SPAN = 2 ** 52 - 2 ** 40;

let lastSpanId = BASE_MIN + Math.floor(randomUnit() * BASE_SPAN);

function randomUnit(): number {
  const b = randomFillSync(new Uint32Array(2));
  return (b[0] * 2 ** 21 + (b[1] >>> 11)) / 2 ** 53;
}

/**
 * The decimal and hex digits of the id newSpanId() returned last, kept in step by incrementing them in place: the
 * enter marker (always written right after the id is made) copies them instead of converting the number.
 */
export const lastIdDigits = new Uint8Array(20);
export let lastIdLength = 0;
/** 16 hex digits of the last id (the low half of the trace id of a trace rooted at it) */
export const lastIdHex = new Uint8Array(16);

function setDigits(n: number): void {
  const s = String(n);
  for (let i = 0; i < s.length; i++) lastIdDigits[i] = s.charCodeAt(i);
  lastIdLength = s.length;
}

function setHex(n: number): void {
  const s = spanIdHex(n);
  for (let i = 0; i < 16; i++) lastIdHex[i] = s.charCodeAt(i);
}
setDigits(lastSpanId);
setHex(lastSpanId);

/** Moves the span id counter (tests: crossing a power of ten changes the id's length). Not exported by the package. */
export function setLastSpanId(n: number): void {
  lastSpanId = n;
  setDigits(n);
  setHex(n);
}

export function newSpanId(): number {
  const id = ++lastSpanId;
  let i = lastIdLength - 1;
  while (i >= 0 && lastIdDigits[i] === 0x39) lastIdDigits[i--] = 0x30;
  if (i < 0)
    setDigits(id); // 999 -> 1000: one more digit
  else lastIdDigits[i]++;
  let h = 15;
  while (h >= 0 && lastIdHex[h] === 0x66 /* f */) lastIdHex[h--] = 0x30;
  if (h >= 0) lastIdHex[h] = lastIdHex[h] === 0x39 ? 0x61 : lastIdHex[h] + 1;
  return id;
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

/**
 * Trace ids of traces started here: 16 random hex digits drawn once per process, then the root span's id as 16
 * hex digits. Unique (random prefix, unique span ids), and free to make: no randomness or string per trace. The
 * enter marker writes the cached prefix and the root id's digits; the string is only made when asked for.
 */
const traceIdPrefix = randomFillSync(new Uint8Array(8));
/** `_tid=` followed by the 16 hex digits of the process prefix */
export const TID_PREFIX_ARG = new TextEncoder().encode(
  `_tid=${Array.from(traceIdPrefix, (b) => b.toString(16).padStart(2, '0')).join('')}`,
);
/** The prefix as the two high 32-bit words of a local trace id (samplers hash the id's words). */
export const TRACE_PREFIX_WORDS: readonly [number, number] = [
  new DataView(traceIdPrefix.buffer).getUint32(0),
  new DataView(traceIdPrefix.buffer).getUint32(4),
];
const TRACE_PREFIX_HEX = TID_PREFIX_ARG.subarray(5).reduce((s, c) => s + String.fromCharCode(c), '');

export function localTraceId(rootId: number): string {
  return TRACE_PREFIX_HEX + spanIdHex(rootId);
}
