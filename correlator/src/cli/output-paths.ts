// Output files are checked before tracing starts: finding out that --otlp-file or --write cannot be written
// after the command was spawned would leave it running untraced.

import { accessSync, constants as fsc, lstatSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { symlinkRefused } from '../private-file.js';
import { CliError } from './errors.js';

export function assertWritableFile(path: string, option: string): void {
  const full = resolve(path);
  // the same refusal the file's opening would give, but before the command was spawned
  if (isSymlink(full)) throw symlinkRefused(path);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    // does not exist yet: the directory must take it
    try {
      if (!statSync(dirname(full)).isDirectory()) throw new Error();
      accessSync(dirname(full), fsc.W_OK);
    } catch {
      throw new CliError(`${option} ${path}: cannot create a file in ${dirname(full)}.`);
    }
    return;
  }
  if (isDir) throw new CliError(`${option} ${path} is a directory; give a file name.`);
  try {
    accessSync(full, fsc.W_OK);
  } catch {
    throw new CliError(`${option} ${path}: permission denied.`);
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
