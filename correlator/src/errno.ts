// errno numbers → names ('ENOENT'), from Node's own table for this platform (one source of truth: the OS).
import { constants } from 'node:os';

const names: string[] = [];
for (const [name, value] of Object.entries(constants.errno)) {
  // Aliases share a number (EWOULDBLOCK = EAGAIN): keep the first, the name strace prints.
  if (names[value] === undefined) names[value] = name;
}

/** `ret` of a failed call (-errno) → 'ENOENT'; unknown numbers → 'E<n>'. */
export function errnoName(ret: number): string {
  const n = -ret;
  return names[n] ?? `E${n}`;
}
