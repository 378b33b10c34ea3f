// A bad set-up explained in one sentence that says how to fix it. The probe itself checks the kernel, BTF and
// privileges (its ProbeError messages are written for users); what it cannot know is how this repository is
// built, so an addon that was never built is explained here, in terms of `bash setup.sh`.

import { execFileSync } from 'node:child_process';
import { CliError } from './errors.js';

type ProbeModule = typeof import('@nullspan/probe');

function commandExists(name: string, path = process.env.PATH ?? ''): boolean {
  try {
    execFileSync('/bin/sh', ['-c', 'command -v "$0"', name], { stdio: 'ignore', env: { PATH: path } });
    return true;
  } catch {
    return false;
  }
}

/** The one sentence for "the native addon is not there", whether the probe's module could not be imported or the
 * probe reported ADDON_NOT_BUILT (`path`: where to look for clang). */
export function missingAddonError(path?: string): CliError {
  if (!commandExists('clang', path)) {
    return new CliError(
      'the probe is not built and clang is missing: run `bash setup.sh` (it installs clang and libbpf and builds everything).',
    );
  }
  return new CliError("the probe's native addon is not built: run `bash setup.sh` (or `pnpm build`).");
}

export async function loadProbe(): Promise<ProbeModule> {
  try {
    return await import('@nullspan/probe');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw missingAddonError();
    throw err;
  }
}
