// Kernel features above the probe's floor (Linux 5.8 with BTF) that it can do without: their names, the kernel
// version that brought each, what the fallback costs, and the one-line notices saying so.
import { release } from 'node:os';
import { ProbeError } from './errors.js';

/** The fallbacks' names, as NULLSPAN_BPF_FALLBACKS and ProbeOptions.fallbacks take them. */
export type FallbackName = 'rdonly_cast' | 'task_storage' | 'bpf_loop' | 'uprobes' | 'switch_state';

interface Fallback {
  name: FallbackName;
  /** the enum ns_fallback bit (probe/native/core.h) */
  bit: number;
  /** what the kernel lacks, and since when a kernel has it */
  feature: string;
  since: string;
  /** what works differently without it, and what that costs (probe/README.md "Older kernels" has the figures) */
  effect: string;
}

export const FALLBACKS: readonly Fallback[] = [
  {
    name: 'rdonly_cast',
    bit: 1 << 0,
    feature: 'bpf_rdonly_cast',
    since: 'Linux 6.2',
    effect: 'fd types are read with a chain of bpf_probe_read_kernel calls, ~10–50 ns more per write',
  },
  {
    name: 'task_storage',
    bit: 1 << 1,
    feature: 'task-local storage',
    since: 'Linux 5.11',
    effect:
      'per-thread state lives in a hash map keyed by thread id (at most 65536 threads at a time), ~25–70 ns more per traced system call and ~30 ns per untraced one',
  },
  {
    name: 'bpf_loop',
    bit: 1 << 2,
    feature: 'bpf_loop',
    since: 'Linux 5.17',
    effect: 'a marker written with writev is read from its first 256 iovecs only (cuts are counted)',
  },
  {
    name: 'uprobes',
    bit: 1 << 3,
    feature: 'uprobe events',
    since: 'CONFIG_UPROBE_EVENTS',
    effect: 'system calls on libuv worker threads are not attributed to the span that submitted their work',
  },
  {
    name: 'switch_state',
    bit: 1 << 4,
    feature: 'prev_state in sched_switch',
    since: 'Linux 5.18',
    effect:
      "the scheduler accounting reads a switching-out thread's state from the task, where a wake-up racing the switch can make a wait count as run-queue time",
  },
];

export const FALLBACKS_ENV = 'NULLSPAN_BPF_FALLBACKS';

/**
 * The enum ns_fallback bits of fallbacks to use even where the kernel has the feature (for testing the fallback
 * paths on a new kernel): `names` ('all', or a list) or else the comma-separated NULLSPAN_BPF_FALLBACKS.
 */
export function forcedFallbacks(
  names: readonly string[] | 'all' | undefined,
  env = process.env[FALLBACKS_ENV],
): number {
  const list = names ?? (env === undefined || env.trim() === '' ? [] : env.split(',').map((n) => n.trim()));
  if (list === 'all' || list.includes('all')) return FALLBACKS.reduce((bits, f) => bits | f.bit, 0);
  let bits = 0;
  for (const name of list) {
    const f = FALLBACKS.find((x) => x.name === name);
    if (!f)
      throw new ProbeError(
        `The fallback ${JSON.stringify(name)} (${names === undefined ? FALLBACKS_ENV : 'ProbeOptions.fallbacks'}) is not one of ${FALLBACKS.map((x) => x.name).join(', ')} or all.`,
      );
    bits |= f.bit;
  }
  return bits;
}

/** What the loaded probe runs without: each fallback in use, and whether it was forced rather than missing. */
export interface ProbeFeatures {
  kernel: string;
  fallbacks: { name: FallbackName; forced: boolean }[];
}

/** `inUse`: the fallbacks the loaded program runs with; `missing`: those the kernel lacks (the rest were forced). */
export function describeFeatures(inUse: number, missing: number, kernel: string = release()): ProbeFeatures {
  return {
    kernel,
    fallbacks: FALLBACKS.filter((f) => inUse & f.bit).map((f) => ({ name: f.name, forced: (missing & f.bit) === 0 })),
  };
}

/** One notice per fallback in use, naming the feature, the kernel version that has it, and the cost. */
export function fallbackNotices(features: ProbeFeatures): string[] {
  return features.fallbacks.map(({ name, forced }) => {
    const f = FALLBACKS.find((x) => x.name === name) as Fallback;
    const why = forced
      ? `doing without ${f.feature} (${f.since}) on request (${FALLBACKS_ENV} or ProbeOptions.fallbacks)`
      : `this kernel (${features.kernel}) has no ${f.feature} (${f.since})`;
    return `${why}: ${f.effect}.`;
  });
}
