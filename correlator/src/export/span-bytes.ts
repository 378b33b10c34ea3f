// An estimate of the memory a finished span holds while it waits in an export queue: what bounds the queue in
// bytes, whatever the traced process wrote into its markers.
import type { SpanRecord } from '../model.js';

/** The export queue's default bound in estimated bytes: 64 MiB, a fraction of nullspan's overall memory ceiling. */
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;

/** the span object, its ids, times and the queue entry around it (V8 objects, measured roughly with heap snapshots) */
const SPAN_OVERHEAD = 400;
/** one attribute's slot in the attributes object */
const ATTRIBUTE_OVERHEAD = 64;
/** one system-call record object with its numbers */
const SYSCALL_OVERHEAD = 200;

/** Strings are counted at two bytes a character: V8 keeps any string with a non-Latin-1 character two-byte. */
function textBytes(s: string | undefined): number {
  return s === undefined ? 0 : 2 * s.length;
}

/** Bytes a span (with its system-call records) keeps alive, estimated from above. Linear in the span's size. */
export function estimateSpanBytes(span: SpanRecord): number {
  let bytes = SPAN_OVERHEAD + textBytes(span.name) + textBytes(span.statusMessage) + textBytes(span.incomplete) + textBytes(span.traceState);
  const attributes = span.attributes as Record<string, unknown>;
  for (const key in attributes) {
    const value = attributes[key];
    bytes += ATTRIBUTE_OVERHEAD + textBytes(key) + (typeof value === 'string' ? textBytes(value) : 16);
  }
  for (const call of span.syscalls) {
    bytes += SYSCALL_OVERHEAD + textBytes(call.target) + textBytes(call.path) + textBytes(call.peerAddress) + textBytes(call.localAddress);
  }
  return bytes;
}
