// The agent's admission of events: a new process's identity read from /proc (a real process here) and seeded
// before its first event, refused processes dropped and excluded in the kernel, decisions inherited at fork, re-made at exec,
// forgotten at exit, and a pid reused inside one batch seeded only after its previous owner's exit went through.

import { spawn, type ChildProcess } from 'node:child_process';
import type { ProbeEvent } from '@nullspan/probe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admission } from '../src/cli/admission.js';
import { EVERY_PROCESS, type Selection } from '../src/cli/selection.js';

const NONE = EVERY_PROCESS;
/** far above any pid_max: never a live process */
const GONE = 99_999_999;

let sleeper: ChildProcess;
beforeAll(() => {
  sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
});
afterAll(() => {
  sleeper.kill('SIGKILL');
});

function ev(kind: string, pid: number, extra: Record<string, unknown> = {}): ProbeEvent {
  return { kind, pid, tid: pid, ts: 0, cpu: 0, ...extra } as unknown as ProbeEvent;
}

/** An Admission whose hooks record what they were asked, in order with the pushes. */
function harness(selection: Selection = NONE, known: number[] = [], self = GONE - 2, kernelEnforcesIncludes = false) {
  const log: string[] = [];
  const pushed: ProbeEvent[] = [];
  const admission = new Admission(
    selection,
    {
      knows: (pid) => known.includes(pid),
      seed: (s) => log.push(`seed ${s.pid} ${s.exe}`),
      exclude: (pid) => log.push(`exclude ${pid}`),
      discovered: (s) => log.push(`discovered ${s.pid}`),
    },
    self,
    kernelEnforcesIncludes,
  );
  const admit = (events: ProbeEvent[]) =>
    admission.admit(events, (evs) => {
      log.push(`push ${evs.map((e) => `${e.kind}:${e.pid}`).join(',')}`);
      pushed.push(...evs);
    });
  return { admission, admit, log, pushed };
}

describe('Admission', () => {
  it('reads a new process from /proc and seeds it before its first event', () => {
    const h = harness();
    const pid = sleeper.pid!;
    h.admit([ev('marker', pid), ev('syscall', pid)]);
    expect(h.log).toEqual([`seed ${pid} sleep`, `discovered ${pid}`, `push marker:${pid},syscall:${pid}`]);
    expect(h.admission.counts.discovered).toBe(1);
    expect(h.admission.size).toBe(1);
  });

  it('drops the events of a refused process and excludes it in the kernel once, keeping the rest in order', () => {
    const h = harness({ ...NONE, excludeExe: ['sleep'] });
    const pid = sleeper.pid!;
    h.admit([ev('drops', 0), ev('marker', pid), ev('syscall', pid), ev('drops', 1)]);
    h.admit([ev('syscall', pid)]); // still in the ring when it was excluded
    expect(h.log).toEqual(['push drops:0', `exclude ${pid}`, 'push drops:1']);
    expect(h.pushed.map((e) => e.kind)).toEqual(['drops', 'drops']);
    expect(h.admission.counts.excluded).toBe(1);
  });

  it('never traces nullspan itself, nor what it started', () => {
    const h = harness(NONE, [], process.pid);
    h.admit([ev('marker', process.pid), ev('marker', sleeper.pid!)]);
    expect(h.log).toEqual([`exclude ${process.pid}`, `exclude ${sleeper.pid!}`]);
  });

  it('traces a process gone from /proc without identity, unless includes apply', () => {
    const open = harness();
    open.admit([ev('marker', GONE)]);
    expect(open.pushed).toHaveLength(1);
    expect(open.admission.counts.unidentified).toBe(1);
    const strict = harness({ ...NONE, includeExe: ['node'] });
    strict.admit([ev('marker', GONE)]);
    expect(strict.pushed).toHaveLength(0);
  });

  it('traces a process gone from /proc when the kernel enforced its cgroup includes at adoption', () => {
    const h = harness({ ...NONE, includeCgroup: ['/some.slice'] }, [], GONE - 2, true);
    h.admit([ev('marker', GONE)]);
    expect(h.pushed).toHaveLength(1);
    expect(h.admission.counts).toMatchObject({ unidentified: 1, excluded: 0 });
  });

  it('leaves the cgroup includes to the kernel that enforced them: a process whose /proc cgroup reads elsewhere is traced', () => {
    // the sleeper's cgroup is not /some.slice: as it would read once its process has exited
    const pid = sleeper.pid!;
    const h = harness({ ...NONE, includeCgroup: ['/some.slice'] }, [], GONE - 2, true);
    h.admit([ev('marker', pid)]);
    expect(h.pushed).toHaveLength(1);
    expect(h.admission.counts).toMatchObject({ discovered: 1, excluded: 0 });
    const excluded = harness({ ...NONE, includeCgroup: ['/some.slice'], excludeExe: ['sleep'] }, [], GONE - 2, true);
    excluded.admit([ev('marker', pid)]);
    expect(excluded.admission.counts).toMatchObject({ excluded: 1 });
  });

  it('answers whether a slot may be acknowledged from /proc without remembering, then from its decision', () => {
    const pid = sleeper.pid!;
    const refused = harness({ ...NONE, excludeExe: ['sleep'] });
    expect(refused.admission.acknowledges(pid)).toBe(false);
    const open = harness();
    expect(open.admission.acknowledges(pid)).toBe(true);
    expect(open.admission.acknowledges(GONE)).toBe(false);
    expect([refused.admission.size, open.admission.size]).toEqual([0, 0]);
    // a decision made in stream order wins over what /proc says now
    const h = harness({ ...NONE, excludeExe: ['sleep'] });
    h.admit([ev('marker', pid)]);
    expect(h.admission.acknowledges(pid)).toBe(false);
    const self = harness(NONE, [], process.pid);
    expect(self.admission.acknowledges(process.pid)).toBe(false);
    expect(self.admission.acknowledges(pid)).toBe(false); // started by "nullspan" (this process)
  });

  it('passes decisions to children, re-makes them at exec and forgets them at exit', () => {
    const h = harness({ ...NONE, excludeExe: ['cat'] });
    const pid = sleeper.pid!;
    const child = GONE - 1;
    h.admit([
      ev('marker', pid),
      ev('fork', pid, { childPid: child, childTid: child, isThread: false }),
      ev('syscall', child),
      ev('exec', child, { filename: '/usr/bin/cat', argv: ['cat'] }),
      ev('syscall', child),
      ev('exit', child, { groupDead: true }),
    ]);
    // the child's events up to and including its exec go through; after it only its exit (the correlator knew it)
    expect(h.pushed.map((e) => `${e.kind}:${e.pid}`)).toEqual([
      `marker:${pid}`,
      `fork:${pid}`,
      `syscall:${child}`,
      `exec:${child}`,
      `exit:${child}`,
    ]);
    expect(h.admission.size).toBe(1);
  });

  it('lets the exit of a pid through before seeding its next owner in the same batch', () => {
    const pid = sleeper.pid!;
    const h = harness(NONE, []);
    h.admit([ev('marker', pid)]);
    h.log.length = 0;
    h.admit([ev('syscall', pid), ev('exit', pid, { groupDead: true }), ev('marker', pid)]);
    expect(h.log).toEqual([
      `push syscall:${pid},exit:${pid}`,
      `seed ${pid} sleep`,
      `discovered ${pid}`,
      `push marker:${pid}`,
    ]);
  });

  it('does not seed a process the correlator already knows', () => {
    const pid = sleeper.pid!;
    const h = harness(NONE, [pid]);
    h.admit([ev('marker', pid)]);
    expect(h.log).toEqual([`push marker:${pid}`]);
  });
});
