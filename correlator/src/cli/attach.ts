// `nullspan attach --pid PID...`: trace running processes (and the children they start from now on) until
// SIGINT/SIGTERM, or until every one of them has exited.

import { snapshotProc } from '../state/snapshot.js';
import { UsageError } from './errors.js';
import { LiveTrace, openProbe, probeOptions } from './live.js';
import type { CliOptions } from './options.js';
import { loadProbe } from './setup-check.js';
import { nextStopSignal } from './signals.js';
import { Terminal } from './terminal.js';

const LIVENESS_POLL_MS = 500;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves once none of `pids` exists any more. */
function allExited(pids: number[]): { done: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      if (!pids.some(alive)) resolve();
    }, LIVENESS_POLL_MS);
  });
  return { done, cancel: () => clearInterval(timer) };
}

export async function attachCommand(o: CliOptions): Promise<number> {
  if (o.pid.length === 0)
    throw new UsageError('`nullspan attach` needs --pid PID (repeat it to trace several processes).');
  const pids = [...new Set(o.pid)];
  const mod = await loadProbe();
  const probe = openProbe(mod, probeOptions(o, pids));
  const term = new Terminal(process.stdout, process.stderr, o.logFormat);
  const live = new LiveTrace(mod, probe, o, term, snapshotProc(pids), { command: 'attach', pids });

  const stop = nextStopSignal();
  const exited = allExited(pids);
  let reason = 'traced processes exited';
  try {
    await live.start();
    term.notice(`tracing pid ${pids.join(', ')} and their new children; stop with Ctrl-C.`);
    await Promise.race([
      stop.signal.then((signal) => {
        reason = `tracing stopped by ${signal}`;
      }),
      exited.done,
      live.pumped,
    ]);
  } finally {
    exited.cancel();
    await live.stop(reason);
    stop.dispose();
  }
  await live.session.closeUi();
  return 0;
}
