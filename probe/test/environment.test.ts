// Set-up problems the machine running the tests does not have (it has BTF and a recent kernel) are still
// explained in one sentence each: checkEnvironment and loadNative take what they look at as parameters.
import { describe, expect, it } from 'vitest';
import { ProbeError } from '../src/errors.js';
import { loadNative } from '../src/native.js';
import { checkEnvironment } from '../src/options.js';

function failure(fn: () => unknown): ProbeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProbeError);
    return err as ProbeError;
  }
  throw new Error('expected a ProbeError');
}

describe('checkEnvironment', () => {
  it('passes on this machine (the real kernel release and BTF)', () => {
    expect(() => checkEnvironment()).not.toThrow();
  });

  it('explains a kernel below the floor (5.8: BPF ring buffer), and lets older-than-newest kernels through', () => {
    expect(failure(() => checkEnvironment({ kernelRelease: '5.4.0-150-generic' })).message).toBe(
      'Linux 5.8 or newer is needed (this kernel is 5.4.0-150-generic): the probe relies on the BPF ring buffer (5.8) and BTF tracepoints (5.5).',
    );
    expect(failure(() => checkEnvironment({ kernelRelease: '4.19.0' })).message).toMatch(
      /^Linux 5\.8 or newer is needed \(this kernel is 4\.19\.0\)/,
    );
    // features above the floor have fallbacks the loader picks (features.ts)
    for (const kernel of ['5.8.0', '5.15.0-91-generic', '6.1.0-13-amd64', '6.2.0', '7.0.1'])
      expect(() => checkEnvironment({ kernelRelease: kernel })).not.toThrow();
  });

  it('explains a kernel without BTF', () => {
    expect(failure(() => checkEnvironment({ btfPath: '/nonexistent/btf/vmlinux' })).message).toBe(
      'This kernel exposes no BTF (/nonexistent/btf/vmlinux is missing); nullspan needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.',
    );
  });

  it('explains missing privileges and a foreign platform', () => {
    expect(failure(() => checkEnvironment({ privileged: false })).message).toBe(
      'The probe needs root (or the CAP_BPF and CAP_PERFMON capabilities); run it with sudo.',
    );
    expect(failure(() => checkEnvironment({ platform: 'darwin' })).message).toBe(
      'The nullspan probe only runs on Linux.',
    );
  });
});

describe('loadNative', () => {
  it('reports an addon that is not there as ADDON_NOT_BUILT, in one sentence saying how to build it', () => {
    const err = failure(() => loadNative('../build/Release/no-such-addon.node'));
    expect(err.code).toBe('ADDON_NOT_BUILT');
    expect(err.message).toMatch(
      /^The probe's native addon is not built \(Cannot find module '[^']*no-such-addon\.node'[^)]*\): run `bash setup\.sh` \(or `pnpm build`\)\.$/,
    );
  });
});
