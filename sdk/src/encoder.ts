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
const DOT = 0x2e;
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
  private idEnd = 0;
  /** where the last variable reserved value (trace id hex digits, parent id digits) starts and ends */
  private varPos = 0;
  private varEnd = 0;

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
    this.idEnd = pos;
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
    if (pos < 0) return;
    this.varPos = this.copy(pos, TID_PREFIX_ARG);
    this.varEnd = this.copy(this.varPos, lastIdHex);
    this.close(this.varEnd);
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
    if (pos < 0) return;
    this.varPos = this.copy(pos, prefix);
    this.varEnd = encodeDecimal(this.buf, this.varPos, value);
    this.close(this.varEnd);
  }

  /**
   * Snapshot of the marker so far (header and reserved args, before the program's args) as a template for the
   * next enter of the same name and shape; undefined when it was cut short.
   */
  capture(varId: number, kind: string | undefined, svc: Uint8Array | undefined): EnterTemplate | undefined {
    if (this.truncated) return undefined;
    return new EnterTemplate(
      Uint8Array.prototype.slice.call(this.buf, 0, this.pos),
      this.headerEnd,
      this.idEnd - 2,
      this.varPos,
      this.varEnd - this.varPos,
      varId,
      kind,
      svc,
    );
  }

  /**
   * Starts an enter marker for the newest span id from a template: one copy of its bytes, then the id digits
   * (and, for a root, the trace id's hex digits) patched in. The template's shape matches (see EnterTemplate.fits).
   */
  beginFromTemplate(t: EnterTemplate, id: number, root: boolean): void {
    const buf = this.buf;
    buf.set(t.bytes, 0);
    for (let i = 0; i < lastIdLength; i++) buf[2 + i] = lastIdDigits[i];
    if (root) for (let i = 0; i < 16; i++) buf[t.varPos + i] = lastIdHex[i];
    this.pos = t.bytes.length;
    this.first = false;
    this.truncated = false;
    this.headerEnd = t.headerEnd;
    this.headerId = id;
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

  /** A safe integer arg: `_i.name=<decimal>` (sdk/MARKERS.md, "Typed args"). */
  intArg(name: string, value: number): void {
    const pos = this.typedName(0x69 /* i */, name, 17);
    if (pos >= 0) this.close(encodeDecimal(this.buf, pos, value));
  }

  /** A double or boolean arg with its ASCII text: `_d.name=1.5`, `_b.name=true`. */
  typedArg(type: number, name: string, text: string): void {
    let pos = this.typedName(type, name, text.length);
    if (pos < 0) return;
    const buf = this.buf;
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    this.close(pos);
  }

  /**
   * Writes `_<type>.name=` if it and `room` bytes of value fit; returns where the value goes, or -1 (the marker is
   * flagged truncated). A typed arg is written whole or left out: a number cut short would be another number.
   */
  private typedName(type: number, name: string, room: number): number {
    if (name.length === 0) return -1;
    let pos = this.next(4 + room);
    if (pos < 0) return -1;
    const buf = this.buf;
    buf[pos++] = UNDERSCORE;
    buf[pos++] = type;
    buf[pos++] = DOT;
    pos = encodeEscaped(buf, pos, this.limit, name, ARG_ESCAPES);
    if (pos < 0 || pos + 1 + room > this.limit) {
      this.truncated = true;
      return -1;
    }
    buf[pos++] = EQ;
    return pos;
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
 * The fixed start of an enter marker — `>:ID:TAGS:` and the reserved args — for one span name and shape (root or
 * child, kind, service name, id length), captured from a marker built the long way. Writing the next one is a
 * copy plus patching the digits that change: the span id, and the trace id (root) or the parent id (child).
 */
export class EnterTemplate {
  constructor(
    readonly bytes: Uint8Array,
    readonly headerEnd: number,
    readonly idLength: number,
    /** root: the trace id's 16 hex digits; child: the parent id's decimal digits */
    readonly varPos: number,
    readonly varLength: number,
    /** child: the parent id whose digits are in `bytes` now */
    private varId: number,
    readonly kind: string | undefined,
    readonly svc: Uint8Array | undefined,
  ) {}

  /** Whether the next enter (of the newest span id) can come from this template; patches in a new parent id. */
  fits(kind: string | undefined, svc: Uint8Array | undefined, parentId: number): boolean {
    if (this.idLength !== lastIdLength || this.kind !== kind || this.svc !== svc) return false;
    if (parentId === 0 || parentId === this.varId) return true;
    const n = encodeDecimal(digitScratch, 0, parentId);
    if (n !== this.varLength) return false;
    for (let i = 0; i < n; i++) this.bytes[this.varPos + i] = digitScratch[i];
    this.varId = parentId;
    return true;
  }
}

const digitScratch = new Uint8Array(20);

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
