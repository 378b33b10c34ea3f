// The terminal tree: how spans finishing children-first are grouped into traces, and how a trace is drawn.

import { describe, expect, it } from 'vitest';
import type { ProcessInfo, SpanRecord, SyscallRecord } from '../src/model.js';
import { TraceAssembler, traceDuration, type TracedSpan } from '../src/cli/trace-assembler.js';
import { COLORS, formatDuration, PLAIN, renderTrace, wantsColor } from '../src/cli/tree-printer.js';

const proc: ProcessInfo = {
  pid: 100,
  ppid: 1,
  exe: 'node',
  exePath: '/usr/bin/node',
  cmdline: ['node', 'app.js'],
  serviceName: 'shop',
};
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function span(
  spanId: string,
  parent: string | undefined,
  start: number,
  end: number,
  extra: Partial<SpanRecord> = {},
): SpanRecord {
  return {
    traceId: TRACE,
    spanId,
    parentSpanId: parent,
    name: `span-${spanId.slice(-1)}`,
    kind: 'internal',
    start,
    end,
    pid: 100,
    tid: 100,
    attributes: {},
    status: 'unset',
    syscalls: [],
    ...extra,
  };
}

function syscall(name: string, ts: number, extra: Partial<SyscallRecord> = {}): SyscallRecord {
  return {
    name,
    ts,
    dur: 2_000,
    end: ts + 2_000,
    tid: 100,
    pid: 100,
    ret: 0,
    count: 1,
    attribution: 'thread',
    ...extra,
  };
}

describe('TraceAssembler', () => {
  it('holds spans until the root of their trace finishes, then releases the whole trace', () => {
    const released: TracedSpan[][] = [];
    const a = new TraceAssembler((t) => released.push(t));
    a.add(span('0000000000000002', '0000000000000001', 10, 20), proc);
    a.add(span('0000000000000003', '0000000000000001', 30, 40), proc);
    expect(released).toHaveLength(0);
    a.add(span('0000000000000001', undefined, 0, 50), proc);
    expect(released).toHaveLength(1);
    expect(released[0].map((t) => t.span.spanId)).toEqual(['0000000000000002', '0000000000000003', '0000000000000001']);
    expect(traceDuration(released[0])).toBe(50);
  });

  it('releases what is still held on flush, and the oldest trace when it holds too much (spans + syscalls)', () => {
    const released: TracedSpan[][] = [];
    const a = new TraceAssembler((t) => released.push(t), { maxPendingWeight: 2 });
    a.add(span('0000000000000002', '0000000000000001', 10, 20), proc);
    a.add({ ...span('0000000000000005', '0000000000000004', 10, 20), traceId: 'b'.repeat(32) }, proc);
    expect(released).toHaveLength(0);
    a.add({ ...span('0000000000000006', '0000000000000004', 10, 20), traceId: 'c'.repeat(32) }, proc);
    expect(released.map((t) => t[0].span.traceId)).toEqual([TRACE]);
    a.flush();
    expect(released.map((t) => t[0].span.traceId)).toEqual([TRACE, 'b'.repeat(32), 'c'.repeat(32)]);
    // system call records count too: one span carrying three of them is already over the bound
    const heavy = {
      ...span('0000000000000008', '0000000000000007', 10, 20),
      traceId: 'f'.repeat(32),
      syscalls: [syscall('read', 11), syscall('read', 12), syscall('read', 13)],
    };
    a.add(heavy, proc);
    expect(released.map((t) => t[0].span.traceId)).toEqual([TRACE, 'b'.repeat(32), 'c'.repeat(32), 'f'.repeat(32)]);
  });

  it('releases the oldest trace, counted, when the spans held back carry more bytes than allowed', () => {
    const released: TracedSpan[][] = [];
    const a = new TraceAssembler((t) => released.push(t), { maxPendingBytes: 100_000 });
    const blob = 'x'.repeat(20_000); // estimated at two bytes a character
    a.add(span('0000000000000002', '0000000000000001', 10, 20, { attributes: { blob } }), proc);
    a.add(
      { ...span('0000000000000005', '0000000000000004', 10, 20, { attributes: { blob } }), traceId: 'b'.repeat(32) },
      proc,
    );
    expect(released).toHaveLength(0);
    expect(a.releasedEarly).toBe(0);
    // a long path in a system call record counts as much as a long arg
    const path = `/${'p'.repeat(20_000)}`;
    a.add(
      {
        ...span('0000000000000006', '0000000000000004', 10, 20),
        traceId: 'c'.repeat(32),
        syscalls: [syscall('openat', 11, { path, target: path })],
      },
      proc,
    );
    expect(released.map((t) => t[0].span.traceId)).toEqual([TRACE]);
    expect(a.releasedEarly).toBe(1);
  });

  it('waits for a remote parent one second of event time, then releases', () => {
    const released: TracedSpan[][] = [];
    const a = new TraceAssembler((t) => released.push(t));
    a.add(span('0000000000000002', '00f067aa0ba902b7', 0, 1_000, { remoteParent: true }), proc);
    a.add({ ...span('0000000000000009', undefined, 0, 500_000_000), traceId: 'd'.repeat(32) }, proc);
    expect(released.map((t) => t[0].span.traceId)).toEqual(['d'.repeat(32)]);
    a.add({ ...span('000000000000000a', undefined, 0, 2_000_000_000), traceId: 'e'.repeat(32) }, proc);
    expect(released.map((t) => t[0].span.traceId)).toEqual(['d'.repeat(32), 'e'.repeat(32), TRACE]);
  });
});

describe('renderTrace', () => {
  const root = span('0000000000000001', undefined, 0, 12_000_000, {
    name: 'http.request',
    kind: 'server',
    attributes: { method: 'GET', path: '/users' },
    syscalls: [syscall('accept4', 100, { target: '127.0.0.1:8080 -> 127.0.0.1:40000', ret: 7 })],
  });
  const child = span('0000000000000002', '0000000000000001', 1_000_000, 4_000_000, {
    name: 'db.query',
    status: 'error',
    statusMessage: 'timeout',
    syscalls: [
      syscall('openat', 1_100_000, { path: '/etc/hosts', target: '/etc/hosts', ret: 9 }),
      syscall('read', 1_200_000, { fd: 9, target: '/etc/hosts', bytes: 3072, ret: 0, count: 3 }),
      syscall('connect', 1_300_000, { target: '10.0.0.1:5432', ret: -111, errno: 'ECONNREFUSED' }),
    ],
  });
  const lines = renderTrace(
    [
      { span: child, proc },
      { span: root, proc },
    ],
    PLAIN,
  );

  it('nests child spans under their parent and the system calls under the span that made them, in time order', () => {
    expect(lines[0]).toBe(`trace ${TRACE}  shop (pid 100 node)`);
    expect(lines[1]).toBe('  http.request  12.00 ms  server  method=GET path=/users');
    expect(lines[2]).toBe('    · accept4  127.0.0.1:8080 -> 127.0.0.1:40000  = 7  2.00 µs');
    expect(lines[3]).toBe('    db.query  3.000 ms  error: timeout');
    expect(lines[4]).toBe('      · openat  /etc/hosts  = 9  2.00 µs');
    expect(lines[5]).toBe('      · read ×3  /etc/hosts  3.0 KiB  2.00 µs');
    expect(lines[6]).toBe('      · connect  10.0.0.1:5432  ECONNREFUSED  2.00 µs');
    expect(lines).toHaveLength(7);
  });

  it('never passes control characters from marker text to the terminal', () => {
    const hostile = span('0000000000000001', undefined, 0, 1, {
      name: 'x\x1b[2J\x07y\u009b',
      attributes: { k: 'a\nb\u202egnp.exe' },
    });
    const text = renderTrace([{ span: hostile, proc }], PLAIN).join('\n');
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(text).toContain('x\\x1b[2J\\x07y\\x9b');
    expect(text).toContain('k=a\\nb\\u202egnp.exe');
  });

  it('colors only for a terminal without NO_COLOR', () => {
    expect(renderTrace([{ span: root, proc }], COLORS)[1]).toContain('\x1b[1mhttp.request\x1b[22m');
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
  });

  it('formats durations with units that fit', () => {
    expect([850, 12_345, 3_100_000, 1_234_000_000].map(formatDuration)).toEqual([
      '850 ns',
      '12.3 µs',
      '3.100 ms',
      '1.234 s',
    ]);
  });
});
