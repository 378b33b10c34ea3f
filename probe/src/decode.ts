// Batches of binary records (layout: bpf/nullspan.h, offsets generated into layout.generated.ts) -> ProbeEvent
// objects. Reads with one DataView per batch; no per-record allocation beyond the event object and its strings.
import {
  SPAN_UNSAMPLED,
  type ExecEvent,
  type ForkEvent,
  type MarkerEvent,
  type ProbeEvent,
  type SyscallEvent,
  type SyscallTimes,
  type ThreadTimes,
} from './events.js';
import { CONSTANTS as C, OFFSETS as O, SIZES } from './layout.generated.js';
import { ProbeError } from './errors.js';
import { decodeSockaddr } from './sockaddr.js';
import { syscallName } from './syscalls.js';

const utf8 = new TextDecoder();
const TWO_32 = 4294967296;
const HDR = SIZES.ns_hdr;
const CTX_SOURCES = ['none', 'slot', 'submitter'] as const;

/** Thrown for bytes that are not a valid batch; `decoded` holds every event before the bad record, `offset` is
 * the bad record's byte offset in the batch and `problem` what is wrong with it (a capture reader names the file
 * offset instead). */
export class BatchDecodeError extends ProbeError {
  constructor(
    readonly offset: number,
    readonly problem: string,
    readonly decoded: ProbeEvent[],
  ) {
    super(`The record at byte ${offset} ${problem}.`, 'BATCH_CORRUPT');
  }
}

function u64(dv: DataView, o: number): number {
  return dv.getUint32(o + 4, true) * TWO_32 + dv.getUint32(o, true);
}

/** The slot value a call carried: a span id, or one of the values that are not (told apart exactly, before the
 * conversion to a double would round them together). */
function ctxSpan(dv: DataView, o: number): number {
  if (dv.getUint32(o + 4, true) === C.NS_SPAN_UNSAMPLED_HI && dv.getUint32(o, true) === C.NS_SPAN_UNSAMPLED_LO)
    return SPAN_UNSAMPLED;
  return u64(dv, o);
}

function s64(dv: DataView, o: number): number {
  return dv.getInt32(o + 4, true) * TWO_32 + dv.getUint32(o, true);
}

/** Argument registers: a 32-bit int argument like AT_FDCWD (-100) arrives zero-extended; values in the top
 * 64 Ki of the 32-bit range are read as those negative ints (no user pointer or count lives there). */
function arg(dv: DataView, o: number): number {
  const hi = dv.getInt32(o + 4, true);
  const lo = dv.getUint32(o, true);
  if (hi === 0 && lo >= 0xffff0000) return lo - TWO_32;
  return hi * TWO_32 + lo;
}

/** A marker's ThreadTimes (struct ns_thread_times at o). */
function threadTimes(dv: DataView, o: number): ThreadTimes {
  const b = o + O.ns_thread_times_blocked;
  return {
    onCpu: u64(dv, o + O.ns_thread_times_on_cpu),
    runqueue: u64(dv, o + O.ns_thread_times_runqueue),
    blocked: {
      file: u64(dv, b + 8 * C.NS_WAIT_FILE),
      net: u64(dv, b + 8 * C.NS_WAIT_NET),
      lock: u64(dv, b + 8 * C.NS_WAIT_LOCK),
      sleep: u64(dv, b + 8 * C.NS_WAIT_SLEEP),
      poll: u64(dv, b + 8 * C.NS_WAIT_POLL),
      pagefault: u64(dv, b + 8 * C.NS_WAIT_PAGEFAULT),
      other: u64(dv, b + 8 * C.NS_WAIT_OTHER),
    },
    majorFaults: u64(dv, o + O.ns_thread_times_major_faults),
  };
}

/** A syscall's SyscallTimes (struct ns_syscall_times at o, sleep bits from the record). */
function syscallTimes(dv: DataView, o: number, sleep: number): SyscallTimes {
  return {
    onCpu: u64(dv, o + O.ns_syscall_times_on_cpu),
    runqueue: u64(dv, o + O.ns_syscall_times_runqueue),
    blocked: u64(dv, o + O.ns_syscall_times_blocked),
    sleptInterruptible: (sleep & C.NS_SLEPT_INTERRUPTIBLE) !== 0,
    sleptUninterruptible: (sleep & C.NS_SLEPT_UNINTERRUPTIBLE) !== 0,
    gapOnCpu: u64(dv, o + O.ns_syscall_times_gap_on_cpu),
    gapRunqueue: u64(dv, o + O.ns_syscall_times_gap_runqueue),
    gapBlocked: u64(dv, o + O.ns_syscall_times_gap_blocked),
  };
}

function text(bytes: Uint8Array, start: number, len: number): string | null {
  return len === 0 ? null : utf8.decode(bytes.subarray(start, start + len));
}

function syscall(
  dv: DataView,
  bytes: Uint8Array,
  o: number,
  ts: number,
  tid: number,
  pid: number,
  cpu: number,
): SyscallEvent {
  const nr = dv.getUint16(o + O.ns_syscall_nr, true);
  const flags = dv.getUint16(o + O.ns_syscall_flags, true);
  const pathLen = dv.getUint16(o + O.ns_syscall_path_len, true);
  const path2Len = dv.getUint16(o + O.ns_syscall_path2_len, true);
  const addrLen = dv.getUint16(o + O.ns_syscall_addr_len, true);
  const a = o + O.ns_syscall_args;
  const tail = o + SIZES.ns_syscall;
  return {
    kind: 'syscall',
    ts,
    tid,
    pid,
    cpu,
    nr,
    name: syscallName(nr),
    dur: u64(dv, o + O.ns_syscall_dur),
    ret: s64(dv, o + O.ns_syscall_ret),
    args: [arg(dv, a), arg(dv, a + 8), arg(dv, a + 16), arg(dv, a + 24), arg(dv, a + 32), arg(dv, a + 40)],
    path: text(bytes, tail, pathLen),
    path2: text(bytes, tail + pathLen, path2Len),
    addr: addrLen
      ? decodeSockaddr(bytes.subarray(tail + pathLen + path2Len, tail + pathLen + path2Len + addrLen))
      : null,
    fds:
      flags & C.NS_SYS_HAS_FDS
        ? [dv.getInt32(o + O.ns_syscall_fds, true), dv.getInt32(o + O.ns_syscall_fds + 4, true)]
        : null,
    unfinished: (flags & C.NS_SYS_UNFINISHED) !== 0,
    // span ids are below 2^53 (SDK ids); a hostile slot value above that is only ever compared, never trusted
    ctxSpan: ctxSpan(dv, o + O.ns_syscall_ctx_span),
    ctxSource: CTX_SOURCES[dv.getUint8(o + O.ns_syscall_ctx_src)] ?? 'none',
    times:
      flags & C.NS_SYS_HAS_TIMES ? syscallTimes(dv, o + O.ns_syscall_times, dv.getUint8(o + O.ns_syscall_sleep)) : null,
  };
}

function marker(
  dv: DataView,
  bytes: Uint8Array,
  o: number,
  ts: number,
  tid: number,
  pid: number,
  cpu: number,
): MarkerEvent {
  const dataLen = dv.getUint32(o + O.ns_marker_data_len, true);
  const start = o + SIZES.ns_marker;
  return {
    kind: 'marker',
    ts,
    tid,
    pid,
    cpu,
    fd: dv.getInt32(o + O.ns_marker_fd, true),
    // a view: a copy per marker (a new ArrayBuffer) cost more than parsing it; whoever keeps one copies it
    data: bytes.subarray(start, start + dataLen),
    len: dv.getUint32(o + O.ns_marker_len, true),
    times:
      dv.getUint32(o + O.ns_marker_flags, true) & C.NS_MARKER_HAS_TIMES ? threadTimes(dv, o + O.ns_marker_times) : null,
  };
}

function fork(dv: DataView, o: number, ts: number, tid: number, pid: number, cpu: number): ForkEvent {
  const flags = dv.getUint32(o + O.ns_fork_flags, true);
  return {
    kind: 'fork',
    ts,
    tid,
    pid,
    cpu,
    childTid: dv.getUint32(o + O.ns_fork_child_tid, true),
    childPid: dv.getUint32(o + O.ns_fork_child_pid, true),
    isThread: (flags & C.NS_FORK_THREAD) !== 0,
    sharesFiles: (flags & C.NS_FORK_SHARES_FILES) !== 0,
  };
}

function exec(
  dv: DataView,
  bytes: Uint8Array,
  o: number,
  ts: number,
  tid: number,
  pid: number,
  cpu: number,
): ExecEvent {
  const fnLen = dv.getUint16(o + O.ns_exec_filename_len, true);
  const argvLen = dv.getUint32(o + O.ns_exec_argv_len, true);
  const start = o + SIZES.ns_exec;
  const argv = utf8.decode(bytes.subarray(start + fnLen, start + fnLen + argvLen)).split('\0');
  if (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();
  return { kind: 'exec', ts, tid, pid, cpu, filename: text(bytes, start, fnLen) ?? '', argv };
}

/** Decodes every record of a batch (or of a capture file's concatenated batches). */
export function decodeBatch(bytes: Uint8Array): ProbeEvent[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ProbeEvent[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o < HDR)
      throw new BatchDecodeError(o, 'is cut off inside its header by the end of the batch', out);
    const size = dv.getUint32(o + O.ns_hdr_size, true);
    const kind = dv.getUint16(o + O.ns_hdr_kind, true);
    if (size < HDR || o + size > bytes.length)
      throw new BatchDecodeError(o, `declares an impossible size of ${size} bytes`, out);
    const cpu = dv.getUint16(o + O.ns_hdr_cpu, true);
    const ts = u64(dv, o + O.ns_hdr_ts);
    const tid = dv.getUint32(o + O.ns_hdr_tid, true);
    const pid = dv.getUint32(o + O.ns_hdr_pid, true);
    const fixed = fixedSize(kind);
    if (fixed !== undefined && size < fixed + tailSize(dv, o, kind))
      throw new BatchDecodeError(o, `is too short (${size} bytes) for its kind ${kind} and contents`, out);
    switch (kind) {
      case C.NS_KIND_SYSCALL:
        out.push(syscall(dv, bytes, o, ts, tid, pid, cpu));
        break;
      case C.NS_KIND_MARKER:
        out.push(marker(dv, bytes, o, ts, tid, pid, cpu));
        break;
      case C.NS_KIND_FORK:
        out.push(fork(dv, o, ts, tid, pid, cpu));
        break;
      case C.NS_KIND_EXEC:
        out.push(exec(dv, bytes, o, ts, tid, pid, cpu));
        break;
      case C.NS_KIND_EXIT:
        out.push({
          kind: 'exit',
          ts,
          tid,
          pid,
          cpu,
          code: dv.getInt32(o + O.ns_exit_code, true),
          groupDead: dv.getUint32(o + O.ns_exit_group_dead, true) !== 0,
        });
        break;
      case C.NS_KIND_DROPS:
        out.push({
          kind: 'drops',
          ts,
          tid,
          pid,
          cpu,
          syscall: u64(dv, o + O.ns_drops_counts + 8 * C.NS_DROP_SYSCALL),
          marker: u64(dv, o + O.ns_drops_counts + 8 * C.NS_DROP_MARKER),
          process: u64(dv, o + O.ns_drops_counts + 8 * C.NS_DROP_PROCESS),
        });
        break;
      case C.NS_KIND_LOST:
        out.push({ kind: 'lost', ts, tid, pid, cpu, records: u64(dv, o + O.ns_lost_records) });
        break;
      case C.NS_KIND_SLOT:
        // user addresses are below 2^47: exact in a double
        out.push({ kind: 'slot', ts, tid, pid, cpu, addr: u64(dv, o + O.ns_slot_addr) });
        break;
      default:
        break; // a kind from a newer probe: skip it, its size says how far
    }
    o += (size + C.NS_RECORD_ALIGN - 1) & ~(C.NS_RECORD_ALIGN - 1);
  }
  return out;
}

/** Bytes the record's length fields say follow its fixed part. */
function tailSize(dv: DataView, o: number, kind: number): number {
  switch (kind) {
    case C.NS_KIND_SYSCALL:
      return (
        dv.getUint16(o + O.ns_syscall_path_len, true) +
        dv.getUint16(o + O.ns_syscall_path2_len, true) +
        dv.getUint16(o + O.ns_syscall_addr_len, true)
      );
    case C.NS_KIND_MARKER:
      return dv.getUint32(o + O.ns_marker_data_len, true);
    case C.NS_KIND_EXEC:
      return dv.getUint16(o + O.ns_exec_filename_len, true) + dv.getUint32(o + O.ns_exec_argv_len, true);
    default:
      return 0;
  }
}

function fixedSize(kind: number): number | undefined {
  switch (kind) {
    case C.NS_KIND_SYSCALL:
      return SIZES.ns_syscall;
    case C.NS_KIND_MARKER:
      return SIZES.ns_marker;
    case C.NS_KIND_FORK:
      return SIZES.ns_fork;
    case C.NS_KIND_EXEC:
      return SIZES.ns_exec;
    case C.NS_KIND_EXIT:
      return SIZES.ns_exit;
    case C.NS_KIND_DROPS:
      return SIZES.ns_drops;
    case C.NS_KIND_SLOT:
      return SIZES.ns_slot;
    case C.NS_KIND_LOST:
      return SIZES.ns_lost;
    default:
      return undefined;
  }
}
