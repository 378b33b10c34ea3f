// Replay: a capture file through a fresh Correlator configured from the capture header (clock, host, id seed,
// initial state), so the spans are exactly those of the live run.
import type { ProbeEvent } from '@nullspan/probe';
import { CaptureReader, type CaptureHeader } from './capture.js';
import { clockFromString } from './clock.js';
import { Correlator, type CorrelatorOptions } from './correlator.js';

export type ReplayOptions = Omit<CorrelatorOptions, 'clock' | 'idSeed' | 'hostName'>;

/** A Correlator set up as the live run's was, already seeded with the capture's initial state. */
export function correlatorForCapture(header: CaptureHeader, opts: ReplayOptions = {}): Correlator {
  const c = new Correlator({ ...opts, clock: clockFromString(header.wallOffsetNs), hostName: header.hostName, idSeed: header.idSeed });
  c.seed(header.initialState);
  return c;
}

/**
 * Feeds every batch of `reader` into `correlator` (decoded with the probe's decodeBatch), then closes the
 * correlator. A corrupt or truncated block throws CaptureFormatError after everything before it was fed (and
 * the correlator closed, so open spans are emitted as incomplete).
 */
export function replayInto(reader: CaptureReader, correlator: Correlator, decode: (batch: Uint8Array) => ProbeEvent[]): void {
  try {
    for (const batch of reader.batches()) correlator.pushBatch(decode(batch));
  } finally {
    correlator.close('end of capture');
  }
}
