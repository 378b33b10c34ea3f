import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configure, type Span, span } from '../src/index.js';

let dir: string;
let reasons: string[];
const onDisabled = (msg: unknown) => reasons.push((msg as { reason: string }).reason);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nullspan-nt-'));
  reasons = [];
  subscribe('nullspan:disabled', onDisabled);
});
afterEach(() => {
  unsubscribe('nullspan:disabled', onDisabled);
  configure({ target: '/dev/null', enabled: true, snapLength: undefined });
  rmSync(dir, { recursive: true, force: true });
});

function workload(): number {
  // everything an app might do; returns the number of spans it made
  const a = span.start('a', { k: 'v' });
  const b = span.trace('b', { x: 1 }, () => span.start('c'));
  b.setError('x');
  b.end();
  a.end({ done: true });
  a.end();
  return 3;
}

describe('never throws into the application', () => {
  it('an fd closed under the SDK: EBADF disables markers, said once', () => {
    const path = join(dir, 'm');
    configure({ target: path });
    span.start('first').end();
    // find the SDK's fd the way a careless close-all-fds loop would, and close it
    const fd = readdirSync('/proc/self/fd')
      .map(Number)
      .find((n) => {
        try {
          return readlinkSync(`/proc/self/fd/${n}`) === path;
        } catch {
          return false;
        }
      });
    expect(fd).toBeDefined();
    closeSync(fd!);
    expect(() => {
      for (let i = 0; i < 5; i++) workload();
    }).not.toThrow();
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/EBADF/);
    expect(readFileSync(path, 'utf8')).toMatch(/^>:\d+:first:_tid=[0-9a-f]{32}:<:\d+:first::$/); // what came before is intact
  });

  it('a caller-owned fd that is closed: EBADF', () => {
    const fd = openSync(join(dir, 'm2'), 'a');
    configure({ target: fd });
    span.start('ok').end();
    closeSync(fd);
    expect(() => workload()).not.toThrow();
    expect(reasons).toEqual([expect.stringMatching(/EBADF/)]);
    expect(readFileSync(join(dir, 'm2'), 'utf8')).toMatch(/^>:\d+:ok:_tid=[0-9a-f]{32}:<:\d+:ok::$/);
  });

  it('no /dev/null (nothing to open): disabled, said once, spans still carry ids', () => {
    configure({ target: join(dir, 'missing', 'null') });
    let s: Span | undefined;
    expect(() => {
      workload();
      s = span.start('x');
      s.end();
    }).not.toThrow();
    expect(s!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(reasons).toEqual([expect.stringMatching(/cannot open .*ENOENT/)]);
  });

  it('a target that is not writable (a directory)', () => {
    configure({ target: dir });
    expect(() => workload()).not.toThrow();
    expect(reasons).toEqual([expect.stringMatching(/EISDIR/)]);
  });

  it('a pipe whose reader went away: EPIPE', () => {
    // a write end with no reader: /proc/self/fd of a pipe opened O_RDWR then reader-less is hard to get portably,
    // so use a FIFO opened read-write, then reopen write-only after the reader is gone
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const rw = openSync(fifo, 'r+'); // keeps a reader so the write-only open below does not block
    const w = openSync(fifo, 'w');
    closeSync(rw);
    configure({ target: w });
    expect(() => workload()).not.toThrow();
    expect(reasons).toEqual([expect.stringMatching(/EPIPE/)]);
    closeSync(w);
  });

  it('disabled by option: no writes, no complaints, context still works', () => {
    const path = join(dir, 'never');
    configure({ target: path, enabled: false });
    const s = span.start('x');
    const h = span.with(s, () => span.inject({} as Record<string, string>));
    s.end();
    expect(h.traceparent).toContain(s.spanId);
    expect(reasons).toEqual([]);
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
  });

  it('configure() from inside a marker being built leaves the SDK working normally', () => {
    const path = join(dir, 'r1');
    const path2 = join(dir, 'r2');
    configure({ target: path });
    const sneaky = {
      toJSON() {
        configure({ target: path2 });
        return 'x';
      },
    };
    span.start('outer', { sneaky }).end();
    span.start('after').end();
    expect(readFileSync(path2, 'utf8')).toMatch(
      /^>:\d+:outer:_tid=[0-9a-f]{32},sneaky="x":<:\d+:outer::>:\d+:after:_tid=[0-9a-f]{32}:<:\d+:after::$/,
    );
    expect(reasons).toEqual([]);
  });

  it('nonsense arguments do not throw', () => {
    configure({ target: join(dir, 'n') });
    expect(() => {
      // @ts-expect-error wrong types on purpose
      span.start(undefined, 'not-an-object', { parent: { traceId: 5 } }).end(42);
      // @ts-expect-error
      span
        .start({ toString: () => 'obj-name' }, null)
        .setError({
          toString() {
            throw new Error('x');
          },
        })
        .end();
      span.start('p', undefined, { parent: { traceId: 'x', spanId: 'y', flags: 1 } }).end();
      // @ts-expect-error
      span
        .start('st')
        .setStatus('error', {
          toString() {
            throw new Error('no');
          },
        })
        .setStatus('bogus')
        .end({ f() {}, s: Symbol('q') });
      // @ts-expect-error
      span.inject(null);
      span.extract({ traceparent: ['a', 'b'] });
      configure({ snapLength: -5 });
      span.start('after-bad-config', { v: 'x'.repeat(1000) }).end();
    }).not.toThrow();
    expect(reasons).toEqual([]);
    // the bad snap length was clamped to the minimum, the target kept
    const text = readFileSync(join(dir, 'n'), 'utf8');
    expect(text).toContain('after-bad-config');
    expect(text).toMatch(/<:\d+:st:_st=error,s=Symbol\(q\):/);
    expect(text.length).toBeLessThan(2000);
  });
});
