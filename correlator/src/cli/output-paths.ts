// Output files are checked before tracing starts: finding out that --otlp-file or --write cannot be written
// after the command was spawned would leave it running untraced.
//
// Every stat here asks for bigint results: on Node 20 a plain statSync of a FIFO leaves the shared stat buffer in
// a state that makes the next module resolution fail ("Cannot find module ..."), and the commands are imported
// after these checks.

import { accessSync, type BigIntStats, constants as fsc, lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { symlinkRefused } from '../private-file.js';
import { CliError, UsageError } from './errors.js';

const BIGINT = { bigint: true } as const;

export function assertWritableFile(path: string, option: string): void {
  const full = resolve(path);
  // the same refusal the file's opening would give, but before the command was spawned
  if (isSymlink(full)) throw symlinkRefused(path);
  let isDir = false;
  let isFile = false;
  try {
    const st = statSync(full, BIGINT);
    isDir = st.isDirectory();
    isFile = st.isFile();
  } catch {
    // does not exist yet: the directory must take it
    try {
      if (!statSync(dirname(full), BIGINT).isDirectory()) throw new Error();
      accessSync(dirname(full), fsc.W_OK);
    } catch {
      throw new CliError(`${option} ${path}: cannot create a file in ${dirname(full)}.`);
    }
    return;
  }
  if (isDir) throw new CliError(`${option} ${path} is a directory; give a file name.`);
  // a FIFO, a device: nullspan's files must be complete and private, which only a regular file can be
  if (!isFile)
    throw new CliError(
      `${option} ${path} is not a regular file; nullspan writes traces and captures only to regular files.`,
    );
  try {
    accessSync(full, fsc.W_OK);
  } catch {
    throw new CliError(`${option} ${path}: permission denied.`);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path, BIGINT).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A file the command reads or writes, as the command line named it. */
export interface NamedFile {
  /** how the command line names it: `--otlp-file`, `the capture` */
  role: string;
  path: string;
  writes: boolean;
}

/** What makes two names the same file: device and inode when it exists, else the resolved path it will have. */
function identity(path: string): string {
  const full = resolve(path);
  try {
    const st = statSync(full, BIGINT);
    return `inode ${st.dev}:${st.ino}`;
  } catch {
    try {
      return `path ${join(realpathSync(dirname(full)), basename(full))}`;
    } catch {
      return `path ${full}`;
    }
  }
}

/**
 * Refuses a command line that writes a file it also reads or writes under another name (`replay --otlp-file
 * x.nscap x.nscap` would truncate the capture before reading it). Checked before anything is opened for writing.
 */
export function assertDistinctFiles(files: NamedFile[]): void {
  const seen = new Map<string, NamedFile>();
  for (const f of files) {
    const id = identity(f.path);
    const other = seen.get(id);
    if (other && (other.writes || f.writes)) {
      throw new UsageError(
        `${other.role} ${other.path} and ${f.role} ${f.path} are the same file; writing one would destroy the other.`,
      );
    }
    seen.set(id, f);
  }
}

/** The capture `replay` and `ui` read must be a file (reading a directory would fail with EISDIR mid-way). */
export function assertReadableFile(path: string, role: string): void {
  let st: BigIntStats;
  try {
    st = statSync(resolve(path), BIGINT);
  } catch {
    throw new CliError(`${path}: no such file or directory.`);
  }
  if (st.isDirectory()) throw new CliError(`${role} ${path} is a directory; give a capture file written with --write.`);
  if (!st.isFile())
    throw new CliError(`${role} ${path} is not a regular file; give a capture file written with --write.`);
}
