// `nullspan replay FILE`: the outputs of a live run, reproduced from its capture (same correlator, same clock,
// same id seed, same stop reason). A corrupt or truncated capture still yields everything before the damage,
// then fails with the byte offset.

import { CaptureFormatError, CaptureReader } from '../capture.js';
import { clockFromString } from '../clock.js';
import { decodedBatches } from '../replay.js';
import { settingsForReplay } from './correlator-settings.js';
import { CliError } from './errors.js';
import type { CliOptions } from './options.js';
import { TraceSession, type SessionSetup } from './session.js';
import { nextStopSignal } from './signals.js';
import { Terminal } from './terminal.js';

/** Feeds a capture through a session built from its header. `failure` is the sentence for a damaged file. */
export async function replayCapture(
  file: string,
  o: CliOptions,
  term: Terminal,
  outputs: SessionSetup['outputs'],
): Promise<{ session: TraceSession; failure?: string }> {
  const { decodeBatch } = await import('@nullspan/probe');
  const reader = CaptureReader.open(file);
  const h = reader.header;
  const session = new TraceSession(o, term, {
    clock: clockFromString(h.wallOffsetNs),
    hostName: h.hostName,
    idSeed: h.idSeed,
    initialState: h.initialState,
    settings: settingsForReplay(o, h.meta?.correlator),
    live: false,
    outputs,
  });
  let failure: string | undefined;
  let internal: unknown;
  try {
    // a UI that cannot start is not damage in the capture: it fails the command (after the reader is closed)
    await session.start();
  } catch (err) {
    reader.close();
    throw err;
  }
  try {
    for (const events of decodedBatches(reader, decodeBatch)) session.push(events);
  } catch (err) {
    // Damage in the file ends the replay with what came before it; anything else is nullspan's own failure,
    // reported once the outputs hold what was replayed.
    if (!(err instanceof CaptureFormatError)) internal = err;
    failure = (err as Error).message;
  } finally {
    reader.close();
  }
  const stopReason = typeof reader.trailer?.stopReason === 'string' ? reader.trailer.stopReason : 'capture ended';
  await session.finish(failure ? 'capture ended early' : stopReason);
  if (internal !== undefined) throw internal;
  return { session, failure };
}

export async function replayCommand(file: string, o: CliOptions): Promise<number> {
  const term = new Terminal(process.stdout, process.stderr, o.logFormat);
  const { session, failure } = await replayCapture(file, o, term, { export: true, print: true, ui: true });
  if (o.ui && session.uiUrl) {
    term.notice(`replayed ${file}; the web UI stays up at ${session.uiUrl} until Ctrl-C.`);
    const stop = nextStopSignal();
    await stop.signal;
    stop.dispose();
  }
  await session.closeUi();
  if (failure) throw new CliError(`${failure.replace(/\.$/, '')}; everything before it was replayed.`);
  return 0;
}
