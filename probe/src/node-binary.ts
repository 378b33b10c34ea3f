// Which executables get the libuv work-queue uprobes: the one rule for a command about to run, a process being
// attached and an exec seen in the event stream.
import { basename, isAbsolute } from 'node:path';

/** An absolute path to an executable named node* (node, nodejs, node20, ...). Absolute, because the uprobes are put
 *  on the file by path from nullspan's side, where a relative name would resolve against the wrong directory. */
export function isNodeBinary(path: string): boolean {
  return isAbsolute(path) && basename(path).startsWith('node');
}
