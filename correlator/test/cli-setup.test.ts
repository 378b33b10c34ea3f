// A bad set-up is explained in one sentence that says how to fix it.

import { describe, expect, it } from 'vitest';
import { missingAddonError } from '../src/cli/setup-check.js';
import { openProbe } from '../src/cli/live.js';
import { CliError } from '../src/cli/errors.js';
// the probe's addon loader, pointed at an addon that does not exist
import { loadNative } from '../../probe/src/native.js';

describe('missing native addon', () => {
  it('names clang when the toolchain to build the probe is missing', () => {
    const err = missingAddonError('/nonexistent');
    expect(err.message).toBe(
      'the probe is not built and clang is missing: run `bash setup.sh` (it installs clang and libbpf and builds everything).',
    );
  });

  it('says how to build it when the toolchain is there', () => {
    const err = missingAddonError();
    expect(err.message).toBe("the probe's native addon is not built: run `bash setup.sh` (or `pnpm build`).");
  });
});

describe('one message for a missing addon', () => {
  it('an addon the probe cannot load reads exactly like a probe module that was never built', async () => {
    const real = await import('@nullspan/probe');
    const mod = {
      ...real,
      Probe: { open: () => loadNative('../build/Release/absent.node') },
    } as unknown as typeof real;
    let error: unknown;
    try {
      openProbe(mod, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe(missingAddonError().message);
  });
});
