// A byte-level protobuf writer: tags, varints, fixed-width numbers, strings and hex ids go straight into one
// growing buffer. A message's length is written in front of it after the fact: its slot is reserved at begin()
// and end() writes the varint, moving the message when the length needs more or fewer bytes than reserved, so the
// output is canonical protobuf (minimal varints), byte-identical to what otlp-transformer's writer produces.

const encoder = new TextEncoder();

/** bytes of the varint of a uint32 */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

export class ProtoWriter {
  buf: Uint8Array;
  len = 0;
  private dv: DataView;

  constructor(size = 1024) {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + need + 64));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  byte(b: number): void {
    if (this.len + 1 > this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }

  /** The first `n` bytes of `src` (all of them by default). */
  raw(src: Uint8Array, n = src.length): void {
    if (this.len + n > this.buf.length) this.grow(n);
    if (n > 32) this.buf.set(n === src.length ? src : src.subarray(0, n), this.len);
    else {
      const b = this.buf;
      let o = this.len;
      for (let i = 0; i < n; i++) b[o++] = src[i];
    }
    this.len += n;
  }

  /** A uint32 varint (tags, lengths, enums, counts). */
  varint(v: number): void {
    if (this.len + 5 > this.buf.length) this.grow(5);
    const b = this.buf;
    let o = this.len;
    v >>>= 0;
    while (v > 0x7f) {
      b[o++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[o++] = v;
    this.len = o;
  }

  /** An int64 varint of an integer number in [-2^63, 2^63): negatives in two's complement (ten bytes). */
  int64(v: number): void {
    if (v >= 0 && v <= 0xffffffff) {
      this.varint(v);
      return;
    }
    const abs = Math.abs(v);
    let lo = abs >>> 0;
    let hi = (abs / 0x100000000) >>> 0;
    if (v < 0) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    if (this.len + 10 > this.buf.length) this.grow(10);
    const b = this.buf;
    let o = this.len;
    while (hi > 0 || lo > 0x7f) {
      b[o++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[o++] = lo;
    this.len = o;
  }

  fixed32(v: number): void {
    if (this.len + 4 > this.buf.length) this.grow(4);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.len += 4;
  }

  fixed64(lo: number, hi: number): void {
    if (this.len + 8 > this.buf.length) this.grow(8);
    this.dv.setUint32(this.len, lo >>> 0, true);
    this.dv.setUint32(this.len + 4, hi >>> 0, true);
    this.len += 8;
  }

  double(v: number): void {
    if (this.len + 8 > this.buf.length) this.grow(8);
    this.dv.setFloat64(this.len, v, true);
    this.len += 8;
  }

  /**
   * A length-prefixed UTF-8 string. Lone surrogates become U+FFFD (TextEncoder's rule, and otlp-transformer's):
   * protobuf strings are UTF-8, which cannot carry them.
   */
  string(s: string): void {
    const n = s.length;
    const start = this.len;
    this.varint(n);
    if (this.len + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = start;
        this.stringSlow(s);
        return;
      }
      b[o++] = c;
    }
    this.len = o;
  }

  private stringSlow(s: string): void {
    const max = s.length * 3;
    // the length's varint for the most bytes the string can take, then moved back if the real length is shorter
    const slot = varintSize(max);
    if (this.len + slot + max > this.buf.length) this.grow(slot + max);
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.len + slot));
    this.finish(this.len, slot, written);
  }

  /** Length-prefixed bytes from lower-case hex (trace and span ids; validated hex of even length). */
  hexBytes(hex: string): void {
    const n = hex.length >> 1;
    this.varint(n);
    if (this.len + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) b[o++] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
    this.len = o;
  }

  /** A 32-bit word, big-endian (half of an 8-byte id). */
  word32be(w: number): void {
    if (this.len + 4 > this.buf.length) this.grow(4);
    this.dv.setUint32(this.len, w >>> 0, false);
    this.len += 4;
  }

  /** Reserves `slot` bytes for the length of the message that follows; returns where they are (for end). */
  begin(slot: number): number {
    const at = this.len;
    if (this.len + slot > this.buf.length) this.grow(slot);
    this.len += slot;
    return at;
  }

  /** Writes the length of the message begun at `at` with a `slot`-byte reservation. */
  end(at: number, slot: number): void {
    this.finish(at, slot, this.len - at - slot);
  }

  /** The `length` bytes after a `slot`-byte reservation at `at` get their minimal length varint in front. */
  private finish(at: number, slot: number, length: number): void {
    const size = varintSize(length);
    if (size !== slot) {
      // (only end() can need more room: a string's slot is sized for its longest encoding)
      if (at + size + length > this.buf.length) this.grow(at + size + length - this.len);
      this.buf.copyWithin(at + size, at + slot, at + slot + length);
    }
    this.len = at + size + length;
    const b = this.buf;
    let o = at;
    let v = length;
    while (v > 0x7f) {
      b[o++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[o] = v;
  }
}

function nibble(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}
