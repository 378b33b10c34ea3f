// ProbeOptions: validation (every problem is one sentence) and translation into what the native side loads.
import { type BigIntStats, existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ProbeError, ProbeOptionError } from './errors.js';
import { type FallbackName, forcedFallbacks } from './features.js';
import { CONSTANTS } from './layout.generated.js';
import { syscallNumber } from './syscalls.js';
import { SYSCALL_NAMES } from './syscalls.generated.js';

export interface ProbeOptions {
  /** trace these (and, with followChildren, their descendants) */
  pids?: number[];
  /** default true */
  followChildren?: boolean;
  /** cgroup v2 path (absolute under the cgroup2 mount, or relative to it); trace every process in it and below */
  cgroup?: string;
  /** marker payload / string capture limit, default SNAP_LEN_DEFAULT (4096), at most SNAP_LEN_MAX */
  snapLen?: number;
  /** bytes, power of two from RING_SIZE_MIN to RING_SIZE_MAX, default RING_SIZE_DEFAULT (16 MiB) */
  ringSize?: number;
  /** default 'all' */
  syscalls?: string[] | 'all';
  /** 'all' = auto-discovery: any process writing a marker becomes traced; default 'traced' */
  markers?: 'traced' | 'all';
  /**
   * Put uprobes on the libuv work queue of traced node processes (pid-filtered), so syscalls on their libuv worker
   * threads carry the span that submitted the work (sdk/MARKERS.md "Active span"): done by `spawn` of a node* command
   * and `addPid` of a node* process; `attachLibuv(binary, pid)` for others. Default true.
   */
  libuv?: boolean;
  /**
   * Leave unrecorded, in the kernel, the syscalls no output will use (sdk/MARKERS.md "Active span"): those of a thread
   * whose active span is unsampled and, unless `keepOutsideSpans`, of a thread with no span active. Always recorded:
   * `stateSyscalls` (the calls that change the fd table or process state the consumer keeps) and, between callbacks,
   * calls in `fdArgSyscalls` (their first argument is an fd) on a socket or file, which a consumer may give to the
   * span using that fd. Threads that publish no slot, or "unknown", keep every call. Counted in stats().skipped.
   * Default: nothing is skipped.
   */
  skipByContext?: { stateSyscalls: string[]; fdArgSyscalls: string[]; keepOutsideSpans?: boolean };
  /**
   * A write that carried a marker also gets a syscall record, at the marker's entry time (default true). A consumer
   * that knows markers has no use for it: most of a traced SDK's writes are markers.
   */
  recordMarkerWrites?: boolean;
  /**
   * Use these fallbacks (probe/src/features.ts) even where the kernel has the feature: for testing the paths older
   * kernels take. Default: the NULLSPAN_BPF_FALLBACKS environment variable (comma-separated names or `all`), else none.
   */
  fallbacks?: FallbackName[] | 'all';
  /**
   * Asked before an active-span slot registration of `pid` is acknowledged: a "no" leaves that process's SDK with
   * its hook and markers off (a process the consumer does not trace must not pay for them). The SDK re-registers
   * about once a second, so a "no" is asked again. Must not throw. Default: every registration is acknowledged.
   */
  acknowledge?: (pid: number) => boolean;
  /**
   * With `markers: 'all'`: adopt only writers inside one of these cgroup v2 paths (or below), checked in the kernel
   * at the marker, so a process outside them is never traced, however short its life. At most
   * ADOPT_CGROUPS_MAX. Default: anywhere.
   */
  adoptCgroups?: string[];
}

/** What the addon's constructor takes. */
export interface NativeOptions {
  pids: number[];
  followChildren: boolean;
  markersAll: boolean;
  snapLen: number;
  ringSize: number;
  wakeupEvery: number;
  syscalls: number[];
  cgroupId: number;
  cgroupLevel: number;
  cgroupDir: string;
  adoptCgroups: { id: number; level: number }[];
  skipUnsampled: boolean;
  skipOutside: boolean;
  stateSyscalls: number[];
  fdArgSyscalls: number[];
  recordMarkerWrites: boolean;
  /** enum ns_fallback bits to use even where the kernel has the feature */
  forceFallbacks: number;
}

/** The defaults and limits of snapLen and ringSize: the CLI's options table shows and checks the same values. */
export const SNAP_LEN_DEFAULT = 4096;
export const SNAP_LEN_MAX: number = CONSTANTS.NS_SNAP_MAX;
export const RING_SIZE_DEFAULT = 16 << 20;
export const RING_SIZE_MIN = 4096;
export const RING_SIZE_MAX = 1 << 30;
export const ADOPT_CGROUPS_MAX: number = CONSTANTS.NS_ADOPT_CGROUPS_MAX;

// the floor: BPF ring buffer (5.8), BTF-typed tracepoints (5.5); newer features have fallbacks (features.ts)
const MIN_KERNEL: [number, number] = [5, 8];

/** What checkEnvironment looks at; each defaults to this machine's (tests pass others). */
export interface EnvironmentFacts {
  platform?: NodeJS.Platform;
  /** `uname -r` */
  kernelRelease?: string;
  /** the kernel's BTF, needed for tp_btf programs and CO-RE */
  btfPath?: string;
  /** whether this process may load BPF programs */
  privileged?: boolean;
}

export function checkEnvironment(facts: EnvironmentFacts = {}): void {
  const platform = facts.platform ?? process.platform;
  if (platform !== 'linux') throw new ProbeError('The nullspan probe only runs on Linux.');
  const kernel = facts.kernelRelease ?? release();
  const [major, minor] = kernel.split(/[.-]/).map(Number);
  if (major < MIN_KERNEL[0] || (major === MIN_KERNEL[0] && minor < MIN_KERNEL[1]))
    throw new ProbeError(
      `Linux ${MIN_KERNEL.join('.')} or newer is needed (this kernel is ${kernel}): the probe relies on the BPF ring buffer (5.8) and BTF tracepoints (5.5).`,
    );
  const btfPath = facts.btfPath ?? '/sys/kernel/btf/vmlinux';
  if (!existsSync(btfPath))
    throw new ProbeError(
      `This kernel exposes no BTF (${btfPath} is missing); nullspan needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.`,
    );
  const privileged = facts.privileged ?? (process.geteuid?.() === 0 || hasBpfCapabilities());
  if (!privileged)
    throw new ProbeError('The probe needs root (or the CAP_BPF and CAP_PERFMON capabilities); run it with sudo.');
}

function hasBpfCapabilities(): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) return false;
  const caps = BigInt(`0x${m[1]}`);
  const has = (bit: number) => (caps >> BigInt(bit)) & 1n;
  return Boolean(has(21)) || Boolean(has(38) && has(39)); // CAP_SYS_ADMIN, or CAP_PERFMON + CAP_BPF
}

export function checkPidExists(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new ProbeError(`The value ${String(pid)} is not a process id.`);
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new ProbeError(`Process ${pid} does not exist.`);
  }
}

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems). */
function cgroup2Root(): string {
  const line = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[2] === 'cgroup2');
  if (!line) throw new ProbeError('No cgroup v2 hierarchy is mounted, so the cgroup option cannot be used.');
  return line.split(' ')[1];
}

/** Whether `path` names a cgroup v2 directory that exists now (what `cgroup` and `adoptCgroups` accept). */
export function isCgroupV2(path: string): boolean {
  try {
    resolveCgroup(path);
    return true;
  } catch {
    return false;
  }
}

function resolveCgroup(path: string): { id: number; level: number; dir: string } {
  const root = cgroup2Root();
  const dir = isAbsolute(path) && (path === root || path.startsWith(`${root}/`)) ? path : join(root, path);
  let st: BigIntStats;
  try {
    st = statSync(dir, { bigint: true });
  } catch {
    throw new ProbeError(`The cgroup ${path} does not exist (looked for ${dir}).`);
  }
  if (!st.isDirectory() || !existsSync(join(dir, 'cgroup.procs')))
    throw new ProbeError(`The path ${dir} is not a cgroup v2 directory.`);
  const rel = relative(root, resolve(dir));
  return { id: Number(st.ino), level: rel === '' ? 0 : rel.split('/').length, dir };
}

export function resolveOptions(o: ProbeOptions): NativeOptions {
  const snapLen = o.snapLen ?? SNAP_LEN_DEFAULT;
  if (!Number.isInteger(snapLen) || snapLen < 1 || snapLen > SNAP_LEN_MAX)
    throw new ProbeOptionError('snapLen', `must be an integer from 1 to ${SNAP_LEN_MAX}, not ${snapLen}`);
  const ringSize = o.ringSize ?? RING_SIZE_DEFAULT;
  if (
    !Number.isInteger(ringSize) ||
    ringSize < RING_SIZE_MIN ||
    ringSize > RING_SIZE_MAX ||
    (ringSize & (ringSize - 1)) !== 0
  )
    throw new ProbeOptionError(
      'ringSize',
      `must be a power of two from ${RING_SIZE_MIN} to ${RING_SIZE_MAX} bytes, not ${ringSize}`,
    );
  const markers = o.markers ?? 'traced';
  if (markers !== 'traced' && markers !== 'all')
    throw new ProbeOptionError('markers', `must be 'traced' or 'all', not ${String(markers)}`);
  const syscalls =
    o.syscalls === undefined || o.syscalls === 'all'
      ? SYSCALL_NAMES.flatMap((n, nr) => (n === undefined ? [] : [nr]))
      : syscallNumbers('syscalls', o.syscalls);
  const skip = o.skipByContext;
  const pids = o.pids ?? [];
  pids.forEach(checkPidExists);
  const cg = o.cgroup ? resolveCgroup(o.cgroup) : { id: 0, level: 0, dir: '' };
  const adopt = o.adoptCgroups ?? [];
  if (adopt.length > ADOPT_CGROUPS_MAX)
    throw new ProbeOptionError('adoptCgroups', `may list at most ${ADOPT_CGROUPS_MAX} cgroups, not ${adopt.length}`);
  return {
    pids,
    followChildren: o.followChildren ?? true,
    markersAll: markers === 'all',
    snapLen,
    ringSize,
    // wake the consumer about four times per ring fill (records are ~112 bytes); its 10 ms poll covers light traffic
    wakeupEvery: Math.max(1, Math.min(Math.floor(ringSize / 4 / 128), 8192)),
    syscalls,
    cgroupId: cg.id,
    cgroupLevel: cg.level,
    cgroupDir: cg.dir,
    adoptCgroups: adopt.map((path) => {
      const { id, level } = resolveCgroup(path);
      return { id, level };
    }),
    skipUnsampled: skip !== undefined,
    skipOutside: skip !== undefined && skip.keepOutsideSpans !== true,
    stateSyscalls: skip ? syscallNumbers('skipByContext', skip.stateSyscalls) : [],
    fdArgSyscalls: skip ? syscallNumbers('skipByContext', skip.fdArgSyscalls) : [],
    recordMarkerWrites: o.recordMarkerWrites ?? true,
    forceFallbacks: forcedFallbacks(o.fallbacks),
  };
}

function syscallNumbers(option: 'syscalls' | 'skipByContext', names: string[]): number[] {
  return names.map((name) => {
    const nr = syscallNumber(name);
    if (nr === undefined) throw new ProbeOptionError(option, `names ${name}, which is not an x86_64 system call`);
    return nr;
  });
}
