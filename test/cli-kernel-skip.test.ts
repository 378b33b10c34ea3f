// End to end: `nullspan run` has the kernel skip the calls no output uses (an unsampled span's I/O, calls with no span
// active), keeps the fd-table calls so a later sampled span names the right file, counts the skipped calls in the
// capture trailer and at exit, and records everything again with --outside-spans.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPAN_UNSAMPLED, decodeBatch, type SyscallEvent } from '@nullspan/probe';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../correlator/src/capture.js';
import { CLI, REPO, cliEnv, runCli, startProgram, tempDir } from './helpers/cli.js';
import { decodeOtlpJsonLines } from './helpers/otlp.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const FIXTURE = join(REPO, 'test/fixtures/unsampled-io.mjs');
const STATS = 200;
const file = join(tmp.dir, 'f.txt');
writeFileSync(file, 'hello\n');

/** `nullspan run` of the fixture, with its capture: the statx calls (node's fstatSync) it recorded, and what the
 * trailer counted */
async function traced(extra: string[]) {
  const capture = join(tmp.dir, `cap-${extra.length}`);
  const out = join(tmp.dir, `out-${extra.length}.jsonl`);
  const r = await runCli(
    [
      'run',
      '--no-otlp',
      '--otlp-file',
      out,
      '--write',
      capture,
      ...extra,
      '--',
      process.execPath,
      FIXTURE,
      file,
      String(STATS),
    ],
    { env: cliEnv() },
  );
  expect(r.code, r.stderr).toBe(0);
  expect(withoutFallbackNotices(r.stderr)).toBe('');
  const reader = CaptureReader.open(capture);
  const stats: SyscallEvent[] = [];
  for (const batch of reader.batches())
    for (const e of decodeBatch(batch))
      if (e.kind === 'syscall' && e.name === 'statx' && e.ctxSource === 'slot') stats.push(e);
  reader.close();
  const trailer = reader.trailer as { probe: { skipped: { unsampled: number; outsideSpans: number } } };
  return { stats, skipped: trailer.probe.skipped, spans: decodeOtlpJsonLines(readFileSync(out, 'utf8')) };
}

describe('kernel-side skipping in nullspan run', () => {
  it("skips an unsampled span's I/O and no-span calls, and the sampled span still names the file", async () => {
    const { stats, skipped, spans } = await traced([]);
    // the loops' calls never left the kernel
    expect(stats.filter((e) => e.ctxSpan === 0 || e.ctxSpan === SPAN_UNSAMPLED)).toEqual([]);
    expect(skipped.unsampled).toBeGreaterThanOrEqual(STATS);
    expect(skipped.outsideSpans).toBeGreaterThanOrEqual(STATS);
    // the fd the unsampled span opened is known: the sampled span's read names its file
    const reuse = spans.find((s) => s.name === 'reuse');
    const read = spans.find((s) => s.parentSpanId === reuse?.spanId && s.name === 'pread64');
    expect(read?.attributes['file.path']).toBe(file);
  });

  it('records the calls outside spans with --outside-spans', async () => {
    const { stats, skipped } = await traced(['--outside-spans']);
    expect(skipped.unsampled).toBeGreaterThanOrEqual(STATS);
    expect(skipped.outsideSpans).toBe(0);
    expect(stats.filter((e) => e.ctxSpan === 0).length).toBeGreaterThanOrEqual(STATS);
    expect(stats.filter((e) => e.ctxSpan === SPAN_UNSAMPLED)).toEqual([]);
  });

  it('says at exit, on a terminal, how many calls the kernel skipped and why', async () => {
    const command = [process.execPath, CLI, 'run', '--no-otlp', '--', process.execPath, FIXTURE, file, String(STATS)]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const r = await startProgram('script', ['-qefc', command, '/dev/null'], { env: cliEnv() }).done;
    expect(r.code, r.stdout).toBe(0);
    const m =
      /the kernel skipped (\d+) system calls no output uses: (\d+) in unsampled spans, (\d+) outside spans/.exec(
        r.stdout,
      );
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThanOrEqual(STATS);
    expect(Number(m![3])).toBeGreaterThanOrEqual(STATS);
    expect(Number(m![1])).toBe(Number(m![2]) + Number(m![3]));
  });
});
