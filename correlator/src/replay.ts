// Replay: a capture file through a fresh Correlator configured from the capture header (clock, host, id seed,
// initial state), so the spans are exactly those of the live run.
import type { ProbeEvent } from '@nullspan/probe';
import { CaptureFormatError, type CaptureReader, type CaptureHeader } from './capture.js';
import { clockFromString } from './clock.js';
import { Correlator, type CorrelatorOptions } from './correlator.js';

export type ReplayOptions = Omit<CorrelatorOptions, 'clock' | 'idSeed' | 'hostName'>;

/** A Correlator set up as the live run's was, already seeded with the capture's initial state. */
export function correlatorForCapture(header: CaptureHeader, opts: ReplayOptions = {}): Correlator {
  const c = new Correlator({
    ...opts,
    clock: clockFromString(header.wallOffsetNs),
    hostName: header.hostName,
    idSeed: header.idSeed,
  });
  c.seed(header.initialState);
  return c;
}

/**
 * Feeds every batch of `reader` into `correlator` (decoded with the probe's decodeBatch), then closes the
 * correlator. A corrupt or truncated block throws CaptureFormatError after everything before it was fed (and
 * the correlator closed, so open spans are emitted as incomplete).
 */
export function replayInto(
  reader: CaptureReader,
  correlator: Correlator,
  decode: (batch: Uint8Array) => ProbeEvent[],
): void {
  try {
    for (const events of decodedBatches(reader, decode)) correlator.pushBatch(events);
  } finally {
    correlator.close('end of capture');
  }
}

/** What decodeBatch throws for a corrupt record (by shape: the probe module may be another copy). */
interface CorruptRecord {
  offset: number;
  problem: string;
  decoded: ProbeEvent[];
}

function isCorruptRecord(err: unknown): err is CorruptRecord {
  const e = err as Partial<CorruptRecord> | null;
  return typeof e?.offset === 'number' && typeof e.problem === 'string' && Array.isArray(e.decoded);
}

/**
 * The decoded events of each batch of a capture. A record that does not decode (garbled behind a valid block
 * checksum) ends the replay with a CaptureFormatError naming its offset in the file — after the events before it,
 * in its own batch too, were yielded.
 */
export function* decodedBatches(
  reader: CaptureReader,
  decode: (batch: Uint8Array) => ProbeEvent[],
): Generator<ProbeEvent[]> {
  for (const batch of reader.batches()) {
    let events: ProbeEvent[];
    try {
      events = decode(batch);
    } catch (err) {
      if (!isCorruptRecord(err)) throw err;
      if (err.decoded.length > 0) yield err.decoded;
      throw new CaptureFormatError(reader.path, reader.batchOffset + err.offset, `the record ${err.problem}`);
    }
    yield events;
  }
}
