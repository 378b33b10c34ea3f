// End to end on a pseudo-terminal (`script`, util-linux): the live status line shows a loss as it happens.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, startProgram, tempDir, waitForOutput } from './helpers/cli.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('the live status line', () => {
  it('counts an unmatched span exit while the command still runs', async () => {
    const release = join(tmp.dir, 'release');
    // an exit marker for a span never entered, then wait until the test has seen the status line
    const script = `echo '<:t:never.entered::' > /dev/null; while [ ! -e '${release}' ]; do sleep 0.1; done`;
    const command = [process.execPath, CLI, 'run', '--no-otlp', '--', 'sh', '-c', script]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const cli = startProgram('script', ['-qefc', command, '/dev/null'], { env: cliEnv() });
    const shown = waitForOutput(cli, (stdout) => /\d+ spans {2}lost 1 \(1 unmatched exits\)/.test(stdout)).then(
      () => true,
    );
    // a generous bound, so that a status line without the counter fails the test instead of leaving the command running
    const gaveUp = new Promise<false>((resolve) => setTimeout(() => resolve(false), 30_000).unref());
    const seen = await Promise.race([shown, gaveUp]);
    writeFileSync(release, '');
    const r = await cli.done;
    expect(seen, r.stdout).toBe(true);
    expect(r.code, r.stderr).toBe(0);
  });
});
