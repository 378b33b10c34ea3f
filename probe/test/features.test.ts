// The names, bits and notices of the kernel features the probe can do without (src/features.ts): each notice names
// the feature and the kernel version that brought it, and the bits are the native side's enum ns_fallback.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProbeError } from '../src/errors.js';
import { describeFeatures, FALLBACKS, fallbackNotices, forcedFallbacks } from '../src/features.js';

const bit = (name: string) => FALLBACKS.find((f) => f.name === name)!.bit;

describe('fallback notices', () => {
  it('name the missing feature, the kernel version that has it, and what the fallback costs', () => {
    const all = FALLBACKS.reduce((b, f) => b | f.bit, 0);
    expect(fallbackNotices(describeFeatures(all, all, '6.1.0-13-amd64'))).toEqual([
      'this kernel (6.1.0-13-amd64) has no bpf_rdonly_cast (Linux 6.2): fd types are read with a chain of bpf_probe_read_kernel calls, ~10–50 ns more per write.',
      'this kernel (6.1.0-13-amd64) has no task-local storage (Linux 5.11): per-thread state lives in a hash map keyed by thread id (at most 65536 threads at a time), ~25–70 ns more per traced system call and ~30 ns per untraced one.',
      'this kernel (6.1.0-13-amd64) has no bpf_loop (Linux 5.17): a marker written with writev is read from its first 256 iovecs only (cuts are counted).',
      'this kernel (6.1.0-13-amd64) has no uprobe events (CONFIG_UPROBE_EVENTS): system calls on libuv worker threads are not attributed to the span that submitted their work.',
      "this kernel (6.1.0-13-amd64) has no prev_state in sched_switch (Linux 5.18): the scheduler accounting reads a switching-out thread's state from the task, where a wake-up racing the switch can make a wait count as run-queue time.",
    ]);
  });

  it('say when a fallback was asked for rather than missing, and say nothing when none is in use', () => {
    const f = describeFeatures(bit('bpf_loop') | bit('rdonly_cast'), bit('rdonly_cast'), '6.1.0');
    expect(f.fallbacks).toEqual([
      { name: 'rdonly_cast', forced: false },
      { name: 'bpf_loop', forced: true },
    ]);
    const notices = fallbackNotices(f);
    expect(notices[0]).toMatch(/^this kernel \(6\.1\.0\) has no bpf_rdonly_cast \(Linux 6\.2\): /);
    expect(notices[1]).toMatch(/^doing without bpf_loop \(Linux 5\.17\) on request \(NULLSPAN_BPF_FALLBACKS/);
    expect(fallbackNotices(describeFeatures(0, 0, '6.18.0'))).toEqual([]);
  });
});

describe('forcedFallbacks', () => {
  it('takes names or all, from the option first and else from NULLSPAN_BPF_FALLBACKS', () => {
    expect(forcedFallbacks(undefined, undefined)).toBe(0);
    expect(forcedFallbacks(undefined, '')).toBe(0);
    expect(forcedFallbacks(undefined, 'bpf_loop, task_storage')).toBe(bit('bpf_loop') | bit('task_storage'));
    expect(forcedFallbacks(undefined, 'all')).toBe(0b11111);
    expect(forcedFallbacks('all', undefined)).toBe(0b11111);
    expect(forcedFallbacks(['uprobes'], 'all')).toBe(bit('uprobes'));
    expect(forcedFallbacks([], 'all')).toBe(0);
  });

  it('refuses an unknown name in one sentence naming where it came from', () => {
    expect(() => forcedFallbacks(undefined, 'rdonly_cast,loops')).toThrow(
      new ProbeError(
        'The fallback "loops" (NULLSPAN_BPF_FALLBACKS) is not one of rdonly_cast, task_storage, bpf_loop, uprobes, switch_state or all.',
      ),
    );
    expect(() => forcedFallbacks(['nope'], undefined)).toThrow(/^The fallback "nope" \(ProbeOptions\.fallbacks\)/);
  });

  it('uses the bits of enum ns_fallback in probe/native/core.h', () => {
    const header = readFileSync(new URL('../native/core.h', import.meta.url), 'utf8');
    const native = [...header.matchAll(/^\s*NS_FALLBACK_(\w+) = 1 << (\d+),/gm)].map((m) => [
      m[1].toLowerCase(),
      1 << Number(m[2]),
    ]);
    expect(native).toEqual(FALLBACKS.map((f) => [f.name, f.bit]));
  });
});
