// The TypeScript decoder's offsets (layout.generated.ts) are exactly what the C compiler lays out for
// bpf/nullspan.h, and the syscall table matches the system headers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSTANTS, OFFSETS, SIZES } from '../src/layout.generated.js';
import { syscallName, syscallNumber } from '../src/index.js';

describe('record layout', () => {
  it('matches offsetof/sizeof of a C program compiled with bpf/nullspan.h', () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'nullspan-layout-')), 'layout');
    const root = new URL('../..', import.meta.url).pathname;
    execFileSync('cc', [`-I${root}bpf`, '-o', bin, `${root}probe/tools/layout.c`]);
    const c = JSON.parse(execFileSync(bin, { encoding: 'utf8' }));
    expect(SIZES).toEqual(c.sizes);
    expect(OFFSETS).toEqual(Object.fromEntries(Object.entries(c.offsets).map(([k, v]) => [k.replace('.', '_'), v])));
    expect(CONSTANTS).toEqual(c.constants);
  });

  it('names x86_64 syscalls from the system headers', () => {
    expect(syscallName(0)).toBe('read');
    expect(syscallName(257)).toBe('openat');
    expect(syscallName(100000)).toBe('syscall_100000');
    expect(syscallNumber('connect')).toBe(42);
    expect(syscallNumber('nope')).toBeUndefined();
  });
});
