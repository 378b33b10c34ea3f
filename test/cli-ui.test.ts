// End to end: the web UI wired into the CLI — `nullspan run --ui` serves the traced command's spans on loopback
// while tracing and after, until Ctrl-C; `nullspan ui CAPTURE` serves a capture's.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli, startCli, tempDir, waitForOutput, type RunningCli } from './helpers/cli.js';

const SCRIPT = join(REPO, 'test/fixtures/nested-markers.sh');
const tmp = tempDir();
afterAll(() => tmp.remove());

const URL_RE = /web UI at (http:\/\/127\.0\.0\.1:\d+\/)/;

async function spanNames(base: string): Promise<string[]> {
  const res = await fetch(new URL('api/spans?limit=100', base));
  expect(res.status).toBe(200);
  const body = (await res.json()) as { spans: { name: string }[] };
  return body.spans.map((s) => s.name).sort();
}

async function config(base: string): Promise<{ exported: boolean; jaegerUrl: string | null }> {
  return (await (await fetch(new URL('api/config', base))).json()) as { exported: boolean; jaegerUrl: string | null };
}

async function stop(cli: RunningCli): Promise<number | null> {
  cli.child.kill('SIGINT');
  return (await cli.done).code;
}

describe('web UI from the CLI', () => {
  it("run --ui serves the command's spans after it exits, until Ctrl-C; the exit code stays the command's", async () => {
    const capture = join(tmp.dir, 'ui.nscap');
    const cli = startCli([
      'run',
      '--ui',
      '--port',
      '0',
      '--no-otlp',
      '--write',
      capture,
      '--',
      'sh',
      SCRIPT,
      join(tmp.dir, 'o.txt'),
      '4',
    ]);
    await waitForOutput(cli, (_, err) => /stays up at/.test(err));
    const url = URL_RE.exec(cli.stderr())![1];
    expect(await spanNames(url)).toEqual(['job', 'job.step']);
    // --no-otlp: Jaeger never received these spans, so the page offers no link to it
    expect(await config(url)).toMatchObject({ exported: false, jaegerUrl: null });
    expect(await stop(cli)).toBe(4);

    // the same spans from the capture, with `nullspan ui CAPTURE`
    const ui = startCli(['ui', '--port', '0', capture]);
    await waitForOutput(ui, (_, err) => /serving \d+ spans/.test(err));
    expect(await spanNames(URL_RE.exec(ui.stderr())![1])).toEqual(['job', 'job.step']);
    expect(await config(URL_RE.exec(ui.stderr())![1])).toMatchObject({ exported: false, jaegerUrl: null });
    expect(await stop(ui)).toBe(0);
  });

  it('run --ui with OTLP export on says the spans were exported and links to the Jaeger UI', async () => {
    const received: string[] = [];
    const collector = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const cli = startCli([
        'run',
        '--ui',
        '--port',
        '0',
        '--endpoint',
        endpoint,
        '--jaeger-url',
        'http://jaeger.test:16686/',
        '--',
        'sh',
        SCRIPT,
        join(tmp.dir, 'e.txt'),
      ]);
      await waitForOutput(cli, (_, err) => /stays up at/.test(err));
      const url = URL_RE.exec(cli.stderr())![1];
      expect(await config(url)).toEqual(
        expect.objectContaining({ exported: true, jaegerUrl: 'http://jaeger.test:16686' }),
      );
      expect(await stop(cli)).toBe(0);
      expect(received.some((path) => path.endsWith('/v1/traces'))).toBe(true);
    } finally {
      collector.close();
    }
  });

  it('--ui-max-spans (and the other --ui-max-* bounds) reach the web UI store: the oldest spans are dropped and counted', async () => {
    const capture = join(tmp.dir, 'bounded.nscap');
    const run = await runCli(['run', '--no-otlp', '--write', capture, '--', 'sh', SCRIPT, join(tmp.dir, 'b.txt')]);
    expect(run.code).toBe(0);
    const ui = startCli([
      'ui',
      '--port',
      '0',
      '--ui-max-spans',
      '1',
      '--ui-max-syscalls',
      '500',
      '--ui-max-text-bytes',
      '1M',
      capture,
    ]);
    await waitForOutput(ui, (_, err) => /serving \d+ spans/.test(err));
    const res = await fetch(new URL('api/stats', URL_RE.exec(ui.stderr())![1]));
    const { store } = (await res.json()) as { store: Record<string, unknown> };
    // job.step ends first, so job (the later of the two) is the one kept
    expect(store).toMatchObject({ spans: 1, evicted: 1, maxSpans: 1, maxSyscalls: 500, maxTextBytes: 1 << 20 });
    // the notice names the bound to raise
    expect(store.evictedBy).toEqual({ spans: 1, syscalls: 0, textBytes: 0 });
    expect(await spanNames(URL_RE.exec(ui.stderr())![1])).toEqual(['job']);
    expect(await stop(ui)).toBe(0);
  });

  it('refuses a non-loopback address without --token, and with one requires it on every request', async () => {
    const refused = startCli(['ui', '--host', '0.0.0.0', '--port', '0']);
    const r = await refused.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nullspan: [^\n]*requires an access token \(--token\)\.\n$/);

    const token = 'e2e-token-0123456789abcdef';
    const cli = startCli(['ui', '--host', '0.0.0.0', '--port', '0'], {
      env: { ...process.env, NULLSPAN_TOKEN: token },
    });
    await waitForOutput(cli, (_, err) => /serving \d+ spans/.test(err));
    const port = /web UI at http:\/\/0\.0\.0\.0:(\d+)\//.exec(cli.stderr())![1];
    expect((await fetch(`http://127.0.0.1:${port}/api/spans`)).status).toBe(401);
    const ok = await fetch(`http://127.0.0.1:${port}/api/spans`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await stop(cli)).toBe(0);
  });
});
