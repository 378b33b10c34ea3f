// End to end on the real kernel: `nullspan run` exporting to a loopback OTLP receiver, the time breakdown of spans
// of known composition. A C program (thread model): a CPU spin, a nanosleep, an fsync of a freshly written file, a
// wait on a mutex another thread holds, a spin with a CPU hog pinned to the same CPU; each exit marker carries the
// thread's own CPU time in the span (CLOCK_THREAD_CPUTIME_ID), the ground truth for on-CPU time on a machine other
// tests load. A Node program (event-loop model): A awaits a 10 ms timer while B spins 100 ms on the same loop,
// then R reads a file on the libuv pool.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpSpan } from './helpers/otlp.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { cliEnv, REPO, runCli, tempDir } from './helpers/cli.js';

const MS = 1_000_000;
const WAITS = ['file', 'net', 'lock', 'sleep', 'poll', 'pagefault', 'other'];
const tmp = tempDir('nullspan-breakdown-');
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
  tmp.remove();
});

function durOf(s: OtlpSpan): number {
  return Number(s.endTimeUnixNano - s.startTimeUnixNano);
}

/** A time attribute: integer ns; a part the span's time did not go to is left out (0). */
function num(s: OtlpSpan, key: string): number {
  const v = s.attributes[key] ?? 0;
  expect(typeof v, `${s.name}: ${key}`).toBe('number');
  return v as number;
}

function blocked(s: OtlpSpan, kind: string): number {
  return num(s, `nullspan.time.blocked.${kind}`);
}

function blockedTotal(s: OtlpSpan): number {
  return WAITS.reduce((sum, k) => sum + blocked(s, k), 0);
}

/** The CPU time the C program measured itself inside the span (an untyped marker arg: a string). */
function cpuNs(s: OtlpSpan): number {
  return Number(s.attributes.cpu_ns);
}

/** The parts of the breakdown, which add up to the span's duration. */
function partsSum(s: OtlpSpan): number {
  const loop = s.attributes['nullspan.time.model'] === 'event-loop';
  return (
    num(s, 'nullspan.time.on_cpu') +
    num(s, 'nullspan.time.runqueue') +
    blockedTotal(s) +
    (loop ? num(s, 'nullspan.time.loop_busy_other') + num(s, 'nullspan.time.async_wait') : 0)
  );
}

/** The tolerance: ±5 % of the span's duration, or ±1 ms. */
function tolerance(s: OtlpSpan): number {
  return Math.max(0.05 * durOf(s), 1 * MS);
}

function expectNear(actual: number, expected: number, tol: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected} (±${tol})`).toBeLessThanOrEqual(tol);
}

/** The application span named `name` (not a syscall child span of the same name). */
function only(spans: OtlpSpan[], name: string): OtlpSpan {
  const found = spans.filter((s) => s.name === name && s.attributes['syscall.ret'] === undefined);
  expect(found.length, name).toBe(1);
  return found[0];
}

describe('thread model: a C program with spans of known composition', () => {
  const file = join(tmp.dir, 'c.jsonl');
  let spans: OtlpSpan[];

  beforeAll(async () => {
    const exe = join(tmp.dir, 'time-breakdown');
    execFileSync('cc', ['-O1', '-pthread', '-o', exe, join(REPO, 'test/fixtures/time-breakdown.c')]);
    receiver.requests.length = 0;
    // the fsync needs a real disk: the repository's, not a tmpfs
    const r = await runCli(['run', '--otlp-file', file, '--', exe, join(REPO, 'test')], {
      env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
    });
    expect(r.code, r.stderr).toBe(0);
    spans = receiver.spans();
  }, 120_000);

  it('exports the parts as integer-ns attributes that add up to each span', () => {
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('{"key":"nullspan.time.on_cpu","value":{"intValue":');
    expect(text).toContain('{"key":"nullspan.time.blocked.lock","value":{"intValue":');
    for (const name of ['spin', 'sleep', 'fsync', 'mutex', 'contended']) {
      const s = only(spans, name);
      expect(s.attributes['nullspan.time.model'], name).toBe('thread');
      expectNear(partsSum(s), durOf(s), 0.02 * durOf(s), `${name}: parts vs duration`);
      // the thread's own measurement of its CPU time inside the span
      expectNear(num(s, 'nullspan.time.on_cpu'), cpuNs(s), tolerance(s), `${name}: on-CPU`);
    }
  });

  it('a CPU spin is on CPU or waiting for it, never blocked', () => {
    const s = only(spans, 'spin');
    expect(blockedTotal(s)).toBeLessThanOrEqual(tolerance(s));
  });

  it('a 50 ms nanosleep is blocked in sleep for 50 ms', () => {
    const s = only(spans, 'sleep');
    // the kernel sleeps at least the 50 ms asked, longer on a loaded machine: the call's own span is the reference
    const call = spans.find((c) => /nanosleep$/.test(c.name) && c.parentSpanId === s.spanId)!;
    expect(durOf(call)).toBeGreaterThanOrEqual(50 * MS);
    expectNear(blocked(s, 'sleep'), durOf(call), tolerance(s), 'sleep');
  });

  it('an fsync waits on the file, sleeping uninterruptibly, and its syscall span carries its own split', () => {
    const s = only(spans, 'fsync');
    expect(blocked(s, 'file')).toBeGreaterThan(0);
    expect(blockedTotal(s) - blocked(s, 'file')).toBeLessThanOrEqual(tolerance(s));
    const call = spans.find((c) => c.name === 'fsync' && c.parentSpanId === s.spanId)!;
    expect(['uninterruptible', 'both']).toContain(call.attributes['nullspan.sleep']);
    const own =
      num(call, 'nullspan.time.on_cpu') + num(call, 'nullspan.time.runqueue') + num(call, 'nullspan.time.blocked');
    expectNear(own, durOf(call), 0.02 * durOf(call) + 1000, 'fsync call split');
  });

  it('a wait on a mutex held for 30 ms is blocked on a lock', () => {
    const s = only(spans, 'mutex');
    // held 30 ms from when the holder saw this span begin: blocked that long, or runnable when woken late
    expect(blocked(s, 'lock') + num(s, 'nullspan.time.runqueue')).toBeGreaterThanOrEqual(30 * MS - tolerance(s));
    expectNear(blocked(s, 'lock'), blockedTotal(s), tolerance(s), 'lock of blocked');
  });

  it('a spin sharing its CPU with a hog waits in the run queue for what it does not run', () => {
    const s = only(spans, 'contended');
    expectNear(num(s, 'nullspan.time.runqueue'), durOf(s) - cpuNs(s), tolerance(s), 'runqueue');
    expect(num(s, 'nullspan.time.runqueue')).toBeGreaterThan(0.2 * durOf(s));
    expect(blockedTotal(s)).toBeLessThanOrEqual(tolerance(s));
  });
});

describe('event-loop model: Node', () => {
  let spans: OtlpSpan[];

  beforeAll(async () => {
    const data = join(tmp.dir, 'data.bin');
    writeFileSync(data, Buffer.alloc(8 << 20, 7));
    receiver.requests.length = 0;
    const r = await runCli(['run', '--', process.execPath, join(REPO, 'test/fixtures/loop-blocking.mjs'), data], {
      env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
    });
    expect(r.code, r.stderr).toBe(0);
    spans = receiver.spans();
  }, 120_000);

  it("B's 100 ms spin is its own time: on CPU, or runnable on a loaded machine", () => {
    const b = only(spans, 'B');
    expect(b.attributes['nullspan.time.model']).toBe('event-loop');
    // its own calls' blocked time too: the GC's futex and madvise calls it makes while it spins
    const own = num(b, 'nullspan.time.on_cpu') + num(b, 'nullspan.time.runqueue') + blockedTotal(b);
    expect(own).toBeGreaterThan(0.95 * durOf(b));
    expect(num(b, 'nullspan.time.on_cpu') + num(b, 'nullspan.time.runqueue')).toBeGreaterThan(0.8 * durOf(b));
    expect(num(b, 'nullspan.time.loop_busy_other')).toBeLessThanOrEqual(tolerance(b));
    expectNear(partsSum(b), durOf(b), 0.02 * durOf(b), 'B parts');
  });

  it("A, awaiting a 10 ms timer, shows the loop busy with B for B's whole spin, and names B", () => {
    const a = only(spans, 'A');
    const b = only(spans, 'B');
    expect(a.attributes['nullspan.time.model']).toBe('event-loop');
    expect(a.attributes['nullspan.loop_busy_top']).toBe(`B (span ${b.spanId})`);
    expectNear(num(a, 'nullspan.time.loop_busy_other'), durOf(b), tolerance(a), 'loop busy with B');
    expectNear(partsSum(a), durOf(a), 0.02 * durOf(a), 'A parts');
  });

  it("R's wait on fs.promises.readFile shows the libuv worker's time on the read", () => {
    const r = only(spans, 'R');
    const worker = num(r, 'nullspan.time.worker.on_cpu') + num(r, 'nullspan.time.worker.blocked');
    const reads = spans.filter(
      (c) => c.parentSpanId === r.spanId && c.attributes['syscall.attribution'] === 'submitter',
    );
    expect(reads.map((c) => c.name)).toContain('read');
    const own = reads.reduce((sum, c) => sum + num(c, 'nullspan.time.on_cpu') + num(c, 'nullspan.time.blocked'), 0);
    expect(own).toBeGreaterThan(0);
    expect(worker).toBeGreaterThanOrEqual(own);
    expectNear(partsSum(r), durOf(r), 0.02 * durOf(r), 'R parts');
  });
});
