// Runs the built `nullspan` CLI the way users do (`node correlator/dist/cli/main.js ...`) and collects what it
// printed and how it exited.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'correlator/dist/cli/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** resolves when the CLI exits */
  done: Promise<CliResult>;
  /** what it printed so far */
  stdout(): string;
  stderr(): string;
}

/** Environment for the CLI in tests: no collector endpoint inherited from the machine, no colors. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

export function startCli(args: string[], options: SpawnOptions = {}): RunningCli {
  return startProgram(process.execPath, [CLI, ...args], options);
}

/** Any program, with the same collection of output (for wrappers such as `script`). */
export function startProgram(program: string, args: string[], options: SpawnOptions = {}): RunningCli {
  const child = spawn(program, args, {
    cwd: REPO,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export function runCli(args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

export function runProgram(program: string, args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  return startProgram(program, args, options).done;
}

/** Resolves once `predicate` holds for the CLI's output so far (checked as output arrives). */
export function waitForOutput(cli: RunningCli, predicate: (stdout: string, stderr: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(cli.stdout(), cli.stderr())) {
        cleanup();
        resolve();
      }
    };
    const onExit = () => {
      cleanup();
      if (predicate(cli.stdout(), cli.stderr())) resolve();
      else reject(new Error(`nullspan exited before the expected output; stderr: ${cli.stderr()}`));
    };
    const cleanup = () => {
      cli.child.stdout?.off('data', check);
      cli.child.stderr?.off('data', check);
      cli.child.off('close', onExit);
    };
    cli.child.stdout?.on('data', check);
    cli.child.stderr?.on('data', check);
    cli.child.on('close', onExit);
    check();
  });
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'nullspan-e2e-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
