// `nullspan run -- COMMAND ARGS...`: spawn COMMAND already traced (children included), trace until it exits,
// complete every output, and exit with its exit code.

import type { ChildProcess } from 'node:child_process';
import { lookUpCommand } from '@nullspan/probe';
import { snapshotProc, type InitialState } from '../state/snapshot.js';
import { CliError, UsageError } from './errors.js';
import { LiveTrace, openProbe, probeOptions } from './live.js';
import type { CliOptions } from './options.js';
import { loadProbe } from './setup-check.js';
import { exitCodeForSignal, nextStopSignal, onStopSignal, type StopSignal } from './signals.js';
import { Terminal } from './terminal.js';

/** How long a command that was sent our SIGINT/SIGTERM gets to end (and finish its spans) before we detach. */
const SIGNAL_GRACE_MS = 2000;

/** The shell would say "not found" (127) or "permission denied" (126) in its own words; say it in ours first. */
function assertCommandExists(command: string): void {
  const found = lookUpCommand(command);
  if ('path' in found) return;
  if (found.problem === 'not executable')
    throw new CliError(`${command}: permission denied (not an executable file).`, 126);
  throw new CliError(`command not found: ${command}.`, 127);
}

/**
 * The command's environment: ours, plus NULLSPAN_CONTEXT=1 unless the user set it. The probe is attached before
 * the command starts, so the SDK may keep the active span current from its first request on instead of waiting
 * for the probe's first acknowledgement (sdk/MARKERS.md "Active span").
 */
export function commandEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.NULLSPAN_CONTEXT === undefined ? { ...env, NULLSPAN_CONTEXT: '1' } : env;
}

export async function runCommand(argv: string[], o: CliOptions): Promise<number> {
  if (argv.length === 0) {
    throw new UsageError('missing command to run: put it after `--`, as in `nullspan run -- node app.js`.');
  }
  assertCommandExists(argv[0]);
  const mod = await loadProbe();
  const probe = openProbe(mod, probeOptions(o, []));
  const term = new Terminal(process.stdout, process.stderr, o.logFormat);

  // Handlers first: a Ctrl-C that arrives while the command starts must already stop tracing in order.
  let interrupted: StopSignal | undefined;
  let child: ChildProcess | undefined;
  let graceOver!: () => void;
  const detach = new Promise<void>((resolve) => (graceOver = resolve));
  const disposeSignals = onStopSignal((signal) => {
    interrupted = signal;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    setTimeout(graceOver, SIGNAL_GRACE_MS).unref();
  });

  // The /proc snapshot is taken while the child still waits to exec: taken later it would race the command and
  // could seed fd state the event stream has already changed.
  let initialState: InitialState | undefined;
  child = probe.spawn(argv[0], argv.slice(1), {
    stdio: 'inherit',
    env: commandEnvironment(process.env),
    beforeRelease: (pid) => (initialState = snapshotProc([pid])),
  });
  const started = child;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    started.once('exit', (code, signal) => resolve({ code, signal }));
    started.once('error', () => resolve({ code: 127, signal: null }));
  });
  if (started.pid === undefined) {
    disposeSignals();
    await probe.close();
    throw new CliError(`could not start ${argv[0]}.`, 127);
  }

  let live: LiveTrace;
  try {
    live = new LiveTrace(mod, probe, o, term, initialState ?? snapshotProc([started.pid]), { command: 'run', argv });
  } catch (err) {
    // Tracing could not start after all: do not leave the command running untraced.
    started.kill('SIGKILL');
    disposeSignals();
    await probe.close();
    throw err;
  }
  try {
    await live.start();
  } catch (err) {
    // e.g. the UI port is taken: same rule, the command does not go on untraced
    started.kill('SIGKILL');
    await live.stop('tracing could not start');
    disposeSignals();
    throw err;
  }
  try {
    await Promise.race([exited, detach, live.pumped]);
  } finally {
    const childDone = started.exitCode !== null || started.signalCode !== null;
    const reason = interrupted && !childDone ? `tracing stopped by ${interrupted}` : 'traced command exited';
    await live.stop(reason);
    disposeSignals();
  }

  if (o.ui && !interrupted && live.session.uiUrl) {
    term.notice(`${argv[0]} exited; the web UI stays up at ${live.session.uiUrl} until Ctrl-C.`);
    const { signal, dispose } = nextStopSignal();
    await signal;
    dispose();
  }
  await live.session.closeUi();

  if (started.exitCode !== null) return started.exitCode;
  if (started.signalCode !== null) return exitCodeForSignal(started.signalCode);
  return exitCodeForSignal(interrupted ?? 'SIGTERM');
}
