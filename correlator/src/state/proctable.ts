// Process and thread table, as libsinsp keeps it: seeded from a /proc snapshot, then kept current from the
// probe's fork/exec/exit events. ProcessInfo objects are replaced, never mutated, so a span already handed to an
// exporter keeps the identity its process had when the span ended.
import { posix } from 'node:path';
import type { ExecEvent, ExitEvent, ForkEvent } from '@nullspan/probe';
import type { ProcessInfo } from '../model.js';
import { FdTable, applyExec, resolvePath, type FdDesc, type FdOwner } from './fdtable.js';
import { AT_FDCWD } from './syscalls.js';
import type { InitialState } from './snapshot.js';

export interface ThreadState<S = unknown> {
  tid: number;
  proc: ProcState<S>;
  /** spans entered on this thread and still open, innermost last (maintained by the span table) */
  stack: S[];
  /** start of a marker split across writes, waiting for this thread's next /dev/null write */
  pending: Uint8Array | null;
  /** entry time of this thread's last marker: the write syscall that carried it has the same one */
  lastMarkerTs: number;
}

export interface ProcState<S = unknown> extends FdOwner {
  info: ProcessInfo;
  /** where info.serviceName came from: an exec keeps env-derived names, not marker-set ones */
  serviceNameFrom: 'marker' | 'env' | 'exe';
  /** OTEL_SERVICE_NAME seen in the environment (inherited across fork and, usually, exec) */
  envServiceName?: string;
  threads: Map<number, ThreadState<S>>;
  exited: boolean;
  /** created on first sight of an event (neither seeded nor forked while traced): identity unknown */
  lazy?: boolean;
}

export interface ProcTableHooks<S> {
  /** a thread is gone (its own exit, its process's exit, or an exec by another thread) */
  threadExit(thread: ThreadState<S>, ts: number): void;
  /** the last thread of a process exited */
  processExit(proc: ProcState<S>, ts: number): void;
}

const UNKNOWN_SERVICE = 'unknown_service';

function serviceFromExe(exe: string): string {
  return exe === '' || exe === '?' ? UNKNOWN_SERVICE : exe;
}

export class ProcTable<S = unknown> {
  readonly procs = new Map<number, ProcState<S>>();
  readonly threads = new Map<number, ThreadState<S>>();

  constructor(private readonly hooks: ProcTableHooks<S>) {}

  seed(state: InitialState): void {
    for (const p of state.processes) {
      const descs = new Map<number, FdDesc>();
      const cloexec = new Set<number>();
      for (const f of p.fds) {
        descs.set(f.fd, { ...f.desc });
        if (f.cloexec) cloexec.add(f.fd);
      }
      const serviceNameFrom = p.otelServiceName ? 'env' : 'exe';
      const proc: ProcState<S> = {
        info: {
          pid: p.pid,
          ppid: p.ppid,
          exe: p.exe,
          exePath: p.exePath,
          cmdline: p.cmdline,
          serviceName: p.otelServiceName || serviceFromExe(p.exe),
          ...(p.containerId ? { containerId: p.containerId } : {}),
          ...(p.podUid ? { podUid: p.podUid } : {}),
        },
        serviceNameFrom,
        envServiceName: p.otelServiceName,
        fds: new FdTable(descs, cloexec),
        cwd: p.cwd,
        threads: new Map(),
        exited: false,
      };
      this.procs.set(p.pid, proc);
      for (const tid of p.tids.length ? p.tids : [p.pid]) this.addThread(proc, tid);
    }
  }

  /** The thread's state, created on first sight when the snapshot and fork events missed it. */
  thread(tid: number, pid: number): ThreadState<S> {
    const t = this.threads.get(tid);
    if (t !== undefined && t.proc.info.pid === pid) return t;
    return this.addThread(this.process(pid), tid);
  }

  process(pid: number): ProcState<S> {
    let p = this.procs.get(pid);
    if (p === undefined) {
      p = {
        info: { pid, ppid: 0, exe: '?', exePath: '', cmdline: [], serviceName: UNKNOWN_SERVICE },
        serviceNameFrom: 'exe',
        fds: new FdTable(),
        cwd: '/',
        threads: new Map(),
        exited: false,
        lazy: true,
      };
      this.procs.set(pid, p);
    }
    return p;
  }

  private addThread(proc: ProcState<S>, tid: number): ThreadState<S> {
    const old = this.threads.get(tid);
    if (old !== undefined) this.removeThread(old, 0); // tid reused: the old owner's exit was missed
    const t: ThreadState<S> = { tid, proc, stack: [], pending: null, lastMarkerTs: -1 };
    proc.threads.set(tid, t);
    this.threads.set(tid, t);
    return t;
  }

  private removeThread(t: ThreadState<S>, ts: number): void {
    this.hooks.threadExit(t, ts);
    t.proc.threads.delete(t.tid);
    if (this.threads.get(t.tid) === t) this.threads.delete(t.tid);
  }

  fork(ev: ForkEvent): void {
    const parent = this.thread(ev.tid, ev.pid).proc;
    if (ev.isThread) {
      // the new thread's first events may have overtaken this fork event: keep what it already did
      if (this.threads.get(ev.childTid)?.proc !== parent) this.addThread(parent, ev.childTid);
      return;
    }
    const stale = this.procs.get(ev.childPid);
    if (stale?.lazy) {
      // The child's first events overtook its fork event (another CPU): keep what it did, give it its identity.
      stale.lazy = false;
      stale.info = { ...parent.info, pid: ev.childPid, ppid: parent.info.pid };
      stale.serviceNameFrom = parent.serviceNameFrom;
      stale.envServiceName = parent.envServiceName;
      stale.cwd = parent.cwd;
      const own = stale.fds;
      stale.fds = ev.sharesFiles ? parent.fds : parent.fds.clone();
      if (ev.sharesFiles) parent.fds.users++;
      for (const [fd, d] of own.descs) stale.fds.set(fd, d, own.cloexec.has(fd));
      if (!stale.threads.has(ev.childTid)) this.addThread(stale, ev.childTid);
      return;
    }
    if (stale !== undefined) this.endProcess(stale, ev.ts); // pid reused: the old one's exit was missed
    let fds = parent.fds;
    if (ev.sharesFiles) fds.users++;
    else fds = fds.clone();
    const child: ProcState<S> = {
      info: { ...parent.info, pid: ev.childPid, ppid: parent.info.pid },
      serviceNameFrom: parent.serviceNameFrom,
      envServiceName: parent.envServiceName,
      fds,
      cwd: parent.cwd,
      threads: new Map(),
      exited: false,
    };
    this.procs.set(ev.childPid, child);
    this.addThread(child, ev.childTid);
  }

  exec(ev: ExecEvent): void {
    const proc = this.process(ev.pid);
    // de_thread: every other thread is gone, the exec'ing one now runs as the leader (tid = pid).
    for (const t of [...proc.threads.values()]) if (t.tid !== ev.pid) this.removeThread(t, ev.ts);
    if (!proc.threads.has(ev.pid)) this.addThread(proc, ev.pid);
    applyExec(proc);
    proc.lazy = false;
    const exe = posix.basename(ev.filename);
    let serviceName = proc.info.serviceName;
    let from = proc.serviceNameFrom;
    if (from !== 'env') {
      serviceName = serviceFromExe(exe);
      from = 'exe';
    }
    proc.serviceNameFrom = from;
    proc.info = { ...proc.info, exe, exePath: resolvePath(proc, AT_FDCWD, ev.filename), cmdline: ev.argv, serviceName };
  }

  exit(ev: ExitEvent): void {
    const proc = this.procs.get(ev.pid);
    if (proc === undefined) return;
    if (ev.groupDead) {
      this.endProcess(proc, ev.ts);
      return;
    }
    const t = proc.threads.get(ev.tid);
    if (t !== undefined) this.removeThread(t, ev.ts);
  }

  private endProcess(proc: ProcState<S>, ts: number): void {
    proc.exited = true; // first: thread hooks see a dying process, not a thread exiting alone
    for (const t of [...proc.threads.values()]) this.removeThread(t, ts);
    proc.fds.users--;
    this.procs.delete(proc.info.pid);
    this.hooks.processExit(proc, ts);
  }

  /** `_svc` from a marker names the service of the writing process. */
  setServiceName(proc: ProcState<S>, name: string): void {
    if (proc.info.serviceName === name && proc.serviceNameFrom === 'marker') return;
    proc.serviceNameFrom = 'marker';
    proc.info = { ...proc.info, serviceName: name };
  }
}
