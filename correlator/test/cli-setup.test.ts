// A bad set-up is explained in one sentence that says how to fix it.

import { describe, expect, it } from 'vitest';
import { missingAddonError } from '../src/cli/setup-check.js';

describe('missing native addon', () => {
  it('names clang when the toolchain to build the probe is missing', () => {
    const err = missingAddonError('/nonexistent');
    expect(err.message).toBe('the probe is not built and clang is missing: run `bash setup.sh` (it installs clang and libbpf and builds everything).');
  });

  it('says how to build it when the toolchain is there', () => {
    const err = missingAddonError();
    expect(err.message).toBe("the probe's native addon is not built: run `bash setup.sh` (or `pnpm build`).");
  });
});
