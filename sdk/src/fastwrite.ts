/**
 * The marker write: one write(2) of buf[0, n) to fd, returning the byte count or -errno, never throwing.
 *
 * Through the optional native module (native/fastwrite.c) when it was built — a Node-API call costs ~80 ns where
 * fs.writeSync spends ~400 ns of validation and libuv request setup around the same system call — else through
 * fs.writeSync. `NULLSPAN_NATIVE=0` forces fs.writeSync (to compare, or to rule the module out).
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';

export type WriteBytes = (fd: number, bytes: Uint8Array, length: number) => number;

function writeWithFs(fd: number, bytes: Uint8Array, length: number): number {
  try {
    return writeSync(fd, bytes, 0, length);
  } catch (e) {
    const errno = (e as { errno?: unknown }).errno;
    return typeof errno === 'number' && errno < 0 ? errno : -constants.errno.EIO;
  }
}

function loadNative(): WriteBytes | undefined {
  if (process.env.NULLSPAN_NATIVE === '0') return undefined;
  try {
    // src/ and dist/ sit at the same depth below the package root
    const mod = createRequire(import.meta.url)('../build/Release/nullspan_fastwrite.node') as { write?: unknown };
    return typeof mod.write === 'function' ? (mod.write as WriteBytes) : undefined;
  } catch {
    return undefined; // not built (no compiler at install): fs.writeSync it is
  }
}

const native = loadNative();

/** Which write path markers take: 'native' or 'fs'. */
export const writePath: 'native' | 'fs' = native !== undefined ? 'native' : 'fs';

export const writeBytes: WriteBytes = native ?? writeWithFs;

/** `EBADF` for -9: the name of a negative errno, for the one-sentence debug message. */
export function errnoName(result: number): string {
  for (const [name, n] of Object.entries(constants.errno)) if (n === -result) return name;
  return `errno ${-result}`;
}
