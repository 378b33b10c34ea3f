// Output files (OTLP JSON Lines, captures) are private: mode 0600 even over an existing file, and never written
// through a symbolic link (as root, a link planted in /tmp would otherwise redirect the write anywhere).

import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { OtlpFileExporter } from '../src/export/file.js';
import { openPrivateFile } from '../src/private-file.js';
import { assertWritableFile } from '../src/cli/output-paths.js';
import { describeError } from '../src/cli/errors.js';
import type { Clock } from '../src/model.js';

const dir = mkdtempSync(join(tmpdir(), 'nullspan-private-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const clock: Clock = { wallOffsetNs: 0n };
const linkSentence = (p: string) =>
  `${p} is a symbolic link; nullspan does not write through links (one planted there could redirect the write), so give the path of a regular file.`;

describe('OTLP file exporter output file', () => {
  it('forces an existing 0644 file to 0600 (truncating it)', async () => {
    const path = join(dir, 'existing.jsonl');
    writeFileSync(path, 'old contents\n');
    chmodSync(path, 0o644);
    const ex = new OtlpFileExporter(path, clock);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await ex.shutdown();
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('forces an existing 0644 file to 0600 when appending, keeping its contents', async () => {
    const path = join(dir, 'append.jsonl');
    writeFileSync(path, 'kept\n');
    chmodSync(path, 0o644);
    const ex = new OtlpFileExporter(path, clock, { append: true });
    await ex.shutdown();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('kept\n');
  });

  it('refuses a symbolic link with one sentence, and the link target is not created', () => {
    const target = join(dir, 'victim');
    const link = join(dir, 'planted.jsonl');
    symlinkSync(target, link);
    expect(() => new OtlpFileExporter(link, clock)).toThrow(linkSentence(link));
    expect(existsSync(target)).toBe(false);
    let thrown: unknown;
    try {
      new OtlpFileExporter(link, clock);
    } catch (err) {
      thrown = err;
    }
    // the CLI prints it as it is, not as an internal error
    expect(describeError(thrown)).toEqual({ message: linkSentence(link), exitCode: 1 });
  });
});

describe('openPrivateFile', () => {
  it('creates new files 0600 whatever the umask allows', () => {
    const path = join(dir, 'fresh');
    const old = process.umask(0o022);
    try {
      closeSync(openPrivateFile(path));
    } finally {
      process.umask(old);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses what is not a regular file (a FIFO nobody reads) without hanging', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => openPrivateFile(fifo)).toThrow(
      `${fifo} is not a regular file; nullspan writes traces and captures only to regular files.`,
    );
  });

  it('the CLI refuses a symlinked output path before the command starts', () => {
    const link = join(dir, 'early.jsonl');
    symlinkSync(join(dir, 'elsewhere'), link);
    expect(() => assertWritableFile(link, '--otlp-file')).toThrow(linkSentence(link));
  });
});
