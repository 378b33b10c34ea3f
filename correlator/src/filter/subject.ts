// What a filter looks at: a span and its system calls through a narrow interface, so each holder of spans (the
// CLI's finished SpanRecords, the web UI's store with its own representation) adapts its data without copying it.

import type { ArgValue, ProcessInfo, SpanKind, SpanRecord, StatusCode, SyscallRecord } from '../model.js';

export interface SyscallSubject {
  name: string;
  /** one call's duration: a merged run of `count` calls counts as `count` calls of its mean duration */
  durationNs: number;
  count: number;
  errno?: string;
  path?: string;
  /** `addr:port` (`[addr]:port` for IPv6, the address alone without a port) */
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

/** A finished span as the correlator hands it over (the CLI's outputs, tests). */
export function subjectOf(span: SpanRecord, proc: ProcessInfo): FilterSubject {
  return {
    name: span.name,
    service: proc.serviceName,
    kind: span.kind,
    status: span.status,
    durationNs: Math.max(0, span.end - span.start),
    pid: proc.pid,
    // own keys only: a traced process may name an attribute `constructor` or `__proto__`
    attribute: (key) => (Object.hasOwn(span.attributes, key) ? span.attributes[key] : undefined),
    syscalls: () => span.syscalls.map(callSubject),
  };
}

export function callSubject(call: SyscallRecord): SyscallSubject {
  return {
    name: call.name,
    durationNs: call.count > 1 ? call.dur / call.count : call.dur,
    count: call.count,
    errno: call.errno,
    path: call.path,
    peer: call.peerAddress === undefined ? undefined : peerText(call.peerAddress, call.peerPort),
    target: call.target,
  };
}

/** How the UI shows a peer, so what a user copies from it matches. */
export function peerText(address: string, port: number | undefined): string {
  if (port === undefined || port === 0) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
