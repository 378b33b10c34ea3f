// A retained span as the filter expression sees it (FilterSubject, from correlator/src/filter, which owns the
// types), built on demand from the store's entry so a scan allocates nothing for spans the cheap checks already
// ruled out. Types only from the filter module's index: the store does not load the parser.

import type { FilterSubject } from '../filter/index.js';
import { callSubject } from '../filter/subject.js';
import type { StoredSpan } from './store.js';

export type { FilterSubject, SpanPredicate, SyscallSubject } from '../filter/index.js';

/** Which spans are counted: those without a parent in their process (default of the API), server spans, all. */
export type SpanScope = 'root' | 'server' | 'all';
export const SPAN_SCOPES: readonly SpanScope[] = ['root', 'server', 'all'];

export function storedSubject(entry: StoredSpan): FilterSubject {
  const { span, proc } = entry;
  return {
    name: span.name,
    service: proc.serviceName,
    kind: span.kind,
    status: span.status,
    durationNs: entry.durationNs,
    pid: proc.pid,
    attribute: (key) => (Object.hasOwn(span.attributes, key) ? span.attributes[key] : undefined),
    *syscalls() {
      for (const call of span.syscalls) yield callSubject(call);
    },
  };
}
