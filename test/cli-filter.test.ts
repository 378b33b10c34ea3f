// End to end, as root, on the real kernel: `nullspan run --filter` on a shell script of ten requests writes
// exactly the traces with a matching span (by duration, attribute, status and a system call's path), a replay of
// the capture decides the same (or as its own flags say), and a wrong expression stops nullspan before anything
// runs with the sentence, its column and a caret.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { REPO, runCli, tempDir, type CliResult } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const SCRIPT = join(REPO, 'test/fixtures/sampled-requests.sh');
const tmp = tempDir();
afterAll(() => tmp.remove());

function requests(file: string): OtlpSpan[] {
  return decodeOtlpJsonLines(readFileSync(file, 'utf8')).filter((s) => s.name === 'request');
}

const requestNumbers = (spans: OtlpSpan[]) => spans.map((s) => String(s.attributes.i)).sort();

describe('nullspan run --filter', () => {
  const filtered = join(tmp.dir, 'filtered.jsonl');
  const capture = join(tmp.dir, 'filtered.nscap');
  let live: CliResult;

  beforeAll(async () => {
    live = await runCli([
      'run',
      '--no-otlp',
      '--otlp-file',
      filtered,
      '--write',
      capture,
      // the slow requests (2, 7), and those from 8 on that read /etc/hostname (all do)
      '--filter',
      'dur>500ms or (attr.i>=8 syscall.name~open path=/etc/hostname)',
      '--',
      'sh',
      SCRIPT,
    ]);
  }, 60_000);

  it('writes exactly the traces with a matching span, whole, and counts kept and dropped at exit', () => {
    expect(live.code, live.stderr).toBe(0);
    const kept = requests(filtered);
    expect(requestNumbers(kept)).toEqual(['2', '7', '8', '9']);
    // with their system calls
    const spans = decodeOtlpJsonLines(readFileSync(filtered, 'utf8'));
    for (const r of kept) expect(spans.some((s) => s.parentSpanId === r.spanId && s.traceId === r.traceId)).toBe(true);
    expect(withoutFallbackNotices(live.stderr)).toBe('nullspan: tail sampling: traces kept 4 (--filter), dropped 6.\n');
  });

  it('a syscall term that no call matches keeps nothing', async () => {
    const none = join(tmp.dir, 'none.jsonl');
    const r = await runCli(['replay', '--no-otlp', '--filter', 'path=/etc/passwd', '--otlp-file', none, capture]);
    expect(r.code, r.stderr).toBe(0);
    expect(requests(none)).toEqual([]);
    expect(r.stderr).toBe('nullspan: tail sampling: traces kept 0 (--filter), dropped 10.\n');
  });

  it('replays to the same traces from the capture; --filter "" clears it, another filter and policies apply', async () => {
    const again = join(tmp.dir, 'again.jsonl');
    const r = await runCli(['replay', '--no-otlp', '--otlp-file', again, capture]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(filtered, 'utf8'));

    const all = join(tmp.dir, 'all.jsonl');
    const cleared = await runCli(['replay', '--no-otlp', '--filter', '', '--otlp-file', all, capture]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stderr).toBe('');
    expect(requestNumbers(requests(all))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

    const both = join(tmp.dir, 'both.jsonl');
    const b = await runCli([
      'replay',
      '--no-otlp',
      '--filter',
      'attr.i>=5',
      '--tail-sampling',
      'status_code=ERROR',
      '--otlp-file',
      both,
      capture,
    ]);
    expect(b.code, b.stderr).toBe(0);
    expect(requestNumbers(requests(both))).toEqual(['8']);
    expect(b.stderr).toBe(
      'nullspan: tail sampling: traces kept 1 (--filter matched 5; status_code=ERROR: 1), dropped 9.\n',
    );
  });

  it('applies to --print', async () => {
    const r = await runCli(['replay', '--no-otlp', '--print', '--filter', 'attr.i=3', capture]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^trace /gm)).toHaveLength(1);
    expect(r.stdout.match(/^ {2}request .*/gm)).toEqual([expect.stringMatching(/ i=3$/)]);
  });

  it('refuses a wrong expression with the sentence, its column and a caret, exit code 2, before running anything', async () => {
    const marker = join(tmp.dir, 'never-written');
    const r = await runCli([
      'run',
      '--no-otlp',
      '--filter',
      'service=api dur>50 syscall.name=fsync',
      '--',
      'sh',
      '-c',
      `touch ${marker}`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "nullspan: --filter: 'dur' needs a duration with a unit, such as 50ms, 1.5s, 200us or 800ns (at column 17).\n" +
        '  service=api dur>50 syscall.name=fsync\n' +
        '                  ^\n',
    );
    expect(() => readFileSync(marker)).toThrow();

    const json = await runCli(['run', '--no-otlp', '--log-format', 'json', '--filter', 'kind=serv', '--', 'true']);
    expect(json.code).toBe(2);
    const lines = json.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', exitCode: 2, column: 6 });
  });
});
