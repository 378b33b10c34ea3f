// What a system call waited for when it blocked, for the event-loop breakdown (the probe classifies the thread
// model's blocked time itself, from the syscall in flight): the call's name first, then the kind of its fd.
import type { WaitKind } from '@nullspan/probe';
import type { FdDesc } from '../state/fdtable.js';

export const WAIT_KINDS: readonly WaitKind[] = ['file', 'net', 'lock', 'sleep', 'poll', 'pagefault', 'other'];

const BY_NAME = new Map<string, WaitKind>();
for (const n of ['futex', 'futex_waitv', 'flock', 'semop', 'semtimedop']) BY_NAME.set(n, 'lock');
for (const n of ['nanosleep', 'clock_nanosleep', 'pause']) BY_NAME.set(n, 'sleep');
for (const n of ['epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'poll', 'ppoll', 'select', 'pselect6']) {
  BY_NAME.set(n, 'poll');
}
for (const n of ['fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'io_uring_enter', 'io_getevents']) {
  BY_NAME.set(n, 'file');
}
for (const n of ['connect', 'accept', 'accept4', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg']) {
  BY_NAME.set(n, 'net');
}

export function waitKindOf(name: string, desc: FdDesc | undefined, hasPath: boolean): WaitKind {
  const k = BY_NAME.get(name);
  if (k !== undefined) return k;
  if (desc !== undefined) {
    if (desc.kind === 'socket') return 'net';
    if (desc.kind === 'file') return 'file';
  }
  return hasPath ? 'file' : 'other';
}

export function zeroWaits(): Record<WaitKind, number> {
  return { file: 0, net: 0, lock: 0, sleep: 0, poll: 0, pagefault: 0, other: 0 };
}
