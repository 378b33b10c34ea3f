// End to end on a pseudo-terminal (`script`, util-linux): the live status line shows a loss as it happens.

import { existsSync } from 'node:fs';
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
    const command = [process.execPath, CLI, 'run', '--no-otlp', '--', 'sh', '-c', script].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const cli = startProgram('script', ['-qefc', command, '/dev/null'], { env: cliEnv() });
    try {
      await waitForOutput(cli, (stdout) => /\d+ spans {2}lost 1 \(1 unmatched exits\)/.test(stdout));
    } finally {
      if (!existsSync(release)) (await import('node:fs')).writeFileSync(release, '');
    }
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
  });
});
