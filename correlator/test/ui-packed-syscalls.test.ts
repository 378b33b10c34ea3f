import { describe, expect, it } from 'vitest';
import type { SyscallRecord } from '../src/model.js';
import { PackedSyscalls } from '../src/ui/packed-syscalls.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK, proc, span, syscall } from './ui-synthetic.js';

const KEYS: readonly (keyof SyscallRecord)[] = [
  'name',
  'ts',
  'dur',
  'end',
  'tid',
  'pid',
  'ret',
  'errno',
  'fd',
  'target',
  'path',
  'peerAddress',
  'peerPort',
  'localAddress',
  'localPort',
  'transport',
  'bytes',
  'count',
  'attribution',
  'unfinished',
  'times',
];

/** Every field reads back the same value (Object.is: NaN, -0 and undefined vs false all distinguished). */
function expectSameCall(read: SyscallRecord, added: SyscallRecord): void {
  for (const key of KEYS) {
    if (key === 'times') expect(read.times).toEqual(added.times);
    else expect([key, read[key]]).toEqual([key, added[key]]);
  }
}

const HOSTILE = '<img src=x onerror=alert(1)>\u0000\u202e"\'`$';
const UPTIME_NS = 86_400_123_456_789; // a day of uptime in monotonic ns: beyond the small-integer range

const CALLS: SyscallRecord[] = [
  syscall({ name: 'getpid', ts: UPTIME_NS, dur: 312, ret: 100 }),
  // a merged run: summed duration, end of the last call, count and bytes summed
  syscall({
    name: 'read',
    ts: UPTIME_NS + 1000,
    dur: 4096,
    end: UPTIME_NS + 90_000,
    count: 32,
    bytes: 32,
    ret: 1,
    fd: 0,
    target: 'pipe:[123]',
    attribution: 'context',
    times: { onCpu: 3000, runqueue: 96, blocked: 1000, sleep: 'interruptible' },
  }),
  syscall({
    name: HOSTILE,
    ts: UPTIME_NS + 2000,
    dur: 37_000_000,
    ret: -2,
    errno: 'ENOENT',
    fd: -1,
    target: `/var/lib/${HOSTILE}`,
    path: `/var/lib/${HOSTILE}`,
    attribution: 'submitter',
    unfinished: false,
    tid: 101,
  }),
  syscall({
    name: 'connect',
    ts: UPTIME_NS + 3000,
    dur: 1.5,
    ret: -115,
    errno: 'EINPROGRESS',
    fd: 7,
    target: '127.0.0.1:43122 -> 127.0.0.1:8080',
    peerAddress: '::ffff:127.0.0.1',
    peerPort: 8080,
    localAddress: HOSTILE,
    localPort: 0,
    transport: 'tcp',
    attribution: 'fd',
    unfinished: true,
    times: { onCpu: 1, runqueue: 0, blocked: 0, sleep: 'both' },
  }),
  // an mmap address as the return value, a path distinct from the target, a pid other than the span's
  syscall({
    name: 'mmap',
    ts: UPTIME_NS + 4000,
    dur: 0,
    ret: 0x7f12_3456_7000,
    target: '/usr/lib/libc.so.6',
    path: '/usr/lib/x86_64-linux-gnu/libc.so.6',
    attribution: 'unattributed',
    pid: 4_194_304,
    transport: 'unix',
  }),
];

describe('PackedSyscalls', () => {
  it('reads back every field of every call as added: merged runs, sockets, times, hostile strings', () => {
    const packed = new PackedSyscalls(CALLS);
    expect(packed.length).toBe(CALLS.length);
    const decoded = packed.decode();
    expect(decoded).toHaveLength(CALLS.length);
    for (const [i, call] of CALLS.entries()) {
      expectSameCall(decoded[i]!, call);
      expectSameCall(packed.at(i), call);
    }
    expect(decoded).toEqual(CALLS);
  });

  it('reads back calls of a span without sockets or times (the narrow layout)', () => {
    const plain = [CALLS[0]!, CALLS[2]!, CALLS[4]!].map((c) => ({ ...c, times: undefined, transport: undefined }));
    const decoded = new PackedSyscalls(plain).decode();
    for (const [i, call] of plain.entries()) expectSameCall(decoded[i]!, call);
  });

  it('decodes the calls of one name alone, in order', () => {
    const calls = [CALLS[1]!, CALLS[0]!, CALLS[1]!, CALLS[3]!];
    const reads = new PackedSyscalls(calls).named('read');
    expect(reads).toHaveLength(2);
    for (const call of reads) expectSameCall(call, CALLS[1]!);
    expect(new PackedSyscalls(calls).named('fsync')).toEqual([]);
  });

  it('keeps one string for a path equal to the target', () => {
    const [read] = new PackedSyscalls([CALLS[2]!]).decode();
    expect(read!.path).toBe(read!.target);
  });

  it('refuses a value it cannot encode rather than reading back another', () => {
    const odd = { ...CALLS[0]!, attribution: 'guess' } as unknown as SyscallRecord;
    expect(() => new PackedSyscalls([odd])).toThrow(/unknown attribution: guess/);
  });
});

describe('SpanStore with packed calls', () => {
  it('serves the calls as added and keeps the call count exact through evictions', () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 1000, maxSyscalls: 8 });
    const P = proc(100, 'shop');
    const a = span({ name: 'a', start: UPTIME_NS, end: UPTIME_NS + 100_000, syscalls: CALLS });
    const b = span({ name: 'b', start: UPTIME_NS, end: UPTIME_NS + 1, syscalls: CALLS.slice(0, 3) });
    store.add(a, P);
    const kept = store.get(a.traceId, a.spanId)!.span;
    for (const [i, call] of kept.syscalls.entries()) expectSameCall(call, CALLS[i]!);
    expect(store.stats()).toMatchObject({ spans: 1, syscalls: 5 });
    store.add(b, P); // 8 calls: at the bound
    expect(store.stats()).toMatchObject({ spans: 2, syscalls: 8, evicted: 0 });
    store.add(span({ name: 'c', start: UPTIME_NS, end: UPTIME_NS + 1, syscalls: CALLS.slice(0, 1) }), P);
    expect(store.stats()).toMatchObject({ spans: 2, syscalls: 4, evicted: 1 });
    expect(store.stats().evictedBy).toEqual({ spans: 0, syscalls: 1, textBytes: 0 });
    store.add(span({ name: 'd', start: UPTIME_NS, end: UPTIME_NS + 1, syscalls: [...CALLS, ...CALLS] }), P);
    expect(store.stats()).toMatchObject({ spans: 0, syscalls: 0, evicted: 4 });
  });
});
