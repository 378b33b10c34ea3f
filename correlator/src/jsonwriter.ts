// A byte-level JSON writer: ASCII constants, integers, hex words and strings go straight into one growing buffer,
// so encoding hundreds of thousands of spans a second makes (almost) no garbage. Strings take a byte loop when
// they are plain ASCII and JSON.stringify + encodeInto otherwise, so escaping is always JSON.stringify's.

const encoder = new TextEncoder();
const HEX = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEX[i] = '0123456789abcdef'.charCodeAt(i);

/** Bytes of an ASCII constant, computed once. */
export function ascii(s: string): Uint8Array {
  return encoder.encode(s);
}

export class JsonWriter {
  buf: Uint8Array;
  len = 0;

  constructor(initial = 1 << 20) {
    this.buf = new Uint8Array(initial);
  }

  private grow(need: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + need));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  raw(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) this.grow(bytes.length);
    const b = this.buf;
    let o = this.len;
    // short constants: a loop beats TypedArray.set's call overhead
    if (bytes.length < 48) for (let i = 0; i < bytes.length; i++) b[o++] = bytes[i];
    else {
      b.set(bytes, o);
      o += bytes.length;
    }
    this.len = o;
  }

  /** A non-negative or negative integer (safe range), or any number as JSON writes it. */
  num(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.raw(encoder.encode(JSON.stringify(n)));
      return;
    }
    if (this.len + 17 > this.buf.length) this.grow(17);
    const b = this.buf;
    if (n < 0) {
      b[this.len++] = 0x2d;
      n = -n;
    }
    if (n < 10) {
      b[this.len++] = 0x30 + n;
      return;
    }
    let digits = 0;
    for (let x = n; x >= 1; x = Math.floor(x / 10)) digits++;
    let o = this.len + digits;
    this.len = o;
    while (n >= 1) {
      const q = Math.floor(n / 10);
      b[--o] = 0x30 + (n - q * 10);
      n = q;
    }
  }

  /** `n` zero-padded to `width` digits (n < 10^width). */
  padded(n: number, width: number): void {
    if (this.len + width > this.buf.length) this.grow(width);
    const b = this.buf;
    let o = this.len + width;
    this.len = o;
    for (let i = 0; i < width; i++) {
      const q = Math.floor(n / 10);
      b[--o] = 0x30 + (n - q * 10);
      n = q;
    }
  }

  /** A 32-bit word as 8 lower-case hex digits. */
  hex32(w: number): void {
    if (this.len + 8 > this.buf.length) this.grow(8);
    const b = this.buf;
    let o = this.len;
    for (let shift = 28; shift >= 0; shift -= 4) b[o++] = HEX[(w >>> shift) & 15];
    this.len = o;
  }

  /** Known-safe ASCII text (hex ids) without quotes. */
  plain(s: string): void {
    if (this.len + s.length > this.buf.length) this.grow(s.length);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
    this.len = o;
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
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) return this.strSlow(s);
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
