// Batched exits end to end (sdk/MARKERS.md): under `nullspan run` the SDK writes a span's exit marker together with
// the next marker, carrying its end time, so the exported span ends when it ended, not when the write happened.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBatch } from '@nullspan/probe';
import { CaptureReader } from '@nullspan/correlator';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { REPO, runCli, tempDir } from './helpers/cli.js';

const ROUNDS = 5;
const tmp = tempDir();
afterAll(() => tmp.remove());

describe('batched exit markers', () => {
  it('share writes with the next marker and keep their own end times', async () => {
    const file = join(tmp.dir, 'traces.jsonl');
    const capture = join(tmp.dir, 'batched.nscap');
    const r = await runCli([
      'run',
      '--no-otlp',
      '--otlp-file',
      file,
      '--write',
      capture,
      '--',
      process.execPath,
      join(REPO, 'test/fixtures/batched-exits.mjs'),
      String(ROUNDS),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const spans = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
    const round = (name: string, i: number) =>
      spans.find(
        (s) => s.name === name && s.attributes.round === i && s.attributes['syscall.attribution'] === undefined,
      )!;
    for (let i = 0; i < ROUNDS; i++) {
      const a = round('a', i);
      const b = round('b', i);
      expect(a, `round ${i}`).toBeDefined();
      expect(b, `round ${i}`).toBeDefined();
      // a ended before the 30 ms pause; its exit was written with b's enter, after it
      expect(BigInt(a.endTimeUnixNano) - BigInt(a.startTimeUnixNano) >= 0n).toBe(true);
      expect(BigInt(b.startTimeUnixNano) - BigInt(a.endTimeUnixNano) >= 30_000_000n, `round ${i}`).toBe(true);
    }
    // a span ended by an 'exit' listener that ran after the SDK flushed its queue still arrives, ended by its exit
    const late = spans.find((s) => s.name === 'late')!;
    expect(late.attributes.ended).toBe('at exit');
    expect(late.attributes['nullspan.incomplete']).toBeUndefined();
    // the capture holds writes with an exit and the next enter together
    let batched = 0;
    for (const batch of CaptureReader.open(capture).batches())
      for (const e of decodeBatch(batch)) {
        if (e.kind !== 'marker') continue;
        const text = Buffer.from(e.data).toString('latin1');
        if (/^<:\d+:a:_te=\d+:>:\d+:b:/.test(text)) batched++;
      }
    expect(batched).toBe(ROUNDS);
  });

  it("puts what a callback does after a span's end under its parent, inside the parent's interval", async () => {
    const file = join(tmp.dir, 'after-end.jsonl');
    const r = await runCli([
      'run',
      '--no-otlp',
      '--otlp-file',
      file,
      '--',
      process.execPath,
      join(REPO, 'test/fixtures/after-end.mjs'),
      tmp.dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const spans = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
    const named = (name: string) =>
      spans.find((s) => s.name === name && s.attributes['syscall.attribution'] === undefined)!;
    const parent = named('parent');
    const child = named('child');
    const openOf = (path: string) =>
      spans.find(
        (s) =>
          s.attributes['syscall.attribution'] !== undefined && String(s.attributes['syscall.target']).endsWith(path),
      );
    const expectUnder = (path: string, span: OtlpSpan) => {
      const call = openOf(path);
      expect(call, `the open of ${path}`).toBeDefined();
      expect(call!.parentSpanId, `the open of ${path} is under ${span.name}`).toBe(span.spanId);
      expect(
        call!.startTimeUnixNano >= span.startTimeUnixNano && call!.endTimeUnixNano <= span.endTimeUnixNano,
        path,
      ).toBe(true);
    };
    expectUnder('/during', child);
    expectUnder('/after-end', parent);
    expectUnder('/later', parent);
  });
});
