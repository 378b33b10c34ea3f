// Which file a command name runs, as a shell's exec would find it: the name itself when it has a slash
// (relative to cwd), else the first executable file of that name along PATH. Shared by the probe (which binary
// gets libuv uprobes) and the CLI (127 / 126 before anything starts, as shells answer).
import { accessSync, constants as fsc, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export type CommandLookup = { path: string } | { problem: 'not found' | 'not executable' };

/** What a shell finds at `path`: an executable file, something it may not execute (a directory only when named
 * explicitly; the PATH search skips directories), or nothing. */
function probePath(path: string, explicit: boolean): 'executable' | 'not executable' | undefined {
  let isFile: boolean;
  let isDirectory: boolean;
  try {
    const st = statSync(path, { bigint: true });
    isFile = st.isFile();
    isDirectory = st.isDirectory();
  } catch {
    return undefined;
  }
  if (!isFile) return explicit && isDirectory ? 'not executable' : undefined;
  try {
    accessSync(path, fsc.X_OK);
    return 'executable';
  } catch {
    return 'not executable';
  }
}

export function lookUpCommand(
  command: string,
  cwd: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): CommandLookup {
  const explicit = command.includes('/');
  const candidates = explicit
    ? [resolve(cwd, command)]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(resolve(cwd, dir), command));
  let sawNotExecutable = false;
  for (const path of candidates) {
    const found = probePath(path, explicit);
    if (found === 'executable') return { path };
    if (found === 'not executable') sawNotExecutable = true;
  }
  return { problem: sawNotExecutable ? 'not executable' : 'not found' };
}
