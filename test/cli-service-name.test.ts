// End to end: a traced process that sets no `_svc` in its markers is named by the OTEL_SERVICE_NAME in its own
// environment.
//
// Known gap (it.fails below, so the suite says when it is closed): the variable is read from /proc/PID/environ only
// when the process table is seeded (`run` snapshots the child before it execs the command). A variable that first
// appears with a later exec — `env OTEL_SERVICE_NAME=x prog`, or a shell starting `OTEL_SERVICE_NAME=x prog` — is
// not seen: the probe's exec event carries argv but no environment, and the process table keeps the name from
// before the exec. Closing it needs the probe to report OTEL_SERVICE_NAME from the exec's envp (bpf/, probe/) and
// the process table to take it (correlator/src/state/proctable.ts exec()).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLines } from './helpers/otlp.js';
import { cliEnv, REPO, runCli, tempDir } from './helpers/cli.js';

const SCRIPT = join(REPO, 'test/fixtures/nested-markers.sh');
const tmp = tempDir();
afterAll(() => tmp.remove());

async function servicesOf(name: string, command: string[], env?: NodeJS.ProcessEnv): Promise<Map<string, unknown>> {
  const file = join(tmp.dir, `${name}.jsonl`);
  const run = await runCli(['run', '--no-otlp', '--otlp-file', file, '--', ...command], env ? { env } : {});
  expect(run.code, run.stderr).toBe(0);
  // the marker spans (their system calls are child spans of the same resource)
  const spans = decodeOtlpJsonLines(readFileSync(file, 'utf8')).filter((s) => s.name.startsWith('job'));
  expect(spans.map((s) => s.name).sort()).toEqual(['job', 'job.step']);
  return new Map(spans.map((s) => [s.name, s.resource['service.name']]));
}

describe("service.name from the traced process's OTEL_SERVICE_NAME", () => {
  it("a command started with OTEL_SERVICE_NAME in its environment (inherited from nullspan's)", async () => {
    const services = await servicesOf(
      'inherited',
      ['sh', SCRIPT, join(tmp.dir, 'a.txt')],
      cliEnv({ OTEL_SERVICE_NAME: 'billing-batch' }),
    );
    expect(services).toEqual(
      new Map([
        ['job', 'billing-batch'],
        ['job.step', 'billing-batch'],
      ]),
    );
  });

  it.fails("a program exec'd with it (`env OTEL_SERVICE_NAME=... sh script`) [known gap, see top]", async () => {
    const services = await servicesOf(
      'exec',
      ['env', 'OTEL_SERVICE_NAME=checkout-worker', 'sh', SCRIPT, join(tmp.dir, 'b.txt')],
      cliEnv({ OTEL_SERVICE_NAME: undefined }),
    );
    expect(services).toEqual(
      new Map([
        ['job', 'checkout-worker'],
        ['job.step', 'checkout-worker'],
      ]),
    );
  });

  it.fails('a child the shell starts with it (`OTEL_SERVICE_NAME=... sh script` inside `sh -c`) [known gap, see top]', async () => {
    const services = await servicesOf(
      'child',
      ['sh', '-c', `OTEL_SERVICE_NAME=ledger sh ${SCRIPT} ${join(tmp.dir, 'c.txt')}`],
      cliEnv({ OTEL_SERVICE_NAME: undefined }),
    );
    expect(services).toEqual(
      new Map([
        ['job', 'ledger'],
        ['job.step', 'ledger'],
      ]),
    );
  });

  it('without it, the executable names the service', async () => {
    const services = await servicesOf(
      'none',
      ['sh', SCRIPT, join(tmp.dir, 'd.txt')],
      cliEnv({ OTEL_SERVICE_NAME: undefined }),
    );
    expect(services).toEqual(
      new Map([
        ['job', 'sh'],
        ['job.step', 'sh'],
      ]),
    );
  });
});
