// End to end: `nullspan run` against OTLP endpoints that fail — answering 500 or 429, never answering, refusing
// connections — and with an export queue too small for the spans. Whatever the endpoint does, nullspan exits with
// the command's exit code (128 + signal for a signal) and says at exit how many spans were not delivered and why.

import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type FailingAnswer, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { cliEnv, REPO, runCli, tempDir } from './helpers/cli.js';

const SCRIPT = join(REPO, 'test/fixtures/nested-markers.sh');
const tmp = tempDir();
const receivers: OtlpReceiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
  tmp.remove();
});

async function failingReceiver(answer: FailingAnswer): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(0, answer);
  receivers.push(r);
  return r;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `nested-markers.sh` exits 3 (at once, or 2.5 s later) or kills itself with SIGSEGV after writing its spans. */
function run(
  endpoint: string,
  ending: 'exit 3' | 'exit 3 late' | 'SIGSEGV',
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  const out = join(tmp.dir, 'out.txt');
  const command =
    ending === 'exit 3'
      ? ['sh', SCRIPT, out, '3']
      : ending === 'exit 3 late'
        ? ['sh', '-c', `sh ${SCRIPT} ${out}; sleep 2.5; exit 3`]
        : ['sh', '-c', `sh ${SCRIPT} ${out}; kill -SEGV $$`];
  return runCli(['run', '--endpoint', endpoint, ...extra, '--', ...command], { env: cliEnv(env) });
}

const NOT_DELIVERED = /nullspan: (\d+) spans were not delivered to http:\/\/127\.0\.0\.1:\d+\/v1\/traces \((.*)\)\.\n/;

describe('nullspan run when the OTLP endpoint fails', () => {
  it.each([
    ['answers 500', 500 as FailingAnswer, 'exit 3' as const, 3, /^HTTP 500: \d+$/],
    ['answers 429', 429 as FailingAnswer, 'exit 3' as const, 3, /^HTTP 429: \d+$/],
    ['never answers', 'never' as FailingAnswer, 'exit 3' as const, 3, /^timeout: \d+$/],
    ['answers 500, command killed by SIGSEGV', 500 as FailingAnswer, 'SIGSEGV' as const, 139, /^HTTP 500: \d+$/],
  ])(
    "%s: exits with the command's code and says what was not delivered",
    async (_what, answer, ending, code, reason) => {
      const rx = await failingReceiver(answer);
      // OTEL_EXPORTER_OTLP_TIMEOUT bounds both a request and the wait at exit
      const r = await run(rx.url, ending, [], { OTEL_EXPORTER_OTLP_TIMEOUT: '1500' });
      expect(r.code, r.stderr).toBe(code);
      const m = NOT_DELIVERED.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(0);
      expect(m![2]).toMatch(reason);
      expect(Number(/(\d+)$/.exec(m![2])![1])).toBe(Number(m![1]));
    },
  );

  it('nothing listens: the loss is "connection refused", and the exit code is still the command\'s', async () => {
    const port = await closedPort();
    const r = await run(`http://127.0.0.1:${port}`, 'exit 3');
    expect(r.code, r.stderr).toBe(3);
    const m = NOT_DELIVERED.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![2]).toBe(`connection refused: ${m![1]}`);
  });

  it('nothing listens while a request is being retried at exit: still "connection refused", not a timeout', async () => {
    const port = await closedPort();
    // the spans go out at the first export tick (1 s) and the OTel exporter is still retrying them at exit
    const r = await run(`http://127.0.0.1:${port}`, 'exit 3 late');
    expect(r.code, r.stderr).toBe(3);
    const m = NOT_DELIVERED.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![2]).toBe(`connection refused: ${m![1]}`);
  });

  it('an export queue too small for a span: the loss is "queue limit", not blamed on the endpoint', async () => {
    const rx = await startOtlpReceiver();
    receivers.push(rx);
    const r = await run(rx.url, 'exit 3', ['--max-export-queue-bytes', '100']);
    expect(r.code, r.stderr).toBe(3);
    const m = NOT_DELIVERED.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![2]).toBe(`queue limit: ${m![1]}`);
    expect(rx.spans()).toEqual([]);
  });
});
