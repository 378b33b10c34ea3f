// Realistic synthetic spans for the UI tests: HTTP requests with child spans and the system calls a small web
// service makes (files, a database socket, a failed open, merged reads), plus whatever a test asks for.

import type { Clock, ProcessInfo, SpanRecord, SyscallRecord } from '../src/model.js';

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
