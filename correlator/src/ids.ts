// Trace and span ids. Generated ids come from a seeded PRNG so that replaying a capture (whose header stores the
// seed) produces byte-identical output; ids for syscall child spans are derived from their parent's id and index,
// so mapping needs no state at all.
import { fmix32 } from '@nullspan/sdk/sampler';
import { randomBytes } from 'node:crypto';

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function hex32(n: number): string {
  return HEX[(n >>> 24) & 255] + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];
}

/** A fresh 128-bit seed as 32 hex digits (store it in the capture header, pass it to the Correlator). */
export function newIdSeed(): string {
  return randomBytes(16).toString('hex');
}

/** xoshiro128** over 4 × 32 bits: fast, good enough statistically for ids, and deterministic from its seed. */
export class IdGenerator {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seedHex: string) {
    if (!/^[0-9a-f]{32}$/.test(seedHex)) throw new Error(`id seed must be 32 lower-case hex digits, got "${seedHex}"`);
    this.s0 = parseInt(seedHex.slice(0, 8), 16) | 0;
    this.s1 = parseInt(seedHex.slice(8, 16), 16) | 0;
    this.s2 = parseInt(seedHex.slice(16, 24), 16) | 0;
    this.s3 = parseInt(seedHex.slice(24, 32), 16) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state would stay zero
  }

  private next(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** 16 hex digits, never all zero (invalid in W3C trace context). */
  spanId(): string {
    let hi = this.next();
    const lo = this.next();
    if ((hi | lo) === 0) hi = 1;
    return hex32(hi) + hex32(lo);
  }

  /** 32 hex digits, never all zero. */
  traceId(): string {
    return this.spanId() + this.spanId();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** SDK span ids live in [2^40, 2^53): those, and only those, become the OTel span id verbatim (16 hex digits). */
export function isSdkSpanId(id: number): boolean {
  return id >= 2 ** 40 && id < 2 ** 53 && Number.isInteger(id);
}

/** The OTel span id of an SDK span id: two 32-bit halves through the byte table (Number#toString(16) costs
 * several times more, once per span). */
export function sdkSpanIdHex(id: number): string {
  const hi = Math.floor(id / 4294967296);
  return hex32(hi) + hex32(id - hi * 4294967296);
}

/** The two 32-bit words of the index-th syscall child's span id, given the parent id's words: stateless. */
export function childSpanWords(hi: number, lo: number, index: number, out: Uint32Array): void {
  const a = fmix32(hi ^ Math.imul(index + 1, 0x9e3779b1));
  const b = fmix32(lo ^ a ^ Math.imul(index + 1, 0x85ebca77));
  const c = fmix32(a ^ b ^ 0x27d4eb2f);
  out[0] = c === 0 && b === 0 ? 1 : c;
  out[1] = b;
}

const words = new Uint32Array(2);

/** Span id of the index-th syscall child of `parentSpanId`: stateless and deterministic. */
export function childSpanId(parentSpanId: string, index: number): string {
  childSpanWords(parseInt(parentSpanId.slice(0, 8), 16), parseInt(parentSpanId.slice(8, 16), 16), index, words);
  return hex32(words[0]) + hex32(words[1]);
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const ALL_ZERO_TRACE = '0'.repeat(32);

export function isValidTraceId(s: string): boolean {
  return TRACE_ID.test(s) && s !== ALL_ZERO_TRACE;
}

/** 8 hex digits of `s` from `at` as a 32-bit word (span ids are validated lower-case hex). */
export function hexWord(s: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = s.charCodeAt(i);
    v = (v << 4) | (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return v >>> 0;
}
