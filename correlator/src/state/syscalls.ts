// What a system call means for the correlator, decided once per syscall number (from the name the probe fills
// in) and cached: which argument is an fd, whether the result is a byte count, and how it changes the fd table.

export enum Effect {
  None,
  Open, // open(path, flags): flags in args[1]
  OpenAt, // openat(dirfd, path, flags): flags in args[2]
  OpenAt2, // openat2(dirfd, path, how, size): flags behind a pointer, unknown
  Creat,
  Socket,
  Connect,
  Accept,
  Accept4,
  Bind,
  Pipe,
  SocketPair,
  Dup,
  Dup2,
  Dup3,
  Fcntl,
  Close,
  CloseRange,
  Chdir,
  Fchdir,
  Listen,
  GetSockName,
  GetPeerName,
  /** creates an fd that is not a file: epoll, eventfd, timerfd, signalfd, inotify, memfd, pidfd, io_uring, ... */
  AnonFd,
}

const O_CLOEXEC_BIT = 0o2000000;

export interface SyscallClass {
  /** argument index holding the fd the call works on, -1 if none */
  fdArg: number;
  /** a non-negative return value is a byte count */
  bytes: boolean;
  /** write/writev/pwrite*: the calls that carry markers */
  write: boolean;
  effect: Effect;
}

const FD0_BYTES = [
  'read',
  'write',
  'pread64',
  'pwrite64',
  'readv',
  'writev',
  'preadv',
  'pwritev',
  'preadv2',
  'pwritev2',
  'recvfrom',
  'sendto',
  'recvmsg',
  'sendmsg',
  'sendfile',
  'splice',
  'tee',
  'copy_file_range',
  'vmsplice',
];
const FD0 = [
  'fstat',
  'lseek',
  'ioctl',
  'fsync',
  'fdatasync',
  'ftruncate',
  'getdents',
  'getdents64',
  'flock',
  'fchmod',
  'fchown',
  'fstatfs',
  'fadvise64',
  'fallocate',
  'sync_file_range',
  'readahead',
  'shutdown',
  'getsockname',
  'getpeername',
  'setsockopt',
  'getsockopt',
  'recvmmsg',
  'sendmmsg',
  'fgetxattr',
  'fsetxattr',
  'flistxattr',
  'fremovexattr',
  'syncfs',
  'inotify_add_watch',
  'fanotify_mark',
  'epoll_wait',
  'epoll_pwait',
  'epoll_pwait2',
  'epoll_ctl',
  'timerfd_settime',
  'timerfd_gettime',
];
const EFFECTS: Record<string, [Effect, number]> = {
  open: [Effect.Open, -1],
  openat: [Effect.OpenAt, -1],
  openat2: [Effect.OpenAt2, -1],
  creat: [Effect.Creat, -1],
  socket: [Effect.Socket, -1],
  connect: [Effect.Connect, 0],
  accept: [Effect.Accept, 0],
  accept4: [Effect.Accept4, 0],
  bind: [Effect.Bind, 0],
  listen: [Effect.Listen, 0],
  pipe: [Effect.Pipe, -1],
  pipe2: [Effect.Pipe, -1],
  socketpair: [Effect.SocketPair, -1],
  dup: [Effect.Dup, 0],
  dup2: [Effect.Dup2, 0],
  dup3: [Effect.Dup3, 0],
  fcntl: [Effect.Fcntl, 0],
  close: [Effect.Close, 0],
  close_range: [Effect.CloseRange, -1],
  chdir: [Effect.Chdir, -1],
  fchdir: [Effect.Fchdir, 0],
  getsockname: [Effect.GetSockName, 0],
  getpeername: [Effect.GetPeerName, 0],
};

/** fd-creating calls that are not files: what /proc/PID/fd would show, and where their close-on-exec flag is
 * (argument index and bit; -1 = always close-on-exec, -2 = never). */
export const ANON_FDS: Record<string, [target: string, flagArg: number, cloexecBit: number]> = {
  epoll_create: ['anon_inode:[eventpoll]', -2, 0],
  epoll_create1: ['anon_inode:[eventpoll]', 0, O_CLOEXEC_BIT],
  eventfd: ['anon_inode:[eventfd]', -2, 0],
  eventfd2: ['anon_inode:[eventfd]', 1, O_CLOEXEC_BIT],
  timerfd_create: ['anon_inode:[timerfd]', 1, O_CLOEXEC_BIT],
  signalfd4: ['anon_inode:[signalfd]', 3, O_CLOEXEC_BIT],
  inotify_init: ['anon_inode:inotify', -2, 0],
  inotify_init1: ['anon_inode:inotify', 0, O_CLOEXEC_BIT],
  fanotify_init: ['anon_inode:[fanotify]', 0, O_CLOEXEC_BIT],
  memfd_create: ['memfd', 1, 1 /* MFD_CLOEXEC */],
  pidfd_open: ['anon_inode:[pidfd]', -1, 0],
  io_uring_setup: ['anon_inode:[io_uring]', -1, 0],
  userfaultfd: ['anon_inode:[userfaultfd]', 0, O_CLOEXEC_BIT],
  perf_event_open: ['anon_inode:[perf_event]', 4, 8 /* PERF_FLAG_FD_CLOEXEC */],
};

const BYTES = new Set(FD0_BYTES);
const FDS = new Set(FD0);

const WRITES = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2']);

export function classify(name: string): SyscallClass {
  const write = WRITES.has(name);
  if (ANON_FDS[name] !== undefined) return { fdArg: -1, bytes: false, write, effect: Effect.AnonFd };
  const eff = EFFECTS[name];
  if (eff) return { fdArg: eff[1], bytes: false, write, effect: eff[0] };
  if (BYTES.has(name)) return { fdArg: 0, bytes: true, write, effect: Effect.None };
  if (FDS.has(name)) return { fdArg: 0, bytes: false, write, effect: Effect.None };
  return { fdArg: -1, bytes: false, write, effect: Effect.None };
}

/** Cache by syscall number (x86_64 numbers stay below 1024; others fall back to the name). */
export class SyscallClassifier {
  private readonly byNr: (SyscallClass | undefined)[] = new Array(1024);
  private readonly byName = new Map<string, SyscallClass>();

  of(nr: number, name: string): SyscallClass {
    if (nr >= 0 && nr < 1024) {
      let c = this.byNr[nr];
      if (c === undefined) this.byNr[nr] = c = classify(name);
      return c;
    }
    let c = this.byName.get(name);
    if (c === undefined) this.byName.set(name, (c = classify(name)));
    return c;
  }
}

/** Calls whose non-negative return value is a new fd: their record is about that fd (the one the program uses
 *  next), and any earlier user of the fd number is stale. dup belongs here like accept: the new fd shares the old
 *  one's description but is a different fd. dup2/dup3 and fcntl(F_DUPFD) return an fd chosen by an argument
 *  or a command, and are handled where the fd table is. */
export function createsFd(e: Effect): boolean {
  return (
    e === Effect.Open ||
    e === Effect.OpenAt ||
    e === Effect.OpenAt2 ||
    e === Effect.Creat ||
    e === Effect.Socket ||
    e === Effect.Accept ||
    e === Effect.Accept4 ||
    e === Effect.AnonFd ||
    e === Effect.Dup
  );
}

/** Argument registers are 64-bit; fds and flags are C ints. Accepts values decoded signed or unsigned. */
export function argInt(v: number): number {
  if (v >= 2 ** 31 && v < 2 ** 32) return v - 2 ** 32; // 32-bit register value of a negative int
  if (v >= 2 ** 63) return -1; // unsigned 64-bit of a negative number: magnitude lost in a double
  return v;
}

export const O_CLOEXEC = 0o2000000;
export const SOCK_CLOEXEC = 0o2000000;
export const AT_FDCWD = -100;
export const F_DUPFD = 0;
export const F_DUPFD_CLOEXEC = 1030;
export const F_SETFD = 2;
export const FD_CLOEXEC = 1;
export const CLOSE_RANGE_UNSHARE = 2;
export const CLOSE_RANGE_CLOEXEC = 4;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
