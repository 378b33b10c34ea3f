// End to end, as root, on the real kernel: `nullspan run --tail-sampling` on a shell script of ten requests
// exports exactly the slow and the failed ones, says at exit how many each policy kept and how many were dropped,
// and a replay of the capture decides the same (or as its own flags say).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceIdFraction } from '../correlator/src/cli/tail-sampling.js';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { REPO, runCli, startCli, tempDir, waitForOutput, type CliResult } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const SCRIPT = join(REPO, 'test/fixtures/sampled-requests.sh');
const tmp = tempDir();
afterAll(() => tmp.remove());

function requests(file: string): OtlpSpan[] {
  return decodeOtlpJsonLines(readFileSync(file, 'utf8')).filter((s) => s.name === 'request');
}

const requestNumbers = (spans: OtlpSpan[]) => spans.map((s) => String(s.attributes.i)).sort();

describe('nullspan run --tail-sampling', () => {
  const sampled = join(tmp.dir, 'sampled.jsonl');
  const capture = join(tmp.dir, 'sampled.nscap');
  let live: CliResult;

  beforeAll(async () => {
    live = await runCli([
      'run',
      '--no-otlp',
      '--otlp-file',
      sampled,
      '--write',
      capture,
      '--tail-sampling',
      'latency=500ms,status_code=ERROR',
      '--',
      'sh',
      SCRIPT,
    ]);
  }, 60_000);

  it('exports exactly the slow and the failed requests, whole, and counts kept and dropped per policy at exit', () => {
    expect(live.code, live.stderr).toBe(0);
    const kept = requests(sampled);
    expect(requestNumbers(kept)).toEqual(['2', '4', '7', '8']);
    // with their system calls: each request read /etc/hostname inside its span
    const spans = decodeOtlpJsonLines(readFileSync(sampled, 'utf8'));
    for (const r of kept) expect(spans.some((s) => s.parentSpanId === r.spanId && s.traceId === r.traceId)).toBe(true);
    expect(withoutFallbackNotices(live.stderr)).toBe(
      'nullspan: tail sampling: traces kept 4 (latency=500ms: 2, status_code=ERROR: 2), dropped 6.\n',
    );
  });

  it('replays to the same decisions from the capture, and to other ones with other flags', async () => {
    const again = join(tmp.dir, 'again.jsonl');
    const r = await runCli(['replay', '--no-otlp', '--otlp-file', again, capture]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(sampled, 'utf8'));

    const all = join(tmp.dir, 'all.jsonl');
    const unsampled = await runCli(['replay', '--no-otlp', '--tail-sampling', 'none', '--otlp-file', all, capture]);
    expect(unsampled.code, unsampled.stderr).toBe(0);
    expect(unsampled.stderr).toBe('');
    expect(requestNumbers(requests(all))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

    const half = join(tmp.dir, 'half.jsonl');
    const p = await runCli([
      'replay',
      '--no-otlp',
      '--tail-sampling',
      'probabilistic=50',
      '--otlp-file',
      half,
      capture,
    ]);
    expect(p.code, p.stderr).toBe(0);
    const expected = requests(all).filter((s) => traceIdFraction(s.traceId) < 0.5);
    expect(requestNumbers(requests(half))).toEqual(requestNumbers(expected));
    expect(p.stderr).toBe(
      `nullspan: tail sampling: traces kept ${expected.length} (probabilistic=50: ${expected.length}), dropped ${10 - expected.length}.\n`,
    );
  });

  it('leaves the web UI every span: `nullspan ui` on the capture serves all ten requests and decides nothing', async () => {
    const ui = startCli(['ui', '--port', '0', capture]);
    await waitForOutput(ui, (_out, err) => /web UI at http/.test(err));
    const base = /web UI at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(ui.stderr())![1];
    const res = await fetch(new URL('api/spans?limit=100', base));
    const body = (await res.json()) as { spans: { name: string }[] };
    ui.child.kill('SIGINT');
    const r = await ui.done;
    expect(body.spans.filter((s) => s.name === 'request')).toHaveLength(10);
    expect(r.stderr).not.toContain('tail sampling');
  });

  it('refuses a policy it does not know with one sentence and exit code 2, before running anything', async () => {
    const r = await runCli(['run', '--no-otlp', '--tail-sampling', 'latency=1s,errors', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nullspan: --tail-sampling expects policies such as .*, got "errors"\.\n$/);
  });
});
