// End to end: command lines that would destroy a file or used to end in "internal error" get one sentence and the
// right exit code, and leave every input untouched; a capture garbled behind valid checksums is replayed up to
// the bad record, which is named by file and file offset.

import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSTANTS } from '../probe/src/layout.generated.js';
import { decodeOtlpJsonLines } from './helpers/otlp.js';
import { REPO, runCli, tempDir } from './helpers/cli.js';

const SCRIPT = join(REPO, 'test/fixtures/nested-markers.sh');
const tmp = tempDir();
const capture = join(tmp.dir, 'run.nscap');
const ONE_SENTENCE = /^nullspan: [^\n]+[.)]\n$/;

beforeAll(async () => {
  const r = await runCli(['run', '--no-otlp', '--write', capture, '--', 'sh', SCRIPT, join(tmp.dir, 'out.txt')]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => tmp.remove());

describe('an output that is the same file as an input or another output is refused', () => {
  it('replay --otlp-file CAPTURE CAPTURE: refused, the capture keeps every byte', async () => {
    const before = readFileSync(capture);
    const r = await runCli(['replay', '--no-otlp', '--otlp-file', capture, capture]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(ONE_SENTENCE);
    expect(r.stderr).toContain(`the capture ${capture} and --otlp-file ${capture} are the same file`);
    expect(readFileSync(capture).equals(before)).toBe(true);
  });

  it('the same file under another name (a hard link, a relative path) is the same file', async () => {
    const before = readFileSync(capture);
    const link = join(tmp.dir, 'link.nscap');
    execFileSync('ln', ['-f', capture, link]);
    const r = await runCli(['replay', '--no-otlp', '-o', 'link.nscap', capture], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/are the same file/);
    expect(readFileSync(capture).equals(before)).toBe(true);
  });

  it('run --write F --otlp-file F: refused before the command runs, also when F does not exist yet', async () => {
    const existing = join(tmp.dir, 'existing.out');
    writeFileSync(existing, 'keep me');
    for (const file of [existing, join(tmp.dir, 'new.out')]) {
      const marker = join(tmp.dir, 'ran');
      const r = await runCli(['run', '--no-otlp', '--write', file, '--otlp-file', file, '--', 'touch', marker]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(ONE_SENTENCE);
      expect(r.stderr).toContain(`--write ${file} and --otlp-file ${file} are the same file`);
      expect(() => statSync(marker)).toThrow();
    }
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    expect(() => statSync(join(tmp.dir, 'new.out'))).toThrow();
  });
});

describe('errors that are one sentence with the right exit code', () => {
  let fifo: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    fifo = join(tmp.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
    mkdirSync(join(tmp.dir, 'dir'));
    writeFileSync(join(tmp.dir, 'not-executable'), '#!/bin/sh\necho hi\n');
    chmodSync(join(tmp.dir, 'not-executable'), 0o644);
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it.each([
    [
      '--write to a FIFO',
      () => ['run', '--no-otlp', '--write', fifo, '--', 'true'],
      1,
      /--write \S+fifo is not a regular file/,
    ],
    ['replay DIR', () => ['replay', join(tmp.dir, 'dir')], 1, /the capture \S+dir is a directory/],
    [
      '--endpoint notaurl',
      () => ['run', '--endpoint', 'notaurl', '--', 'true'],
      2,
      /--endpoint expects an http:\/\/ or https:\/\/ URL \(not a URL\), got "notaurl"/,
    ],
    [
      '--endpoint ftp://',
      () => ['run', '--endpoint', 'ftp://collector/', '--', 'true'],
      2,
      /--endpoint expects an http:\/\/ or https:\/\/ URL \(ftp is not supported\)/,
    ],
    [
      '--write /proc/version',
      () => ['run', '--no-otlp', '--write', '/proc/version', '--', 'true'],
      1,
      /cannot write the capture \/proc\/version: i\/o error \(EIO\)/,
    ],
    [
      'ui CAPTURE --host 0.0.0.0 without a token',
      () => ['ui', capture, '--host', '0.0.0.0', '--port', '0'],
      1,
      /requires an access token \(--token\)/,
    ],
    [
      'ui --host 0.0.0.0 without a token',
      () => ['ui', '--host', '0.0.0.0', '--port', '0'],
      1,
      /requires an access token \(--token\)/,
    ],
    [
      'ui CAPTURE on a port in use',
      () => ['ui', capture, '--port', String(busyPort)],
      1,
      /Cannot listen on 127\.0\.0\.1:\d+ for the UI: EADDRINUSE/,
    ],
    [
      'ui on a port in use',
      () => ['ui', '--port', String(busyPort)],
      1,
      /Cannot listen on 127\.0\.0\.1:\d+ for the UI: EADDRINUSE/,
    ],
    [
      '--max-open-spans 0',
      () => ['run', '--max-open-spans', '0', '--', 'true'],
      2,
      /--max-open-spans expects a positive integer, got "0"/,
    ],
    [
      '--min-duration -5ms',
      () => ['run', '--min-duration', '-5ms', '--', 'true'],
      2,
      /--min-duration expects a non-negative duration/,
    ],
    [
      'run -- nonexistent',
      () => ['run', '--no-otlp', '--', 'no-such-command-xyz'],
      127,
      /command not found: no-such-command-xyz/,
    ],
    [
      'run -- a file that is not executable',
      () => ['run', '--no-otlp', '--', join(tmp.dir, 'not-executable')],
      126,
      /not-executable: permission denied \(not an executable file\)/,
    ],
  ])('%s', async (_what, args, code, message) => {
    const r = await runCli(args());
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(ONE_SENTENCE);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('serving');
    expect(r.stdout).toBe('');
  });
});

/** The blocks of a capture: where each batch payload starts and how long it is. */
function batchBlocks(bytes: Buffer): { at: number; len: number }[] {
  const blocks: { at: number; len: number }[] = [];
  let pos = 16 + bytes.readUInt32LE(12) + 4;
  while (pos < bytes.length) {
    const len = bytes.readUInt32LE(pos + 4);
    if (bytes[pos] === 0x42) blocks.push({ at: pos, len });
    pos += 12 + len;
  }
  return blocks;
}

/** Byte offsets (in the payload) of the records of a batch: each starts with its size (u32), records are aligned. */
function recordOffsets(payload: Buffer): number[] {
  const out: number[] = [];
  const align = CONSTANTS.NS_RECORD_ALIGN;
  for (let o = 0; o < payload.length; o += (payload.readUInt32LE(o) + align - 1) & ~(align - 1)) {
    if (payload.readUInt32LE(o) === 0) throw new Error(`record of size 0 at ${o}`);
    out.push(o);
  }
  return out;
}

describe('a capture garbled behind valid checksums', () => {
  it('names the file and the file offset of the bad record, and replays everything before it', async () => {
    const bytes = readFileSync(capture);
    // the last batch with several records: its last record gets an impossible size, its block a valid checksum
    const block = batchBlocks(bytes)
      .reverse()
      .find((b) => recordOffsets(bytes.subarray(b.at + 12, b.at + 12 + b.len)).length >= 2)!;
    expect(block).toBeDefined();
    const payloadAt = block.at + 12;
    const records = recordOffsets(bytes.subarray(payloadAt, payloadAt + block.len));
    const badAt = payloadAt + records[records.length - 1];

    const garbled = Buffer.from(bytes);
    garbled.writeUInt32LE(0xfffffff0, badAt);
    garbled.writeUInt32LE(crc32(garbled.subarray(payloadAt, payloadAt + block.len)), block.at + 8);
    const garbledPath = join(tmp.dir, 'garbled.nscap');
    writeFileSync(garbledPath, garbled);

    // the same capture cut cleanly just before the bad record: what a replay of "everything before it" gives
    const cut = Buffer.from(bytes.subarray(0, badAt));
    cut.writeUInt32LE(badAt - payloadAt, block.at + 4);
    cut.writeUInt32LE(crc32(cut.subarray(payloadAt, badAt)), block.at + 8);
    const cutPath = join(tmp.dir, 'cut.nscap');
    writeFileSync(cutPath, cut);

    const garbledOut = join(tmp.dir, 'garbled.jsonl');
    const r = await runCli(['replay', '--no-otlp', '-o', garbledOut, garbledPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(ONE_SENTENCE);
    expect(r.stderr).toContain(
      `${garbledPath}: the record declares an impossible size of ${0xfffffff0} bytes at byte offset ${badAt}`,
    );
    expect(r.stderr).toContain('everything before it was replayed');

    const cutOut = join(tmp.dir, 'cut.jsonl');
    const clean = await runCli(['replay', '--no-otlp', '-o', cutOut, cutPath]);
    expect(clean.code, clean.stderr).toBe(0);
    const ids = (file: string) =>
      decodeOtlpJsonLines(readFileSync(file, 'utf8'))
        .map((s) => `${s.name} ${s.spanId}`)
        .sort();
    expect(ids(garbledOut).length).toBeGreaterThan(0);
    expect(ids(garbledOut)).toEqual(ids(cutOut));
  });
});
