// What a span holds in memory, estimated: the tables that keep spans (open spans, traces waiting for their root)
// are bounded by these bytes as well as by counts, because a traced process chooses how long its names, tags and
// args are, and its system calls choose the paths and peers a record keeps.
//
// Strings count two bytes per character (V8 keeps a string with any non-Latin-1 character two-byte, and a traced
// process chooses its characters) plus a header; objects count a flat size measured from heap snapshots, rounded
// up. The estimate is for bounding, not accounting: it errs high. One estimate serves every table that holds spans:
// the open-span table, the traces --print/--min-duration hold back, and the OTLP/HTTP export queue.
import type { ArgValue, SpanRecord, SyscallRecord } from './model.js';

/** What open spans may hold together by default: with the other bounds' defaults nullspan stays under 512 MB. */
export const DEFAULT_MAX_OPEN_SPAN_BYTES = 128 << 20;
/** What the OTLP/HTTP export queue may hold by default (requests in flight are cut at a few MiB besides). */
export const DEFAULT_MAX_QUEUE_BYTES = 64 << 20;

/** a SpanRecord with its attributes object and syscalls array, empty */
export const SPAN_RECORD_BYTES = 400;
/** a SyscallRecord without its strings */
export const SYSCALL_RECORD_BYTES = 200;
/** a syscall record's own time split (SyscallRecord.times) */
export const SYSCALL_TIMES_BYTES = 64;
/** a span's time breakdown (SpanRecord.times, and what an open span accumulates towards it), names aside */
export const SPAN_TIMES_BYTES = 400;
/** a string's header and alignment */
const STRING_BYTES = 16;

export function textBytes(s: string | undefined): number {
  return s === undefined ? 0 : STRING_BYTES + 2 * s.length;
}

/** An attribute value: text, or a number or boolean (a heap number at most). */
function valueBytes(v: ArgValue): number {
  return typeof v === 'string' ? textBytes(v) : STRING_BYTES;
}

/** An attribute or arg list: names and values. */
export function pairsBytes(pairs: readonly (readonly [string, ArgValue])[]): number {
  let n = 0;
  for (let i = 0; i < pairs.length; i++) n += textBytes(pairs[i][0]) + valueBytes(pairs[i][1]);
  return n;
}

export function syscallRecordBytes(r: SyscallRecord): number {
  return (
    SYSCALL_RECORD_BYTES +
    textBytes(r.target) +
    (r.path !== r.target ? textBytes(r.path) : 0) +
    textBytes(r.peerAddress) +
    textBytes(r.localAddress) +
    (r.times !== undefined ? SYSCALL_TIMES_BYTES : 0)
  );
}

/** A finished span with everything it carries. */
export function spanRecordBytes(span: SpanRecord): number {
  let n =
    SPAN_RECORD_BYTES +
    textBytes(span.name) +
    textBytes(span.statusMessage) +
    textBytes(span.incomplete) +
    textBytes(span.traceState);
  if (span.times !== undefined) n += SPAN_TIMES_BYTES + textBytes(span.times.loopBusyTop?.name);
  for (const key in span.attributes) n += textBytes(key) + valueBytes(span.attributes[key]);
  for (let i = 0; i < span.syscalls.length; i++) n += syscallRecordBytes(span.syscalls[i]);
  return n;
}
