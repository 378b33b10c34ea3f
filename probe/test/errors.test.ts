// Probe failures carry their kind as a code (and, for options, the option's name), so callers such as the CLI
// react to the kind without reading the message.
import { describe, expect, it } from 'vitest';
import { decodeBatch, ProbeError, type ProbeErrorCode } from '../src/index.js';
import { resolveOptions } from '../src/options.js';

function thrown(fn: () => unknown): ProbeError & { option?: string; requirement?: string; offset?: number } {
  try {
    fn();
  } catch (err) {
    return err as ProbeError;
  }
  throw new Error('did not throw');
}

describe('typed probe errors', () => {
  it.each([
    [{ snapLen: 0 }, 'snapLen', 'must be an integer from 1 to'],
    [{ ringSize: 3000 }, 'ringSize', 'must be a power of two from 4096'],
    [{ markers: 'some' as 'all' }, 'markers', "must be 'traced' or 'all', not some"],
    [{ syscalls: ['bogus'] }, 'syscalls', 'names bogus, which is not an x86_64 system call'],
  ])('%j is INVALID_OPTION naming the option', (opts, option, requirement) => {
    const err = thrown(() => resolveOptions(opts));
    expect(err).toBeInstanceOf(ProbeError);
    expect(err.code).toBe('INVALID_OPTION' satisfies ProbeErrorCode);
    expect(err.option).toBe(option);
    expect(err.requirement).toContain(requirement);
    expect(err.message).toBe(`The ${option} option ${err.requirement}.`);
  });

  it('a corrupt batch is BATCH_CORRUPT with the record offset', () => {
    const err = thrown(() => decodeBatch(new Uint8Array(8)));
    expect(err.code).toBe('BATCH_CORRUPT');
    expect(err.offset).toBe(0);
  });
});
