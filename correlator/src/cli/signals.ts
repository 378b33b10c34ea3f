// SIGINT / SIGTERM while tracing: the first one asks for an orderly stop (flush finished spans, close open ones as
// incomplete, detach); another one while that is under way exits at once.

import { constants } from 'node:os';
import { logLine, processLogFormat } from './log.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit status of a process ended by `signal`, as shells report it (128 + signal number). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Calls `onStop` on the first SIGINT/SIGTERM; on the next one, exits immediately with 128 + signal.
 * Returns a function that removes the handlers.
 */
export function onStopSignal(onStop: (signal: StopSignal) => void): () => void {
  let stopping = false;
  const handler = (signal: StopSignal) => {
    if (stopping) {
      const format = processLogFormat();
      const line = logLine(format, 'warn', `${signal} again: exiting without waiting for the outputs.`, { signal });
      // the newline ends a status line text mode may have drawn
      process.stderr.write(format === 'text' ? `\n${line}` : line);
      process.exit(exitCodeForSignal(signal));
    }
    stopping = true;
    onStop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Resolves with the first SIGINT/SIGTERM (for commands that run until interrupted). */
export function nextStopSignal(): { signal: Promise<StopSignal>; dispose: () => void } {
  let dispose = () => {};
  const signal = new Promise<StopSignal>((resolve) => {
    dispose = onStopSignal(resolve);
  });
  return { signal, dispose };
}
