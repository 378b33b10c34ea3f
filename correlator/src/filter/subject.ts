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

/** A finished span as the correlator hands it over (the CLI's outputs, the web UI's store, tests). */
export function subjectOf(span: SpanRecord, proc: ProcessInfo): FilterSubject {
  return new RecordSubject(span, proc);
}

/** Getters over the record: a test reads only the fields it names, and a call is looked at only until one matches. */
class RecordSubject implements FilterSubject {
  constructor(
    private readonly span: SpanRecord,
    private readonly proc: ProcessInfo,
  ) {}

  get name(): string {
    return this.span.name;
  }
  get service(): string {
    return this.proc.serviceName;
  }
  get kind(): SpanKind {
    return this.span.kind;
  }
  get status(): StatusCode {
    return this.span.status;
  }
  get durationNs(): number {
    return Math.max(0, this.span.end - this.span.start);
  }
  get pid(): number {
    return this.proc.pid;
  }

  attribute(key: string): ArgValue | undefined {
    // own keys only: a traced process may name an attribute `constructor` or `__proto__`
    return Object.hasOwn(this.span.attributes, key) ? this.span.attributes[key] : undefined;
  }

  *syscalls(): Generator<SyscallSubject> {
    for (const call of this.span.syscalls) yield new RecordCall(call);
  }
}

class RecordCall implements SyscallSubject {
  constructor(private readonly call: SyscallRecord) {}

  get name(): string {
    return this.call.name;
  }
  get durationNs(): number {
    return this.call.count > 1 ? this.call.dur / this.call.count : this.call.dur;
  }
  get count(): number {
    return this.call.count;
  }
  get errno(): string | undefined {
    return this.call.errno;
  }
  get path(): string | undefined {
    return this.call.path;
  }
  get peer(): string | undefined {
    return this.call.peerAddress === undefined ? undefined : peerText(this.call.peerAddress, this.call.peerPort);
  }
  get target(): string | undefined {
    return this.call.target;
  }
}

/** How the UI shows a peer, so what a user copies from it matches. */
export function peerText(address: string, port: number | undefined): string {
  if (port === undefined || port === 0) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
