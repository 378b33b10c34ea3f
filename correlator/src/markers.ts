// Markers: per-thread reassembly of markers split across writes, parsing through the SDK's grammar (the one
// implementation of sdk/MARKERS.md), and resolution of the thread/process-relative ID forms.
import type { MarkerEvent } from '@nullspan/probe';
import { parseMarker, type ArgValue, type Marker, type ParseResult } from '@nullspan/sdk/grammar';
import type { ThreadState } from './state/proctable.js';

/** A marker split across writes is joined up to this many bytes, then declared malformed (MARKERS.md). */
export const MAX_MARKER_BYTES = 64 * 1024;

/**
 * Tags one marker may carry (sdk/MARKERS.md). Names have a handful; a writer sending thousands is hostile or
 * broken, and its marker is declared malformed (counted apart in the stats) rather than costing time and memory.
 */
export const MAX_TAGS = 256;

/** How the writer named the span: a number it chose (`g`/empty = 0), or its thread/process/parent id. */
export type IdKind = 'num' | 't' | 'p' | 'pp';

export interface ResolvedMarker {
  dir: '>' | '<';
  /** the ID after resolving t/p/pp against the writer */
  id: number;
  idKind: IdKind;
  tags: string[];
  /** typed args (sdk/MARKERS.md, "Typed args") as numbers and booleans */
  args: [string, ArgValue][];
  ext: Record<string, string>;
}

export type MarkerOutcome =
  /** `next`: where another marker of the same write may start (sdk/MARKERS.md, "Batched exits"), if bytes follow */
  | { kind: 'marker'; marker: ResolvedMarker; bytes: Uint8Array; next: number }
  /** an ordinary write to /dev/null (does not start with '>' or '<') */
  | { kind: 'ignored' }
  /** the start of a split marker, kept until the thread's next write */
  | { kind: 'pending' }
  /** `tooManyTags`: well-formed but over MAX_TAGS */
  | { kind: 'malformed'; error: string; offset: number; tooManyTags?: boolean };

const IGNORED: MarkerOutcome = { kind: 'ignored' };
const PENDING: MarkerOutcome = { kind: 'pending' };
const GT = 0x3e;
const LT = 0x3c;

/** Bytes of split markers waiting across all threads, and the most allowed (hostile writers cannot pile up memory). */
export interface PendingBudget {
  bytes: number;
  max: number;
}

/**
 * What is known of a thread's pending marker without parsing it again: its unescaped ':' so far (a marker needs
 * four to be complete) and whether its last byte is an unescaped backslash. Re-parsing the whole marker on every
 * write would cost its length squared when a writer sends it a byte at a time.
 */
interface SplitScan {
  colons: number;
  escaped: boolean;
}

const scans = new WeakMap<ThreadState, SplitScan>();
const COLON = 0x3a;
const BSL = 0x5c;
/** unescaped ':' in a complete marker: dir ":" id ":" tags ":" args ":" */
const COLONS_TO_COMPLETE = 4;

function scan(state: SplitScan, bytes: Uint8Array): void {
  let { colons, escaped } = state;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (escaped) escaped = false;
    else if (b === BSL) escaped = true;
    else if (b === COLON) colons++;
  }
  state.colons = colons;
  state.escaped = escaped;
}

/** `pending` with `more` after it, in place when its buffer has room (capacity doubles: copying stays linear). */
function append(pending: Uint8Array, more: Uint8Array, budget: PendingBudget): Uint8Array {
  const length = pending.length + more.length;
  let buffer = pending.buffer;
  if (length > buffer.byteLength) {
    const grown = new Uint8Array(Math.min(Math.max(length, 2 * buffer.byteLength), MAX_MARKER_BYTES));
    grown.set(pending, 0);
    budget.bytes += grown.byteLength - buffer.byteLength;
    buffer = grown.buffer;
  }
  const out = new Uint8Array(buffer, 0, length);
  out.set(more, pending.length);
  return out;
}

/** Forgets a thread's pending bytes (the thread exited). */
export function dropPending(thread: ThreadState, budget: PendingBudget): void {
  if (thread.pending !== null) budget.bytes -= thread.pending.buffer.byteLength;
  thread.pending = null;
  scans.delete(thread);
}

/**
 * Feeds one /dev/null write of `thread`.
 * Pending bytes are copied: probe payloads may be views into a large batch buffer that must not stay alive.
 */
export function assembleMarker(thread: ThreadState, ev: MarkerEvent, budget: PendingBudget): MarkerOutcome {
  const pending = thread.pending;
  if (pending === null) {
    const bytes = ev.data;
    if (bytes.length === 0 || (bytes[0] !== GT && bytes[0] !== LT)) return IGNORED;
    const r = parseMarker(bytes);
    if (r.ok || !r.incomplete) return outcome(r, thread, bytes, 0);
    // A copy in a buffer of its own, which append() grows in place. Not bytes.slice(): on a Buffer (what a capture
    // reader hands the decoder) that is a view into the batch, which append() would then overwrite.
    thread.pending = new Uint8Array(bytes);
    budget.bytes += bytes.length;
    const cut = stillIncomplete(ev, bytes, budget);
    if (cut !== null) {
      dropPending(thread, budget);
      return cut;
    }
    const state = { colons: 0, escaped: false };
    scan(state, bytes);
    scans.set(thread, state);
    return PENDING;
  }
  if (pending.length + ev.data.length > MAX_MARKER_BYTES) {
    dropPending(thread, budget);
    return { kind: 'malformed', error: `split marker longer than ${MAX_MARKER_BYTES} bytes`, offset: MAX_MARKER_BYTES };
  }
  const state = scans.get(thread) ?? { colons: 0, escaped: false };
  const before = state.colons;
  scan(state, ev.data);
  const bytes = append(pending, ev.data, budget);
  thread.pending = bytes;
  // Only a write that brings the marker's fourth unescaped ':' (or a later one) can complete it.
  if (state.colons >= COLONS_TO_COMPLETE && state.colons > before) {
    const r = parseMarker(bytes);
    if (r.ok || !r.incomplete) {
      dropPending(thread, budget);
      return outcome(r, thread, bytes, 0);
    }
  }
  const cut = stillIncomplete(ev, bytes, budget);
  if (cut !== null) {
    dropPending(thread, budget);
    return cut;
  }
  return PENDING;
}

/** A parse of bytes[at, ...) that ended (a marker, or malformed): what the correlator gets. */
function outcome(
  r: Exclude<ParseResult, { incomplete: true }>,
  thread: ThreadState,
  bytes: Uint8Array,
  at: number,
): MarkerOutcome {
  if (!r.ok) return { kind: 'malformed', error: r.error, offset: at + r.offset };
  if (r.marker.tags.length > MAX_TAGS) {
    return { kind: 'malformed', error: `more than ${MAX_TAGS} tags`, offset: at, tooManyTags: true };
  }
  return { kind: 'marker', marker: resolve(r.marker, thread), bytes, next: at + r.length };
}

const NEWLINE = 0x0a;

/**
 * The marker after `prev` in the same write, if one follows (one newline between them allowed): writers may batch
 * whole markers into one write (sdk/MARKERS.md, "Batched exits"). Anything else after a marker is ignored, as
 * before; a marker cut short inside a batch is malformed (a batch never continues in the next write).
 */
export function nextInWrite(prev: Extract<MarkerOutcome, { kind: 'marker' }>, thread: ThreadState): MarkerOutcome {
  const { bytes } = prev;
  let at = prev.next;
  if (at < bytes.length && bytes[at] === NEWLINE) at++;
  if (at >= bytes.length || (bytes[at] !== GT && bytes[at] !== LT)) return IGNORED;
  const r = parseMarker(bytes.subarray(at));
  if (!r.ok && r.incomplete)
    return { kind: 'malformed', error: 'a batched marker ends before its final ":"', offset: bytes.length };
  return outcome(r, thread, bytes, at);
}

/** Why an incomplete marker cannot wait for its rest, or null when it can. */
function stillIncomplete(ev: MarkerEvent, bytes: Uint8Array, budget: PendingBudget): MarkerOutcome | null {
  if (ev.data.length < ev.len) {
    // The probe cut the payload at its snap length: the missing bytes will never arrive.
    return { kind: 'malformed', error: 'marker cut at the snap length before its final ":"', offset: bytes.length };
  }
  if (bytes.length >= MAX_MARKER_BYTES) {
    return { kind: 'malformed', error: `split marker longer than ${MAX_MARKER_BYTES} bytes`, offset: bytes.length };
  }
  if (budget.bytes > budget.max) {
    return { kind: 'malformed', error: 'too many split markers waiting for their rest', offset: bytes.length };
  }
  return null;
}

function resolve(m: Marker, thread: ThreadState): ResolvedMarker {
  let id: number;
  let idKind: IdKind;
  switch (m.id) {
    case 't':
      id = thread.tid;
      idKind = 't';
      break;
    case 'p':
      id = thread.proc.info.pid;
      idKind = 'p';
      break;
    case 'pp':
      id = thread.proc.info.ppid;
      idKind = 'pp';
      break;
    default:
      id = m.id;
      idKind = 'num';
  }
  return { dir: m.dir, id, idKind, tags: m.tags, args: m.args, ext: m.ext };
}
