// A retained span's system calls packed into two plain arrays: one of numbers (V8 stores a number-only array's
// elements unboxed, 8 bytes each) and one of string references. One object per call with its own boxed
// timestamps and times object costs ~250 bytes on heap; packed, a call costs 8 bytes per slot it uses
// (80 + 32 bytes without sockets or times). Calls are decoded to SyscallRecord objects only when read.
//
// Slots are per span: the socket and times columns exist only in spans where some call has them.

import type { Attribution, SleepKind, SyscallRecord, SyscallTimes } from '../model.js';

const ATTRIBUTIONS: readonly Attribution[] = ['thread', 'context', 'submitter', 'fd', 'unattributed'];
const TRANSPORTS: readonly (SyscallRecord['transport'] | undefined)[] = [undefined, 'tcp', 'udp', 'unix', 'pipe'];
const SLEEPS: readonly SleepKind[] = ['none', 'interruptible', 'uninterruptible', 'both'];

// flags: attribution (3 bits) | transport (3 bits) | sleep (2 bits) | times present | unfinished set | unfinished
const TRANSPORT_SHIFT = 3;
const SLEEP_SHIFT = 6;
const HAS_TIMES = 1 << 8;
const HAS_UNFINISHED = 1 << 9;
const UNFINISHED = 1 << 10;

// number slots of a call
const TS = 0;
const DUR = 1;
const END = 2;
const RET = 3;
const COUNT = 4;
const FD = 5;
const BYTES = 6;
const TID = 7;
const PID = 8;
const FLAGS = 9;
const CORE_NUMBERS = 10;
// then, with sockets: peerPort, localPort; then, with times: onCpu, runqueue, blocked

// string slots of a call
const NAME = 0;
const ERRNO = 1;
const TARGET = 2;
const PATH = 3;
const CORE_STRINGS = 4;
// then, with sockets: peerAddress, localAddress

/** Absent optional numbers are NaN: an undefined element would make V8 box every number of the array. */
function orNaN(value: number | undefined): number {
  return value === undefined ? Number.NaN : value;
}

function orUndefined(value: number): number | undefined {
  return Number.isNaN(value) ? undefined : value;
}

function enumIndex<T>(values: readonly T[], value: T, what: string): number {
  const at = values.indexOf(value);
  if (at < 0) throw new RangeError(`unknown ${what}: ${String(value)}`);
  return at;
}

function hasSocket(c: SyscallRecord): boolean {
  return (
    c.peerAddress !== undefined || c.localAddress !== undefined || c.peerPort !== undefined || c.localPort !== undefined
  );
}

function flagsOf(c: SyscallRecord): number {
  return (
    enumIndex(ATTRIBUTIONS, c.attribution, 'attribution') |
    (enumIndex(TRANSPORTS, c.transport, 'transport') << TRANSPORT_SHIFT) |
    (c.times ? (enumIndex(SLEEPS, c.times.sleep, 'sleep kind') << SLEEP_SHIFT) | HAS_TIMES : 0) |
    (c.unfinished !== undefined ? HAS_UNFINISHED | (c.unfinished ? UNFINISHED : 0) : 0)
  );
}

/** Fixed-shape decoded call: every reader sees the same object shape. */
class DecodedSyscall implements SyscallRecord {
  constructor(
    readonly name: string,
    readonly ts: number,
    readonly dur: number,
    readonly end: number,
    readonly tid: number,
    readonly pid: number,
    readonly ret: number,
    readonly errno: string | undefined,
    readonly fd: number | undefined,
    readonly target: string | undefined,
    readonly path: string | undefined,
    readonly peerAddress: string | undefined,
    readonly peerPort: number | undefined,
    readonly localAddress: string | undefined,
    readonly localPort: number | undefined,
    readonly transport: SyscallRecord['transport'],
    readonly bytes: number | undefined,
    readonly count: number,
    readonly attribution: Attribution,
    readonly unfinished: boolean | undefined,
    readonly times: SyscallTimes | undefined,
  ) {}
}

export class PackedSyscalls {
  readonly length: number;
  private readonly numbers: number[];
  private readonly strings: (string | undefined)[];
  private readonly numberStride: number;
  private readonly stringStride: number;
  private readonly withSockets: boolean;
  private readonly withTimes: boolean;

  constructor(calls: readonly SyscallRecord[]) {
    this.length = calls.length;
    this.withSockets = calls.some(hasSocket);
    this.withTimes = calls.some((c) => c.times !== undefined);
    this.numberStride = CORE_NUMBERS + (this.withSockets ? 2 : 0) + (this.withTimes ? 3 : 0);
    this.stringStride = CORE_STRINGS + (this.withSockets ? 2 : 0);
    const numbers: number[] = [];
    const strings: (string | undefined)[] = [];
    for (const c of calls) {
      // in slot order (TS .. FLAGS, then the socket and times columns)
      numbers.push(c.ts, c.dur, c.end, c.ret, c.count, orNaN(c.fd), orNaN(c.bytes), c.tid, c.pid, flagsOf(c));
      if (this.withSockets) numbers.push(orNaN(c.peerPort), orNaN(c.localPort));
      if (this.withTimes) numbers.push(c.times?.onCpu ?? 0, c.times?.runqueue ?? 0, c.times?.blocked ?? 0);
      // in slot order (NAME .. PATH, then the socket columns); the correlator often sets path and target to one
      // string: one reference kept
      strings.push(c.name, c.errno, c.target, c.path === c.target ? c.target : c.path);
      if (this.withSockets) strings.push(c.peerAddress, c.localAddress);
    }
    // a pushed-into array keeps up to half its length spare: copied to its exact size
    this.numbers = numbers.slice();
    this.strings = strings.slice();
  }

  /** The name of call `i`, without decoding the rest of it. */
  nameAt(i: number): string {
    return this.strings[i * this.stringStride + NAME]!;
  }

  /** The calls record `i` stands for (a merged run counts each), without decoding the rest of it. */
  countAt(i: number): number {
    return this.numbers[i * this.numberStride + COUNT]!;
  }

  at(i: number): SyscallRecord {
    const num = this.numbers;
    const str = this.strings;
    const n0 = i * this.numberStride;
    const s0 = i * this.stringStride;
    const flags = num[n0 + FLAGS]!;
    let extra = n0 + CORE_NUMBERS;
    let peerPort: number | undefined;
    let localPort: number | undefined;
    if (this.withSockets) {
      peerPort = orUndefined(num[extra++]!);
      localPort = orUndefined(num[extra++]!);
    }
    const times: SyscallTimes | undefined =
      flags & HAS_TIMES
        ? {
            onCpu: num[extra]!,
            runqueue: num[extra + 1]!,
            blocked: num[extra + 2]!,
            sleep: SLEEPS[(flags >> SLEEP_SHIFT) & 3]!,
          }
        : undefined;
    return new DecodedSyscall(
      str[s0 + NAME]!,
      num[n0 + TS]!,
      num[n0 + DUR]!,
      num[n0 + END]!,
      num[n0 + TID]!,
      num[n0 + PID]!,
      num[n0 + RET]!,
      str[s0 + ERRNO],
      orUndefined(num[n0 + FD]!),
      str[s0 + TARGET],
      str[s0 + PATH],
      this.withSockets ? str[s0 + CORE_STRINGS] : undefined,
      peerPort,
      this.withSockets ? str[s0 + CORE_STRINGS + 1] : undefined,
      localPort,
      TRANSPORTS[(flags >> TRANSPORT_SHIFT) & 7],
      orUndefined(num[n0 + BYTES]!),
      num[n0 + COUNT]!,
      ATTRIBUTIONS[flags & 7]!,
      flags & HAS_UNFINISHED ? (flags & UNFINISHED) !== 0 : undefined,
      times,
    );
  }

  /** The calls of one name decoded, in order: a scan for one syscall decodes nothing else. */
  named(name: string): SyscallRecord[] {
    const out: SyscallRecord[] = [];
    for (let i = 0; i < this.length; i++) if (this.nameAt(i) === name) out.push(this.at(i));
    return out;
  }

  /** Every call decoded, in order. */
  decode(): SyscallRecord[] {
    const out = new Array<SyscallRecord>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }
}
