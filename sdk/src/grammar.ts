/**
 * The marker grammar of sdk/MARKERS.md: the one implementation of it, used by the SDK's writer (formatting) and by
 * the correlator (parsing). Strings are carried as WTF-8 so any JavaScript string, lone surrogates included,
 * survives a round trip byte for byte.
 */

import { numberType, parseTyped, semconvType, typeLetter, type ArgValue } from './arg-types.js';

export { SEMCONV_TYPES, parseTyped, type ArgType, type ArgValue } from './arg-types.js';

export type MarkerId = number | 't' | 'p' | 'pp';

export interface Marker {
  dir: '>' | '<';
  /** `g` and the empty ID parse to 0 */
  id: MarkerId;
  tags: string[];
  /**
   * the program's own args in order (reserved `_` args excluded, `__x` already turned back into `_x`); typed args
   * (`_i.x`, `_d.x`, `_b.x`, semantic-convention keys) as numbers and booleans
   */
  args: [string, ArgValue][];
  /** reserved args (`_tid`, `_p`, ...) without the leading underscore */
  ext: Record<string, string>;
}

export type ParseResult =
  /** `length`: bytes consumed up to and including the final ':' (what follows is ignored "rest") */
  | { ok: true; marker: Marker; length: number }
  /** ran out of bytes before the final ':' (the caller buffers and joins the thread's next write) */
  | { ok: false; incomplete: true }
  /** malformed: one sentence + the byte offset where the parse failed */
  | { ok: false; incomplete: false; error: string; offset: number };

const GT = 0x3e; // >
const LT = 0x3c; // <
const COLON = 0x3a;
const DOT = 0x2e;
const COMMA = 0x2c;
const EQ = 0x3d;
const BSL = 0x5c; // backslash
const NL = 0x0a;
const MINUS = 0x2d;
const D0 = 0x30;
const D9 = 0x39;

const INCOMPLETE: ParseResult = Object.freeze({ ok: false, incomplete: true }) as ParseResult;

function malformed(error: string, offset: number): ParseResult {
  return { ok: false, incomplete: false, error, offset };
}

export function isMarkerStart(bytes: Uint8Array): boolean {
  return bytes.length > 0 && (bytes[0] === GT || bytes[0] === LT);
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/**
 * Decodes UTF-8 extended with WTF-8's encoded surrogates (ED A0..BF xx), so lone surrogates come back as the code
 * units they were. Bytes that are not valid (WTF-)UTF-8 decode to U+FFFD, one per bad byte: hostile input still
 * yields a string, never an exception.
 */
export function decodeWtf8(bytes: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return fromCodeUnits(bytes, start, end);
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      units.push(b0);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    } else {
      units.push(0xfffd);
      i++;
      continue;
    }
    if (i + need >= end) {
      // not enough bytes left for the sequence
      units.push(0xfffd);
      i++;
      continue;
    }
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (b & 0x3f);
    }
    if (!ok || cp < min || cp > 0x10ffff) {
      units.push(0xfffd);
      i++;
      continue;
    }
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      units.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
    } else {
      units.push(cp); // includes surrogates D800..DFFF: the WTF-8 extension
    }
    i += need + 1;
  }
  return fromCodeUnitArray(units);
}

// Node's latin1 decoder takes any Uint8Array (a Buffer method, called on plain arrays too): a fraction of the cost
// of String.fromCharCode.apply, which a marker pays for every field.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (start: number, end: number) => string })
  .latin1Slice;

/** bytes[start, end) as one UTF-16 unit per byte (the callers pass ASCII) */
function fromCodeUnits(bytes: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(bytes, start, end);
}

function fromCodeUnitArray(units: number[]): string {
  if (units.length <= 8192) return String.fromCharCode.apply(null, units);
  let s = '';
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode.apply(null, units.slice(i, i + 8192));
  return s;
}

const ID_HELP = 'the ID must be t, p, pp, g, empty or a decimal number';
const ID_RANGE = 'ID out of range: numeric IDs must lie within ±(2^53 - 1)';

/** Parses the ID field bytes[start, end); returns the id or an error ParseResult. */
function parseId(bytes: Uint8Array, start: number, end: number): MarkerId | ParseResult {
  const len = end - start;
  if (len === 0) return 0;
  const c0 = bytes[start];
  if (len === 1 && c0 === 0x67 /* g */) return 0;
  if (len === 1 && c0 === 0x74 /* t */) return 't';
  if (len === 1 && c0 === 0x70 /* p */) return 'p';
  if (len === 2 && c0 === 0x70 && bytes[start + 1] === 0x70) return 'pp';
  let i = start;
  const negative = c0 === MINUS;
  if (negative) i++;
  if (i === end) return malformed(ID_HELP, i);
  let value = 0;
  for (; i < end; i++) {
    const b = bytes[i];
    if (b < D0 || b > D9) return malformed(ID_HELP, i);
    value = value * 10 + (b - D0);
    if (value > Number.MAX_SAFE_INTEGER) return malformed(ID_RANGE, start);
  }
  return negative ? (value === 0 ? 0 : -value) : value;
}

/**
 * Checks an unfinished ID field: -1 while it could still become valid, -2 when its number is already out of
 * range, else the offset of the first byte that rules it out.
 */
function isIdPrefix(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 0) return -1;
  const c0 = bytes[start];
  if (len === 1 && (c0 === 0x67 || c0 === 0x74 || c0 === 0x70 || c0 === MINUS)) return -1;
  if (len === 2 && c0 === 0x70 && bytes[start + 1] === 0x70) return -1;
  let value = 0;
  for (let i = c0 === MINUS ? start + 1 : start; i < end; i++) {
    const b = bytes[i];
    if (b < D0 || b > D9) return i;
    value = value * 10 + (b - D0);
    if (value > Number.MAX_SAFE_INTEGER) return -2;
  }
  return -1;
}

/** A scanner for the next parse: a parse takes it and gives it back, so one in progress never shares its state. */
let idleScanner: FieldScanner | undefined;

/** Parses one marker from the start of `bytes` (see sdk/MARKERS.md). Never throws. */
export function parseMarker(bytes: Uint8Array): ParseResult {
  const f = idleScanner ?? new FieldScanner();
  idleScanner = undefined;
  f.bytes = bytes;
  const r = parseWith(f, bytes);
  f.bytes = EMPTY;
  idleScanner = f;
  return r;
}

const EMPTY = new Uint8Array(0);

function parseWith(f: FieldScanner, bytes: Uint8Array): ParseResult {
  const n = bytes.length;
  if (n === 0) return malformed('an empty write is not a marker', 0);
  const d = bytes[0];
  if (d !== GT && d !== LT) return malformed("a marker starts with '>' or '<'", 0);
  if (n < 2) return INCOMPLETE;
  if (bytes[1] !== COLON) return malformed("the direction must be followed by ':'", 1);

  // ID
  let i = 2;
  while (i < n && bytes[i] !== COLON) i++;
  if (i === n) {
    const bad = isIdPrefix(bytes, 2, n);
    if (bad === -1) return INCOMPLETE;
    return bad === -2 ? malformed(ID_RANGE, 2) : malformed(ID_HELP, bad);
  }
  const id = parseId(bytes, 2, i);
  if (typeof id === 'object') return id;
  i++; // ':'

  // TAGS
  const tags: string[] = [];
  let sawDot = false;
  for (;;) {
    const at = f.scan(i, TAG_BYTES);
    if (at === -1) return INCOMPLETE;
    if (at < -1) return malformed(`an unescaped ${describeByte(bytes[-2 - at])} is not allowed in a tag`, -2 - at);
    const b = bytes[at];
    i = at + 1;
    if (f.empty(at)) {
      if (b === COLON && !sawDot) break; // no tags at all
      return malformed('a tag is empty (two dots in a row, or a leading or trailing dot)', at);
    }
    tags.push(f.text(at));
    if (b === COLON) break;
    sawDot = true;
  }

  // ARGS
  const args: [string, ArgValue][] = [];
  const ext: Record<string, string> = {};
  if (i >= n) return INCOMPLETE;
  if (bytes[i] === COLON) return done(d, id, tags, args, ext, i + 1);
  for (;;) {
    const eq = f.scan(i, NAME_BYTES);
    if (eq === -1) return INCOMPLETE;
    if (bytes[eq] !== EQ) {
      if (f.empty(eq)) return malformed('an arg is empty (trailing or doubled comma)', eq);
      return malformed("an arg has no '=' (args are name=value pairs)", eq);
    }
    if (f.empty(eq)) return malformed('an arg name is empty', eq);
    const name = f.text(eq);
    const end = f.scan(eq + 1, VALUE_BYTES);
    if (end === -1) return INCOMPLETE;
    if (end < -1) return malformed("an unescaped '=' is not allowed in an arg value", -2 - end);
    addArg(args, ext, name, f.text(end));
    i = end + 1;
    if (bytes[end] === COLON) return done(d, id, tags, args, ext, i);
  }
}

// What a byte means inside each field (unescaped): 0 part of it, 1 ends it, 2 malformed.
const TAG_BYTES = byteClasses(':.', '><=\n');
const NAME_BYTES = byteClasses('=,:', '');
const VALUE_BYTES = byteClasses(',:', '=');

function byteClasses(ends: string, bad: string): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of ends) t[c.charCodeAt(0)] = 1;
  for (const c of bad) t[c.charCodeAt(0)] = 2;
  return t;
}

/**
 * Reads the fields of one marker. Its state belongs to the parse that holds the scanner (parseMarker): while no
 * backslash was seen a field is bytes[start, end) as they are; from the first backslash on, its bytes (escapes
 * removed) are gathered in `scratch` instead.
 */
class FieldScanner {
  bytes: Uint8Array = EMPTY;
  private start = 0;
  private escaped = false;
  /** OR of the field's bytes: below 0x80 means plain ASCII */
  private bits = 0;
  /** grows to the longest input that had an escape; no field is longer than its input */
  private scratch = new Uint8Array(256);
  private scratchLen = 0;

  /**
   * Reads one field from offset i. Returns the offset of the byte that ends it, -1 when the input ends first
   * (incomplete), or -2 - offset of a byte not allowed there.
   */
  scan(i: number, classes: Uint8Array): number {
    const bytes = this.bytes;
    const n = bytes.length;
    this.start = i;
    this.escaped = false;
    let bits = 0;
    while (i < n) {
      const b = bytes[i];
      if (b === BSL) {
        if (i + 1 >= n) return -1;
        if (this.scratch.length < n) this.scratch = new Uint8Array(n);
        const scratch = this.scratch;
        if (!this.escaped) {
          this.escaped = true;
          this.scratchLen = 0;
          for (let k = this.start; k < i; k++) scratch[this.scratchLen++] = bytes[k];
        }
        bits |= bytes[i + 1];
        scratch[this.scratchLen++] = bytes[i + 1];
        i += 2;
        continue;
      }
      const c = classes[b];
      if (c === 1) {
        this.bits = bits;
        return i;
      }
      if (c === 2) return -2 - i;
      bits |= b;
      if (this.escaped) this.scratch[this.scratchLen++] = b;
      i++;
    }
    return -1;
  }

  /** Whether the field that ended at `end` has no bytes. */
  empty(end: number): boolean {
    return this.escaped ? this.scratchLen === 0 : end === this.start;
  }

  /** The field that ended at `end`, as a string. */
  text(end: number): string {
    if (this.escaped) {
      const scratch = this.scratch;
      return this.bits < 0x80 ? internAscii(scratch, 0, this.scratchLen) : decodeWtf8(scratch, 0, this.scratchLen);
    }
    return this.bits < 0x80 ? internAscii(this.bytes, this.start, end) : decodeWtf8(this.bytes, this.start, end);
  }
}

// Short ASCII fields repeat endlessly (tags, arg names, methods, routes, service names): a small direct-mapped
// cache hands back the same string instead of making a new one each time. Bounded: 4096 strings of ≤ 32 chars,
// so semantic-convention names such as http.response.status_code fit (their type lookup then hashes a known string).
const INTERN_MAX_LENGTH = 32;
const internTable: (string | undefined)[] = new Array(4096).fill(undefined);

function internAscii(bytes: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len > INTERN_MAX_LENGTH) return fromCodeUnits(bytes, start, end);
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 16777619);
  const slot = (h >>> 20) ^ (h & 0xfff);
  const cached = internTable[slot];
  if (cached !== undefined && cached.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (cached.charCodeAt(i) !== bytes[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const s = fromCodeUnits(bytes, start, end);
  internTable[slot] = s;
  return s;
}

// The names left after a reserved arg's prefix (`_tid` → `tid`, `_i.http.response.status_code` → its key), by
// the name as written: the same few repeat on every marker, and a fresh slice would be a new key string for every
// object it lands in (the span's attributes, the encoders' caches) to hash again. Bounded: emptied at 1024.
const suffixes = new Map<string, string>();

function suffix(name: string, from: number): string {
  let s = suffixes.get(name);
  if (s === undefined) {
    if (suffixes.size >= 1024) suffixes.clear();
    s = name.slice(from);
    suffixes.set(name, s);
  }
  return s;
}

function addArg(args: [string, ArgValue][], ext: Record<string, string>, name: string, value: string): void {
  if (name.charCodeAt(0) === 0x5f /* _ */) {
    if (name.charCodeAt(1) === 0x5f) {
      args.push([suffix(name, 1), value]);
      return;
    }
    const t = name.length > 3 && name.charCodeAt(2) === DOT ? typeLetter(name.charCodeAt(1)) : undefined;
    if (t === undefined) {
      ext[suffix(name, 1)] = value;
      return;
    }
    // `_i.x=…`: typed when the value parses as its type, else kept as the text it is
    args.push([suffix(name, 3), parseTyped(t, value) ?? value]);
    return;
  }
  const t = semconvType(name);
  args.push([name, t === undefined ? value : (parseTyped(t, value) ?? value)]);
}

function done(
  d: number,
  id: MarkerId,
  tags: string[],
  args: [string, ArgValue][],
  ext: Record<string, string>,
  length: number,
): ParseResult {
  return { ok: true, marker: { dir: d === GT ? '>' : '<', id, tags, args, ext }, length };
}

function describeByte(b: number): string {
  return b === NL ? 'newline' : `'${String.fromCharCode(b)}'`;
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

/** ASCII bytes that need a backslash in a tag: `\ : . > < =` and newline. */
export const TAG_ESCAPES: Uint8Array = escapeTable('\\:.><=\n');
/** ASCII bytes that need a backslash in an arg name or value: `\ : , =`. */
export const ARG_ESCAPES: Uint8Array = escapeTable('\\:,=');

function escapeTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
}

/**
 * Writes `s` escaped and WTF-8 encoded into buf[pos, limit). Returns the new position, or `~pos` (negative) when it
 * stopped early because the next character did not fit: the bytes up to `pos` then hold a whole-character prefix
 * (never half an escape or half a UTF-8 sequence).
 */
export function encodeEscaped(buf: Uint8Array, pos: number, limit: number, s: string, escapes: Uint8Array): number {
  const len = s.length;
  // Fast path: plain ASCII that surely fits (most names and values) needs no per-character room checks.
  if (pos + 2 * len <= limit) {
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      if (escapes[c] === 1) buf[pos++] = BSL;
      buf[pos++] = c;
    }
    if (i === len) return pos;
    return encodeEscapedFrom(buf, pos, limit, s, escapes, i);
  }
  return encodeEscapedFrom(buf, pos, limit, s, escapes, 0);
}

function encodeEscapedFrom(
  buf: Uint8Array,
  pos: number,
  limit: number,
  s: string,
  escapes: Uint8Array,
  from: number,
): number {
  const len = s.length;
  for (let i = from; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (escapes[c] === 1) {
        if (pos + 2 > limit) return ~pos;
        buf[pos++] = BSL;
      } else if (pos >= limit) return ~pos;
      buf[pos++] = c;
    } else if (c < 0x800) {
      if (pos + 2 > limit) return ~pos;
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      if (pos + 4 > limit) return ~pos;
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
      buf[pos++] = 0xf0 | (cp >> 18);
      buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
      buf[pos++] = 0x80 | ((cp >> 6) & 0x3f);
      buf[pos++] = 0x80 | (cp & 0x3f);
    } else {
      // BMP character, or a lone surrogate written in its generalized 3-byte form (WTF-8)
      if (pos + 3 > limit) return ~pos;
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

/** Upper bound of encodeEscaped's output for a string of `length` UTF-16 units. */
export function maxEncodedLength(length: number): number {
  return length * 3;
}

// Decimal IDs are written on every marker, so this is tuned: the digits above the last eight change once per
// 10^8 ids and are cached; the last eight are written two at a time from a table.
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[i * 2] = D0 + ((i / 10) | 0);
  DIGIT_PAIRS[i * 2 + 1] = D0 + (i % 10);
}
let cachedHigh = -1;
let cachedHighDigits = new Uint8Array(0);

/** Writes v (0 ≤ v < 10^8, an int32) as exactly eight digits. */
function writeEightDigits(buf: Uint8Array, pos: number, v: number): void {
  for (let k = 6; k >= 0; k -= 2) {
    const r = v % 100;
    v = (v - r) / 100;
    buf[pos + k] = DIGIT_PAIRS[r * 2];
    buf[pos + k + 1] = DIGIT_PAIRS[r * 2 + 1];
  }
}

function writeSmallDecimal(buf: Uint8Array, pos: number, v: number): number {
  let digits = 1;
  for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
  for (let p = pos + digits - 1; p >= pos; p--) {
    buf[p] = D0 + (v % 10);
    v = (v / 10) | 0;
  }
  return pos + digits;
}

/** Writes an integer (|n| ≤ 2^53 - 1) in decimal; the caller guarantees 17 bytes of room. */
export function encodeDecimal(buf: Uint8Array, pos: number, n: number): number {
  if (n < 0) {
    buf[pos++] = MINUS;
    n = -n;
  }
  if (n < 1e8) return writeSmallDecimal(buf, pos, n | 0);
  const high = Math.floor(n / 1e8); // < 9.1·10^7 for safe integers
  if (high !== cachedHigh) {
    const t = new Uint8Array(8);
    cachedHighDigits = t.slice(0, writeSmallDecimal(t, 0, high));
    cachedHigh = high;
  }
  const hd = cachedHighDigits;
  for (let i = 0; i < hd.length; i++) buf[pos++] = hd[i];
  writeEightDigits(buf, pos, (n - high * 1e8) | 0);
  return pos + 8;
}

/** The text of a typed arg value; RangeError for a number no typed arg can carry (see arg-types.ts). */
function typedText(v: number | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (numberType(v) === undefined)
    throw new RangeError(`a typed arg must be a finite number, integral ones within ±(2^53 - 1), got ${v}`);
  return String(v + 0);
}

function checkId(id: MarkerId): void {
  if (id === 't' || id === 'p' || id === 'pp') return;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    throw new RangeError(`marker ID must be 't', 'p', 'pp' or an integer within ±(2^53 - 1), got ${String(id)}`);
  }
}

function encodeId(buf: Uint8Array, pos: number, id: MarkerId): number {
  if (typeof id === 'number') return encodeDecimal(buf, pos, id);
  for (let k = 0; k < id.length; k++) buf[pos++] = id.charCodeAt(k);
  return pos;
}

/**
 * Formats a marker so that parseMarker gives back exactly `m` (ext args are written first, as `_name`; a program
 * arg whose name starts with `_` gets one more `_`; numbers and booleans as typed args). One exception: a string
 * value of a semantic-convention key that parses as the key's type comes back typed. Throws RangeError for what
 * the grammar cannot express: an invalid ID, an empty tag, an empty arg name, an ext name starting with `_`, a
 * number that is not finite or integral beyond ±(2^53 - 1).
 */
export function formatMarker(m: Marker): Uint8Array {
  checkId(m.id);
  let bound = 4 + 24;
  for (const t of m.tags) {
    if (t.length === 0) throw new RangeError('a marker tag cannot be empty');
    bound += maxEncodedLength(t.length) + 1;
  }
  const extNames = Object.keys(m.ext);
  for (const k of extNames) {
    if (k.charCodeAt(0) === 0x5f) throw new RangeError(`invalid reserved arg name "_${k}"`);
    bound += maxEncodedLength(k.length + m.ext[k].length) + 3;
  }
  const argTexts: string[] = [];
  for (const [k, v] of m.args) {
    if (k.length === 0) throw new RangeError('a marker arg name cannot be empty');
    const text = typeof v === 'string' ? v : typedText(v);
    argTexts.push(text);
    bound += maxEncodedLength(k.length + text.length) + 6;
  }
  const buf = new Uint8Array(bound);
  let pos = 0;
  buf[pos++] = m.dir === '<' ? LT : GT;
  buf[pos++] = COLON;
  pos = encodeId(buf, pos, m.id);
  buf[pos++] = COLON;
  for (let t = 0; t < m.tags.length; t++) {
    if (t > 0) buf[pos++] = DOT;
    pos = encodeEscaped(buf, pos, bound, m.tags[t], TAG_ESCAPES);
  }
  buf[pos++] = COLON;
  let first = true;
  for (const k of extNames) {
    if (!first) buf[pos++] = COMMA;
    first = false;
    buf[pos++] = 0x5f;
    pos = encodeEscaped(buf, pos, bound, k, ARG_ESCAPES);
    buf[pos++] = EQ;
    pos = encodeEscaped(buf, pos, bound, m.ext[k], ARG_ESCAPES);
  }
  for (let a = 0; a < m.args.length; a++) {
    const [k, v] = m.args[a];
    if (!first) buf[pos++] = COMMA;
    first = false;
    if (typeof v !== 'string') {
      buf[pos++] = 0x5f; // `_i.`, `_d.`, `_b.`: the name follows as it is
      buf[pos++] = typeof v === 'boolean' ? 0x62 : numberType(v) === 'i' ? 0x69 : 0x64;
      buf[pos++] = DOT;
    } else if (k.charCodeAt(0) === 0x5f) {
      buf[pos++] = 0x5f;
    }
    pos = encodeEscaped(buf, pos, bound, k, ARG_ESCAPES);
    buf[pos++] = EQ;
    pos = encodeEscaped(buf, pos, bound, argTexts[a], ARG_ESCAPES);
  }
  buf[pos++] = COLON;
  return buf.subarray(0, pos);
}
