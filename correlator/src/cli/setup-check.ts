// Explains a bad set-up in one sentence before anything is loaded into the kernel: not root, no BTF, the native
// addon not built (and why: clang missing), rather than letting libbpf fail with an errno.

import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { CliError } from './errors.js';

const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

function effectiveCaps(): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

function hasCap(caps: bigint, cap: bigint): boolean {
  return (caps & (1n << cap)) !== 0n;
}

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Checks what tracing live needs from the machine; throws a CliError naming what is missing and the fix. */
export function checkTracingPrerequisites(): void {
  if (process.platform !== 'linux') {
    throw new CliError(`nullspan traces with eBPF and needs Linux; this is ${process.platform}.`);
  }
  const caps = effectiveCaps();
  if (process.getuid?.() !== 0 && !(hasCap(caps, CAP_BPF) && hasCap(caps, CAP_PERFMON))) {
    throw new CliError('nullspan loads eBPF programs and needs root (or CAP_BPF and CAP_PERFMON): run it with sudo.');
  }
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    throw new CliError(
      'this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): nullspan needs Linux >= 5.8 built with CONFIG_DEBUG_INFO_BTF=y.',
    );
  }
}

/** Loads the probe package, turning "the addon was never built" into a sentence that says how to build it. */
export async function loadProbe(): Promise<typeof import('@nullspan/probe')> {
  try {
    return await import('@nullspan/probe');
  } catch (err) {
    throw explainProbeLoadFailure(err as NodeJS.ErrnoException);
  }
}

export function explainProbeLoadFailure(err: NodeJS.ErrnoException): Error {
  const text = `${err.code ?? ''} ${err.message}`;
  const notBuilt = /MODULE_NOT_FOUND|ERR_MODULE_NOT_FOUND|ERR_DLOPEN_FAILED|\.node\b|\.bpf\.o|not built|Cannot find/i.test(text);
  if (!notBuilt) return err;
  if (!commandExists('clang')) {
    return new CliError('the probe is not built and clang is missing: run `bash setup.sh` (it installs clang and builds everything).');
  }
  return new CliError('the probe\'s native addon is not built: run `bash setup.sh` (or `pnpm build`).');
}
