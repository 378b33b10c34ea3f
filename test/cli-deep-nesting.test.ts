// End to end on the real kernel: a program nesting 20,000 spans (one thread, enter markers only, then the matching
// exits) traced with --print. Nesting is marker text, so drawing it must not depend on the stack's size.

import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from './helpers/cli.js';

const DEPTH = 20_000;
const tmp = tempDir();
afterAll(() => tmp.remove());

/** Runs the CLI with stdout going to a file (what is drawn, apart from how it reaches a reader: see the pipe test). */
async function runToFile(args: string[], file: string) {
  const fd = openSync(file, 'w');
  try {
    const result = await runCli(args, { stdio: ['ignore', fd, 'pipe'] });
    return { ...result, stdout: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

const PROGRAM = `
const fs = require('node:fs');
const fd = fs.openSync('/dev/null', 'w');
for (let i = 0; i < ${DEPTH}; i++) fs.writeSync(fd, '>:t:level' + i + '::');
for (let i = ${DEPTH} - 1; i >= 0; i--) fs.writeSync(fd, '<:t:level' + i + '::');
`;

describe('nullspan run --print on 20,000 nested spans', () => {
  it("exits with the command's code and prints the whole tree, indentation capped", async () => {
    const capture = join(tmp.dir, 'deep.nscap');
    const run = await runToFile(
      [
        'run',
        '--print',
        '--no-otlp',
        '--max-open-spans',
        String(DEPTH + 100),
        '--write',
        capture,
        '--',
        process.execPath,
        '-e',
        PROGRAM,
      ],
      join(tmp.dir, 'live.txt'),
    );
    expect(run.code, run.stderr).toBe(0);
    const spanLines = run.stdout.split('\n').filter((l) => /level\d+ /.test(l));
    expect(spanLines).toHaveLength(DEPTH);
    expect(spanLines[0]).toMatch(/^ {2}level0 /);
    expect(spanLines[DEPTH - 1]).toMatch(new RegExp(`^ {66}\\[depth ${DEPTH - 1}\\] level${DEPTH - 1} `));
    // the capture replays to the same tree
    const replay = await runToFile(['replay', '--print', '--no-otlp', capture], join(tmp.dir, 'replay.txt'));
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toBe(run.stdout);

    // to a pipe whose reader starts late (the kernel takes 64 KiB, then nullspan's writes queue), nothing is lost
    const child = startCli(['replay', '--print', '--no-otlp', capture]);
    child.child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 1_000));
    child.child.stdout!.resume();
    const piped = await child.done;
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.length).toBe(run.stdout.length);
    expect(piped.stdout).toBe(run.stdout);
  }, 120_000);
});
