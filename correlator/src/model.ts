// The correlator's output model: finished spans with the system calls attributed to them. Exporters (OTLP
// HTTP, OTLP JSON file), the terminal tree printer and the web UI all consume these types and nothing else.
//
// Times are CLOCK_MONOTONIC nanoseconds as numbers (the probe's clock). A `Clock` turns them into wall-clock time
// at the edges (export, display): wall-clock ns do not fit a double exactly, monotonic ones do.

import type { ArgValue } from '@nullspan/sdk/grammar';

export type { ArgValue };

export interface Clock {
  /** wall-clock ns (Unix epoch) minus monotonic ns, sampled once when tracing started */
  wallOffsetNs: bigint;
}

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type StatusCode = 'unset' | 'ok' | 'error';

/** How sure the correlator is about which span a system call belongs to. */
export type Attribution =
  | 'thread' // innermost span open on its thread (sysdig's rule; exact for thread-per-request programs)
  | 'context' // the active span the SDK published for this thread (async runtimes)
  | 'submitter' // a worker-thread call attributed to the span that submitted the work
  | 'fd' // attributed through the span that last used the same fd
  | 'unattributed'; // the correlator could not be sure; kept on the process, never guessed

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** executable name (comm or basename of the exe) */
  exe: string;
  exePath: string;
  cmdline: string[];
  /** service.name: SDK marker `_svc`, else OTEL_SERVICE_NAME from the process environment, else exe */
  serviceName: string;
  containerId?: string;
  /** k8s.pod.uid from the cgroup path */
  podUid?: string;
}

/** A system call, or a run of identical consecutive calls merged into one (count > 1). */
export interface SyscallRecord {
  name: string;
  ts: number; // entry of the first call
  dur: number; // for merged runs: sum of the calls' durations
  end: number; // exit of the last call
  tid: number;
  pid: number;
  ret: number; // of the last call; < 0 is -errno
  errno?: string; // 'ENOENT', ...
  fd?: number;
  /** file path, socket tuple text ('127.0.0.1:43122 -> 127.0.0.1:8080'), 'pipe:[123]', ... */
  target?: string;
  path?: string;
  peerAddress?: string;
  peerPort?: number;
  localAddress?: string;
  localPort?: number;
  transport?: 'tcp' | 'udp' | 'unix' | 'pipe';
  /** bytes moved (sum over merged calls) for I/O calls */
  bytes?: number;
  count: number;
  attribution: Attribution;
  unfinished?: boolean;
  /** the call's own split of its duration (scheduler accounting); absent when the kernel did not account */
  times?: { onCpu: number; runqueue: number; blocked: number; sleep: 'none' | 'interruptible' | 'uninterruptible' | 'both' };
}

/** Wait categories of off-CPU time (issue 14). */
export type WaitKind = 'file' | 'net' | 'lock' | 'sleep' | 'poll' | 'pagefault' | 'other';

/** Where a span's wall time went (ns); the parts add up to end - start (within 2 %). */
export interface SpanTimes {
  model: 'thread' | 'event-loop';
  onCpu: number;
  runqueue: number;
  blocked: Record<WaitKind, number>;
  majorFaults: number;
  // event-loop model only (Node): the loop ran other spans while this one waited, and the one that held it longest
  loopBusyOther?: number;
  loopBusyTop?: { name: string; spanId: string; ns: number };
  asyncWait?: number; // waiting for its own asynchronous work (timers, sockets, the thread pool) while the loop was free
  worker?: { onCpu: number; runqueue: number; blocked: number }; // libuv pool threads' time on its submitted work
}

export interface SpanRecord {
  traceId: string; // 32 lower-case hex
  spanId: string; // 16 lower-case hex
  parentSpanId?: string; // absent for trace roots
  /** the remote parent came from W3C trace context (another process or host) */
  remoteParent?: boolean;
  traceState?: string;
  name: string;
  kind: SpanKind;
  start: number; // monotonic ns
  end: number;
  pid: number;
  tid: number;
  /** marker args (enter and exit), reserved `_` args excluded; typed args as numbers and booleans */
  attributes: Record<string, ArgValue>;
  status: StatusCode;
  statusMessage?: string;
  /** set when the correlator closed the span itself (process exited, evicted, tracing stopped) */
  incomplete?: string;
  /** the SDK cut the marker's args to fit the snap length (`_trunc=1`) */
  truncated?: boolean;
  /** system calls attributed to the span but not kept (per-span limit reached) */
  droppedSyscalls?: number;
  /** records (syscalls, markers) of the span's process the kernel dropped while the span was open */
  droppedRecords?: number;
  syscalls: SyscallRecord[];
  /** on-CPU / run-queue / off-CPU split of the span's duration; absent when the kernel did not account */
  times?: SpanTimes;
}

/** What the correlator holds right now: each table's entries (what a long-running session must keep bounded). */
export interface TableSizes {
  /** live traced processes */
  processes: number;
  threads: number;
  /** fds known across the live processes (a table CLONE_FILES processes share counted once) */
  fds: number;
  /** exited processes kept a while for spans that end late */
  exitedProcesses: number;
  openSpans: number;
  openSpanBytes: number;
}

export interface CorrelatorStats {
  events: number;
  markers: number;
  malformedMarkers: number;
  /** of the malformed markers, those with more tags than a marker may carry (MAX_TAGS) */
  markersOverTagLimit: number;
  unmatchedExits: number;
  spansStarted: number;
  spansFinished: number;
  spansClosedByExit: number;
  spansEvicted: number;
  /** of the evicted spans, those that went because open spans held more bytes than allowed */
  spansEvictedByBytes: number;
  /** spans still open when tracing stopped (closed by Correlator.close, marked incomplete) */
  spansClosedAtStop: number;
  /** spans currently open */
  openSpans: number;
  /** bytes the open spans hold (names, args, tags, syscall records; an estimate that errs high) */
  openSpanBytes: number;
  badContext: number;
  /** syscalls = syscallsInSpans + syscallsOutsideSpans + unattributed + syscallsUnsampled */
  syscalls: number;
  syscallsInSpans: number;
  syscallsOutsideSpans: number;
  /** made while the active span was not sampled: applied to the fd table only (the probe records no others) */
  syscallsUnsampled: number;
  unattributed: number;
  /** syscalls attributed to a span that had reached its per-span limit (counted on the span, not kept) */
  syscallsOverSpanLimit: number;
  /** write syscalls that carried a marker (reported by the probe as the marker; not counted in `syscalls`) */
  markerWrites: number;
  /** marker records the probe delivered (a record may carry several markers, or part of one) */
  markerEvents: number;
  /** fork, exec and exit records */
  processEvents: number;
  drops: { syscall: number; marker: number; process: number };
}
