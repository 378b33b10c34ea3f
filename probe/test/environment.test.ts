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

  it('explains a kernel that is too old', () => {
    expect(failure(() => checkEnvironment({ kernelRelease: '5.15.0-91-generic' })).message).toBe(
      'Linux 6.2 or newer is needed (this kernel is 5.15.0-91-generic): the probe relies on BPF ring buffers, task-local storage, BTF tracepoints and bpf_rdonly_cast.',
    );
    expect(failure(() => checkEnvironment({ kernelRelease: '6.1.55' })).message).toMatch(
      /^Linux 6\.2 or newer is needed \(this kernel is 6\.1\.55\)/,
    );
    expect(() => checkEnvironment({ kernelRelease: '6.2.0' })).not.toThrow();
    expect(() => checkEnvironment({ kernelRelease: '7.0.1' })).not.toThrow();
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
