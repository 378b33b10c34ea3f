// `nullspan attach --pid` on a Node program that is already running: its libuv worker threads' system calls are
// attributed to the span that submitted the work (the libuv uprobes go on the attached process, as `run` and
// `agent` put them on the processes they find).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, startCli, tempDir } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';
import { decodeOtlpJsonLines } from './helpers/otlp.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('nullspan attach --pid on a running node process', () => {
  it('attributes worker-thread calls to the submitting span', async () => {
    const data = join(tmp.dir, 'data.txt');
    writeFileSync(data, 'worker data');
    const out = join(tmp.dir, 'traces.jsonl');
    const child = spawn(process.execPath, [join(REPO, 'test/fixtures/attach-worker.mjs'), data, '40'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let wake = () => {};
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      wake();
    });
    const lineCount = async (n: number) => {
      while (lines.length < n) await new Promise<void>((r) => (wake = r));
    };
    await lineCount(1); // running, its SDK loaded and its slot registered, before the CLI starts
    const cli = startCli(['attach', '--pid', String(child.pid), '--no-otlp', '--otlp-file', out]);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(withoutFallbackNotices(r.stderr)).not.toMatch(/libuv worker attribution is off/);
    const spans = decodeOtlpJsonLines(readFileSync(out, 'utf8'));
    const jobs = new Set(spans.filter((s) => s.name === 'job').map((s) => s.spanId));
    expect(jobs.size).toBeGreaterThan(0);
    const reads = spans.filter((s) => jobs.has(s.parentSpanId ?? '') && s.attributes['file.path'] === data);
    expect(reads.map((s) => `${s.name}:${s.attributes['syscall.attribution']}`)).toContain('openat:submitter');
  });
});
