// Building syscall records and merging runs of identical calls, so a span that reads a file in 4 KiB chunks shows
// one `read ×250, 1 MB` child instead of 250. The rule (documented in correlator/README.md):
//   two calls merge when they are consecutive in the same span, on the same thread, with the same name and fd,
//   the same attribution, and both are "ordinary": finished, faster than `slowNs`, and successful (with
//   `keepFailed`). A slow or failing call is always kept on its own and ends the run.
import type { SockAddr, SyscallEvent } from '@nullspan/probe';
import type { Attribution, SyscallRecord, SyscallTimes } from './model.js';
import { addSyscallTimes, syscallTimes } from './times/syscall-times.js';
import type { FdDesc } from './state/fdtable.js';
import { errnoName } from './errno.js';

export interface MergeOptions {
  /** merge runs at all (default true) */
  enabled?: boolean;
  /** calls at least this slow (ns) are never merged (default 1 ms) */
  slowNs?: number;
  /** failed calls (ret < 0) are never merged (default true) */
  keepFailed?: boolean;
  /** longest run merged into one record (default 100000) */
  maxRun?: number;
}

export type ResolvedMergeOptions = Required<MergeOptions>;

export function resolveMergeOptions(o: MergeOptions = {}): ResolvedMergeOptions {
  return {
    enabled: o.enabled ?? true,
    slowNs: o.slowNs ?? 1_000_000,
    keepFailed: o.keepFailed ?? true,
    maxRun: o.maxRun ?? 100_000,
  };
}

function ordinary(dur: number, ret: number, unfinished: boolean | undefined, o: ResolvedMergeOptions): boolean {
  return !unfinished && dur < o.slowNs && (ret >= 0 || !o.keepFailed);
}

/** One record per call or run; every field is always present (one object shape for the hot path). */
class Record implements SyscallRecord {
  name: string;
  ts: number;
  dur: number;
  end: number;
  tid: number;
  pid: number;
  ret: number;
  errno: string | undefined;
  fd: number | undefined;
  target: string | undefined;
  path: string | undefined;
  peerAddress: string | undefined;
  peerPort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  transport: SyscallRecord['transport'];
  bytes: number | undefined;
  count: number;
  attribution: Attribution;
  unfinished: boolean | undefined;
  times: SyscallTimes | undefined;

  constructor(
    ev: SyscallEvent,
    fd: number,
    desc: FdDesc | undefined,
    path: string | null,
    bytes: number,
    attribution: Attribution,
  ) {
    this.name = ev.name;
    this.ts = ev.ts;
    this.dur = ev.dur;
    this.end = ev.ts + ev.dur;
    this.tid = ev.tid;
    this.pid = ev.pid;
    this.ret = ev.ret;
    this.errno = ev.ret < 0 ? errnoName(ev.ret) : undefined;
    this.fd = fd >= 0 ? fd : undefined;
    this.count = 1;
    this.attribution = attribution;
    this.unfinished = ev.unfinished ? true : undefined;
    this.bytes = bytes >= 0 ? bytes : undefined;
    this.times = ev.times ? syscallTimes(ev.times) : undefined;
    if (desc !== undefined) {
      this.target = desc.target;
      this.path = desc.path;
      this.transport = desc.transport;
      this.peerAddress = desc.peerAddress;
      this.peerPort = desc.peerPort;
      this.localAddress = desc.localAddress;
      this.localPort = desc.localPort;
    } else {
      this.target = path ?? undefined;
      this.path = path ?? undefined;
      this.transport = undefined;
      this.peerAddress = undefined;
      this.peerPort = undefined;
      this.localAddress = undefined;
      this.localPort = undefined;
    }
    const addr = ev.addr;
    if (addr !== null && desc !== undefined && desc.peerAddress === undefined && desc.kind === 'socket') {
      // Unconnected datagram socket: the peer is per call (sendto/recvfrom/sendmsg/recvmsg).
      this.setPeer(addr);
    }
  }

  private setPeer(addr: SockAddr): void {
    this.peerAddress = addr.address;
    this.peerPort = addr.family === 'unix' ? undefined : addr.port;
    const peer = addr.address.includes(':') ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
    this.target = addr.family === 'unix' ? `-> unix:${addr.address}` : `-> ${peer}`;
  }
}

export function makeRecord(
  ev: SyscallEvent,
  fd: number,
  desc: FdDesc | undefined,
  path: string | null,
  bytes: number,
  attribution: Attribution,
): SyscallRecord {
  return new Record(ev, fd, desc, path, bytes, attribution);
}

/**
 * Folds `ev` into `prev` when the merge rule allows; returns whether it did.
 * `fd` is the call's fd (-1 if none), `bytes` its byte count (-1 if none).
 */
export function tryMerge(
  prev: SyscallRecord,
  ev: SyscallEvent,
  fd: number,
  bytes: number,
  attribution: Attribution,
  o: ResolvedMergeOptions,
): boolean {
  if (!o.enabled || prev.name !== ev.name || prev.tid !== ev.tid || prev.attribution !== attribution) return false;
  if ((prev.fd ?? -1) !== fd || prev.count >= o.maxRun) return false;
  if (!ordinary(ev.dur, ev.ret, ev.unfinished, o)) return false;
  // prev.dur of a run is a sum: the run is ordinary if its first call was and nothing unordinary joined
  if (prev.count === 1 && !ordinary(prev.dur, prev.ret, prev.unfinished, o)) return false;
  const a = ev.addr;
  if (
    a !== null &&
    prev.peerAddress !== undefined &&
    (prev.peerAddress !== a.address || (prev.peerPort ?? 0) !== (a.family === 'unix' ? 0 : a.port))
  )
    return false;
  prev.count++;
  prev.dur += ev.dur;
  prev.end = ev.ts + ev.dur;
  prev.ret = ev.ret;
  if (bytes >= 0) prev.bytes = (prev.bytes ?? 0) + bytes;
  prev.times = addSyscallTimes(prev.times, ev.times);
  return true;
}
