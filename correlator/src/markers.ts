// Markers: per-thread reassembly of markers split across writes, parsing through the SDK's grammar (the one
// implementation of sdk/MARKERS.md), and resolution of the thread/process-relative ID forms.
import type { MarkerEvent } from '@nullspan/probe';
import { parseMarker, type Marker } from '@nullspan/sdk/grammar';
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
  /** tags as one unambiguous key (escaped '.'-join): what "same tags, byte for byte" compares */
  tagKey: string;
  args: [string, string][];
  ext: Record<string, string>;
}

export type MarkerOutcome =
  | { kind: 'marker'; marker: ResolvedMarker }
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

/** Unambiguous key for a tag list: '.' and '\' inside tags are escaped, so ["a.b"] ≠ ["a","b"]. */
export function tagKeyOf(tags: string[]): string {
  let key = '';
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i];
    const safe = t.indexOf('.') < 0 && t.indexOf('\\') < 0;
    key += (i ? '.' : '') + (safe ? t : t.replace(/[.\\]/g, '\\$&'));
  }
  return key;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Bytes of split markers waiting across all threads, and the most allowed (hostile writers cannot pile up memory). */
export interface PendingBudget {
  bytes: number;
  max: number;
}

/** Forgets a thread's pending bytes (the thread exited). */
export function dropPending(thread: ThreadState, budget: PendingBudget): void {
  if (thread.pending !== null) budget.bytes -= thread.pending.length;
  thread.pending = null;
}

/**
 * Feeds one /dev/null write of `thread`.
 * Pending bytes are copied: probe payloads may be views into a large batch buffer that must not stay alive.
 */
export function assembleMarker(thread: ThreadState, ev: MarkerEvent, budget: PendingBudget): MarkerOutcome {
  let bytes = ev.data;
  const pending = thread.pending;
  if (pending !== null) {
    dropPending(thread, budget);
    if (pending.length + bytes.length > MAX_MARKER_BYTES) {
      return { kind: 'malformed', error: `split marker longer than ${MAX_MARKER_BYTES} bytes`, offset: MAX_MARKER_BYTES };
    }
    bytes = concat(pending, bytes);
  } else if (bytes.length === 0 || (bytes[0] !== GT && bytes[0] !== LT)) {
    return IGNORED;
  }
  const r = parseMarker(bytes);
  if (r.ok) {
    if (r.marker.tags.length > MAX_TAGS) {
      return { kind: 'malformed', error: `more than ${MAX_TAGS} tags`, offset: 0, tooManyTags: true };
    }
    return { kind: 'marker', marker: resolve(r.marker, thread) };
  }
  if (!r.incomplete) return { kind: 'malformed', error: r.error, offset: r.offset };
  if (ev.data.length < ev.len) {
    // The probe cut the payload at its snap length: the missing bytes will never arrive.
    return { kind: 'malformed', error: 'marker cut at the snap length before its final ":"', offset: bytes.length };
  }
  if (bytes.length >= MAX_MARKER_BYTES) {
    return { kind: 'malformed', error: `split marker longer than ${MAX_MARKER_BYTES} bytes`, offset: bytes.length };
  }
  if (budget.bytes + bytes.length > budget.max) {
    return { kind: 'malformed', error: 'too many split markers waiting for their rest', offset: bytes.length };
  }
  thread.pending = pending === null ? bytes.slice() : bytes;
  budget.bytes += bytes.length;
  return PENDING;
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
  return { dir: m.dir, id, idKind, tags: m.tags, tagKey: tagKeyOf(m.tags), args: m.args, ext: m.ext };
}
