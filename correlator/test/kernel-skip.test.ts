// The syscalls the kernel may skip come from the correlator's own classification: every call that changes the fd
// table is always recorded, and the probe receives exactly those numbers.
import { syscallName, syscallNumber } from '@nullspan/probe';
import { resolveOptions } from '@nullspan/probe/options';
import { describe, expect, it } from 'vitest';
import { kernelSkip } from '../src/state/kernel-skip.js';
import { ANON_FDS, Effect, classify } from '../src/state/syscalls.js';

const ALL_NAMES = Array.from({ length: 512 }, (_, nr) => syscallName(nr)).filter((n) => !n.startsWith('syscall_'));

describe('the kernel skip table', () => {
  it('always records exactly the calls the fd table applies', () => {
    const { stateSyscalls, fdArgSyscalls } = kernelSkip(false);
    expect(new Set(stateSyscalls)).toEqual(new Set(ALL_NAMES.filter((n) => classify(n).effect !== Effect.None)));
    for (const n of ['openat', 'close', 'close_range', 'accept4', 'connect', 'bind', 'socket', 'dup2', 'dup3', 'fcntl'])
      expect(stateSyscalls).toContain(n);
    for (const n of ['pipe2', 'socketpair', 'chdir', 'fchdir', 'getsockname', ...Object.keys(ANON_FDS)])
      expect(stateSyscalls).toContain(n);
    expect(stateSyscalls).not.toContain('read');
    // between callbacks, calls on an fd may still be attributed through it
    expect(new Set(fdArgSyscalls)).toEqual(
      new Set(ALL_NAMES.filter((n) => classify(n).effect === Effect.None && classify(n).fdArg === 0)),
    );
    expect(fdArgSyscalls).toEqual(expect.arrayContaining(['read', 'write', 'recvfrom', 'sendmsg', 'fsync']));
  });

  it('reaches the probe as syscall numbers, outside-span skipping off with --outside-spans', () => {
    const skip = kernelSkip(false);
    const native = resolveOptions({ syscalls: ['read'], skipByContext: skip });
    expect(native.stateSyscalls).toEqual(skip.stateSyscalls.map((n) => syscallNumber(n)));
    expect(native.fdArgSyscalls).toEqual(skip.fdArgSyscalls.map((n) => syscallNumber(n)));
    expect(native).toMatchObject({ skipUnsampled: true, skipOutside: true });
    expect(resolveOptions({ skipByContext: kernelSkip(true) })).toMatchObject({
      skipUnsampled: true,
      skipOutside: false,
    });
    expect(resolveOptions({})).toMatchObject({ skipUnsampled: false, skipOutside: false, stateSyscalls: [] });
  });
});
