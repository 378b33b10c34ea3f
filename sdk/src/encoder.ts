/**
 * Builds one marker in place in a reused buffer, with the snap length as a hard limit: the hot-path twin of
 * grammar.formatMarker (same escaping primitives, no intermediate strings or arrays). Args that do not fit are
 * dropped, the last one kept may be cut, and the marker then ends with `_trunc=1`.
 */
import { ARG_ESCAPES, TAG_ESCAPES, encodeDecimal, encodeEscaped } from './grammar.js';
import { TID_PREFIX_ARG, lastIdDigits, lastIdHex, lastIdLength } from './ids.js';

const COLON = 0x3a;
const COMMA = 0x2c;
const EQ = 0x3d;
const UNDERSCORE = 0x5f;
const TRUNC = new TextEncoder().encode(',_trunc=1:');

/** Bytes `_name=` of a reserved arg, ready to copy. */
export function reservedPrefix(name: string): Uint8Array {
  return new TextEncoder().encode(`_${name}=`);
}

export class MarkerEncoder {
  buf: Uint8Array;
  pos = 0;
  /** last byte position args may use: room for `,_trunc=1:` stays free */
  private limit: number;
  private first = true;
  truncated = false;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.limit = buf.length - TRUNC.length;
  }

  /** the span whose `:ID:TAGS:` header is at buf[1, headerEnd), or -1 (lets a leaf span's exit reuse its enter's) */
  headerId = -1;
  private headerEnd = 0;

  /** `>:ID:TAGS:` with tags already encoded (see encodeTags). */
  begin(dir: number, id: number, tags: Uint8Array): void {
    this.header(dir, encodeDecimal(this.buf, 2, id), tags, id);
  }

  /** begin() for the id newSpanId() just returned: its digits are copied, not computed. */
  beginNewest(dir: number, id: number, tags: Uint8Array): void {
    const buf = this.buf;
    let pos = 2;
    for (let i = 0; i < lastIdLength; i++) buf[pos++] = lastIdDigits[i];
    this.header(dir, pos, tags, id);
  }

  private header(dir: number, pos: number, tags: Uint8Array, id: number): void {
    const buf = this.buf;
    buf[0] = dir;
    buf[1] = COLON;
    buf[pos++] = COLON;
    // encodeTags keeps tags far below the smallest snap length; a loop beats set() for a few bytes
    for (let i = 0; i < tags.length; i++) buf[pos++] = tags[i];
    buf[pos++] = COLON;
    this.pos = pos;
    this.headerEnd = pos;
    this.headerId = id;
    this.first = true;
    this.truncated = false;
  }

  /** Starts a marker for `headerId` again, keeping its header: only the direction byte changes. */
  reopen(dir: number): void {
    this.buf[0] = dir;
    this.pos = this.headerEnd;
    this.first = true;
    this.truncated = false;
  }

  /**
   * Opens the next arg: writes the separating comma and returns where the arg's bytes go, or -1 (and the marker is
   * flagged truncated) when `room` more bytes do not fit.
   */
  private next(room: number): number {
    if (this.truncated) return -1;
    let pos = this.pos;
    if (!this.first) this.buf[pos++] = COMMA;
    if (pos + room > this.limit) {
      this.truncated = true;
      return -1;
    }
    return pos;
  }

  private copy(pos: number, bytes: Uint8Array): number {
    const buf = this.buf;
    for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i];
    return pos;
  }

  private close(pos: number): void {
    this.pos = pos;
    this.first = false;
  }

  /** `_tid=<process prefix><hex of the newest span id>` (ids.ts, localTraceId): a trace rooted at that span. */
  newestTraceId(): void {
    const pos = this.next(TID_PREFIX_ARG.length + 16);
    if (pos >= 0) this.close(this.copy(this.copy(pos, TID_PREFIX_ARG), lastIdHex));
  }

  /** A reserved arg whose `_name=` prefix is pre-encoded; skipped (and flagged) when it does not fit whole. */
  reserved(prefix: Uint8Array, value: string): void {
    const pos = this.next(prefix.length);
    if (pos < 0) return;
    const end = encodeEscaped(this.buf, this.copy(pos, prefix), this.limit, value, ARG_ESCAPES);
    if (end < 0) this.truncated = true;
    else this.close(end);
  }

  /** A reserved arg with an integer value (`_p=<id>`). */
  reservedInt(prefix: Uint8Array, value: number): void {
    const pos = this.next(prefix.length + 17);
    if (pos >= 0) this.close(encodeDecimal(this.buf, this.copy(pos, prefix), value));
  }

  /** Pre-encoded `_name=value` bytes (the service name, cached per configuration). */
  raw(bytes: Uint8Array): void {
    const pos = this.next(bytes.length);
    if (pos >= 0) this.close(this.copy(pos, bytes));
  }

  /** A program arg: `name=value`, with one more `_` in front of names that start with `_`. */
  arg(name: string, value: string): void {
    if (name.length === 0) return;
    const underscore = name.charCodeAt(0) === UNDERSCORE ? 1 : 0;
    let pos = this.next(underscore + 1);
    if (pos < 0) return;
    if (underscore) this.buf[pos++] = UNDERSCORE;
    pos = encodeEscaped(this.buf, pos, this.limit, name, ARG_ESCAPES);
    if (pos < 0 || pos >= this.limit) {
      this.truncated = true; // not even the name fits: the arg is left out
      return;
    }
    this.buf[pos++] = EQ;
    pos = encodeEscaped(this.buf, pos, this.limit, value, ARG_ESCAPES);
    if (pos < 0) {
      // keep the name and as much of the value as fits
      this.close(~pos);
      this.truncated = true;
      return;
    }
    this.close(pos);
  }

  /** Closes the marker; returns its length. */
  finish(): number {
    let pos = this.pos;
    if (this.truncated) {
      if (this.first) {
        this.buf.set(TRUNC.subarray(1), pos); // no leading comma
        pos += TRUNC.length - 1;
      } else {
        this.buf.set(TRUNC, pos);
        pos += TRUNC.length;
      }
    } else {
      this.buf[pos++] = COLON;
    }
    return pos;
  }
}

/**
 * Encodes a span name as marker tags: split at dots into sysdig-style tags (`db.query` → `db`, `query`) when no
 * part is empty, else one tag with the dots escaped. Either way the tags joined with `.` give the name back.
 * At most `maxBytes` bytes (cut at a character boundary).
 */
export function encodeTags(name: string, maxBytes: number): Uint8Array {
  const out = new Uint8Array(Math.min(maxBytes, name.length * 3 + 1));
  const parts = name.split('.');
  const split = parts.length > 1 && parts.every((p) => p.length > 0);
  if (!split) {
    const n = encodeEscaped(out, 0, out.length, name, TAG_ESCAPES);
    return out.slice(0, n < 0 ? ~n : n);
  }
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) {
      if (pos + 2 > out.length) break; // a dot needs a tag after it
      out[pos++] = 0x2e;
    }
    const n = encodeEscaped(out, pos, out.length, parts[i], TAG_ESCAPES);
    if (n < 0) {
      pos = ~n;
      if (out[pos - 1] === 0x2e) pos--; // nothing of this part fit: no dangling dot
      break;
    }
    pos = n;
  }
  return out.slice(0, pos);
}
