// Head sampling end to end: a node:http service under `nullspan run` receives requests whose traceparent says
// sampled (even k) or not (odd k). With the default sampler (parentbased_always_on) the sampled requests are
// traced with their system calls nested, and nothing of the others is exported — or even recorded: the calls of an
// unsampled request are skipped in the kernel, except the fd-table calls that keep later spans' paths right.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPAN_UNSAMPLED, decodeBatch, type SyscallEvent } from '@nullspan/probe';
import { CaptureReader } from '@nullspan/correlator';
import { Effect, classify } from '../correlator/src/state/syscalls.js';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { REPO, cliEnv, runCli, tempDir, type CliResult } from './helpers/cli.js';

const N = 20;
const tmp = tempDir();
const file = join(tmp.dir, 'traces.jsonl');
const capture = join(tmp.dir, 'sampling.nscap');
let live: CliResult;
let spans: OtlpSpan[];

beforeAll(async () => {
  live = await runCli(
    [
      'run',
      '--no-otlp',
      '--otlp-file',
      file,
      '--write',
      capture,
      '--',
      process.execPath,
      join(REPO, 'test/fixtures/sampling-server.mjs'),
      tmp.dir,
      String(N),
    ],
    { env: cliEnv({ OTEL_TRACES_SAMPLER: undefined, OTEL_TRACES_SAMPLER_ARG: undefined }) },
  );
  spans = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
}, 60_000);

afterAll(() => tmp.remove());

const requestOf = (s: OtlpSpan) => /^\/r$/.test(String(s.attributes['url.path'])) && s.kind === 2;

describe('head sampling under nullspan run', () => {
  it('exports exactly the sampled requests, each with its own reads nested', () => {
    expect(live.code, live.stderr).toBe(0);
    const servers = spans.filter(requestOf);
    expect(servers).toHaveLength(N / 2);
    const kept = new Set<number>();
    for (const s of servers) {
      const k = Number.parseInt(s.traceId.slice(-4), 16) - 0x1000;
      expect(k % 2, `request ${k} was not sampled`).toBe(0);
      kept.add(k);
      const paths = spans
        .filter((c) => c.traceId === s.traceId && c.parentSpanId === s.spanId)
        .map((c) => c.attributes['file.path'])
        .filter((p) => typeof p === 'string' && p.startsWith(tmp.dir));
      // opened, read and closed on the main thread and on a libuv worker: 6 calls naming this request's file only
      expect(paths, `request ${k}`).toEqual(Array(6).fill(join(tmp.dir, `data-${k}`)));
    }
    expect(kept.size).toBe(N / 2);
  });

  it('exports nothing that names a file of an unsampled request', () => {
    const text = readFileSync(file, 'utf8');
    for (let k = 1; k < N; k += 2) expect(text).not.toContain(`data-${k}"`);
  });

  it('records no system call of an unsampled request but its fd-table changes: the kernel skips them', () => {
    const reader = CaptureReader.open(capture);
    const unsampled: SyscallEvent[] = [];
    for (const b of reader.batches())
      for (const e of decodeBatch(b)) if (e.kind === 'syscall' && e.ctxSpan === SPAN_UNSAMPLED) unsampled.push(e);
    // openat and close of data-k on the main thread and the worker, per unsampled request
    expect(unsampled.filter((e) => e.name === 'openat' && /data-\d+$/.test(e.path ?? ''))).toHaveLength(N);
    expect(unsampled.filter((e) => classify(e.name).effect === Effect.None).map((e) => e.name)).toEqual([]);
    const trailer = reader.trailer as { probe: { skipped: { unsampled: number } } };
    // at least the two reads and two fstat/statx of each unsampled request never left the kernel
    expect(trailer.probe.skipped.unsampled).toBeGreaterThanOrEqual((N / 2) * 4);
  });
});
