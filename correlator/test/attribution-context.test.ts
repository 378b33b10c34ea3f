// The published-active-span attribution rules on synthetic streams: the span a thread published as active (SyscallEvent.ctxSpan /
// ctxSource) decides; the event loop between callbacks goes by fd only when one open span owns the fd; anything
// unsure is 'unattributed' and counted; threads that publish nothing keep sysdig's thread rule.
import { describe, expect, it } from 'vitest';
import { SPAN_UNSAMPLED } from '@nullspan/probe';
import { Stream, byName, collect, inet, oneProcess } from './synthetic.js';

const AT_FDCWD = -100;
const A = 2 ** 41 + 1;
const B = 2 ** 41 + 2;
const TRACE_A = 'a'.repeat(32);
const TRACE_B = 'b'.repeat(32);
const MAIN = 10;
const WORKER = 11;

/** Two requests A and B open at once on the main thread of process 10 (worker thread 11). */
function twoRequests() {
  const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
  const s = new Stream();
  s.fork(MAIN, MAIN, MAIN, WORKER, { isThread: true });
  s.marker(MAIN, MAIN, `>:${A}:GET /a:_tid=${TRACE_A}:`);
  s.marker(MAIN, MAIN, `>:${B}:GET /b:_tid=${TRACE_B}:`);
  const end = () => {
    s.marker(MAIN, MAIN, `<:${A}:GET /a::`);
    s.marker(MAIN, MAIN, `<:${B}:GET /b::`);
    c.pushBatch(s.events);
    c.close();
    return { a: byName(spans, 'GET /a'), b: byName(spans, 'GET /b'), stats: c.stats(), c };
  };
  return { s, end };
}

describe('attribution: the published active span (issue 7)', () => {
  it('puts main-thread calls under the span the slot names, not the innermost span entered on the thread', () => {
    const { s, end } = twoRequests();
    s.sys(MAIN, MAIN, 'openat', {
      args: [AT_FDCWD, 0, 0],
      path: '/data/a.txt',
      ret: 20,
      ctxSource: 'slot',
      ctxSpan: A,
    });
    s.sys(MAIN, MAIN, 'read', { args: [20], ret: 5, ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'close', { args: [20], ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'openat', {
      args: [AT_FDCWD, 0, 0],
      path: '/data/b.txt',
      ret: 20,
      ctxSource: 'slot',
      ctxSpan: B,
    });
    const { a, b, stats } = end();
    expect(a.syscalls.map((r) => [r.name, r.attribution])).toEqual([
      ['openat', 'context'],
      ['read', 'context'],
      ['close', 'context'],
    ]);
    expect(a.syscalls[1]).toMatchObject({ path: '/data/a.txt' });
    expect(b.syscalls.map((r) => [r.name, r.path, r.attribution])).toEqual([['openat', '/data/b.txt', 'context']]);
    expect(stats.unattributed).toBe(0);
  });

  it('puts libuv worker calls under the span that submitted the work', () => {
    const { s, end } = twoRequests();
    s.sys(MAIN, WORKER, 'openat', {
      args: [AT_FDCWD, 0, 0],
      path: '/data/b.txt',
      ret: 21,
      ctxSource: 'submitter',
      ctxSpan: B,
    });
    s.sys(MAIN, WORKER, 'read', { args: [21], ret: 5, ctxSource: 'submitter', ctxSpan: B });
    s.sys(MAIN, WORKER, 'futex', { ctxSource: 'none' }); // between work items: after submitter context was seen, no span
    s.sys(MAIN, WORKER, 'openat', { args: [AT_FDCWD, 0, 0], path: '/x', ret: 22, ctxSource: 'submitter', ctxSpan: 0 });
    const { a, b, stats, c } = end();
    expect(a.syscalls).toEqual([]);
    expect(b.syscalls.map((r) => [r.name, r.tid, r.attribution])).toEqual([
      ['openat', WORKER, 'submitter'],
      ['read', WORKER, 'submitter'],
    ]);
    expect(stats.unattributed).toBe(0);
    expect(c.outsideSyscalls(MAIN).map((r) => r.name)).toEqual(['futex', 'openat']);
  });

  it("applies an unsampled span's calls to the fd table only, so a sampled span reusing its fd names the right peer", () => {
    const { s, end } = twoRequests();
    s.sys(MAIN, MAIN, 'socket', { args: [2, 1, 0], ret: 30, ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'connect', {
      args: [30],
      addr: inet('127.0.0.1', 9000),
      ret: -115,
      ctxSource: 'slot',
      ctxSpan: A,
    });
    s.sys(MAIN, MAIN, 'close', { args: [30], ctxSource: 'slot', ctxSpan: A });
    // an unsampled request opens a pooled connection on the same fd number (the probe records only such calls)
    const unsampled = { ctxSource: 'slot' as const, ctxSpan: SPAN_UNSAMPLED };
    s.sys(MAIN, MAIN, 'socket', { args: [2, 1, 0], ret: 30, ...unsampled });
    s.sys(MAIN, MAIN, 'connect', { args: [30], addr: inet('127.0.0.1', 9001), ret: -115, ...unsampled });
    s.sys(MAIN, WORKER, 'openat', {
      args: [AT_FDCWD, 0, 0],
      path: '/u',
      ret: 31,
      ctxSource: 'submitter',
      ctxSpan: SPAN_UNSAMPLED,
    });
    // a sampled request reuses it; between callbacks its reads no longer go to A, who used fd 30 before
    s.sys(MAIN, MAIN, 'write', { args: [30], ret: 40, ctxSource: 'slot', ctxSpan: B });
    s.sys(MAIN, MAIN, 'read', { args: [31], ret: 4, ctxSource: 'slot', ctxSpan: B });
    const { a, b, stats, c } = end();
    expect(a.syscalls.map((r) => r.name)).toEqual(['socket', 'connect', 'close']);
    expect(b.syscalls.map((r) => [r.name, r.peerPort ?? r.path])).toEqual([
      ['write', 9001],
      ['read', '/u'],
    ]);
    expect(stats).toMatchObject({ syscallsUnsampled: 3, unattributed: 0, syscallsOutsideSpans: 0 });
    expect(c.outsideSyscalls(MAIN)).toEqual([]);
  });

  it('between callbacks, attributes a socket call by fd only when one open span owns the fd', () => {
    const { s, end } = twoRequests();
    const peer = inet('127.0.0.1', 9000);
    s.sys(MAIN, MAIN, 'socket', { args: [2, 1, 0], ret: 30, ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'connect', { args: [30], addr: peer, ret: -115, ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'write', { args: [30], ret: 40, ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'read', { args: [30], ret: 90, ctxSource: 'slot', ctxSpan: 0 }); // event loop: fd 30 is A's
    s.sys(MAIN, MAIN, 'epoll_wait', { args: [5], ret: 1, ctxSource: 'slot', ctxSpan: 0 }); // no socket/file: no span
    // a socket both requests wrote to: later event-loop reads cannot be told apart
    s.sys(MAIN, MAIN, 'socket', { args: [2, 1, 0], ret: 31, ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'write', { args: [31], ret: 10, ctxSource: 'slot', ctxSpan: B });
    s.sys(MAIN, MAIN, 'read', { args: [31], ret: 10, ctxSource: 'slot', ctxSpan: 0 });
    // an accepted socket no span has used yet (the listener itself is unknown here: accepting is no span's work)
    s.sys(MAIN, MAIN, 'accept4', { args: [6], ret: 32, ctxSource: 'slot', ctxSpan: 0 });
    s.sys(MAIN, MAIN, 'read', { args: [32], ret: 100, ctxSource: 'slot', ctxSpan: 0 });
    // a span id that is not open in this process (ended, or hostile): never guessed
    s.sys(MAIN, MAIN, 'getpid', { ctxSource: 'slot', ctxSpan: 2 ** 41 + 99 });
    // fd 30 closed and reused by another open: the old owner no longer counts
    s.sys(MAIN, MAIN, 'close', { args: [30], ctxSource: 'slot', ctxSpan: 0 });
    s.sys(MAIN, MAIN, 'openat', { args: [AT_FDCWD, 0, 0], path: '/f', ret: 30, ctxSource: 'slot', ctxSpan: 0 });
    s.sys(MAIN, MAIN, 'read', { args: [30], ret: 1, ctxSource: 'slot', ctxSpan: 0 });
    const { a, b, stats, c } = end();
    expect(a.syscalls.map((r) => [r.name, r.fd, r.attribution])).toEqual([
      ['socket', 30, 'context'],
      ['connect', 30, 'context'],
      ['write', 30, 'context'],
      ['read', 30, 'fd'],
      ['socket', 31, 'context'],
      ['close', 30, 'fd'],
    ]);
    expect(b.syscalls.map((r) => [r.name, r.fd, r.attribution])).toEqual([['write', 31, 'context']]);
    const outside = c.outsideSyscalls(MAIN).map((r) => [r.name, r.attribution]);
    expect(outside).toEqual([
      ['epoll_wait', 'context'],
      ['read', 'unattributed'],
      ['accept4', 'context'],
      ['read', 'unattributed'],
      ['getpid', 'unattributed'],
      ['openat', 'context'],
      ['read', 'unattributed'],
    ]);
    expect(stats.unattributed).toBe(4);
  });

  it('never counts writes to /dev/null between callbacks (slot re-registration) as unattributed', () => {
    const { s, end } = twoRequests();
    s.sys(MAIN, MAIN, 'openat', { args: [AT_FDCWD, 0, 0], path: '/dev/null', ret: 40, ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'write', { args: [40], ret: 16, ctxSource: 'slot', ctxSpan: 0 });
    const { stats, c } = end();
    expect(stats.unattributed).toBe(0);
    expect(c.outsideSyscalls(MAIN).map((r) => [r.name, r.attribution])).toEqual([['write', 'context']]);
  });

  it('never falls back to the thread rule on the main thread of a publishing process, until it execs', () => {
    const { c, spans } = collect({}, oneProcess(MAIN, 'node'));
    const s = new Stream();
    s.marker(MAIN, MAIN, `>:${A}:GET /a:_tid=${TRACE_A}:`);
    s.sys(MAIN, MAIN, 'getpid', { ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, MAIN, 'getppid'); // slot unreadable this time: not guessed from the thread's markers
    s.exec(MAIN, '/bin/true');
    s.sys(MAIN, MAIN, 'getuid'); // a new program that publishes nothing: the thread rule again
    s.marker(MAIN, MAIN, `<:${A}:GET /a::`);
    c.pushBatch(s.events);
    c.close();
    expect(byName(spans, 'GET /a').syscalls.map((r) => [r.name, r.attribution])).toEqual([
      ['getpid', 'context'],
      ['getuid', 'thread'],
    ]);
    expect(c.stats().unattributed).toBe(1);
  });

  it('keeps the thread rule for threads that publish nothing (sysdig markers, non-Node programs)', () => {
    const { c, spans } = collect({}, oneProcess(20, 'worker'));
    const s = new Stream();
    s.marker(20, 20, '>:t:job::');
    s.sys(20, 20, 'read', { args: [0], ret: 1 });
    s.marker(20, 20, '<:t:job::');
    c.pushBatch(s.events);
    expect(byName(spans, 'job').syscalls.map((r) => r.attribution)).toEqual(['thread']);
  });

  it('calls other threads of a publishing process unattributed while its worker probes are unproven', () => {
    const { s, end } = twoRequests();
    s.sys(MAIN, MAIN, 'getpid', { ctxSource: 'slot', ctxSpan: A });
    s.sys(MAIN, WORKER, 'openat', { args: [AT_FDCWD, 0, 0], path: '/data/a.txt', ret: 21 }); // no uprobes: unknown
    const { a, stats } = end();
    expect(a.syscalls.map((r) => r.name)).toEqual(['getpid']);
    expect(stats.unattributed).toBe(1);
  });
});
