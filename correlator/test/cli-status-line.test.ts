// The live status line (stderr, on a terminal) counts what tracing lost next to the spans: kernel drops,
// malformed markers, unmatched exits, evicted spans, export failures; and what tail sampling kept and dropped.

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lossCounts, lossText } from '../src/cli/losses.js';
import { parseTailSampling, samplingText, TailSampler } from '../src/cli/tail-sampling.js';
import { Terminal } from '../src/cli/terminal.js';
import type { CorrelatorStats } from '../src/model.js';
import { EXPORT_PROC, exportSpan } from './synthetic.js';

function tty(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream: Object.assign(stream, { isTTY: true, columns: 200 }) as unknown as NodeJS.WriteStream,
    text: () => chunks.join(''),
  };
}

const STATS = { malformedMarkers: 3, unmatchedExits: 1, spansEvicted: 2 } as CorrelatorStats;
const EXPORT = { exported: 0, dropped: 7, pending: 0, failedAttempts: 1, requests: 0 };

describe('loss counter', () => {
  it('totals every loss and names the ones that are not zero', () => {
    expect(lossText(lossCounts(STATS, 4, [EXPORT]))).toBe(
      'lost 17 (4 kernel drops, 3 malformed markers, 1 unmatched exits, 2 evicted spans, 7 export failures)',
    );
    expect(lossText(lossCounts({ ...STATS, malformedMarkers: 0, spansEvicted: 0 }, 0, []))).toBe(
      'lost 1 (1 unmatched exits)',
    );
    expect(
      lossText(lossCounts({ malformedMarkers: 0, unmatchedExits: 0, spansEvicted: 0 } as CorrelatorStats, 0, [])),
    ).toBe('lost 0');
  });

  it('is on the status line next to the spans', () => {
    const out = tty();
    const err = tty();
    const term = new Terminal(out.stream, err.stream);
    term.startStatus(() => ({ events: 10, spans: 2, losses: lossCounts(STATS, 0, [EXPORT]) }));
    term.stopStatus();
    expect(err.text()).toContain(
      '10 events  2 spans  lost 13 (3 malformed markers, 1 unmatched exits, 2 evicted spans, 7 export failures)',
    );
  });

  it('shows the traces tail sampling kept, by policy, and dropped when it is on', () => {
    const err = tty();
    const term = new Terminal(tty().stream, err.stream);
    const sampler = new TailSampler(parseTailSampling('latency=1s,status_code=ERROR'), () => undefined);
    sampler.add(exportSpan(0), EXPORT_PROC);
    sampler.add({ ...exportSpan(1), status: 'error' }, EXPORT_PROC);
    term.startStatus(() => ({ events: 10, spans: 2, losses: [], tailSampling: samplingText(sampler.counts()) }));
    term.stopStatus();
    expect(err.text()).toContain('2 spans  lost 0  traces kept 1 (latency=1s: 0, status_code=ERROR: 1), dropped 1');
  });

  it('shows the syscalls the kernel skipped next to the events, when there are any', () => {
    const err = tty();
    const term = new Terminal(tty().stream, err.stream);
    term.startStatus(() => ({ events: 10, skipped: 40, spans: 2, losses: lossCounts(STATS, 0, []) }));
    term.stopStatus();
    expect(err.text()).toContain('10 events  40 skipped  2 spans  lost 6');
  });
});
