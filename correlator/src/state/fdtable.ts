// Per-process file-descriptor table, as libsinsp keeps it: fd → open file description (path, socket tuple, pipe),
// plus the per-fd close-on-exec flag. Descriptions are shared objects, so a dup'ed or inherited fd sees the same
// socket getting connected; tables are shared by reference between threads and CLONE_FILES children.
import { posix } from 'node:path';
import type { SockAddr, SyscallEvent } from '@nullspan/probe';
import {
  ANON_FDS,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AT_FDCWD,
  CLOSE_RANGE_CLOEXEC,
  CLOSE_RANGE_UNSHARE,
  Effect,
  FD_CLOEXEC,
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_SETFD,
  O_CLOEXEC,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_STREAM,
  argInt,
  type SyscallClass,
} from './syscalls.js';

const EINPROGRESS = 115;

export type Transport = 'tcp' | 'udp' | 'unix' | 'pipe';

/** An open file description. Plain data (it also goes into InitialState / capture files as JSON). */
export interface FdDesc {
  kind: 'file' | 'socket' | 'pipe' | 'other';
  /** what users see: '/etc/hosts', '127.0.0.1:43122 -> 127.0.0.1:8080', 'pipe', 'anon_inode:[eventpoll]' */
  target: string;
  path?: string;
  transport?: Transport;
  localAddress?: string;
  localPort?: number;
  peerAddress?: string;
  peerPort?: number;
  /** a connected socket (accepted or connected) whose peer may not be known */
  connected?: boolean;
}

export function fileDesc(path: string): FdDesc {
  return { kind: 'file', target: path, path };
}

export function otherDesc(target: string): FdDesc {
  return { kind: 'other', target };
}

export function pipeDesc(target = 'pipe'): FdDesc {
  return { kind: 'pipe', target, transport: 'pipe' };
}

export function socketDesc(transport: Transport | undefined): FdDesc {
  const d: FdDesc = { kind: 'socket', target: '', transport };
  d.target = socketTarget(d);
  return d;
}

function endpoint(address: string, port: number | undefined, transport: Transport | undefined): string {
  if (transport === 'unix') return address === '' ? 'unix:(unnamed)' : `unix:${address}`;
  const host = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}

/** `local -> peer` from this process's point of view; `-> peer` when the local end is not known yet. */
export function socketTarget(d: FdDesc): string {
  const local = d.localAddress !== undefined ? endpoint(d.localAddress, d.localPort, d.transport) : undefined;
  const peer = d.peerAddress !== undefined ? endpoint(d.peerAddress, d.peerPort, d.transport) : undefined;
  if (local !== undefined && peer !== undefined) return `${local} -> ${peer}`;
  if (peer !== undefined) return `-> ${peer}`;
  if (local !== undefined) return d.connected ? `${local} -> ?` : local;
  return `${d.transport ?? 'unknown'} socket`;
}

function transportOf(domain: number, type: number): Transport | undefined {
  const t = type & 0xf;
  if (domain === AF_UNIX) return 'unix';
  if (domain === AF_INET || domain === AF_INET6)
    return t === SOCK_STREAM ? 'tcp' : t === SOCK_DGRAM ? 'udp' : undefined;
  return undefined;
}

function transportOfAddr(a: SockAddr): Transport | undefined {
  return a.family === 'unix' ? 'unix' : undefined;
}

export class FdTable {
  readonly descs: Map<number, FdDesc>;
  readonly cloexec: Set<number>;
  /** number of processes using this table (CLONE_FILES children share it) */
  users = 1;

  constructor(descs = new Map<number, FdDesc>(), cloexec = new Set<number>()) {
    this.descs = descs;
    this.cloexec = cloexec;
  }

  get(fd: number): FdDesc | undefined {
    return this.descs.get(fd);
  }

  set(fd: number, desc: FdDesc, cloexec: boolean): void {
    this.descs.set(fd, desc);
    if (cloexec) this.cloexec.add(fd);
    else this.cloexec.delete(fd);
  }

  close(fd: number): void {
    this.descs.delete(fd);
    this.cloexec.delete(fd);
  }

  /** fork without CLONE_FILES: a copy of the table sharing the descriptions. */
  clone(): FdTable {
    return new FdTable(new Map(this.descs), new Set(this.cloexec));
  }

  /** exec: close-on-exec fds go away. */
  dropCloexec(): void {
    for (const fd of this.cloexec) this.descs.delete(fd);
    this.cloexec.clear();
  }

  closeRange(first: number, last: number, cloexecOnly: boolean): void {
    // Iterate the table, not the range: the range is often [3, ~0U].
    for (const fd of [...this.descs.keys()]) {
      if (fd < first || fd > last) continue;
      if (cloexecOnly) this.cloexec.add(fd);
      else this.close(fd);
    }
  }
}

/** The process-side state an fd-table update needs: its table (may be replaced on unshare) and cwd. */
export interface FdOwner {
  fds: FdTable;
  cwd: string;
}

/** Absolute path of a path argument, relative to dirfd (AT_FDCWD = the cwd). */
export function resolvePath(owner: FdOwner, dirfd: number, p: string): string {
  if (p.startsWith('/')) return p;
  let base = owner.cwd;
  // dirfd < 0: AT_FDCWD (-100), or a 64-bit register whose sign the decoder lost; no other negative dirfd succeeds
  if (dirfd !== AT_FDCWD && dirfd >= 0) {
    const d = owner.fds.get(dirfd);
    if (d?.path === undefined) return p; // base unknown: keep it relative rather than guess
    base = d.path;
  }
  return posix.resolve(base, p);
}

function unshare(owner: FdOwner): void {
  if (owner.fds.users > 1) {
    owner.fds.users--;
    owner.fds = owner.fds.clone();
  }
}

/** Applies a finished, successful syscall's effect on the fd table. Failed and unfinished calls change nothing. */
export function applyFdEffect(owner: FdOwner, ev: SyscallEvent, cls: SyscallClass): void {
  if (cls.effect === Effect.None || ev.unfinished) return;
  // A non-blocking connect (Node's only kind) fails with EINPROGRESS and still gets connected.
  if (ev.ret < 0 && !(cls.effect === Effect.Connect && ev.ret === -EINPROGRESS)) return;
  const a = ev.args;
  const t = owner.fds;
  switch (cls.effect) {
    case Effect.Open:
      t.set(ev.ret, fileDesc(resolvePath(owner, AT_FDCWD, ev.path ?? '?')), (argInt(a[1]) & O_CLOEXEC) !== 0);
      break;
    case Effect.OpenAt:
      t.set(ev.ret, fileDesc(resolvePath(owner, argInt(a[0]), ev.path ?? '?')), (argInt(a[2]) & O_CLOEXEC) !== 0);
      break;
    case Effect.OpenAt2: // flags sit behind a pointer the probe does not read: assume no O_CLOEXEC
      t.set(ev.ret, fileDesc(resolvePath(owner, argInt(a[0]), ev.path ?? '?')), false);
      break;
    case Effect.Creat:
      t.set(ev.ret, fileDesc(resolvePath(owner, AT_FDCWD, ev.path ?? '?')), false);
      break;
    case Effect.Socket:
      t.set(ev.ret, socketDesc(transportOf(argInt(a[0]), argInt(a[1]))), (argInt(a[1]) & SOCK_CLOEXEC) !== 0);
      break;
    case Effect.Connect: {
      const d = t.get(argInt(a[0]));
      if (d && ev.addr) {
        d.connected = true;
        setPeer(d, ev.addr);
      }
      break;
    }
    case Effect.Bind:
    case Effect.GetSockName: {
      const d = t.get(argInt(a[0]));
      // bind to port 0 lets the kernel choose: the port is unknown until a getsockname says it
      if (d && ev.addr)
        setLocal(d, ev.addr, cls.effect === Effect.Bind && ev.addr.family !== 'unix' && ev.addr.port === 0);
      break;
    }
    case Effect.GetPeerName: {
      const d = t.get(argInt(a[0]));
      if (d && ev.addr) setPeer(d, ev.addr);
      break;
    }
    case Effect.AnonFd: {
      const [target, flagArg, bit] = ANON_FDS[ev.name];
      const cloexec = flagArg === -1 || (flagArg >= 0 && (argInt(a[flagArg]) & bit) !== 0);
      t.set(ev.ret, otherDesc(target), cloexec);
      break;
    }
    case Effect.Accept:
    case Effect.Accept4: {
      const listener = t.get(argInt(a[0]));
      const d = socketDesc(listener?.transport ?? (ev.addr ? transportOfAddr(ev.addr) : undefined));
      d.connected = true;
      if (listener?.localAddress !== undefined) {
        d.localAddress = listener.localAddress;
        d.localPort = listener.localPort;
      }
      if (ev.addr) setPeer(d, ev.addr);
      else d.target = socketTarget(d);
      t.set(ev.ret, d, cls.effect === Effect.Accept4 && (argInt(a[3]) & SOCK_CLOEXEC) !== 0);
      break;
    }
    case Effect.Pipe:
      if (ev.fds) {
        const cloexec = ev.name === 'pipe2' && (argInt(a[1]) & O_CLOEXEC) !== 0;
        const d = pipeDesc();
        t.set(ev.fds[0], d, cloexec);
        t.set(ev.fds[1], d, cloexec);
      }
      break;
    case Effect.SocketPair:
      if (ev.fds) {
        const cloexec = (argInt(a[1]) & SOCK_CLOEXEC) !== 0;
        const tr = transportOf(argInt(a[0]), argInt(a[1]));
        // Two ends, one connected pair: each end's peer is the other, neither has an address.
        const d0 = socketDesc(tr);
        const d1 = socketDesc(tr);
        d0.target = d1.target = `${tr ?? 'unknown'} socketpair`;
        t.set(ev.fds[0], d0, cloexec);
        t.set(ev.fds[1], d1, cloexec);
      }
      break;
    case Effect.Dup:
      dupTo(t, argInt(a[0]), ev.ret, false);
      break;
    case Effect.Dup2:
      dupTo(t, argInt(a[0]), ev.ret, false);
      break;
    case Effect.Dup3:
      dupTo(t, argInt(a[0]), ev.ret, (argInt(a[2]) & O_CLOEXEC) !== 0);
      break;
    case Effect.Fcntl: {
      const cmd = argInt(a[1]);
      if (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC) dupTo(t, argInt(a[0]), ev.ret, cmd === F_DUPFD_CLOEXEC);
      else if (cmd === F_SETFD) {
        const fd = argInt(a[0]);
        if (t.descs.has(fd)) {
          if ((argInt(a[2]) & FD_CLOEXEC) !== 0) t.cloexec.add(fd);
          else t.cloexec.delete(fd);
        }
      }
      break;
    }
    case Effect.Close:
      t.close(argInt(a[0]));
      break;
    case Effect.CloseRange: {
      const flags = argInt(a[2]);
      if ((flags & CLOSE_RANGE_UNSHARE) !== 0) unshare(owner);
      // unsigned int bounds: ~0U decodes as 4294967295 or -1 depending on the decoder
      const first = a[0] >>> 0;
      const last = argInt(a[1]) < 0 ? 0xffffffff : a[1] >>> 0;
      owner.fds.closeRange(first, last, (flags & CLOSE_RANGE_CLOEXEC) !== 0);
      break;
    }
    case Effect.Chdir:
      if (ev.path !== null) owner.cwd = resolvePath(owner, AT_FDCWD, ev.path);
      break;
    case Effect.Fchdir: {
      const d = t.get(argInt(a[0]));
      if (d?.path !== undefined) owner.cwd = d.path;
      break;
    }
    case Effect.Listen:
      break;
  }
}

function dupTo(t: FdTable, oldFd: number, newFd: number, cloexec: boolean): void {
  if (oldFd === newFd) return; // dup2(fd, fd) changes nothing, not even the close-on-exec flag
  const d = t.get(oldFd);
  if (d) t.set(newFd, d, cloexec);
  else t.close(newFd); // the old fd was not known (opened before a gap): the new one is not either
}

function setPeer(d: FdDesc, addr: SockAddr): void {
  if (d.kind !== 'socket') return;
  d.peerAddress = addr.address;
  d.peerPort = addr.family === 'unix' ? undefined : addr.port;
  if (d.transport === undefined && addr.family === 'unix') d.transport = 'unix';
  d.target = socketTarget(d);
}

function setLocal(d: FdDesc, addr: SockAddr, portUnknown = false): void {
  if (d.kind !== 'socket') return;
  d.localAddress = addr.address;
  d.localPort = addr.family === 'unix' || portUnknown ? undefined : addr.port;
  if (d.transport === undefined && addr.family === 'unix') d.transport = 'unix';
  d.target = socketTarget(d);
}

/** exec: a shared table is unshared first (the kernel's unshare_files), then close-on-exec fds go. */
export function applyExec(owner: FdOwner): void {
  unshare(owner);
  owner.fds.dropCloexec();
}
