// x86_64 syscall names <-> numbers, from the table generated out of the system headers at build time.
import { SYSCALL_NAMES } from './syscalls.generated.js';

const numbers = new Map<string, number>();
SYSCALL_NAMES.forEach((name, nr) => {
  if (name !== undefined) numbers.set(name, nr);
});

/** 'read', 'openat', ...; 'syscall_N' for numbers the headers do not name. */
export function syscallName(nr: number): string {
  return SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
}

export function syscallNumber(name: string): number | undefined {
  return numbers.get(name);
}
