// A retained span as the filter expression sees it (FilterSubject), built on demand from the store's entry so a
// scan allocates nothing for spans the cheap checks already ruled out. The filter types below follow the shared
// contract of correlator/src/filter (which owns them); they are declared here so the store does not depend on the
// parser.

import type { ArgValue, SpanKind, StatusCode, SyscallRecord } from '../model.js';
import type { StoredSpan } from './store.js';
import { hostPort } from './views.js';

export interface SyscallSubject {
  name: string;
  durationNs: number;
  count: number;
  errno?: string;
  path?: string;
  /** "addr:port" */
  peer?: string;
  target?: string;
}

export interface FilterSubject {
  name: string;
  service: string;
  kind: SpanKind;
  status: StatusCode;
  durationNs: number;
  pid: number;
  attribute(key: string): ArgValue | undefined;
  syscalls(): Iterable<SyscallSubject>;
}

export interface SpanPredicate {
  readonly text: string;
  readonly usesSyscalls: boolean;
  test(s: FilterSubject): boolean;
}

/** Which spans are counted: those without a parent in their process (default of the API), server spans, all. */
export type SpanScope = 'root' | 'server' | 'all';
export const SPAN_SCOPES: readonly SpanScope[] = ['root', 'server', 'all'];

/** One call of a retained span as a filter sees it; a merged run's duration is its mean per call (as the
 *  syscall-latency spectrogram places it). */
export function syscallSubject(call: SyscallRecord): SyscallSubject {
  return {
    name: call.name,
    durationNs: call.count > 1 ? call.dur / call.count : call.dur,
    count: call.count,
    errno: call.errno,
    path: call.path,
    peer: call.peerAddress === undefined ? undefined : hostPort(call.peerAddress, call.peerPort),
    target: call.target,
  };
}

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
      for (const call of span.syscalls) yield syscallSubject(call);
    },
  };
}
