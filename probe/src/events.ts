// Decoded probe events: the contract between @nullspan/probe and everything downstream (correlator, capture
// replay, UI). The binary record layout they are decoded from is defined once in bpf/nullspan.h; the decoder in
// decode.ts turns batches of those records into these objects.
//
// Timestamps are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns, the same clock as process.hrtime) held in a
// double: exact up to ~104 days of uptime, then rounding to a few ns, which no span duration notices.

export type EventKind = 'syscall' | 'marker' | 'fork' | 'exec' | 'exit' | 'drops' | 'lost' | 'slot';

interface EventBase {
  ts: number; // monotonic ns; for syscalls, the entry time
  tid: number;
  pid: number; // thread-group id
  cpu: number;
}

export type SockFamily = 'inet' | 'inet6' | 'unix' | 'other';

export interface SockAddr {
  family: SockFamily;
  /** dotted quad / IPv6 text / unix path ('@name' for abstract sockets) */
  address: string;
  /** 0 for unix sockets */
  port: number;
}

/** SyscallEvent.ctxSpan of a call made while the active span was not sampled (the slot value NS_SPAN_UNSAMPLED,
 * which as a double would equal "unknown"): the probe records only the calls that change the fd table then. */
export const SPAN_UNSAMPLED = -2;

/** Where SyscallEvent.ctxSpan came from (sdk/MARKERS.md "Active span"). */
export type ContextSource =
  | 'none' // the thread published nothing: not a Node SDK thread, or a worker whose work's submitter is unknown
  | 'slot' // the thread's own active-span slot, read by the probe when the call entered
  | 'submitter'; // a libuv worker: the slot of the thread that submitted the work it was running

/** Wait categories of off-CPU time (probe/README.md "Scheduler accounting"). */
export type WaitKind = 'file' | 'net' | 'lock' | 'sleep' | 'poll' | 'pagefault' | 'other';

/** A traced thread's time since the probe started accounting for it, as of the record (cumulative ns). */
export interface ThreadTimes {
  onCpu: number;
  /** runnable, waiting for a CPU (woken or preempted, not yet switched in) */
  runqueue: number;
  /** off CPU and not runnable, by what it waited for: the syscall in flight decides (its fd's kind for read/write-like
   * calls); outside any syscall it is 'pagefault' */
  blocked: Record<WaitKind, number>;
  /** the task's maj_flt (cumulative) */
  majorFaults: number;
}

/** One syscall's own split, and the thread's time between its previous emitted syscall record and this call's entry. */
export interface SyscallTimes {
  /** within [entry, exit]: onCpu + runqueue + blocked = dur */
  onCpu: number;
  runqueue: number;
  blocked: number;
  sleptInterruptible: boolean;
  sleptUninterruptible: boolean;
  /** since the thread's previous emitted syscall record (its exit), or since its accounting began, to this entry:
   * user-space run time on an event loop */
  gapOnCpu: number;
  gapRunqueue: number;
  gapBlocked: number;
}

export interface SyscallEvent extends EventBase {
  kind: 'syscall';
  nr: number; // x86_64 syscall number
  name: string; // 'read', 'openat', ... ('syscall_N' when unknown)
  dur: number; // ns from entry to exit; 0 when unfinished
  ret: number; // >= 0 result, < 0 is -errno
  /** raw argument registers (pointers are meaningless downstream; fds, counts and flags are what matter) */
  args: number[];
  /** first path argument (open*, creat, stat family, access, unlink*, rename*, mkdir*, execve*, chdir, ...) */
  path: string | null;
  /** second path argument (rename*, link*, symlink*) */
  path2: string | null;
  /** socket address argument: the peer for connect/sendto/sendmsg/accept/accept4/recvfrom/recvmsg, local for bind */
  addr: SockAddr | null;
  /** fds created through an output array (pipe, pipe2, socketpair) */
  fds: [number, number] | null;
  /** still blocked in the kernel when the probe stopped */
  unfinished: boolean;
  /** the SDK span id active for this call (0 = none published; SPAN_UNSAMPLED: an unsampled span); see ctxSource */
  ctxSpan: number;
  ctxSource: ContextSource;
  /** the thread's scheduler accounting for this call; null when not accounted (unfinished calls, older captures) */
  times: SyscallTimes | null;
}

export interface MarkerEvent extends EventBase {
  kind: 'marker';
  fd: number;
  /** payload bytes (up to the snap length; several iovecs of one writev are concatenated): a view into the
   * batch, which it keeps alive; copy it to hold it beyond the batch */
  data: Uint8Array;
  /** total bytes the application wrote; data.length < len means the payload was cut at the snap length */
  len: number;
  /** the writing thread's totals at the write; null when its accounting had not begun (a process adopted by this
   * very marker) */
  times: ThreadTimes | null;
}

export interface ForkEvent extends EventBase {
  kind: 'fork'; // tid/pid are the parent's
  childTid: number;
  childPid: number;
  /** true when the child is a new thread in the parent's process (CLONE_THREAD) */
  isThread: boolean;
  /** true when the child shares the parent's fd table (CLONE_FILES) */
  sharesFiles: boolean;
}

export interface ExecEvent extends EventBase {
  kind: 'exec';
  filename: string;
  /** argv as the new program sees it (may be cut at the snap length) */
  argv: string[];
}

export interface ExitEvent extends EventBase {
  kind: 'exit';
  /** exit status as wait() reports it: (code << 8) | signal */
  code: number;
  /** true when this was the last thread of its process */
  groupDead: boolean;
}

/** Emitted by the probe in the stream where it noticed that the kernel dropped events (counts since the previous
 * drops event, on that CPU). */
export interface DropsEvent extends EventBase {
  kind: 'drops';
  syscall: number;
  marker: number;
  process: number;
}

/** Records of thread `tid` (syscalls, markers) the kernel dropped since that thread's previous record; comes right
 * before the thread's next record. The same drops are counted in drops events too. */
export interface LostEvent extends EventBase {
  kind: 'lost';
  records: number;
}

/** A thread registered an active-span slot that has a probe-ack word (sdk/MARKERS.md "Active span"). The live probe
 * acknowledges it in the process's memory; downstream it carries nothing to correlate. */
export interface SlotEvent extends EventBase {
  kind: 'slot';
  /** user address (in process `pid`) of the slot's span id; the ack word is 8 bytes further */
  addr: number;
}

export type ProbeEvent =
  | SyscallEvent
  | MarkerEvent
  | ForkEvent
  | ExecEvent
  | ExitEvent
  | DropsEvent
  | LostEvent
  | SlotEvent;
