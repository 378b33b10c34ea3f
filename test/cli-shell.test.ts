// End to end, as root, on the real kernel: the built `nullspan` CLI tracing shell scripts that write sysdig-style
// markers. Checks the exported trees, exit codes, capture + replay, Ctrl-C, attach, and the errors users see.

import { spawn } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { CLI, cliEnv, REPO, runCli, runProgram, startCli, tempDir, waitForOutput } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const FIXTURES = join(REPO, 'test/fixtures');
const tmp = tempDir();
afterAll(() => tmp.remove());

function readTraces(file: string): OtlpSpan[] {
  return decodeOtlpJsonLines(readFileSync(file, 'utf8'));
}

function byName(spans: OtlpSpan[], name: string): OtlpSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found, `exactly one span named ${name}`).toHaveLength(1);
  return found[0];
}

function childrenOf(spans: OtlpSpan[], parent: OtlpSpan): OtlpSpan[] {
  return spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);
}

/** Every span's parent is in its trace (or it is a root). */
function expectConnectedTraces(spans: OtlpSpan[]): void {
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
  for (const s of spans) {
    if (s.parentSpanId) expect(ids.has(`${s.traceId}/${s.parentSpanId}`), `parent of ${s.name}`).toBe(true);
  }
}

describe('nullspan run on a shell script with nested markers', () => {
  const traces = join(tmp.dir, 'nested.jsonl');
  const capture = join(tmp.dir, 'nested.nscap');
  const written = join(tmp.dir, 'inner.txt');
  let live: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    live = await runCli([
      'run',
      '--print',
      '--no-otlp',
      '--otlp-file',
      traces,
      '--write',
      capture,
      '--',
      'sh',
      join(FIXTURES, 'nested-markers.sh'),
      written,
      '5',
    ]);
  });

  it("exits with the command's exit code and leaves nothing on stderr", () => {
    expect(live.code, live.stderr).toBe(5);
    expect(withoutFallbackNotices(live.stderr)).toBe('');
  });

  it('exports the spans nested as written, with the syscalls under the span that made them', () => {
    const spans = readTraces(traces);
    expectConnectedTraces(spans);
    const job = byName(spans, 'job');
    const step = byName(spans, 'job.step');
    expect(job.parentSpanId).toBe('');
    expect(step.parentSpanId).toBe(job.spanId);
    expect(step.traceId).toBe(job.traceId);
    expect(job.attributes.user).toBe('alice');
    expect(step.attributes).toMatchObject({ n: '1', rows: '3' });
    expect(job.resource['process.executable.name']).toBe('sh');

    const jobCalls = childrenOf(spans, job).filter((s) => s.name !== 'job.step');
    const stepCalls = childrenOf(spans, step);
    // the outer span opened /etc/hostname; the inner one created the output file and wrote to it
    expect(jobCalls.some((c) => c.name === 'openat' && c.attributes['file.path'] === '/etc/hostname')).toBe(true);
    expect(jobCalls.some((c) => c.attributes['file.path'] === written)).toBe(false);
    expect(stepCalls.some((c) => c.name === 'openat' && c.attributes['file.path'] === written)).toBe(true);
    expect(
      stepCalls.some(
        (c) => c.name === 'write' && c.attributes['syscall.target'] === written && c.attributes['syscall.bytes'] === 18,
      ),
    ).toBe(true);
    // children stay inside their parent's interval (Jaeger flags anything else as clock skew)
    for (const c of [...jobCalls, ...stepCalls]) {
      const parent = c.parentSpanId === job.spanId ? job : step;
      expect(c.startTimeUnixNano >= parent.startTimeUnixNano && c.endTimeUnixNano <= parent.endTimeUnixNano).toBe(true);
    }
  });

  it('prints the same tree on the terminal', () => {
    const lines = live.stdout.split('\n');
    const job = lines.findIndex((l) => /^ {2}job {2}/.test(l));
    const step = lines.findIndex((l) => /^ {4}job\.step {2}/.test(l));
    expect(job).toBeGreaterThan(0);
    expect(step).toBeGreaterThan(job);
    expect(lines.slice(job, step).some((l) => /^ {4}· openat {2}\/etc\/hostname/.test(l))).toBe(true);
    expect(lines.slice(step).some((l) => l.startsWith(`      · openat  ${written}`))).toBe(true);
  });

  it('writes the capture with mode 0600, and replay reproduces the live output exactly', async () => {
    expect(statSync(capture).mode & 0o777).toBe(0o600);
    const replayed = join(tmp.dir, 'replayed.jsonl');
    const replay = await runCli(['replay', '--print', '--no-otlp', '--otlp-file', replayed, capture]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(readFileSync(replayed, 'utf8')).toBe(readFileSync(traces, 'utf8'));
    expect(replay.stdout).toBe(live.stdout);
  });

  it('replays a truncated capture up to the damage, then fails with the offset', async () => {
    const damaged = join(tmp.dir, 'damaged.nscap');
    writeFileSync(damaged, readFileSync(capture), { mode: 0o600 });
    truncateSync(damaged, statSync(damaged).size - 7);
    const out = join(tmp.dir, 'damaged.jsonl');
    const replay = await runCli(['replay', '--no-otlp', '--otlp-file', out, damaged]);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(
      /^nullspan: .*damaged\.nscap: file truncated inside a block .* at byte offset \d+; everything before it was replayed\.\n$/,
    );
    // the damage is in the end block, so every batch before it made it through
    expect(
      readTraces(out)
        .map((s) => s.name)
        .sort(),
    ).toEqual(
      readTraces(traces)
        .map((s) => s.name)
        .sort(),
    );
  });
});

describe('nullspan run: options that shape the output', () => {
  const script = join(FIXTURES, 'nested-markers.sh');

  it('--syscalls records only the named calls', async () => {
    const traces = join(tmp.dir, 'selected.jsonl');
    const r = await runCli([
      'run',
      '--no-otlp',
      '--syscalls',
      'openat,write',
      '--otlp-file',
      traces,
      '--',
      'sh',
      script,
      join(tmp.dir, 's.txt'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const spans = readTraces(traces);
    const calls = spans.filter((s) => s.attributes['syscall.attribution'] !== undefined);
    expect(new Set(calls.map((c) => c.name))).toEqual(new Set(['openat', 'write']));
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['job', 'job.step']));
  });

  it('--no-merge keeps every call on its own; --outside-spans also exports the calls made outside spans', async () => {
    const traces = join(tmp.dir, 'unmerged.jsonl');
    const capture = join(tmp.dir, 'unmerged.nscap');
    const r = await runCli([
      'run',
      '--no-otlp',
      '--no-merge',
      '--outside-spans',
      '--otlp-file',
      traces,
      '--write',
      capture,
      '--',
      'sh',
      script,
      join(tmp.dir, 'u.txt'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const spans = readTraces(traces);
    const calls = spans.filter((s) => s.attributes['syscall.attribution'] !== undefined);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.attributes['syscall.count'] !== undefined)).toEqual([]);
    expect(spans.some((s) => s.name === 'syscalls outside spans')).toBe(true);

    // the capture remembers these settings: a plain replay reproduces the run, flags given again win
    const replayed = join(tmp.dir, 'unmerged-replay.jsonl');
    expect((await runCli(['replay', '--no-otlp', '--otlp-file', replayed, capture])).code).toBe(0);
    expect(readFileSync(replayed, 'utf8')).toBe(readFileSync(traces, 'utf8'));
    const bounded = join(tmp.dir, 'bounded.jsonl');
    expect((await runCli(['replay', '--no-otlp', '--max-open-spans', '1', '--otlp-file', bounded, capture])).code).toBe(
      0,
    );
    expect(readTraces(bounded).some((s) => s.attributes['nullspan.incomplete'] !== undefined)).toBe(true);
    expect(readTraces(traces).some((s) => s.attributes['nullspan.incomplete'] !== undefined)).toBe(false);
  });

  it('--min-duration drops whole traces whose root is shorter, and keeps whole traces otherwise', async () => {
    const none = join(tmp.dir, 'none.jsonl');
    const all = join(tmp.dir, 'all.jsonl');
    const capture = join(tmp.dir, 'min.nscap');
    const r = await runCli([
      'run',
      '--print',
      '--no-otlp',
      '--min-duration',
      '100s',
      '--otlp-file',
      none,
      '--write',
      capture,
      '--',
      'sh',
      script,
      join(tmp.dir, 'm.txt'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(none, 'utf8')).toBe('');
    expect(r.stdout).toBe('');
    // the capture records the policy: a plain replay keeps what the live run kept; --min-duration 0 keeps all
    const replayed = join(tmp.dir, 'min-replay.jsonl');
    expect((await runCli(['replay', '--no-otlp', '--otlp-file', replayed, capture])).code).toBe(0);
    expect(readFileSync(replayed, 'utf8')).toBe('');
    const unfiltered = join(tmp.dir, 'unfiltered.jsonl');
    expect(
      (await runCli(['replay', '--no-otlp', '--min-duration', '0', '--otlp-file', unfiltered, capture])).code,
    ).toBe(0);
    expect((await runCli(['replay', '--no-otlp', '--min-duration', '1ns', '--otlp-file', all, capture])).code).toBe(0);
    const names = (f: string) =>
      readTraces(f)
        .map((s) => `${s.spanId} ${s.name}`)
        .sort();
    expect(names(all)).toEqual(names(unfiltered));
    expect(names(all).length).toBeGreaterThan(2);
  });
});

describe('nullspan run on a terminal', () => {
  // `script` (util-linux) gives the CLI a pseudo-terminal for stdout and stderr, as an interactive user has.
  async function onTerminal(env: Record<string, string | undefined>): Promise<string> {
    const command = [
      process.execPath,
      CLI,
      'run',
      '--print',
      '--no-otlp',
      '--',
      'sh',
      join(FIXTURES, 'nested-markers.sh'),
      join(tmp.dir, 'tty.txt'),
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const r = await runProgram('script', ['-qefc', command, '/dev/null'], { env: cliEnv(env) });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  }

  it('colors the tree and shows a live status line on stderr', async () => {
    const out = await onTerminal({ NO_COLOR: undefined });
    expect(out).toContain('\x1b[1mjob\x1b[22m');
    expect(out).toMatch(/\r\x1b\[Knullspan: \d+(\.\d+)?k? events\/s {2}\d+ events {2}\d+ spans {2}lost 0/);
    expect(out).toMatch(/nullspan: 1 trace, 2 spans, \d+ system call records\./);
  });

  it('honours NO_COLOR', async () => {
    const out = await onTerminal({ NO_COLOR: '1' });
    expect(out).toMatch(/^ {2}job {2}/m);
    expect(out).not.toContain('\x1b[1m');
  });
});

describe('nullspan run --print into a closed pipe', () => {
  it('stops printing and still completes the other outputs (as in `nullspan run --print ... | head`)', async () => {
    const traces = join(tmp.dir, 'epipe.jsonl');
    const cli = startCli([
      'run',
      '--print',
      '--no-otlp',
      '--otlp-file',
      traces,
      '--',
      'sh',
      join(FIXTURES, 'nested-markers.sh'),
      join(tmp.dir, 'e.txt'),
    ]);
    cli.child.stdout!.destroy();
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(withoutFallbackNotices(r.stderr)).toBe('');
    expect(readTraces(traces).map((s) => s.name)).toEqual(expect.arrayContaining(['job', 'job.step']));
  });
});

describe('nullspan run: exit codes and interruption', () => {
  it('reports death by signal as 128 + the signal number', async () => {
    const r = await runCli(['run', '--no-otlp', '--', 'sh', '-c', 'kill -TERM $$']);
    expect(r.code).toBe(143);
  });

  it('on SIGINT flushes finished spans, closes open ones as incomplete, detaches and exits 130', async () => {
    const traces = join(tmp.dir, 'interrupted.jsonl');
    const cli = startCli(['run', '--no-otlp', '--otlp-file', traces, '--', 'sh', join(FIXTURES, 'interruptible.sh')]);
    await waitForOutput(cli, (out) => /ready \d+/.test(out));
    const scriptPid = Number(/ready (\d+)/.exec(cli.stdout())![1]);
    try {
      cli.child.kill('SIGINT');
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(130);
      const spans = readTraces(traces);
      expectConnectedTraces(spans);
      const finished = byName(spans, 'finished');
      expect(finished.attributes['nullspan.incomplete']).toBeUndefined();
      expect(childrenOf(spans, finished).some((c) => c.attributes['file.path'] === '/etc/hostname')).toBe(true);
      const open = byName(spans, 'left-open');
      expect(open.attributes['nullspan.incomplete']).toBe('tracing stopped by SIGINT');
      // the script ignored SIGINT and still runs: nullspan detached from it rather than waiting
      expect(() => process.kill(scriptPid, 0)).not.toThrow();
    } finally {
      try {
        process.kill(scriptPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});

describe('nullspan attach', () => {
  it('traces a running process until it exits', async () => {
    const traces = join(tmp.dir, 'attached.jsonl');
    const target = spawn('sh', [join(FIXTURES, 'marker-loop.sh'), '3'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => target.stdout!.once('data', () => resolve()));
      const cli = startCli(['attach', '--pid', String(target.pid), '--no-otlp', '--otlp-file', traces]);
      await waitForOutput(cli, (_, err) => err.includes(`tracing pid ${target.pid}`));
      target.stdin!.end('go\n');
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(0);
      const ticks = readTraces(traces).filter((s) => s.name === 'tick');
      expect(ticks.map((t) => t.attributes.i).sort()).toEqual(['0', '1', '2']);
      expect(new Set(ticks.map((t) => t.traceId)).size).toBe(3);
      for (const t of ticks) expect(t.resource['process.pid']).toBe(target.pid);
    } finally {
      target.kill('SIGKILL');
    }
  });
});

describe('nullspan attach on SIGTERM', () => {
  it('closes the spans still open as incomplete, exports them and detaches', async () => {
    const traces = join(tmp.dir, 'sigterm.jsonl');
    const target = spawn('sh', [join(FIXTURES, 'open-span.sh')], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    target.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const printed = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => (out.includes(text) ? resolve() : target.stdout!.once('data', check));
        check();
      });
    try {
      await printed('started');
      const cli = startCli(['attach', '--pid', String(target.pid), '--no-otlp', '--otlp-file', traces]);
      await waitForOutput(cli, (_, err) => err.includes(`tracing pid ${target.pid}`));
      target.stdin!.end('go\n');
      await printed('entered');
      cli.child.kill('SIGTERM');
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(0);
      const hold = readTraces(traces).filter((s) => s.name === 'hold');
      expect(hold).toHaveLength(1);
      expect(hold[0].attributes['nullspan.incomplete']).toBe('tracing stopped by SIGTERM');
      expect(target.exitCode).toBeNull();
    } finally {
      target.kill('SIGKILL');
    }
  });
});

describe('nullspan errors are one sentence on stderr with a non-zero exit', () => {
  const oneSentence = /^nullspan: [^\n]+[.)]\n$/;

  it.each([
    [['run', '--bogus', '--', 'true'], 2, /unknown option --bogus/],
    [['run'], 2, /missing command to run/],
    [['run', '--', 'no-such-command-xyz'], 127, /command not found: no-such-command-xyz/],
    [['frob'], 2, /unknown command "frob"/],
    [['attach'], 2, /needs --pid PID/],
    [['attach', '--pid', '999999999'], 1, /Process 999999999 does not exist/],
    [['replay'], 2, /needs the capture FILE/],
    [['replay', '/nonexistent/capture'], 1, /\/nonexistent\/capture: no such file or directory/],
    [
      ['run', '--otlp-file', '/nonexistent/t.jsonl', '--', 'true'],
      1,
      /--otlp-file \/nonexistent\/t\.jsonl: cannot create a file in \/nonexistent/,
    ],
    [['run', '--write', '/tmp', '--', 'true'], 1, /--write \/tmp is a directory/],
    [
      ['run', '--syscalls', 'bogus,read', '--', 'true'],
      2,
      /--syscalls names bogus, which is not an x86_64 system call/,
    ],
    [['run', '--snaplen', '999999', '--', 'true'], 2, /--snaplen must be an integer from 1 to \d+, not 999999/],
  ])('%j', async (args, code, message) => {
    const r = await runCli(args as string[]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(oneSentence);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a file that is not a capture', async () => {
    const bogus = join(tmp.dir, 'bogus.nscap');
    writeFileSync(bogus, 'this is not a capture file\n');
    const r = await runCli(['replay', bogus]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(oneSentence);
    expect(r.stderr).toContain('not a nullspan capture file (bad magic) at byte offset 0');
  });

  it('not root', async () => {
    const r = await runCli(['run', '--no-otlp', '--', 'true'], { uid: 65534, gid: 65534 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(oneSentence);
    expect(r.stderr).toMatch(/needs root \(or the CAP_BPF and CAP_PERFMON capabilities\)/);
  });
});
