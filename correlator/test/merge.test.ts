import { describe, expect, it } from 'vitest';
import type { MergeOptions } from '../src/merge.js';
import { Stream, collect, oneProcess } from './synthetic.js';

const AT_FDCWD = -100;

function run(build: (s: Stream) => void, merge?: MergeOptions) {
  const { c, spans } = collect({ merge }, oneProcess(10));
  const s = new Stream();
  s.fork(10, 10, 10, 11, { isThread: true });
  s.marker(10, 10, '>:p:work::');
  s.sys(10, 10, 'openat', { args: [AT_FDCWD, 0, 0], path: '/big', ret: 3 });
  s.sys(10, 10, 'openat', { args: [AT_FDCWD, 0, 0], path: '/other', ret: 4 });
  build(s);
  s.marker(10, 10, '<:p:work::');
  c.pushBatch(s.events);
  return spans[0].span.syscalls.filter((r) => r.name !== 'openat');
}

describe('merging identical consecutive syscalls', () => {
  it('folds a run on the same fd into one record with count, total bytes and summed duration', () => {
    const calls = run((s) => {
      for (let i = 0; i < 250; i++) s.sys(10, 10, 'read', { args: [3], ret: 4096, dur: 2000 });
      s.sys(10, 10, 'read', { args: [3], ret: 0, dur: 1000 });
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      name: 'read',
      fd: 3,
      count: 251,
      bytes: 250 * 4096,
      dur: 250 * 2000 + 1000,
      ret: 0,
      path: '/big',
    });
    expect(calls[0].end - calls[0].ts).toBeGreaterThanOrEqual(calls[0].dur);
  });

  it('keeps slow calls (≥ 1 ms by default) and failing calls on their own', () => {
    const calls = run((s) => {
      s.sys(10, 10, 'read', { args: [3], ret: 10 });
      s.sys(10, 10, 'read', { args: [3], ret: 10 });
      s.sys(10, 10, 'read', { args: [3], ret: 10, dur: 1_000_000 }); // slow
      s.sys(10, 10, 'read', { args: [3], ret: 10 });
      s.sys(10, 10, 'read', { args: [3], ret: -11 }); // EAGAIN
      s.sys(10, 10, 'read', { args: [3], ret: -11 });
      s.sys(10, 10, 'read', { args: [3], ret: 10 });
    });
    expect(calls.map((r) => [r.count, r.ret])).toEqual([
      [2, 10],
      [1, 10],
      [1, 10],
      [1, -11],
      [1, -11],
      [1, 10],
    ]);
    expect(calls[3].errno).toBe('EAGAIN');
  });

  it('breaks runs on another fd, another name or another thread', () => {
    const calls = run((s) => {
      s.sys(10, 10, 'read', { args: [3], ret: 1 });
      s.sys(10, 10, 'read', { args: [4], ret: 1 });
      s.sys(10, 10, 'write', { args: [4], ret: 1 });
      s.sys(10, 11, 'write', { args: [4], ret: 1 }); // thread 11: same process-scoped span (p)
      s.sys(10, 11, 'write', { args: [4], ret: 1 });
    });
    expect(calls.map((r) => [r.name, r.fd, r.tid, r.count])).toEqual([
      ['read', 3, 10, 1],
      ['read', 4, 10, 1],
      ['write', 4, 10, 1],
    ]); // thread 11 has no span open on it: its writes are outside spans
  });

  it('is configurable: off, another threshold, failures merged, a run limit', () => {
    const build = (s: Stream) => {
      for (let i = 0; i < 4; i++) s.sys(10, 10, 'read', { args: [3], ret: 1, dur: 5000 });
      s.sys(10, 10, 'read', { args: [3], ret: -11, dur: 5000 });
    };
    expect(run(build, { enabled: false })).toHaveLength(5);
    expect(run(build, { slowNs: 5000 })).toHaveLength(5); // every call is "slow" now
    expect(run(build, { keepFailed: false }).map((r) => r.count)).toEqual([5]);
    expect(run(build, { maxRun: 2 }).map((r) => r.count)).toEqual([2, 2, 1]);
  });

  it('merges in the outside-span ring too', () => {
    const { c } = collect({}, oneProcess(10));
    const s = new Stream();
    for (let i = 0; i < 10; i++) s.sys(10, 10, 'epoll_wait', { args: [5], ret: 1 });
    c.pushBatch(s.events);
    expect(c.outsideSyscalls(10).map((r) => r.count)).toEqual([10]);
  });
});
