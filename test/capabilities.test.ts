// The capability set the deploy files grant the agent instead of root (deploy/systemd/nullspan-agent.service's
// AmbientCapabilities, the DaemonSet's securityContext) is enough, and each member is needed. nullspan runs as a
// user that is neither root nor the traced process's owner, with exactly those capabilities (setpriv: inheritable,
// ambient and bounding sets), and attaches to a running instrumented process of another user that opened its file
// and socket before the tracer started. With the whole set: markers from hand-written and SDK spans, system calls
// with paths and peers, service.name from the process's environment, a clean detach. Without one member: what
// breaks, as the user would see it.
//
// The whole set is run with `attach` and with `agent` (which discovers the target at its next marker and reads its
// /proc entries then); the cases without one member use `attach`, which loads the same probe and reads /proc alike.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, startProgram, tempDir, waitForOutput, type CliResult } from './helpers/cli.js';
import { daemonSetCapabilities, unitCapabilities } from './helpers/deploy-files.js';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';

const LIBUV_OFF = 'libuv worker attribution is off';
const TRACER_UID = 60_123; // no passwd entry needed: setpriv takes numbers
const TARGET_UID = 60_124;
/** ticks the target runs while traced before a negative result counts: more than two of the SDK's 1 s slot
 * registration periods at 50 ms a tick, so an acknowledgement that could happen has happened */
const TICKS_FOR_NEGATIVE = 80;
const MARKED_TICKS = 10;
/** unacknowledged ticks in a row that show no probe acknowledges the target: the SDK stops after 2 s without */
const QUIET_TICKS = 60;
const WAIT_MS = 30_000;

/** Linux capability numbers (linux/capability.h), to check what the traced tracer really held. */
const CAP_BITS: Record<string, number> = {
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_RESOURCE: 24,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
};

const tmp = tempDir('nullspan-caps-');
const dataFile = join(tmp.dir, 'data.txt');
const outDir = join(tmp.dir, 'out');
let target: ChildProcess;
let peerPort = 0;
const ticks: string[] = [];

function setprivArgs(caps: string[]): string[] {
  const list = ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  return [
    `--reuid=${TRACER_UID}`,
    `--regid=${TRACER_UID}`,
    '--clear-groups',
    `--inh-caps=${list}`,
    `--ambient-caps=${list}`,
    `--bounding-set=${list}`,
  ];
}

function capMask(caps: string[]): bigint {
  return caps.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c])), 0n);
}

/** Resolves once the target has printed `n` more tick lines satisfying `pred` (from now on), or `stop()` holds. */
async function targetTicks(n: number, pred: (line: string) => boolean, stop: () => boolean): Promise<void> {
  const from = ticks.length;
  const deadline = Date.now() + WAIT_MS;
  while (ticks.slice(from).filter(pred).length < n && !stop()) {
    if (Date.now() > deadline) throw new Error(`the target did not print ${n} matching ticks within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Traced {
  result: CliResult;
  spans: OtlpSpan[];
  /** CapEff and uid of the nullspan process while it traced */
  capEff: bigint;
  uid: number;
  /** ticks in which the target's SDK wrote markers, from the attach on */
  markedTicks: number;
}

/**
 * Resolves once the target's SDK has gone unacknowledged for QUIET_TICKS ticks in a row: no probe (the previous
 * test's, or a host-wide tracer such as `nullspan agent` someone else runs on this machine) acknowledges its slot,
 * so whether the next one does is down to the capabilities it holds.
 */
async function untraced(): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const last = ticks.slice(-QUIET_TICKS);
    if (last.length === QUIET_TICKS && last.every((l) => l === 'unmarked')) return;
    if (Date.now() > deadline)
      throw new Error(
        `another probe on this host keeps acknowledging the target's slot (a nullspan agent or --markers all?): the SDK checks cannot be made while it runs`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `nullspan attach` to the target (or `nullspan agent`, which finds it at its next marker) with only `caps`, until
 * the target's SDK has written markers for a few ticks (`wantMarked`) or has run long enough to have done so.
 */
async function traceWith(
  caps: string[],
  name: string,
  opts: { wantMarked: boolean; command?: 'attach' | 'agent'; refused?: boolean },
): Promise<Traced> {
  const file = join(outDir, `${name}.jsonl`);
  if (!opts.refused) await untraced(); // a start expected to be refused involves no SDK
  const fromTick = ticks.length;
  const cli = startProgram('setpriv', [
    ...setprivArgs(caps),
    process.execPath,
    CLI,
    ...(opts.command === 'agent' ? ['agent'] : ['attach', '--pid', String(target.pid)]),
    '--no-otlp',
    '--otlp-file',
    file,
  ]);
  await waitForOutput(cli, (_, err) => err.includes('nullspan: '));
  const status = readFileSync(`/proc/${cli.child.pid}/status`, 'utf8');
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1]}`);
  const uid = Number(/^Uid:\s*(\d+)/m.exec(status)?.[1]);
  const exited = () => cli.child.exitCode !== null; // a refused start ends before the ticks
  if (opts.wantMarked) await targetTicks(MARKED_TICKS, (l) => l === 'marked', exited);
  else await targetTicks(TICKS_FOR_NEGATIVE, () => true, exited);
  cli.child.kill('SIGINT');
  const result = await cli.done;
  let spans: OtlpSpan[] = [];
  try {
    // the agent traces every marker writer on the host: keep the target's spans
    spans = decodeOtlpJsonLines(readFileSync(file, 'utf8')).filter((s) => s.resource['process.pid'] === target.pid);
  } catch {
    // no file: the run failed before writing one
  }
  return { result, spans, capEff, uid, markedTicks: ticks.slice(fromTick).filter((l) => l === 'marked').length };
}

const named = (spans: OtlpSpan[], name: string) => spans.filter((s) => s.name === name);
/** the system-call children of the spans called `parent` */
function callsUnder(spans: OtlpSpan[], parent: string): OtlpSpan[] {
  const ids = new Set(named(spans, parent).map((s) => s.spanId));
  return spans.filter((s) => ids.has(s.parentSpanId));
}

const SET = unitCapabilities();

beforeAll(async () => {
  chmodSync(tmp.dir, 0o755);
  writeFileSync(dataFile, 'payload\n', { mode: 0o644 });
  mkdirSync(outDir);
  chownSync(outDir, TRACER_UID, TRACER_UID);
  target = spawn(
    'setpriv',
    [
      `--reuid=${TARGET_UID}`,
      `--regid=${TARGET_UID}`,
      '--clear-groups',
      process.execPath,
      join(REPO, 'test/fixtures/capability-target.mjs'),
      dataFile,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH, OTEL_SERVICE_NAME: 'cap-target', NULLSPAN_CONTEXT: undefined },
    },
  );
  const lines = createInterface({ input: target.stdout! });
  await new Promise<void>((resolve, reject) => {
    target.once('exit', (code) => reject(new Error(`the target exited (${code}) before it was ready`)));
    lines.on('line', (l) => {
      const ready = /^ready (\d+)$/.exec(l);
      if (ready) {
        peerPort = Number(ready[1]);
        resolve();
      } else ticks.push(l);
    });
  });
});

afterAll(() => {
  target?.kill('SIGKILL');
  tmp.remove();
});

describe('the capability set of the deploy files', () => {
  it('is the same in the systemd unit and the DaemonSet, and has no capability beyond what is measured here', () => {
    expect(SET.length).toBeGreaterThan(0);
    expect([...daemonSetCapabilities()].sort()).toEqual([...SET].sort());
    for (const c of SET) expect(Object.keys(CAP_BITS), `${c} is not one this test knows`).toContain(c);
  });

  it.each(['attach', 'agent'] as const)(
    'is enough for `%s`: markers, SDK spans, paths, peers, service.name and a clean stop, as another user',
    async (command) => {
      const t = await traceWith(SET, `whole-set-${command}`, { wantMarked: true, command });
      expect(t.uid).toBe(TRACER_UID);
      expect(t.capEff).toBe(capMask(SET));
      expect(t.result.code, t.result.stderr).toBe(0);
      expect(t.result.stderr.split('\n').filter((l) => !l.includes(LIBUV_OFF))).not.toContainEqual(
        expect.stringMatching(/refused|denied|could not/i),
      );

      expect(named(t.spans, 'raw.job').length).toBeGreaterThan(0);
      expect(named(t.spans, 'sdk.job').length).toBeGreaterThan(0); // the SDK's slot was acknowledged
      for (const parent of ['raw.job', 'sdk.job']) {
        const calls = callsUnder(t.spans, parent);
        expect(calls.map((c) => c.attributes['file.path'])).toContain(dataFile);
        expect(calls.map((c) => c.attributes['network.peer.port'])).toContain(peerPort);
      }
      expect(new Set(named(t.spans, 'raw.job').map((s) => s.resource['service.name']))).toEqual(
        new Set(['cap-target']),
      );
      expect(target.exitCode).toBeNull(); // detached, the target runs on
    },
  );

  // The agent puts libuv uprobes on each node process it discovers (worker-thread attribution). On this kernel
  // perf_event_open refuses a uprobe on another process without CAP_SYS_ADMIN, whatever else is held: the set
  // leaves it out, and the agent says so, once per process.
  it('without CAP_SYS_ADMIN the agent says that libuv worker attribution is off for the process; with it, not', async () => {
    const libuvNotice = (stderr: string) =>
      stderr.split('\n').filter((l) => l.includes(LIBUV_OFF) && l.includes(`process ${target.pid} `));
    const without = await traceWith(SET, 'libuv-without', { wantMarked: true, command: 'agent' });
    expect(without.result.code, without.result.stderr).toBe(0);
    expect(libuvNotice(without.result.stderr)).toEqual([expect.stringMatching(/Permission denied/)]);
    const withAdmin = await traceWith([...SET, 'CAP_SYS_ADMIN'], 'libuv-with', { wantMarked: true, command: 'agent' });
    expect(withAdmin.result.code, withAdmin.result.stderr).toBe(0);
    expect(libuvNotice(withAdmin.result.stderr)).toEqual([]);
  });

  it.each(['CAP_BPF', 'CAP_PERFMON'])('without %s: the probe is refused in one sentence, exit 1', async (missing) => {
    const t = await traceWith(
      SET.filter((c) => c !== missing),
      `no-${missing}`,
      { wantMarked: false, refused: true },
    );
    expect(t.result.code).toBe(1);
    expect(t.result.stderr).toMatch(/^nullspan: [^\n]*CAP_BPF and CAP_PERFMON[^\n]*\.\n$/);
    expect(target.exitCode).toBeNull();
  });

  // These degrade what is traced; nullspan says what is lost and what to grant, once each.
  it('without CAP_SYS_PTRACE: no SDK spans (no acknowledgement), no paths or peers of fds opened before', async () => {
    const t = await traceWith(
      SET.filter((c) => c !== 'CAP_SYS_PTRACE'),
      'no-ptrace',
      { wantMarked: false },
    );
    expect(t.result.code, t.result.stderr).toBe(0);
    expect(named(t.spans, 'raw.job').length).toBeGreaterThan(0);
    expect(named(t.spans, 'sdk.job')).toHaveLength(0);
    expect(t.markedTicks).toBe(0);
    const calls = callsUnder(t.spans, 'raw.job');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.attributes['file.path'] !== undefined)).toHaveLength(0);
    expect(calls.filter((c) => c.attributes['network.peer.port'] !== undefined)).toHaveLength(0);
    expect(noticesOf(t.result.stderr, SLOT_DENIED)).toHaveLength(1);
    expect(noticesOf(t.result.stderr, FDS_DENIED)).toHaveLength(1);
  });

  it('with CAP_DAC_READ_SEARCH instead of CAP_DAC_OVERRIDE: paths and peers, but no SDK spans', async () => {
    const t = await traceWith([...SET.filter((c) => c !== 'CAP_DAC_OVERRIDE'), 'CAP_DAC_READ_SEARCH'], 'read-search', {
      wantMarked: false,
    });
    expect(t.result.code, t.result.stderr).toBe(0);
    expect(named(t.spans, 'sdk.job')).toHaveLength(0); // /proc/<pid>/mem of another user is not writable
    expect(t.markedTicks).toBe(0);
    const calls = callsUnder(t.spans, 'raw.job');
    expect(calls.map((c) => c.attributes['file.path'])).toContain(dataFile);
    expect(calls.map((c) => c.attributes['network.peer.port'])).toContain(peerPort);
    expect(noticesOf(t.result.stderr, SLOT_DENIED)).toHaveLength(1);
    expect(noticesOf(t.result.stderr, FDS_DENIED)).toHaveLength(0);
  });

  it('without either DAC capability: no paths, no peers, and service.name falls back to the executable', async () => {
    const t = await traceWith(
      SET.filter((c) => c !== 'CAP_DAC_OVERRIDE'),
      'no-dac',
      { wantMarked: false },
    );
    expect(t.result.code, t.result.stderr).toBe(0);
    const raw = named(t.spans, 'raw.job');
    expect(raw.length).toBeGreaterThan(0);
    expect(new Set(raw.map((s) => s.resource['service.name']))).toEqual(new Set(['node']));
    expect(t.markedTicks).toBe(0);
    const calls = callsUnder(t.spans, 'raw.job');
    expect(calls.filter((c) => c.attributes['file.path'] !== undefined)).toHaveLength(0);
    expect(noticesOf(t.result.stderr, FDS_DENIED)).toHaveLength(1);
  });
});

const SLOT_DENIED = /registered an active-span slot this process may not write .*CAP_SYS_PTRACE\.$/;
const FDS_DENIED =
  /open files of process \d+ .* are not readable to nullspan: .*CAP_SYS_PTRACE and CAP_DAC_OVERRIDE\.$/;

function noticesOf(stderr: string, pattern: RegExp): string[] {
  return stderr.split('\n').filter((l) => pattern.test(l));
}
