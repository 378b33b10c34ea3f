// Which syscalls the probe may leave unrecorded in the kernel (ProbeOptions.skipByContext), derived from the one
// classification the correlator applies (syscalls.ts), so the kernel can never skip a call the fd table needs.
import { syscallName, type ProbeOptions } from '@nullspan/probe';
import { Effect, classify } from './syscalls.js';

/** x86_64 syscall numbers stay below this (probe NS_NR_MAX) */
const NR_LIMIT = 512;

/**
 * Calls that change the fd table or process state (an Effect) are always recorded; between callbacks, calls on
 * an fd (always their first argument) are recorded when it is a socket or file, which attribution-context.ts may
 * give to the span using that fd. `keepOutsideSpans` (--outside-spans) keeps every call made with no span active.
 */
export function kernelSkip(keepOutsideSpans: boolean): NonNullable<ProbeOptions['skipByContext']> {
  const stateSyscalls: string[] = [];
  const fdArgSyscalls: string[] = [];
  for (let nr = 0; nr < NR_LIMIT; nr++) {
    const name = syscallName(nr);
    if (name.startsWith('syscall_')) continue;
    const cls = classify(name);
    if (cls.effect !== Effect.None) stateSyscalls.push(name);
    else if (cls.fdArg === 0) fdArgSyscalls.push(name);
    else if (cls.fdArg > 0)
      throw new Error(`${name} has its fd in argument ${cls.fdArg}; the kernel looks at the first only.`);
  }
  return { stateSyscalls, fdArgSyscalls, keepOutsideSpans };
}
