// The state of the machine when tracing starts, read from /proc: processes, threads, identities and open fds
// (sockets resolved to tuples). Plain JSON so it can be stored in a capture file and seeded again at replay.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { fileDesc, otherDesc, pipeDesc, type FdDesc } from './fdtable.js';
import { cgroupIdentity } from './cgroup.js';
import { readSocketTables } from './procnet.js';
import { O_CLOEXEC } from './syscalls.js';

export interface FdSnapshot {
  fd: number;
  cloexec: boolean;
  desc: FdDesc;
}

export interface ProcessSnapshot {
  pid: number;
  ppid: number;
  tids: number[];
  exe: string;
  exePath: string;
  cmdline: string[];
  cwd: string;
  /** OTEL_SERVICE_NAME from /proc/PID/environ, when readable */
  otelServiceName?: string;
  containerId?: string;
  /** k8s.pod.uid, when the cgroup path carries it (cgroup.ts) */
  podUid?: string;
  /** the cgroup path (v2, else the first v1 line), for selection by cgroup */
  cgroup?: string;
  fds: FdSnapshot[];
  /** /proc/PID/fd could not be read (permission): its earlier fds have no paths or peers */
  fdsDenied?: boolean;
}

export interface InitialState {
  version: 1;
  processes: ProcessSnapshot[];
}

export interface SnapshotOptions {
  /** with `pids`: also every descendant of those processes (default true) */
  descendants?: boolean;
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // process gone or not readable: take what is there
  }
}

function tryReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function tryReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function numericEntries(path: string): number[] {
  return numeric(tryReaddir(path));
}

/** The numeric names of a /proc directory (pids, tids, fds), in ascending order. */
function numeric(names: string[]): number[] {
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The fields of /proc/PID/stat after the comm (which may itself hold spaces and parens): [0] state, [1] ppid. */
function statFields(pid: number): string[] | undefined {
  const stat = tryRead(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readPpid(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields === undefined ? undefined : Number(fields[1]);
}

/** Whether `pid` still runs: its /proc entry exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** Container id from a cgroup path: the id docker, containerd, cri-o and podman put in it (cgroup.ts). */
export function containerIdFromCgroup(text: string): string | undefined {
  return cgroupIdentity(text).containerId;
}

function envServiceName(pid: number): string | undefined {
  const env = tryRead(`/proc/${pid}/environ`);
  if (env === undefined) return undefined;
  for (const kv of env.split('\0')) if (kv.startsWith('OTEL_SERVICE_NAME=')) return kv.slice(18) || undefined;
  return undefined;
}

function fdDesc(link: string, sockets: Map<number, FdDesc>): FdDesc {
  const sock = /^socket:\[(\d+)\]$/.exec(link);
  if (sock) {
    const d = sockets.get(Number(sock[1]));
    return d ? { ...d } : { kind: 'socket', target: link };
  }
  if (link.startsWith('pipe:[')) return pipeDesc(link);
  if (link.startsWith('/')) return fileDesc(link);
  return otherDesc(link);
}

function isPermission(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
}

/** A process's fds; `denied` when its fd directory may not be read (permission, not a process that is gone). */
function readFds(pid: number, sockets: () => Map<number, FdDesc>): { fds: FdSnapshot[]; denied: boolean } {
  const out: FdSnapshot[] = [];
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    return { fds: out, denied: isPermission(err) };
  }
  let denied = false;
  for (const fd of numeric(names)) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch (err) {
      // closed meanwhile (ENOENT), or the fd links are ptrace-checked and we may not follow this one: the others
      // are still read
      if (isPermission(err)) denied = true;
      continue;
    }
    const info = tryRead(`/proc/${pid}/fdinfo/${fd}`);
    const flags = info ? /flags:\s*([0-7]+)/.exec(info) : null;
    const cloexec = flags ? (parseInt(flags[1], 8) & O_CLOEXEC) !== 0 : false;
    out.push({ fd, cloexec, desc: fdDesc(link, link.startsWith('socket:') ? sockets() : EMPTY) });
  }
  return { fds: out, denied };
}

const EMPTY = new Map<number, FdDesc>();

function fdsOf(pid: number, sockets: () => Map<number, FdDesc>): Pick<ProcessSnapshot, 'fds' | 'fdsDenied'> {
  const { fds, denied } = readFds(pid, sockets);
  return denied ? { fds, fdsDenied: true } : { fds };
}

/** The notice for processes whose open files nullspan may not read, once per session; undefined when there are none. */
export function fdPermissionNotice(processes: ProcessSnapshot[]): string | undefined {
  const p = processes.find((s) => s.fdsDenied);
  if (p === undefined) return undefined;
  return (
    `the open files of process ${p.pid} (${p.exe}) are not readable to nullspan: files and sockets it opened before ` +
    'tracing began show fd numbers instead of paths and peers; run nullspan as root or with CAP_SYS_PTRACE and CAP_DAC_OVERRIDE.'
  );
}

/** What the agent's selection looks at, read alone (no fds, no environment); undefined when the process is gone. */
export function identityOne(
  pid: number,
): { ppid: number; exe: string; cgroup?: string; containerId?: string } | undefined {
  const ppid = readPpid(pid);
  if (ppid === undefined) return undefined;
  const exePath = tryReadlink(`/proc/${pid}/exe`);
  const exe = exePath
    ? posix.basename(exePath.replace(/ \(deleted\)$/, ''))
    : (tryRead(`/proc/${pid}/comm`) ?? '').trim();
  const cgroup = tryRead(`/proc/${pid}/cgroup`);
  const cg = cgroup ? cgroupIdentity(cgroup) : undefined;
  return { ppid, exe, cgroup: cg?.path, containerId: cg?.containerId };
}

export function snapshotOne(pid: number, netns: Map<string, Map<number, FdDesc>>): ProcessSnapshot | undefined {
  const ppid = readPpid(pid);
  if (ppid === undefined) return undefined;
  const exePath = tryReadlink(`/proc/${pid}/exe`) ?? '';
  const comm = (tryRead(`/proc/${pid}/comm`) ?? '').trim();
  const cmdline = (tryRead(`/proc/${pid}/cmdline`) ?? '').split('\0');
  if (cmdline[cmdline.length - 1] === '') cmdline.pop();
  const cgroup = tryRead(`/proc/${pid}/cgroup`);
  const cg = cgroup ? cgroupIdentity(cgroup) : undefined;
  const otelServiceName = envServiceName(pid);
  const sockets = (): Map<number, FdDesc> => {
    const ns = tryReadlink(`/proc/${pid}/ns/net`) ?? 'unknown';
    let tables = netns.get(ns);
    if (tables === undefined) netns.set(ns, (tables = readSocketTables(pid)));
    return tables;
  };
  return {
    pid,
    ppid,
    tids: numericEntries(`/proc/${pid}/task`),
    exe: exePath ? posix.basename(exePath.replace(/ \(deleted\)$/, '')) : comm,
    exePath,
    cmdline,
    cwd: tryReadlink(`/proc/${pid}/cwd`) ?? '/',
    ...(otelServiceName !== undefined ? { otelServiceName } : {}),
    ...(cg?.containerId !== undefined ? { containerId: cg.containerId } : {}),
    ...(cg?.podUid !== undefined ? { podUid: cg.podUid } : {}),
    ...(cg !== undefined ? { cgroup: cg.path } : {}),
    ...fdsOf(pid, sockets),
  };
}

/** Snapshot of every process, or of `pids` (and, by default, their descendants). */
export function snapshotProc(pids?: number[], opts: SnapshotOptions = {}): InitialState {
  const all = numericEntries('/proc');
  let wanted: number[];
  if (pids === undefined) wanted = all;
  else if (opts.descendants === false) wanted = [...new Set(pids)];
  else {
    const children = new Map<number, number[]>();
    for (const pid of all) {
      const ppid = readPpid(pid);
      if (ppid === undefined) continue;
      let list = children.get(ppid);
      if (!list) children.set(ppid, (list = []));
      list.push(pid);
    }
    const set = new Set<number>();
    const todo = [...pids];
    while (todo.length) {
      const p = todo.pop()!;
      if (set.has(p)) continue;
      set.add(p);
      todo.push(...(children.get(p) ?? []));
    }
    wanted = [...set].sort((a, b) => a - b);
  }
  const netns = new Map<string, Map<number, FdDesc>>();
  const processes: ProcessSnapshot[] = [];
  for (const pid of wanted) {
    const p = snapshotOne(pid, netns);
    if (p) processes.push(p);
  }
  return { version: 1, processes };
}
