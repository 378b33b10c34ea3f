// A byte-level JSON writer: ASCII constants, integers, hex words and strings go straight into one growing buffer,
// so encoding hundreds of thousands of spans a second makes (almost) no garbage. Strings take a byte loop when
// they are plain ASCII and JSON.stringify + encodeInto otherwise, so escaping is always JSON.stringify's.

const encoder = new TextEncoder();
/** the two hex digits of a byte, as one little-endian 16-bit store */
const HEX2 = new Uint16Array(256);
for (let i = 0; i < 256; i++)
  HEX2[i] = '0123456789abcdef'.charCodeAt(i >> 4) | ('0123456789abcdef'.charCodeAt(i & 15) << 8);
/** the two decimal digits of 0..99, likewise */
const DEC2 = new Uint16Array(100);
for (let i = 0; i < 100; i++) DEC2[i] = (0x30 + ((i / 10) | 0)) | ((0x30 + (i % 10)) << 8);
/** constants longer than this are copied with one `set`, shorter ones a word at a time */
const LONG = 40;

/**
 * A byte string padded to whole 32-bit words, so copying a short one is a loop over words (unaligned little-endian
 * stores through a DataView) instead of bytes; a long one is copied with one `set` of `u8` (a memmove: its call
 * costs about as much as copying 40 bytes a word at a time). `n` is its real length; the pad bytes land past the
 * end and are overwritten by whatever comes next.
 */
export class Bytes {
  words: Uint32Array;
  n: number;
  /** the `n` bytes, a view of `words` */
  u8: Uint8Array;

  constructor(src: Uint8Array) {
    const padded = new Uint8Array((src.length + 3) & ~3);
    padded.set(src);
    this.words = new Uint32Array(padded.buffer);
    this.n = src.length;
    this.u8 = padded.subarray(0, src.length);
  }

  /** Reuses this object for `src[start, end)` (grows its words when needed). */
  setBytes(src: Uint8Array, start = 0, end = src.length): this {
    const n = end - start;
    const nWords = (n + 3) >> 2;
    const grown = this.words.length < nWords;
    if (grown) this.words = new Uint32Array(Math.max(nWords, 16));
    const w = this.words;
    const full = n >> 2;
    let j = start;
    for (let i = 0; i < full; i++, j += 4)
      w[i] = (src[j] | (src[j + 1] << 8) | (src[j + 2] << 16) | (src[j + 3] << 24)) >>> 0;
    if (j < end) {
      let last = 0;
      for (let k = 0; j + k < end; k++) last |= src[j + k] << (8 * k);
      w[full] = last >>> 0;
    }
    this.setLength(n, grown);
    return this;
  }

  /** Reuses this object for another ASCII string (ids written many times: no allocation per span). */
  setAscii(s: string): this {
    const nWords = (s.length + 3) >> 2;
    const grown = this.words.length < nWords;
    if (grown) this.words = new Uint32Array(nWords);
    const w = this.words;
    for (let i = 0; i < nWords; i++) {
      const j = i * 4;
      w[i] =
        (s.charCodeAt(j) & 0xff) |
        ((s.charCodeAt(j + 1) & 0xff) << 8) |
        ((s.charCodeAt(j + 2) & 0xff) << 16) |
        ((s.charCodeAt(j + 3) & 0xff) << 24);
    }
    this.setLength(s.length, grown);
    return this;
  }

  /**
   * Overwrites the bytes at `at` with the ASCII string `s` (a fixed-size id in a constant); the caller keeps it
   * within the length (bytes past it are dropped by the typed array).
   */
  setAsciiAt(at: number, s: string): void {
    const b = this.u8;
    for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
  }

  private setLength(n: number, grown: boolean): void {
    if (grown || this.n !== n) this.u8 = new Uint8Array(this.words.buffer, 0, n);
    this.n = n;
  }
}

/** Bytes of an ASCII (or any) constant, computed once. */
export function ascii(s: string): Bytes {
  return new Bytes(encoder.encode(s));
}

/**
 * Direct-mapped cache of encoded string literals: slot by length and two characters, hit by identity or equal
 * content. No hashing of whole strings and no allocation on a miss once a slot's buffer is big enough; a miss just
 * replaces the slot. Bounded by construction (SLOTS entries of at most 512 characters).
 */
export class LiteralCache {
  private static readonly SLOTS = 512;
  private readonly keys: (string | undefined)[] = new Array(LiteralCache.SLOTS);
  private readonly values: Bytes[] = [];

  constructor() {
    for (let i = 0; i < LiteralCache.SLOTS; i++) this.values.push(new Bytes(new Uint8Array(0)));
  }

  private slot(s: string): number {
    const n = s.length;
    return (n * 31 + s.charCodeAt(n - 1) * 7 + s.charCodeAt(n >> 1)) & (LiteralCache.SLOTS - 1);
  }

  get(s: string): Bytes | undefined {
    const i = this.slot(s);
    return this.keys[i] === s ? this.values[i] : undefined;
  }

  /** Remembers `src[start, end)` as the encoding of `s`. */
  put(s: string, src: Uint8Array, start = 0, end = src.length): void {
    const i = this.slot(s);
    this.keys[i] = s;
    this.values[i].setBytes(src, start, end);
  }
}

export class JsonWriter {
  buf: Uint8Array;
  private dv: DataView;
  len = 0;

  /** `literals`: the cache of encoded repeating strings, shareable between writers */
  constructor(
    initial = 1 << 20,
    private readonly literals = new LiteralCache(),
  ) {
    this.buf = new Uint8Array(initial);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Appends bytes written elsewhere (bulk copy). */
  append(bytes: Uint8Array): void {
    if (this.len + bytes.length + 4 > this.buf.length) this.grow(bytes.length + 4);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private grow(need: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + need + 8));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
    this.dv = new DataView(bigger.buffer);
  }

  raw(c: Bytes): void {
    const n = c.n;
    if (this.len + n + 4 > this.buf.length) this.grow(n + 4);
    if (n > LONG) {
      this.buf.set(c.u8, this.len);
      this.len += n;
      return;
    }
    const words = c.words;
    const dv = this.dv;
    const end = (n + 3) >> 2;
    let o = this.len;
    for (let i = 0; i < end; i++, o += 4) dv.setUint32(o, words[i], true);
    this.len += n;
  }

  /** An integer in the safe range, or any number as JSON writes it. */
  num(n: number): void {
    if (n >= 0 && n < 2147483648 && (n | 0) === n) {
      this.small(n);
      return;
    }
    if (n < 0 && n > -2147483648 && (n | 0) === n) {
      // -errno return values
      if (this.len + 1 > this.buf.length) this.grow(1);
      this.buf[this.len++] = 0x2d;
      this.small(-n);
      return;
    }
    if (!Number.isSafeInteger(n)) {
      this.plain(JSON.stringify(n));
      return;
    }
    this.plain(String(n)); // large integers are rare (return values of mmap, ...)
  }

  /** A non-negative int32, with integer arithmetic. */
  private small(n: number): void {
    n |= 0; // int32 arithmetic (see padded)
    if (this.len + 10 > this.buf.length) this.grow(10);
    const b = this.buf;
    if (n < 10) {
      b[this.len++] = 0x30 + n;
      return;
    }
    const digits =
      n < 100
        ? 2
        : n < 1000
          ? 3
          : n < 10000
            ? 4
            : n < 100000
              ? 5
              : n < 1000000
                ? 6
                : n < 10000000
                  ? 7
                  : n < 100000000
                    ? 8
                    : n < 1000000000
                      ? 9
                      : 10;
    let o = this.len + digits;
    this.len = o;
    const dv = this.dv;
    while (n >= 100) {
      const q = (n / 100) | 0;
      o -= 2;
      dv.setUint16(o, DEC2[n - q * 100], true);
      n = q;
    }
    if (n >= 10) dv.setUint16(o - 2, DEC2[n], true);
    else b[o - 1] = 0x30 + n;
  }

  /** `n` (0 <= n < 10^width, int32) zero-padded to `width` digits. */
  padded(n: number, width: number): void {
    n |= 0; // int32 arithmetic: divisions by constants become multiplications
    if (this.len + width > this.buf.length) this.grow(width);
    const dv = this.dv;
    let o = this.len + width;
    this.len = o;
    // two digits per division, then the odd one
    for (let i = width; i >= 2; i -= 2) {
      const q = (n / 100) | 0;
      o -= 2;
      dv.setUint16(o, DEC2[n - q * 100], true);
      n = q;
    }
    if (width & 1) this.buf[o - 1] = 0x30 + n;
  }

  /** A 32-bit word as 8 lower-case hex digits. */
  hex32(w: number): void {
    if (this.len + 8 > this.buf.length) this.grow(8);
    const dv = this.dv;
    const o = this.len;
    dv.setUint16(o, HEX2[w >>> 24], true);
    dv.setUint16(o + 2, HEX2[(w >>> 16) & 255], true);
    dv.setUint16(o + 4, HEX2[(w >>> 8) & 255], true);
    dv.setUint16(o + 6, HEX2[w & 255], true);
    this.len = o + 8;
  }

  /** Known-safe ASCII text (hex ids) without quotes. */
  plain(s: string): void {
    if (this.len + s.length > this.buf.length) this.grow(s.length);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
    this.len = o;
  }

  /**
   * A JSON string literal through the literal cache: strings that repeat (a file's path, a connection's tuple on
   * every call on its fd) are copied as encoded bytes instead of re-scanned.
   */
  cachedStr(s: string): void {
    if (s.length < 16 || s.length > 512) {
      this.str(s); // short ones are quicker to scan than to look up
      return;
    }
    const lit = this.literals.get(s);
    if (lit !== undefined) {
      this.raw(lit);
      return;
    }
    const start = this.len;
    this.str(s);
    this.literals.put(s, this.buf, start, this.len);
  }

  /**
   * `head` (if any), the string literal `s` and `tail` (if any), remembered in `cache` as one piece (a cache per
   * head and tail): for values that repeat (a fd's target on each of its calls, a span name with its kind), one
   * copy instead of several pieces and a scan.
   */
  strPiece(head: Bytes | null, s: string, tail: Bytes | null, cache: LiteralCache): void {
    const cacheable = s.length <= 512;
    if (cacheable) {
      const lit = cache.get(s);
      if (lit !== undefined) {
        this.raw(lit);
        return;
      }
    }
    const start = this.len;
    if (head !== null) this.raw(head);
    this.str(s);
    if (tail !== null) this.raw(tail);
    if (cacheable) cache.put(s, this.buf, start, this.len);
  }

  /** A JSON string literal, quotes included. */
  str(s: string): void {
    const n = s.length;
    if (this.len + n + 2 > this.buf.length) this.grow(n + 2);
    const b = this.buf;
    let o = this.len;
    b[o++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) {
        this.strSlow(s);
        return;
      }
      b[o++] = c;
    }
    b[o++] = 0x22;
    this.len = o;
  }

  private strSlow(s: string): void {
    const json = JSON.stringify(s);
    const max = json.length * 3;
    if (this.len + max > this.buf.length) this.grow(max);
    this.len += encoder.encodeInto(json, this.buf.subarray(this.len)).written;
  }

  /** The bytes written so far (a view: valid until the next write after reset). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
