// Scheduler accounting on the real kernel (probe/README.md "Scheduler accounting"): a C program runs phases of known
// composition between markers, and the deltas of the marker records' ThreadTimes must tell spinning from sleeping,
// lock waits, file I/O and a run queue shared with a hog; every syscall's own split adds up to its duration; and an
// untraced busy process costs the accounting nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MarkerEvent, ProbeEvent, SyscallEvent, ThreadTimes, WaitKind } from '../src/index.js';
import { collectingProbe, compileFixture, exited } from './helpers.js';

const MS = 1e6;
const KINDS: WaitKind[] = ['file', 'net', 'lock', 'sleep', 'poll', 'pagefault', 'other'];

interface Phase {
  wall: number;
  onCpu: number;
  runqueue: number;
  blocked: Record<WaitKind, number>;
  blockedTotal: number;
  majorFaults: number;
}

/** The deltas between each ">NAME:" marker and its "<NAME:" marker, by NAME. */
function phases(events: ProbeEvent[], pid: number): Map<string, Phase> {
  const open = new Map<string, MarkerEvent>();
  const out = new Map<string, Phase>();
  for (const e of events) {
    if (e.kind !== 'marker' || e.pid !== pid) continue;
    const text = Buffer.from(e.data).toString('latin1');
    const name = text.slice(1, -1);
    if (text[0] === '>') open.set(name, e);
    const start = open.get(name);
    if (text[0] !== '<' || !start) continue;
    const a = start.times as ThreadTimes;
    const b = e.times as ThreadTimes;
    expect(a, `times at >${name}:`).not.toBeNull();
    expect(b, `times at <${name}:`).not.toBeNull();
    const blocked = Object.fromEntries(KINDS.map((k) => [k, b.blocked[k] - a.blocked[k]])) as Record<WaitKind, number>;
    out.set(name, {
      wall: e.ts - start.ts,
      onCpu: b.onCpu - a.onCpu,
      runqueue: b.runqueue - a.runqueue,
      blocked,
      blockedTotal: KINDS.reduce((s, k) => s + blocked[k], 0),
      majorFaults: b.majorFaults - a.majorFaults,
    });
  }
  return out;
}

async function runPhases(): Promise<{ events: ProbeEvent[]; pid: number; accounted: number; kernelHog: number[] }> {
  const bin = compileFixture('sched-phases');
  const dir = mkdtempSync(join(tmpdir(), 'nullspan-sched-'));
  const c = collectingProbe();
  const child = c.probe.spawn(bin, [dir], { stdio: 'ignore' });
  expect(await exited(child)).toEqual({ code: 0, signal: null });
  const accounted = c.probe.stats().sched.accounted;
  const events = await c.finish();
  const kernelHog = readFileSync(join(dir, 'hog-schedstat'), 'utf8').trim().split(' ').map(Number);
  return { events, pid: child.pid as number, accounted, kernelHog };
}

describe('scheduler accounting', () => {
  it('splits each phase between markers by what the thread did, the parts adding up to the wall time', async () => {
    const { events, pid, accounted, kernelHog } = await runPhases();
    expect(accounted).toBeGreaterThan(0);
    const p = phases(events, pid);
    expect([...p.keys()].sort()).toEqual(['fault', 'fsync', 'hog', 'lock', 'sleep', 'spin']);
    for (const [name, ph] of p) {
      const sum = ph.onCpu + ph.runqueue + ph.blockedTotal;
      expect(Math.abs(sum - ph.wall), `${name}: parts ${sum} vs wall ${ph.wall}`).toBeLessThanOrEqual(
        Math.max(0.02 * ph.wall, 0.05 * MS),
      );
    }
    const spin = p.get('spin')!; // 50 ms of the thread's own CPU time
    expect(spin.onCpu).toBeGreaterThanOrEqual(49 * MS);
    expect(spin.onCpu).toBeLessThanOrEqual(55 * MS);
    expect(spin.blockedTotal).toBeLessThan(0.05 * spin.wall);

    const sleep = p.get('sleep')!; // a 50 ms nanosleep
    expect(sleep.blocked.sleep).toBeGreaterThanOrEqual(49 * MS);
    expect(sleep.blocked.sleep).toBeLessThanOrEqual(sleep.wall);
    expect(sleep.onCpu).toBeLessThan(5 * MS);

    const lock = p.get('lock')!; // a mutex another thread holds for 30 ms once this one waits for it
    expect(lock.blocked.lock).toBeGreaterThanOrEqual(29 * MS);
    expect(lock.blocked.lock).toBeGreaterThanOrEqual(0.9 * lock.blockedTotal);
    expect(lock.blocked.sleep + lock.blocked.file).toBe(0);

    const fsync = p.get('fsync')!; // 4 MiB of fresh dirty pages to disk
    expect(fsync.blocked.file).toBeGreaterThan(0);
    expect(fsync.blocked.file).toBeGreaterThanOrEqual(0.8 * fsync.blockedTotal);

    const fault = p.get('fault')!; // touching a mapped file whose pages were dropped: major faults, no syscall
    expect(fault.majorFaults).toBeGreaterThan(0);
    expect(fault.blocked.pagefault).toBeGreaterThan(0);
    expect(fault.blocked.pagefault).toBe(fault.blockedTotal);

    // spinning on a CPU a hog spins on too: about half the time waiting for it on a quiet machine, more under load;
    // the kernel's own figures for the thread (sched_info, read around the phase) say how much exactly
    const hog = p.get('hog')!;
    expect(hog.runqueue).toBeGreaterThanOrEqual(0.25 * hog.wall);
    expect(hog.onCpu).toBeGreaterThan(0);
    expect(hog.blockedTotal).toBeLessThan(0.05 * hog.wall);
    const [on0, rq0, on1, rq1] = kernelHog;
    const slack = Math.max(0.05 * hog.wall, 2 * MS);
    expect(Math.abs(hog.onCpu - (on1 - on0))).toBeLessThanOrEqual(slack);
    expect(Math.abs(hog.runqueue - (rq1 - rq0))).toBeLessThanOrEqual(slack);
  }, 60_000);

  it('splits every syscall into on-CPU, run-queue and blocked parts adding up to its duration, with how it slept', async () => {
    const { events, pid, kernelHog } = await runPhases();
    const calls = events.filter((e): e is SyscallEvent => e.kind === 'syscall' && e.pid === pid && !e.unfinished);
    expect(calls.length).toBeGreaterThan(20);
    for (const s of calls) {
      expect(s.times, `${s.name} has times`).not.toBeNull();
      const t = s.times!;
      expect(Math.abs(t.onCpu + t.runqueue + t.blocked - s.dur), `${s.name} split vs dur ${s.dur}`).toBeLessThanOrEqual(
        1000,
      );
    }
    const sleeps = calls.filter((s) => s.name === 'clock_nanosleep' || s.name === 'nanosleep');
    const long = sleeps.find((s) => s.dur >= 50 * MS && s.tid === pid)!;
    expect(long).toBeDefined();
    expect(long.times!.blocked).toBeGreaterThanOrEqual(49 * MS);
    expect(long.times!.sleptInterruptible).toBe(true);
    expect(long.times!.sleptUninterruptible).toBe(false);
    const fsync = calls.find((s) => s.name === 'fsync')!;
    expect(fsync.times!.blocked).toBeGreaterThan(0);
    expect(fsync.times!.sleptUninterruptible).toBe(true);
    // the hog phase spins 100 ms without a syscall: the write of "<hog:" carries it as its gap, split as the kernel
    // saw it (sched_info read around the phase)
    const hogEnd = events.find(
      (e) => e.kind === 'marker' && e.pid === pid && Buffer.from(e.data).toString() === '<hog:',
    )!;
    const write = calls.find((s) => s.tid === pid && s.ts === hogEnd.ts && s.name === 'write')!;
    expect(write).toBeDefined();
    const gap = write.times!;
    expect(gap.gapOnCpu + gap.gapRunqueue + gap.gapBlocked).toBeGreaterThanOrEqual(100 * MS);
    expect(gap.gapRunqueue).toBeGreaterThanOrEqual(25 * MS);
    const [on0, rq0, on1, rq1] = kernelHog;
    const slack = Math.max(0.05 * (gap.gapOnCpu + gap.gapRunqueue), 2 * MS);
    expect(Math.abs(gap.gapOnCpu - (on1 - on0))).toBeLessThanOrEqual(slack);
    expect(Math.abs(gap.gapRunqueue - (rq1 - rq0))).toBeLessThanOrEqual(slack);
  }, 60_000);

  it('accounts nothing to untraced threads, however busy', async () => {
    const pingpong = compileFixture('pingpong');
    const c = collectingProbe();
    // traced: one idle process that never wakes while the storm runs
    const idle = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    c.probe.addPid(idle.pid as number);
    const storm = spawn(pingpong, ['20000'], { stdio: 'ignore' });
    expect(await exited(storm)).toEqual({ code: 0, signal: null });
    const untraced = c.probe.stats().sched.accounted;
    // the same storm traced: every switch and wake-up of its two processes is accounted
    const traced = c.probe.spawn(pingpong, ['20000'], { stdio: 'ignore' });
    expect(await exited(traced)).toEqual({ code: 0, signal: null });
    const withTraced = c.probe.stats().sched.accounted;
    idle.kill('SIGKILL');
    const events = await c.finish();
    expect(untraced).toBe(0);
    expect(withTraced).toBeGreaterThanOrEqual(2 * 20000);
    expect(events.some((e) => e.pid === storm.pid)).toBe(false);
  }, 60_000);
});
