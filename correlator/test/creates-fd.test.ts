// Which calls create an fd (state/syscalls.ts createsFd), as both users of that answer see it: the record of the
// call names the fd it returned, and the event loop's fd → span bookkeeping follows the new fd.
import { describe, expect, it } from 'vitest';
import { Effect, createsFd } from '../src/state/syscalls.js';
import { Stream, byName, collect, inet, oneProcess } from './synthetic.js';

const AT_FDCWD = -100;
const A = 2 ** 41 + 1;
const TRACE_A = 'a'.repeat(32);

describe('dup creates an fd', () => {
  it('is in the shared table with the other fd-creating calls; dup2/dup3/fcntl are not (their fd is chosen)', () => {
    for (const e of [
      Effect.Open,
      Effect.OpenAt,
      Effect.OpenAt2,
      Effect.Creat,
      Effect.Socket,
      Effect.Accept,
      Effect.Accept4,
      Effect.AnonFd,
      Effect.Dup,
    ]) {
      expect(createsFd(e)).toBe(true);
    }
    for (const e of [Effect.None, Effect.Dup2, Effect.Dup3, Effect.Fcntl, Effect.Close, Effect.Connect])
      expect(createsFd(e)).toBe(false);
  });

  it('so the record of a dup names the new fd, like an open or accept does', () => {
    const { c, spans } = collect({}, oneProcess(100));
    const s = new Stream();
    s.marker(100, 100, '>:t:job::');
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0], path: '/f', ret: 3 });
    s.sys(100, 100, 'dup', { args: [3], ret: 4 });
    s.marker(100, 100, '<:t:job::');
    c.pushBatch(s.events);
    const job = byName(spans, 'job');
    expect(job.syscalls.map((r) => [r.name, r.fd, r.target])).toEqual([
      ['openat', 3, '/f'],
      ['dup', 4, '/f'],
    ]);
  });

  it("so between callbacks, a read on a dup'd socket goes to the span that made it", () => {
    const { c, spans } = collect({}, oneProcess(10, 'node'));
    const s = new Stream();
    s.marker(10, 10, `>:${A}:GET /a:_tid=${TRACE_A}:`);
    s.sys(10, 10, 'socket', { args: [2, 1, 0], ret: 30, ctxSource: 'slot', ctxSpan: A });
    s.sys(10, 10, 'connect', { args: [30], addr: inet('127.0.0.1', 9000), ret: 0, ctxSource: 'slot', ctxSpan: A });
    s.sys(10, 10, 'dup', { args: [30], ret: 35, ctxSource: 'slot', ctxSpan: A });
    s.sys(10, 10, 'read', { args: [35], ret: 90, ctxSource: 'slot', ctxSpan: 0 });
    s.marker(10, 10, `<:${A}:GET /a::`);
    c.pushBatch(s.events);
    c.close();
    const a = byName(spans, 'GET /a');
    expect(a.syscalls.map((r) => [r.name, r.fd, r.attribution])).toEqual([
      ['socket', 30, 'context'],
      ['connect', 30, 'context'],
      ['dup', 35, 'context'],
      ['read', 35, 'fd'],
    ]);
    expect(c.stats().unattributed).toBe(0);
  });
});
