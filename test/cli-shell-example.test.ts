// End to end: the bundled shell example (examples/shell/markers.sh), instrumented with nothing but
// `echo '>:t:...' > /dev/null`, traced by `nullspan run`: its sysdig-style markers become nested spans with the
// shell's own file system calls inside them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { REPO, runCli, tempDir, type CliResult } from './helpers/cli.js';

const SCRIPT = join(REPO, 'examples/shell/markers.sh');
const tmp = tempDir();
const file = join(tmp.dir, 'shell.jsonl');
let r: CliResult;
let spans: OtlpSpan[];

beforeAll(async () => {
  r = await runCli(['run', '--no-otlp', '--otlp-file', file, '--', 'sh', SCRIPT]);
  spans = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
});
afterAll(() => tmp.remove());

function one(name: string): OtlpSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found, `one span named ${name}`).toHaveLength(1);
  return found[0];
}

function calls(parent: OtlpSpan): OtlpSpan[] {
  return spans.filter((c) => c.parentSpanId === parent.spanId && c.attributes['syscall.attribution'] !== undefined);
}

describe('the shell example under nullspan run', () => {
  it('runs the script unchanged', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^done: 200 lines, \d+ bytes, sha256 [0-9a-f]{16}\n$/);
  });

  it('turns the markers into spans nested by tag prefix, with their arguments', () => {
    const job = one('job');
    expect(job.parentSpanId).toBe('');
    expect(job.attributes).toMatchObject({ script: 'markers.sh', status: 'ok' });
    const prepare = one('job.prepare');
    const process = one('job.process');
    const report = one('job.report');
    for (const child of [prepare, process, report]) {
      expect(child.parentSpanId).toBe(job.spanId);
      expect(child.traceId).toBe(job.traceId);
    }
    expect(one('job.process.copy').parentSpanId).toBe(process.spanId);
    expect(one('job.process.checksum').parentSpanId).toBe(process.spanId);
    expect(prepare.attributes.lines).toBe('200');
    expect(one('job.process.copy').attributes).toMatchObject({ from: 'input.txt', to: 'copy.txt' });
    const [, bytes, sum] = /(\d+) bytes, sha256 ([0-9a-f]{16})/.exec(r.stdout)!;
    expect(one('job.process.checksum').attributes.sha256).toBe(sum);
    // escaped reserved characters arrive unescaped
    expect(report.attributes).toMatchObject({ title: 'size, lines: and bytes', ratio: '1=1', bytes });
  });

  it('pairs the enter and exit written by two short-lived /bin/echo helpers', () => {
    const helper = one('job.helper');
    expect(helper.endTimeUnixNano > helper.startTimeUnixNano).toBe(true);
    expect(helper.attributes['nullspan.incomplete']).toBeUndefined();
  });

  it("puts the shell's file system calls under the span that made them, with the file path", () => {
    const dir = String(one('job').attributes.dir);
    const input = `${dir}/input.txt`;
    const prepareCalls = calls(one('job.prepare'));
    expect(prepareCalls.some((c) => c.name === 'openat' && c.attributes['file.path'] === input)).toBe(true);
    const writes = prepareCalls.filter((c) => c.name === 'write' && c.attributes['syscall.target'] === input);
    const written = writes.reduce((n, c) => n + Number(c.attributes['syscall.bytes']), 0);
    // input.txt is copied to copy.txt, whose size the script prints
    expect(written).toBe(Number(/(\d+) bytes/.exec(r.stdout)![1]));
    // nothing of job.prepare's work leaks into its siblings
    expect(calls(one('job.report')).some((c) => c.attributes['file.path'] === input)).toBe(false);
  });

  it('keeps every trace connected', () => {
    const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
    expect(
      spans.filter((s) => s.parentSpanId && !ids.has(`${s.traceId}/${s.parentSpanId}`)).map((s) => s.name),
    ).toEqual([]);
  });
});
