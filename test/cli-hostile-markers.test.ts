// End to end, as root, on the real kernel: `nullspan run` on programs writing hostile markers. The correlator's
// work per batch stays bounded (a second SIGTERM ends it at once), and its memory stays bounded in bytes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPO, runCli, runProgram, startCli, tempDir, waitForOutput } from './helpers/cli.js';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';

const WRITER = join(REPO, 'test/fixtures/hostile-markers.mjs');
const tmp = tempDir();
afterAll(() => tmp.remove());

function named(spans: OtlpSpan[], name: string): OtlpSpan[] {
  return spans.filter((s) => s.name === name);
}

/** processes a test must not leave behind, whatever happens to it */
const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('nullspan run on markers with thousands of tags', () => {
  it('exits 143 on a second SIGTERM while the markers keep coming', async () => {
    // 20,000 tags per marker: each took seconds of matching work when prefixes were rebuilt per tag, so a batch
    // held the event loop for minutes and both signals waited for it.
    const cli = startCli(['run', '--no-otlp', '--snaplen', '32768', '--', process.execPath, WRITER, 'tags', '20000']);
    await waitForOutput(cli, (out) => /writing \d+/.test(out));
    // the writer ignores SIGTERM, and nullspan leaves without waiting for it
    leftovers.push(cli.child.pid!, Number(/writing (\d+)/.exec(cli.stdout())![1]));
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    cli.child.kill('SIGTERM');
    await waitForOutput(cli, (out) => out.includes('got SIGTERM')); // the first one was handled and forwarded
    cli.child.kill('SIGTERM');
    expect(await exited).toBe(143);
    process.kill(leftovers.pop()!, 'SIGKILL');
    expect((await cli.done).stderr).toMatch(/SIGTERM again: exiting without waiting/);
  }, 90_000);
});

describe('nullspan run on open spans with large args', () => {
  it('keeps its peak RSS under the documented 512 MB with 20,000 open spans of 31 KB args each', async () => {
    // 620 MB of args held open: without a byte bound the table kept them all (over 700 MB peak RSS)
    const r = await runProgram('/usr/bin/time', [
      '-f',
      'maxrss-kb %M',
      process.execPath,
      join(REPO, 'correlator/dist/cli/main.js'),
      'run',
      '--no-otlp',
      '--snaplen',
      '32768',
      '--',
      process.execPath,
      WRITER,
      'big-args',
      '20000',
      '31000',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const peakMb = Number(/maxrss-kb (\d+)/.exec(r.stderr)![1]) / 1024;
    expect(peakMb).toBeLessThan(512);
    const evicted = Number(/(\d+) open spans were evicted over --max-open-span-bytes 134217728\./.exec(r.stderr)?.[1]);
    expect(evicted).toBeGreaterThan(10_000);
  }, 180_000);

  it('says on every span it evicted, in OTLP, that it is incomplete', async () => {
    const traces = join(tmp.dir, 'evicted.jsonl');
    const r = await runCli([
      'run',
      '--no-otlp',
      '--snaplen',
      '32768',
      '--max-open-span-bytes',
      '1M',
      '-o',
      traces,
      '--',
      process.execPath,
      WRITER,
      'big-args',
      '200',
      '31000',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const evicted = Number(/(\d+) open spans were evicted over --max-open-span-bytes 1048576\./.exec(r.stderr)?.[1]);
    expect(evicted).toBeGreaterThan(150);
    const open = named(decodeOtlpJsonLines(readFileSync(traces, 'utf8')), 'open');
    expect(open).toHaveLength(200);
    expect(open.filter((s) => s.attributes['nullspan.incomplete'] === 'evicted')).toHaveLength(evicted);
    // the rest were open when the writer exited: closed by the correlator too, and marked
    expect(open.every((s) => typeof s.attributes['nullspan.incomplete'] === 'string')).toBe(true);
  }, 60_000);
});

describe('nullspan run with a ring too small for a burst', () => {
  it('marks the span open while the kernel dropped its records with nullspan.dropped_records', async () => {
    const traces = join(tmp.dir, 'burst.jsonl');
    const r = await runCli([
      'run',
      '--no-otlp',
      '--ring-size',
      '4096',
      '-o',
      traces,
      '--',
      process.execPath,
      WRITER,
      'burst',
      '100000',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const kernelDrops = Number(/the kernel dropped (\d+) events/.exec(r.stderr)?.[1] ?? 0);
    expect(kernelDrops).toBeGreaterThan(0);
    const spans = decodeOtlpJsonLines(readFileSync(traces, 'utf8'));
    const [burst] = named(spans, 'burst');
    const [calm] = named(spans, 'calm');
    expect(burst.attributes['nullspan.incomplete']).toBeUndefined(); // its exit marker came
    const dropped = Number(burst.attributes['nullspan.dropped_records']);
    expect(dropped).toBeGreaterThan(1000); // most of the 100,000 fstat calls could not be recorded
    expect(dropped).toBeLessThanOrEqual(kernelDrops);
    expect(calm.attributes['nullspan.dropped_records']).toBeUndefined();
  }, 60_000);
});
