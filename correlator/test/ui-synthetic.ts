// Realistic synthetic spans for the UI tests: HTTP requests with child spans and the system calls a small web
// service makes (files, a database socket, a failed open, merged reads), plus whatever a test asks for.

import type { Clock, ProcessInfo, SpanRecord, SpanTimes, SyscallRecord, WaitKind } from '../src/model.js';

export const CLOCK: Clock = { wallOffsetNs: 1_780_000_000_000_000_000n }; // 2026-05-28, monotonic 0

export function proc(pid: number, serviceName: string, exe = 'node'): ProcessInfo {
  return { pid, ppid: 1, exe, exePath: `/usr/bin/${exe}`, cmdline: [exe, 'server.js'], serviceName };
}

let counter = 0;
export function hexId(digits: number): string {
  counter++;
  return (counter.toString(16) + 'a'.repeat(digits)).slice(0, digits).padStart(digits, '0');
}

export function syscall(over: Partial<SyscallRecord> & { name: string; ts: number; dur: number }): SyscallRecord {
  return {
    end: over.ts + over.dur,
    tid: 100,
    pid: 100,
    ret: 0,
    count: 1,
    attribution: 'thread',
    ...over,
  };
}

export function span(over: Partial<SpanRecord> & { name: string; start: number; end: number }): SpanRecord {
  return {
    traceId: hexId(32),
    spanId: hexId(16),
    kind: 'internal',
    pid: 100,
    tid: 100,
    attributes: {},
    status: 'unset',
    syscalls: [],
    ...over,
  };
}

/** One request: a server span with a db child span and file/socket syscalls. Returns [child, root] (finish order). */
export function request(startNs: number, durationNs: number, pid = 100, routeName = 'GET /products'): SpanRecord[] {
  const root = span({ name: routeName, kind: 'server', start: startNs, end: startNs + durationNs, pid, tid: pid });
  const dbStart = startNs + durationNs * 0.2;
  const dbEnd = startNs + durationNs * 0.7;
  const db = span({
    traceId: root.traceId,
    parentSpanId: root.spanId,
    name: 'db.query',
    kind: 'client',
    start: dbStart,
    end: dbEnd,
    pid,
    tid: pid,
    attributes: { table: 'products' },
    syscalls: [
      syscall({
        name: 'sendto',
        ts: dbStart + 1000,
        dur: 8000,
        pid,
        tid: pid,
        fd: 21,
        ret: 120,
        bytes: 120,
        target: '127.0.0.1:40100 -> 127.0.0.1:5432',
        peerAddress: '127.0.0.1',
        peerPort: 5432,
        transport: 'tcp',
      }),
      syscall({
        name: 'recvfrom',
        ts: dbStart + 20_000,
        dur: (dbEnd - dbStart) * 0.8,
        pid,
        tid: pid,
        fd: 21,
        ret: 4096,
        bytes: 4096,
        peerAddress: '127.0.0.1',
        peerPort: 5432,
        transport: 'tcp',
      }),
    ],
  });
  root.syscalls = [
    syscall({
      name: 'openat',
      ts: startNs + 2000,
      dur: 15_000,
      pid,
      tid: pid,
      ret: 22,
      fd: 22,
      path: '/srv/shop/templates/list.html',
      target: '/srv/shop/templates/list.html',
    }),
    syscall({
      name: 'read',
      ts: startNs + 20_000,
      dur: 60_000,
      end: startNs + 400_000,
      count: 12,
      pid,
      tid: pid,
      fd: 22,
      ret: 512,
      bytes: 12 * 4096,
      path: '/srv/shop/templates/list.html',
      target: '/srv/shop/templates/list.html',
    }),
    syscall({
      name: 'openat',
      ts: startNs + 500_000,
      dur: 4000,
      pid,
      tid: pid,
      ret: -2,
      errno: 'ENOENT',
      path: '/srv/shop/cache/list.bin',
    }),
    syscall({
      name: 'writev',
      ts: dbEnd + 5000,
      dur: 30_000,
      pid,
      tid: pid,
      fd: 19,
      ret: 2048,
      bytes: 2048,
      target: '127.0.0.1:8080 -> 127.0.0.1:51234',
      peerAddress: '127.0.0.1',
      peerPort: 51234,
      transport: 'tcp',
    }),
  ];
  return [db, root];
}

const MS = 1e6;

/** Thread-model times from parts in ms (the rest zero). */
export function threadTimes(ms: Partial<Record<'onCpu' | 'runqueue' | WaitKind, number>>, majorFaults = 0): SpanTimes {
  const blocked = {} as Record<WaitKind, number>;
  for (const kind of ['file', 'net', 'lock', 'sleep', 'poll', 'pagefault', 'other'] as const)
    blocked[kind] = (ms[kind] ?? 0) * MS;
  return { model: 'thread', onCpu: (ms.onCpu ?? 0) * MS, runqueue: (ms.runqueue ?? 0) * MS, blocked, majorFaults };
}

/**
 * A request with a known composition (100 ms: 20 on CPU, 5 run queue, 50 file, 20 lock, 5 page faults) and a
 * db.query child (50 ms: 10 on CPU, 40 network) whose recvfrom slept 38 ms uninterruptibly. [child, root].
 */
export function accountedRequest(startNs: number, pid = 100): SpanRecord[] {
  const [db, root] = request(startNs, 100 * MS, pid, 'GET /report');
  root.times = threadTimes({ onCpu: 20, runqueue: 5, file: 50, lock: 20, pagefault: 5 }, 3);
  db.times = threadTimes({ onCpu: 10, net: 40 });
  const recv = db.syscalls[1];
  recv.times = { onCpu: 1 * MS, runqueue: 1 * MS, blocked: recv.dur - 2 * MS, sleep: 'uninterruptible' };
  return [db, root];
}

/**
 * Two requests on one event loop: A (100 ms) awaits a timer and a thread-pool read while B (its own trace, 100 ms,
 * all on CPU) holds the loop for 90 ms of it. [A, B].
 */
export function loopBlocking(startNs: number, pid = 200, heavyName = 'GET /heavy'): SpanRecord[] {
  const heavy = span({
    name: heavyName,
    kind: 'server',
    start: startNs + 1 * MS,
    end: startNs + 101 * MS,
    pid,
    tid: pid,
  });
  heavy.times = { ...threadTimes({ onCpu: 100 }), model: 'event-loop', loopBusyOther: 0, asyncWait: 0 };
  const waiting = span({
    name: 'GET /users/:id',
    kind: 'server',
    start: startNs,
    end: startNs + 100 * MS,
    pid,
    tid: pid,
  });
  waiting.times = {
    ...threadTimes({ onCpu: 2 }),
    model: 'event-loop',
    loopBusyOther: 90 * MS,
    loopBusyTop: { name: heavy.name, spanId: heavy.spanId, ns: 90 * MS },
    asyncWait: 8 * MS,
    worker: { onCpu: 1 * MS, runqueue: 0, blocked: 6 * MS },
  };
  return [waiting, heavy];
}

/**
 * A trace with the noise real ones have (for the waterfall): a gateway request (pid 100) whose client span calls a
 * worker (pid 200, remote parent) that runs 18 sub-µs bookkeeping calls, a run of `futex = 1`, a merged run of
 * 32 one-byte reads, an fs.remove child whose 37 ms rmdir sits deep down, a cache.prefetch in parallel on another
 * thread, a failing audit.write (EACCES), a sibling named by markup, then 40 alternating reads and writes of 30 µs. Returns the spans in finish order, the
 * worker's span last.
 */
export function noisyTrace(startNs: number, hostileName: string): SpanRecord[] {
  const at = (ms: number) => startNs + ms * 1e6;
  const gateway = span({ name: 'GET /api/cleanup', kind: 'server', start: at(0), end: at(62), pid: 100, tid: 100 });
  const traceId = gateway.traceId;
  const client = span({
    traceId,
    parentSpanId: gateway.spanId,
    name: 'http.client POST /jobs/cleanup',
    kind: 'client',
    start: at(0.5),
    end: at(61),
    pid: 100,
    tid: 100,
  });
  const w = { pid: 200, tid: 200 };
  const worker = span({
    traceId,
    parentSpanId: client.spanId,
    remoteParent: true,
    name: 'POST /jobs/cleanup',
    kind: 'server',
    start: at(1),
    end: at(60),
    ...w,
  });
  const bookkeeping = ['getpid', 'capget', 'getuid', 'getgid', 'geteuid', 'getegid'];
  worker.syscalls = [
    ...Array.from({ length: 18 }, (_, i) =>
      syscall({ name: bookkeeping[i % 6], ts: at(1.01) + i * 1000, dur: 300 + (i % 3) * 100, ...w }),
    ),
    ...Array.from({ length: 8 }, (_, i) =>
      syscall({ name: 'futex', ts: at(1.1) + i * 30_000, dur: 20_000, ret: 1, ...w }),
    ),
    syscall({
      name: 'read',
      ts: at(1.5),
      dur: 64_000,
      end: at(1.6),
      count: 32,
      bytes: 32,
      ret: 1,
      fd: 9,
      path: '/run/app/notify.pipe',
      attribution: 'context',
      ...w,
    }),
    ...Array.from({ length: 40 }, (_, i) =>
      syscall({
        name: i % 2 ? 'write' : 'read',
        ts: at(58.1) + i * 40_000,
        dur: 30_000,
        fd: 12,
        ret: 4096,
        bytes: 4096,
        path: `/var/log/app/segment-${i}.log`,
        ...w,
      }),
    ),
  ];
  const remove = span({ traceId, parentSpanId: worker.spanId, name: 'fs.remove', start: at(9), end: at(48), ...w });
  remove.syscalls = [
    syscall({ name: 'openat', ts: at(9.1), dur: 8000, ret: 14, fd: 14, path: '/var/lib/app/cache', ...w }),
    syscall({
      name: 'rmdir',
      ts: at(10),
      dur: 37e6,
      ret: 0,
      path: '/var/lib/app/cache/tmp-0123456789abcdef0123456789abcdef0123456789abcdef',
      ...w,
    }),
  ];
  const audit = span({
    traceId,
    parentSpanId: worker.spanId,
    name: 'audit.write',
    start: at(49),
    end: at(53),
    status: 'error',
    statusMessage: 'permission denied',
    ...w,
  });
  audit.syscalls = [
    syscall({
      name: 'openat',
      ts: at(49.2),
      dur: 9000,
      ret: -13,
      errno: 'EACCES',
      path: '/var/log/audit/jobs.log',
      ...w,
    }),
  ];
  const hostile = span({
    traceId,
    parentSpanId: worker.spanId,
    name: hostileName,
    start: at(54),
    end: at(58),
    attributes: { note: hostileName },
    ...w,
  });
  hostile.syscalls = [syscall({ name: 'unlink', ts: at(54.5), dur: 30_000, path: `/tmp/${hostileName}`, ...w })];
  // in parallel with fs.remove on another thread, finished long before it: not what the request waited for
  const prefetch = span({
    traceId,
    parentSpanId: worker.spanId,
    name: 'cache.prefetch',
    start: at(9.5),
    end: at(20),
    pid: 200,
    tid: 201,
  });
  prefetch.syscalls = [
    syscall({
      name: 'pread64',
      ts: at(10.2),
      dur: 9e6,
      ret: 65536,
      bytes: 65536,
      fd: 15,
      path: '/var/cache/app/index',
      pid: 200,
      tid: 201,
    }),
  ];
  return [prefetch, remove, audit, hostile, worker, client, gateway];
}

/** One trace of `n` spans (a root, then n − 1 children, each with two calls), for timing the waterfall. */
export function wideTrace(startNs: number, n: number): SpanRecord[] {
  const root = span({ name: 'GET /wide', kind: 'server', start: startNs, end: startNs + 1e9 });
  const spans: SpanRecord[] = [];
  for (let i = 1; i < n; i++) {
    const start = startNs + i * 90_000;
    const child = span({
      traceId: root.traceId,
      spanId: `5${i.toString(16).padStart(15, '0')}`, // hexId's ids repeat after a few thousand
      parentSpanId: root.spanId,
      name: 'step',
      start,
      end: start + 80_000,
    });
    child.syscalls = [
      syscall({
        name: 'pread64',
        ts: start + 1000,
        dur: 30_000,
        fd: 5,
        path: '/srv/data/table.db',
        bytes: 4096,
        ret: 4096,
      }),
      syscall({ name: 'futex', ts: start + 40_000, dur: 20_000, ret: 0 }),
    ];
    spans.push(child);
  }
  spans.push(root);
  return spans;
}
