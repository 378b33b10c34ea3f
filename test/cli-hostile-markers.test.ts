// End to end, as root, on the real kernel: `nullspan run` on programs writing hostile markers. The correlator's
// work per batch stays bounded (a second SIGTERM ends it at once), and its memory stays bounded in bytes.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, startCli, waitForOutput } from './helpers/cli.js';

const WRITER = join(REPO, 'test/fixtures/hostile-markers.mjs');

/** processes a test must not leave behind, whatever happens to it */
const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('nullspan run on markers with thousands of tags', () => {
  it('exits 143 on a second SIGTERM while the markers keep coming', async () => {
    // 20,000 tags per marker: each took seconds of matching work when prefixes were rebuilt per tag, so a batch
    // held the event loop for minutes and both signals waited for it.
    const cli = startCli(['run', '--no-otlp', '--snaplen', '32768', '--', process.execPath, WRITER, 'tags', '20000']);
    await waitForOutput(cli, (out) => /writing \d+/.test(out));
    // the writer ignores SIGTERM, and nullspan leaves without waiting for it
    leftovers.push(cli.child.pid!, Number(/writing (\d+)/.exec(cli.stdout())![1]));
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    cli.child.kill('SIGTERM');
    await waitForOutput(cli, (out) => out.includes('got SIGTERM')); // the first one was handled and forwarded
    cli.child.kill('SIGTERM');
    expect(await exited).toBe(143);
    process.kill(leftovers.pop()!, 'SIGKILL');
    expect((await cli.done).stderr).toMatch(/SIGTERM again: exiting without waiting/);
  }, 90_000);
});
