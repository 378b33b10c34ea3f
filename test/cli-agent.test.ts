// End to end, `nullspan agent` on the real kernel, exporting to a real OTLP/HTTP receiver on loopback. The traced
// programs are started by this test, never by the agent: a shell that opened /dev/null and started before the
// agent (picked up at its next marker), a shell script, the instrumented Hono service in a cgroup named like a
// docker container's, a process in an excluded cgroup, and a pid reused by a different program. The agent is
// limited to this test's cgroup (--include-cgroup) so that markers other programs on the machine write do not
// count; its tables are read back through /metrics once the programs exited, and SIGTERM must
// flush a span that is still open.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpSpan } from './helpers/otlp.js';
import { parseExposition } from './helpers/prometheus.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { REPO, startCli, tempDir, waitForOutput, type RunningCli } from './helpers/cli.js';

const CGROUP_ROOT = existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
const SLICE = `/nullspan-agent-e2e-${process.pid}.slice`;
const CONTAINER_ID = 'c0ffee'.padEnd(64, '0123456789abcdef').slice(0, 64);
const GROUPS = {
  svc: `${SLICE}/svc.scope`,
  docker: `${SLICE}/docker-${CONTAINER_ID}.scope`,
  off: `${SLICE}/off.scope`,
};
const SERVER_JS = join(REPO, 'examples/hono-service/dist/server.js');

const tmp = tempDir('nullspan-agent-e2e-');
const started: ChildProcess[] = [];
let receiver: OtlpReceiver;
let agent: RunningCli;
let metricsUrl: string;

async function gauge(name: string, labels?: Record<string, string>): Promise<number | undefined> {
  return parseExposition(await (await fetch(metricsUrl)).text()).value(name, labels);
}

/** Starts `argv` in cgroup `group` (moved there before it execs; none: this test's own cgroup), as a child of this
 * test, not of the agent. */
function startIn(
  group: string | undefined,
  argv: string[],
  env: Record<string, string | undefined> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
): ChildProcess {
  const move = group === undefined ? '' : `echo $$ > ${join(CGROUP_ROOT, group, 'cgroup.procs')} && `;
  const child = spawn('/bin/sh', ['-c', `${move}exec "$@"`, 'sh', ...argv], {
    cwd: tmp.dir,
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'inherit'],
  });
  started.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until<T>(what: string, get: () => T | undefined | Promise<T | undefined>, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await get();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  const exports = metricsUrl
    ? (await (await fetch(metricsUrl)).text())
        .split('\n')
        .filter((l) => /^nullspan_(export|kernel_drops|spans_total)/.test(l))
    : [];
  throw new Error(`timed out waiting for ${what}; agent stderr: ${agent.stderr()}; ${exports.join('; ')}`);
}

function spansOf(pid: number): OtlpSpan[] {
  return receiver.spans().filter((s) => s.resource['process.pid'] === pid);
}

/** The spans of `pid` once one named `name` has arrived, with the system calls under it. */
async function arrived(pid: number, name: string): Promise<{ span: OtlpSpan; calls: OtlpSpan[] }> {
  const span = await until(`span ${name} of pid ${pid}`, () => spansOf(pid).find((s) => s.name === name));
  const calls = spansOf(pid).filter((s) => s.parentSpanId === span.spanId && s.attributes['syscall.attribution']);
  return { span, calls };
}

// Each program lives a second past its last marker: the agent reads a new process's identity from /proc when its
// first batch arrives, and a process reaped before that is traced without one (agent README, "Identity").
const LINGER = 'sleep 1; true'; // not the last command: bash would exec it in place of itself
const SCRIPT = (name: string) =>
  `echo '>:p:${name}::' > /dev/null; read -r line < /etc/hostname; echo '<:p:${name}::' > /dev/null; ${LINGER}`;

beforeAll(async () => {
  for (const g of Object.values(GROUPS)) mkdirSync(join(CGROUP_ROOT, g), { recursive: true });
  receiver = await startOtlpReceiver();
}, 30_000);

afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await Promise.all(started.map(exited));
  for (const g of [GROUPS.svc, GROUPS.docker, GROUPS.off, SLICE]) {
    try {
      rmdirSync(join(CGROUP_ROOT, g));
    } catch {
      // a process still leaving: the directory goes with the next run's cleanup at worst
    }
  }
  await receiver?.close();
  tmp.remove();
});

describe('nullspan agent', () => {
  // opened /dev/null (fd 3) and started before the agent; writes its markers once `go` exists
  let early: ChildProcess;

  it('starts, with processes already running that it has never seen', async () => {
    early = startIn(GROUPS.svc, [
      'bash',
      '-c',
      `exec 3>/dev/null; while [ ! -e go ]; do sleep 0.05; done; echo '>:p:early.job::' >&3; ` +
        `read -r line < /etc/hostname; echo '<:p:early.job::' >&3; ${LINGER}`,
    ]);
    agent = startCli([
      'agent',
      '--include-cgroup',
      SLICE,
      '--exclude-cgroup',
      GROUPS.off,
      '--endpoint',
      receiver.url,
      '--metrics-address',
      '127.0.0.1:0',
      '--otlp-file',
      join(tmp.dir, 'agent.jsonl'),
    ]);
    await waitForOutput(agent, (_out, err) => /metrics at (\S+),/.test(err) && /agent: tracing/.test(err));
    metricsUrl = /metrics at (\S+),/.exec(agent.stderr())![1];
  }, 180_000);

  it('picks up a process that started and opened /dev/null before it, at its next marker', async () => {
    writeFileSync(join(tmp.dir, 'go'), '');
    expect(await exited(early)).toBe(0);
    const { span, calls } = await arrived(early.pid!, 'early.job');
    expect(span.resource['process.executable.name']).toBe('bash');
    expect(span.resource['service.name']).toBe('bash');
    expect(calls.some((c) => c.name === 'openat' && c.attributes['syscall.target'] === '/etc/hostname')).toBe(true);
  }, 60_000);

  it('traces a shell script with OTEL_SERVICE_NAME from its environment and its command line', async () => {
    const script = startIn(GROUPS.svc, ['bash', '-c', SCRIPT('script.step')], { OTEL_SERVICE_NAME: 'nightly-job' });
    expect(await exited(script)).toBe(0);
    const { span, calls } = await arrived(script.pid!, 'script.step');
    expect(span.resource['service.name']).toBe('nightly-job');
    expect(span.resource['process.command_line']).toContain('script.step');
    expect(span.resource['host.name']).toBeTypeOf('string');
    expect(span.resource['container.id']).toBeUndefined();
    expect(calls.map((c) => c.name)).toContain('openat');
    // the file output is written while the agent runs, not only at its exit
    await until('the span in the OTLP file', () =>
      readFileSync(join(tmp.dir, 'agent.jsonl'), 'utf8').includes('script.step'),
    );
  }, 60_000);

  it('traces the Hono service in a docker-named cgroup, with its container id', async () => {
    const server = startIn(GROUPS.docker, [process.execPath, SERVER_JS], { PORT: '0', OTEL_SERVICE_NAME: 'shop' });
    let out = '';
    server.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const port = await until('the service to listen', () => /:(\d+) \(routes/.exec(out)?.[1]);
    // the SDK writes markers once the probe acknowledged its slot (within a second): ask until spans come
    await until('a traced /file request', async () => {
      await (await fetch(`http://127.0.0.1:${port}/file`)).text();
      return spansOf(server.pid!).some((s) => s.name.includes('/file'));
    });
    const request = spansOf(server.pid!).find((s) => s.name.includes('/file'))!;
    expect(request.resource['container.id']).toBe(CONTAINER_ID);
    expect(request.resource['service.name']).toBe('shop');
    expect(request.resource['process.executable.name']).toBe('node');
    const inTrace = spansOf(server.pid!).filter((s) => s.traceId === request.traceId);
    expect(inTrace.some((s) => s.attributes['syscall.attribution'] !== undefined)).toBe(true);
    server.kill('SIGTERM');
    await exited(server);
  }, 90_000);

  it('does not trace an excluded cgroup', async () => {
    const off = startIn(GROUPS.off, ['bash', '-c', SCRIPT('off.step')]);
    const on = startIn(GROUPS.svc, ['bash', '-c', `sleep 0.3; ${SCRIPT('on.step')}`]);
    await Promise.all([exited(off), exited(on)]);
    await arrived(on.pid!, 'on.step'); // exported after off.step would have been
    expect(spansOf(off.pid!)).toEqual([]);
  }, 60_000);

  it('acknowledges the active-span slot of a process it traces, never of one it excludes', async () => {
    // each prints its SDK's handshake state every 100 ms; 'on' only once a probe acknowledged its slot
    const states = (c: ChildProcess): string[] => {
      const seen: string[] = [];
      createInterface({ input: c.stdout! }).on('line', (l) => seen.push((JSON.parse(l) as { state: string }).state));
      return seen;
    };
    const argv = [process.execPath, join(REPO, 'test/fixtures/active-handshake-child.mjs'), tmp.dir];
    const env = { NULLSPAN_CONTEXT: undefined };
    const inside = startIn(GROUPS.svc, argv, env, 'pipe');
    const outside = startIn(GROUPS.off, argv, env, 'pipe');
    const insideStates = states(inside);
    const outsideStates = states(outside);
    try {
      await until('the traced process acknowledged', () => insideStates.includes('on'));
      // a few registration periods (one a second) more of the other one: never acknowledged, from its first line on
      const from = outsideStates.length;
      await until('30 more lines from the untraced process', () => outsideStates.length >= from + 30);
      expect(outsideStates.filter((s) => s !== 'idle')).toEqual([]);
    } finally {
      inside.stdin!.end();
      outside.stdin!.end();
      await Promise.all([exited(inside), exited(outside)]);
    }
  }, 90_000);

  it('traces every short-lived writer in an included cgroup, however soon it exits; adopts none outside', async () => {
    const before = await gauge('nullspan_agent_processes_total', { outcome: 'excluded' });
    // outside the included cgroup: the kernel never adopts it, so user space never even has to refuse it
    const outside = startIn(undefined, ['bash', '-c', `echo '>:p:outside.step::' > /dev/null`]);
    await exited(outside);
    // no linger: each is usually gone before the agent reads /proc, and the kernel already checked its cgroup
    const N = 200;
    const pids: number[] = [];
    for (let i = 0; i < N; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) =>
        startIn(GROUPS.svc, [
          'bash',
          '-c',
          `echo '>:p:short.${i + j}::' > /dev/null; echo '<:p:short.${i + j}::' > /dev/null`,
        ]),
      );
      for (const c of batch) expect(await exited(c)).toBe(0);
      pids.push(...batch.map((c) => c.pid!));
    }
    const names = () =>
      new Set(
        receiver
          .spans()
          .filter((s) => s.name.startsWith('short.'))
          .map((s) => s.name),
      );
    await until(`${N} short-lived spans`, () => names().size === N, 600);
    expect(spansOf(outside.pid!)).toEqual([]);
    expect(await gauge('nullspan_agent_processes_total', { outcome: 'excluded' })).toBe(before);
  }, 180_000);

  it('gives a reused pid the identity of its new process', async () => {
    const first = startIn(GROUPS.svc, ['bash', '-c', SCRIPT('first.owner')], { OTEL_SERVICE_NAME: 'first' });
    await exited(first);
    await arrived(first.pid!, 'first.owner');
    // The next fork gets ns_last_pid + 1; other programs on this machine fork too, so try a bounded number of times.
    const writer = `require('fs').writeFileSync('/dev/null', '>:p:second.owner::'); require('fs').readFileSync('/etc/hostname'); require('fs').writeFileSync('/dev/null', '<:p:second.owner::'); setTimeout(() => {}, 1000)`;
    let second: ChildProcess | undefined;
    for (let attempt = 0; attempt < 50 && second === undefined; attempt++) {
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(first.pid! - 1));
      const c = startIn(GROUPS.svc, [process.execPath, '-e', writer], { OTEL_SERVICE_NAME: 'second' });
      await exited(c);
      if (c.pid === first.pid) second = c;
    }
    expect(second?.pid).toBe(first.pid);
    await until('the second owner', () => spansOf(first.pid!).some((s) => s.name === 'second.owner'));
    const owners = spansOf(first.pid!).filter((s) => s.name.endsWith('.owner'));
    const byName = Object.fromEntries(owners.map((s) => [s.name, s.resource]));
    expect(byName['first.owner']['service.name']).toBe('first');
    expect(byName['first.owner']['process.executable.name']).toBe('bash');
    expect(byName['second.owner']['service.name']).toBe('second');
    expect(byName['second.owner']['process.executable.name']).toBe('node');
  }, 120_000);

  it('goes on tracing after a process wrote hostile markers', async () => {
    const hostile = [
      "const fs = require('fs'); const fd = fs.openSync('/dev/null', 'w');",
      // more tags than a marker may carry, a huge argument, malformed escapes, 20,000 spans nested and never ended
      "fs.writeSync(fd, '>:p:' + Array.from({ length: 5000 }, (_, i) => 't' + i).join('.') + '::');",
      "fs.writeSync(fd, '>:p:big:a=' + 'b'.repeat(100000) + ':');",
      "fs.writeSync(fd, '>:\\\\'); fs.writeSync(fd, '<:p:::');",
      "for (let i = 0; i < 20000; i++) fs.writeSync(fd, '>:t:d' + i + '::');",
      'setTimeout(() => {}, 1000);',
    ].join('\n');
    const writer = startIn(GROUPS.svc, [process.execPath, '-e', hostile]);
    expect(await exited(writer)).toBe(0);
    // alive until its span arrived: the agent may still be busy with the 20,000 spans when it starts, and a new
    // process's identity is read when the agent gets to its first event
    const next = startIn(GROUPS.svc, ['bash', '-c', `${SCRIPT('after.hostile')}; sleep 120`]);
    await arrived(next.pid!, 'after.hostile');
    next.kill('SIGTERM');
    await exited(next);
    expect(agent.child.exitCode).toBeNull();
  }, 90_000);

  it('keeps running after they exit, with their state freed', async () => {
    expect(agent.child.exitCode).toBeNull();
    await until('empty tables', async () => (await gauge('nullspan_traced_processes')) === 0);
    expect(await gauge('nullspan_traced_threads')).toBe(0);
    expect(await gauge('nullspan_fds')).toBe(0);
    expect(await gauge('nullspan_open_spans')).toBe(0);
  }, 60_000);

  it('flushes everything at SIGTERM, a span still open included', async () => {
    const open = startIn(GROUPS.svc, ['bash', '-c', `echo '>:p:still.open::' > /dev/null; touch opened; sleep 60`]);
    await until('the open span', () => existsSync(join(tmp.dir, 'opened')));
    // its marker must have reached the agent's correlator before the signal
    await until('the span open in the agent', async () => (await gauge('nullspan_open_spans')) === 1);
    agent.child.kill('SIGTERM');
    const result = await agent.done;
    expect(result.code).toBe(0);
    const span = spansOf(open.pid!).find((s) => s.name === 'still.open');
    expect(span?.attributes['nullspan.incomplete']).toBe('tracing stopped by SIGTERM');
    expect(receiver.errors).toEqual([]);
    open.kill('SIGKILL');
  }, 60_000);
});
