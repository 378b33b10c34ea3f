// Files nullspan writes (OTLP files, captures) name other processes' files, peers and arguments, and nullspan
// usually runs as root: they are opened mode 0600 whatever existed before, and never through a symbolic link,
// so a link planted in a shared directory such as /tmp cannot redirect the write to another file.
import { closeSync, fchmodSync, fstatSync, openSync, constants as fsc } from 'node:fs';

/** A path nullspan refuses to write to; the message is one sentence for the user. */
export class PrivateFileError extends Error {
  override name = 'PrivateFileError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export function symlinkRefused(path: string): PrivateFileError {
  return new PrivateFileError(
    path,
    `${path} is a symbolic link; nullspan does not write through links (one planted there could redirect the write), so give the path of a regular file.`,
  );
}

export interface PrivateFileOptions {
  /** keep what the file holds and append (default: truncate) */
  append?: boolean;
}

/**
 * Opens `path` for writing as a private regular file and returns the fd: created mode 0600, an existing file
 * truncated (or appended to) and forced to 0600, a symbolic link or anything but a regular file refused.
 */
export function openPrivateFile(path: string, opts: PrivateFileOptions = {}): number {
  // O_NONBLOCK: opening a FIFO nobody reads must fail, not hang; it does not affect regular files.
  const flags =
    fsc.O_WRONLY | fsc.O_CREAT | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | (opts.append ? fsc.O_APPEND : fsc.O_TRUNC);
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(path);
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw notRegular(path);
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) throw notRegular(path);
    // An existing file keeps its mode through open(): tighten it before anything is written.
    fchmodSync(fd, 0o600);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function notRegular(path: string): PrivateFileError {
  return new PrivateFileError(
    path,
    `${path} is not a regular file; nullspan writes traces and captures only to regular files.`,
  );
}
