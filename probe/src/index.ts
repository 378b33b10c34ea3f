// @nullspan/probe: load the BPF program, change the traced set, and stream batches of raw records to JavaScript.
import { spawn as spawnChild, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { ProbeError } from './errors.js';
import { checkEnvironment, checkPidExists, resolveOptions, type ProbeOptions } from './options.js';
import { loadNative, type NativeProbe } from './native.js';
import { lookUpCommand } from './command-lookup.js';
import { isNodeBinary } from './node-binary.js';
import { SlotAcker, type SlotAckStats } from './slotack.js';
import { describeFeatures, fallbackNotices, type ProbeFeatures } from './features.js';

/** notices kept for callers that read them later (the rest go to an onNotice listener or are dropped) */
const MAX_NOTICES = 64;
export * from './events.js';
export { ProbeError, ProbeOptionError, type ProbeErrorCode } from './errors.js';
export { decodeBatch, BatchDecodeError } from './decode.js';
export { syscallName, syscallNumber } from './syscalls.js';
export { isNodeBinary } from './node-binary.js';
export { lookUpCommand, type CommandLookup } from './command-lookup.js';
export type { ProbeOptions } from './options.js';
export { ADOPT_CGROUPS_MAX, isCgroupV2 } from './options.js';
export type { SlotAckStats } from './slotack.js';
export { FALLBACKS, FALLBACKS_ENV, fallbackNotices, type FallbackName, type ProbeFeatures } from './features.js';

/** Raw records exactly as the capture file stores them (decode with decodeBatch). */
export interface Batch {
  bytes: Uint8Array;
  count: number;
}

export interface ProbeStats {
  /** records / bytes / batches delivered to JavaScript */
  events: number;
  bytes: number;
  batches: number;
  /** events the kernel could not put in the ring buffer, by kind and (all kinds) per CPU */
  drops: { syscall: number; marker: number; process: number; perCpu: number[] };
  /** times the native thread found JavaScript holding its maximum of unconsumed batches and waited */
  queueFull: number;
  /** selected syscalls the kernel left unrecorded (ProbeOptions.skipByContext): the thread's span was unsampled, or
   * no span was active */
  skipped: { unsampled: number; outsideSpans: number };
  /** scheduler accounting (probe/README.md "Scheduler accounting"): events (switch out, switch in, wake-up) accounted
   * to traced threads — untraced threads never add to it — and times a traced thread was found running while its
   * accounting said otherwise (a missed switch-in: the stretch before it is counted as it was) */
  sched: { accounted: number; repaired: number };
  /** active-span slot registrations acknowledged in the registering process (sdk/MARKERS.md "Active span") */
  slotAcks: SlotAckStats;
  /** what the fallback paths (features) lost: threads left without state because the tid-keyed state map was full
   * (they are not traced meanwhile), marker writevs cut at 256 iovecs (LOOP_IOV in nullspan.bpf.c) */
  fallbackLosses: { threadStatesFull: number; iovecsCut: number };
}

// Probes stay reachable while open even if the caller drops its reference: the native thread calls into them.
const openProbes = new Set<Probe>();

export class Probe {
  readonly #native: NativeProbe;
  readonly #queue: Batch[] = [];
  readonly #waiters: ((r: IteratorResult<Batch>) => void)[] = [];
  #ended = false;
  #closing: Promise<void> | null = null;
  #resolveClosed!: () => void;
  readonly #closed = new Promise<void>((resolve) => (this.#resolveClosed = resolve));
  /** (pid, executable) pairs already given to attachLibuv (attached or not), so each is tried once */
  readonly #libuvTried = new Set<string>();
  readonly #libuvAuto: boolean;
  /** the live side of the active-span handshake: tells each registering SDK that this probe reads its slot */
  readonly #slotAcker: SlotAcker;
  /** one sentence per thing that works less well than it could (a kernel feature done without, no libuv uprobes
   * for a binary, a missing capability, ...); appended while tracing too, never removed */
  readonly notices: string[] = [];
  #noticeListener?: (text: string) => void;
  /** the kernel features the loaded program does without (fallbacks), each also a notice */
  readonly features: ProbeFeatures;

  private constructor(opts: ProbeOptions) {
    checkEnvironment();
    const native = resolveOptions(opts);
    this.#slotAcker = new SlotAcker(process.pid, opts.acknowledge, (pid) =>
      this.#notice(
        `process ${pid} registered an active-span slot this process may not write (it lacks CAP_SYS_PTRACE over it): ` +
          'its SDK keeps markers and context off, so its spans are missing; run nullspan as root or with CAP_SYS_PTRACE.',
      ),
    );
    const Native = loadNative();
    try {
      this.#native = new Native(
        native,
        (buf: ArrayBuffer, count: number, control: Uint32Array | undefined) =>
          this.#onBatch({ bytes: new Uint8Array(buf), count }, control),
        () => this.#onEnd(),
      );
    } catch (e) {
      throw new ProbeError((e as Error).message, 'LOAD_FAILED');
    }
    openProbes.add(this);
    const { inUse, missing } = this.#native.fallbacks();
    this.features = describeFeatures(inUse, missing);
    this.notices.push(...fallbackNotices(this.features));
    // without uprobes the fallback notice says it once, rather than once per node process
    this.#libuvAuto = opts.libuv !== false && !this.features.fallbacks.some((f) => f.name === 'uprobes');
    // processes traced from the start (`attach --pid`) get their libuv uprobes as an addPid'd one does
    for (const pid of native.pids) this.#attachLibuvIfNode(pid);
  }

  /**
   * Puts the libuv work-queue uprobes of a node binary on one process (pid-filtered: other processes running that
   * binary never hit them; they stay across the process's exec). Once per (pid, binary). Returns null when they are
   * attached, else the one-sentence reason, also kept in `notices`: tracing goes on, that process's worker-thread
   * syscalls are then unattributed.
   */
  attachLibuv(binary: string, pid: number): string | null {
    const key = `${pid}:${binary}`;
    if (this.#libuvTried.has(key)) return null;
    if (this.#libuvTried.size >= 4096) this.#libuvTried.clear(); // the kernel side has its own bound
    this.#libuvTried.add(key);
    let why: string | null;
    try {
      why = this.#native.attachLibuv(binary, pid);
    } catch (e) {
      why = (e as Error).message;
    }
    // the caller says it too; kept here (bounded: an agent tries processes for weeks) for callers that only look here
    if (why !== null && this.notices.length < MAX_NOTICES)
      this.notices.push(`libuv worker attribution is off for ${binary} (process ${pid}): ${why}`);
    return why;
  }

  /** Notices from now on go to `listener` as they happen (a live session prints them) instead of `notices`. */
  onNotice(listener: (text: string) => void): void {
    this.#noticeListener = listener;
  }

  #notice(text: string): void {
    if (this.#noticeListener !== undefined) this.#noticeListener(text);
    else if (this.notices.length < MAX_NOTICES) this.notices.push(text);
  }

  /** Loads and attaches the probe. Throws ProbeError (a sentence) when that is impossible. */
  static open(opts: ProbeOptions = {}): Probe {
    return new Probe(opts);
  }

  /**
   * Spawns `command` already traced: a shell waits on an extra pipe until the probe has added it to the traced
   * set, then execs the command (so the trace starts with that exec and a couple of the shell's syscalls).
   */
  spawn(
    command: string,
    args: string[],
    opts: {
      env?: NodeJS.ProcessEnv;
      cwd?: string;
      stdio?: StdioOptions;
      /** runs after the child is traced and before it may go on: the place to snapshot its /proc state without
       * racing the command (a throw kills the child and propagates) */
      beforeRelease?: (pid: number) => void;
    } = {},
  ): ChildProcess {
    const stdio = normalizeStdio(opts.stdio);
    const gate = stdio.length;
    stdio.push('pipe');
    const script = `read -r _ <&${gate}; exec ${gate}<&-; exec "$0" "$@"`;
    const child = spawnChild('/bin/sh', ['-c', script, command, ...args], { env: opts.env, cwd: opts.cwd, stdio });
    const release = child.stdio[gate] as NodeJS.WritableStream | null;
    if (child.pid === undefined) {
      release?.end();
      return child; // the spawn failed; ChildProcess emits 'error' as usual
    }
    try {
      this.addPid(child.pid);
      if (this.#libuvAuto) {
        // the shell execs the command once released; the pid-filtered uprobes are in place before it runs
        const exe = lookUpCommand(command, opts.cwd, opts.env);
        if ('path' in exe && isNodeBinary(exe.path)) this.attachLibuv(exe.path, child.pid);
      }
      opts.beforeRelease?.(child.pid);
    } catch (err) {
      child.kill('SIGKILL');
      release?.end();
      throw err;
    }
    release?.end('\n');
    return child;
  }

  /** Traces a running process (and, with followChildren, the children it creates from now on). */
  addPid(pid: number): void {
    checkPidExists(pid);
    this.#call(() => this.#native.addPid(pid));
    this.#attachLibuvIfNode(pid);
  }

  /** A running node process gets its libuv uprobes (worker-thread attribution) unless they are off. */
  #attachLibuvIfNode(pid: number): void {
    if (!this.#libuvAuto) return;
    let exe: string | undefined;
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      exe = undefined; // gone already, or a kernel thread
    }
    if (exe !== undefined && isNodeBinary(exe)) this.attachLibuv(exe, pid);
  }

  removePid(pid: number): void {
    this.#call(() => this.#native.removePid(pid));
  }

  /** Untraces `pid` and keeps `markers: 'all'` from adopting it again until it exits (the agent's selection). */
  excludePid(pid: number): void {
    this.#call(() => this.#native.excludePid(pid));
  }

  /** Batches in ring order. One shared stream: several iterators split it between them. Ends after close(). */
  batches(): AsyncIterable<Batch> {
    return { [Symbol.asyncIterator]: () => ({ next: () => this.#next() }) };
  }

  stats(): ProbeStats {
    return { ...(this.#native.stats() as Omit<ProbeStats, 'slotAcks'>), slotAcks: this.#slotAcker.stats() };
  }

  /** Detaches and unloads everything; resolves once the last batch (unfinished syscalls, late drops) is queued. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#native.stop();
      this.#closing = this.#closed;
    }
    return this.#closing;
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw new ProbeError((e as Error).message);
    }
  }

  #onBatch(batch: Batch, control: Uint32Array | undefined): void {
    // acknowledged on arrival, whether or not (or how fast) the consumer reads the batch
    if (control !== undefined) this.#slotAcker.onBatch(batch.bytes, control);
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#native.ack();
      waiter({ value: batch, done: false });
    } else {
      this.#queue.push(batch);
    }
  }

  #onEnd(): void {
    this.#ended = true;
    this.#slotAcker.close();
    openProbes.delete(this);
    this.#resolveClosed();
    // waiters exist only while the queue is empty
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  #next(): Promise<IteratorResult<Batch>> {
    const batch = this.#queue.shift();
    if (batch) {
      this.#native.ack();
      return Promise.resolve({ value: batch, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** One entry per standard stream, as spawn takes them. */
type StdioEntry = Exclude<StdioOptions, string>[number];

function normalizeStdio(stdio: StdioOptions | undefined): StdioEntry[] {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  const out: StdioEntry[] = [...stdio];
  while (out.length < 3) out.push('pipe');
  return out;
}
