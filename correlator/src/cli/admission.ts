// The agent's door between the probe and the correlator. The kernel adopts any process that writes a marker
// (probe `markers: 'all'`), so the first event of a pid nobody announced is a process the agent has never seen:
// its identity is read from /proc then (executable, command line, OTEL_SERVICE_NAME, cgroup → container and pod)
// and seeded into the correlator before its events, and the selection decides whether it is traced at all.
// A process the selection refuses has its events dropped here and is excluded in the kernel (untraced, and never
// adopted again until it exits): what it wrote before the agent decided is all it costs. One that was traced and
// exec'd into a refused program stays traced in the kernel, its events dropped here, so its exit still frees its
// state. Decisions are per pid, inherited at fork, re-made at exec (the executable changed), forgotten at exit.
// When cgroups are the only includes, the kernel enforces them at adoption (agent.ts), so a process gone from /proc
// before its first event is read — most short-lived ones — is traced without an identity rather than refused.

import { posix } from 'node:path';
import type { ProbeEvent } from '@nullspan/probe';
import { identityOne, snapshotOne, type ProcessSnapshot } from '../state/snapshot.js';
import { selects, type Selection } from './selection.js';

interface Decision {
  traced: boolean;
  /** the correlator knows the process: its exit must reach it (even after an exec made it excluded) */
  seen: boolean;
  /** excluded in the kernel already (its events still in the ring arrive all the same) */
  excluded?: boolean;
  cgroup?: string;
  containerId?: string;
}

export interface AdmissionHooks {
  /** whether the correlator already holds the identity of `pid` (then it is not seeded again) */
  knows(pid: number): boolean;
  seed(snapshot: ProcessSnapshot): void;
  /** stop recording `pid` in the kernel, and adopting it, until it exits */
  exclude(pid: number): void;
  /** a process the agent traces from now on, read from /proc */
  discovered(snapshot: ProcessSnapshot): void;
}

export interface AdmissionCounts {
  /** processes first seen through their own marker (or event) and traced */
  discovered: number;
  /** processes the selection refused (counted once per process) */
  excluded: number;
  /** first seen after they were gone from /proc: traced with an unknown identity, or refused when includes apply */
  unidentified: number;
  /** decisions forgotten because the table was full (their exits were lost): re-made at the next event */
  evicted: number;
}

/** Bound on remembered decisions; one per live traced or refused process, freed at exit. */
const MAX_DECISIONS = 1 << 16;

export class Admission {
  private readonly decisions = new Map<number, Decision>();
  readonly counts: AdmissionCounts = { discovered: 0, excluded: 0, unidentified: 0, evicted: 0 };
  /** what a process gone before its identity was read is judged by */
  /** the selection left to apply in user space: without the cgroup includes when the kernel enforced them */
  private readonly remaining: Selection;

  constructor(
    private readonly selection: Selection,
    private readonly hooks: AdmissionHooks,
    /** nullspan's own pid: never traced, nor what it starts */
    private readonly selfPid: number,
    /** the kernel adopts only processes inside the --include-cgroup directories, and these are the only includes */
    kernelEnforcesIncludes = false,
  ) {
    // The kernel checked the includes at adoption (ProbeOptions.adoptCgroups): a process it adopted matched one, so
    // a short-lived one gone from /proc before this reads it is still traced, and one read as it exits (an exited
    // task's /proc cgroup may no longer name where it ran) is not refused. Otherwise the includes are matched here.
    this.remaining = kernelEnforcesIncludes ? { ...selection, includeCgroup: [] } : selection;
  }

  /** Processes whose decision is remembered (live ones, traced or refused). */
  get size(): number {
    return this.decisions.size;
  }

  /** Whether an active-span slot registration of `pid` may be acknowledged (which turns its SDK's markers and
   * async hook on): by its remembered decision, else by its identity read now (see `selectedNow`). */
  acknowledges(pid: number): boolean {
    return this.decisions.get(pid)?.traced ?? selectedNow(this.selection, pid, this.selfPid);
  }

  /** Hands `events` to `push` without those of refused processes, seeding each new process right before its
   * first event (so a pid reused inside one batch gets its own identity). */
  admit(events: ProbeEvent[], push: (events: ProbeEvent[]) => void): void {
    let from = 0;
    let kept: ProbeEvent[] | null = null; // null while every event so far is kept: push a slice, no copy
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.kind === 'drops') {
        kept?.push(ev);
        continue;
      }
      let d = this.decisions.get(ev.pid);
      if (d === undefined) {
        // the correlator must see what came before in the batch (an exit of a previous owner of this pid) first
        if (kept) {
          if (kept.length > 0) push(kept.splice(0));
        } else if (i > from) push(events.slice(from, i));
        from = i;
        d = this.discover(ev.pid);
      }
      const keep = d.traced || (ev.kind === 'exit' && ev.groupDead && d.seen);
      this.follow(ev, d);
      if (keep) {
        kept?.push(ev);
        continue;
      }
      if (!d.seen && !d.excluded) {
        d.excluded = true;
        this.hooks.exclude(ev.pid);
      }
      if (kept === null) kept = events.slice(from, i);
    }
    const rest = kept ?? (from === 0 ? events : events.slice(from));
    if (rest.length > 0) push(rest);
  }

  /** Keeps the decisions current through fork, exec and exit. */
  private follow(ev: ProbeEvent, d: Decision): void {
    if (ev.kind === 'fork' && !ev.isThread) {
      this.remember(ev.childPid, { ...d, seen: d.traced });
    } else if (ev.kind === 'exec') {
      // a refused process stays refused (it was never seeded); a traced one is judged by its new executable
      const traced = d.traced && this.allowed(posix.basename(ev.filename), d);
      if (d.traced && !traced) this.counts.excluded++;
      d.traced = traced;
    } else if (ev.kind === 'exit' && ev.groupDead) {
      this.decisions.delete(ev.pid);
    }
  }

  private allowed(exe: string, d: Decision): boolean {
    return selects(this.remaining, { exe, cgroup: d.cgroup, containerId: d.containerId });
  }

  private discover(pid: number): Decision {
    const known = this.hooks.knows(pid);
    const snap = snapshotOne(pid, new Map());
    let d: Decision;
    if (snap === undefined) {
      this.counts.unidentified++;
      // nothing to match includes against (unless the kernel did); excludes by what cannot be read cannot apply
      d = { traced: pid !== this.selfPid && selects(this.remaining, { exe: '?' }), seen: false };
    } else {
      d = {
        traced: pid !== this.selfPid && snap.ppid !== this.selfPid,
        seen: false,
        cgroup: snap.cgroup,
        containerId: snap.containerId,
      };
      d.traced &&= this.allowed(snap.exe, d);
    }
    if (!d.traced) this.counts.excluded++;
    else {
      d.seen = true;
      if (snap !== undefined && !known) {
        this.hooks.seed(snap);
        this.counts.discovered++;
        this.hooks.discovered(snap);
      }
    }
    this.remember(pid, d);
    return d;
  }

  private remember(pid: number, d: Decision): void {
    if (!this.decisions.has(pid) && this.decisions.size >= MAX_DECISIONS) {
      this.decisions.delete(this.decisions.keys().next().value as number);
      this.counts.evicted++;
    }
    this.decisions.set(pid, d);
  }
}

/** Whether the selection would trace `pid` as /proc shows it now; read-only and not remembered, so decisions stay
 * made in stream order at a process's first event (and a reused pid is judged afresh). A process gone is not. */
export function selectedNow(selection: Selection, pid: number, selfPid: number): boolean {
  if (pid === selfPid) return false;
  const id = identityOne(pid);
  return id !== undefined && id.ppid !== selfPid && selects(selection, id);
}
