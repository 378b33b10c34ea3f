// `nullspan ui [CAPTURE]`: serve the web UI on the spans of a capture file (or on none) until Ctrl-C.

import { settingsFromOptions } from './correlator-settings.js';
import type { CliOptions } from './options.js';
import { replayCapture } from './replay.js';
import { TraceSession } from './session.js';
import { nextStopSignal } from './signals.js';
import { Terminal } from './terminal.js';

export async function uiCommand(file: string | undefined, o: CliOptions): Promise<number> {
  const term = new Terminal(process.stdout, process.stderr, o.logFormat);
  const opts: CliOptions = { ...o, ui: true };
  const outputs = { export: false, print: false, ui: true };
  let session: TraceSession;
  if (file) {
    const replayed = await replayCapture(file, opts, term, outputs);
    session = replayed.session;
    if (replayed.failure) term.notice(`${replayed.failure.replace(/\.$/, '')}; showing the spans before it.`);
  } else {
    session = new TraceSession(opts, term, {
      clock: { wallOffsetNs: 0n },
      hostName: '',
      initialState: { version: 1, processes: [] },
      settings: settingsFromOptions(opts),
      live: false,
      outputs,
    });
    await session.start();
  }
  term.notice(`serving ${session.figures().spans} spans; Ctrl-C to stop.`);
  const stop = nextStopSignal();
  await stop.signal;
  stop.dispose();
  await session.closeUi();
  return 0;
}
