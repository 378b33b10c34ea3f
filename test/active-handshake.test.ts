// The active-span handshake end to end (sdk/MARKERS.md "Active span"): a running Node program using the SDK keeps
// its async hook off while no probe traces it, turns it on once the real probe (attached to the running process,
// as `nullspan attach` does) acknowledges its slot — from then on its system calls carry the span they belong to —
// and turns it off again after the probe has gone. Markers are written only while a probe listens (an application
// nobody traces pays for no writes). `nullspan run` starts its command with the hook on.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBatch, Probe, type ProbeEvent, type SyscallEvent } from '@nullspan/probe';
import { CaptureReader } from '@nullspan/correlator';
import { REPO, cliEnv, runCli, tempDir } from './helpers/cli.js';

interface Line {
  state: 'off' | 'idle' | 'on';
  id: number;
  published: number;
  marked: boolean;
}

const tmp = tempDir();
const WAIT_MS = 15_000;
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  tmp.remove();
});

/** The child's lines as they come; `next(pred)` resolves with the first line (from now on) that satisfies pred. */
function follow(c: ChildProcess) {
  const seen: Line[] = [];
  let wake = () => {};
  createInterface({ input: c.stdout! }).on('line', (l) => {
    seen.push(JSON.parse(l) as Line);
    wake();
  });
  let from = 0;
  return {
    seen,
    async next(pred: (l: Line) => boolean, what: string): Promise<Line> {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        while (from < seen.length) {
          const l = seen[from++];
          if (pred(l)) return l;
        }
        if (Date.now() > deadline) throw new Error(`the child never reported ${what} within ${WAIT_MS} ms`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    },
  };
}

describe('active-span handshake with the real probe', () => {
  it('runs the hook only while a probe acknowledges the slot', async () => {
    child = spawn(process.execPath, [join(REPO, 'test/fixtures/active-handshake-child.mjs'), tmp.dir], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NULLSPAN_CONTEXT: undefined },
    });
    const lines = follow(child);

    // no probe: registered, idle, and still idle after a few registration periods
    const first = await lines.next(() => true, 'a first line');
    expect(first.state).toBe('idle');
    expect(first.published).toBe(-1);
    const idle = lines.seen.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(lines.seen.slice(idle).map((l) => l.state)).toEqual(lines.seen.slice(idle).map(() => 'idle'));
    expect(lines.seen.filter((l) => l.marked)).toEqual([]); // nobody listens: no marker written

    // the probe attaches to the running process: its first ack turns the hook on
    const probe = Probe.open();
    const events: ProbeEvent[] = [];
    const pumped = (async () => {
      for await (const b of probe.batches()) events.push(...decodeBatch(b.bytes));
    })();
    probe.addPid(child.pid!);
    const on = await lines.next((l) => l.state === 'on', "state 'on'");
    expect(on.published).toBe(on.id);
    // a few spans more, traced with the hook on
    const later = await lines.next((l) => l.id > on.id + 3, 'three more spans');
    await probe.close();
    await pumped;
    const closedAt = lines.seen.length;
    expect(probe.stats().slotAcks.acked).toBeGreaterThan(0);

    // every span the child ran with the hook on: its openat carries that span, read from the slot
    const opens = new Map<string, SyscallEvent>();
    for (const e of events)
      if (e.kind === 'syscall' && e.pid === child.pid && e.name === 'openat' && e.path?.startsWith(`${tmp.dir}/`))
        opens.set(e.path, e);
    const traced = lines.seen.filter((l) => l.state === 'on' && l.id >= on.id && l.id <= later.id);
    expect(traced.length).toBeGreaterThan(3);
    // markers: from the acknowledgement on, and only then (the probe saw every write of the child)
    const markerIds = new Set(
      events
        .filter((e) => e.kind === 'marker' && e.pid === child!.pid)
        .map((e) => /^>:(\d+):/.exec(Buffer.from((e as { data: Uint8Array }).data).toString('latin1'))?.[1]),
    );
    for (const l of traced) expect(l.marked && markerIds.has(String(l.id)), `span ${l.id} marked`).toBe(true);
    for (const l of lines.seen.slice(0, idle)) expect(markerIds.has(String(l.id)), `span ${l.id}`).toBe(false);
    for (const l of traced)
      expect(opens.get(join(tmp.dir, String(l.id))), `span ${l.id}`).toMatchObject({
        ctxSource: 'slot',
        ctxSpan: l.id,
      });

    // the probe is gone: two periods without an ack turn the hook off again
    const off = await lines.next((l) => l.state === 'idle', "state 'idle' after the probe closed");
    expect(off.published).toBe(-1);
    expect(lines.seen.indexOf(off)).toBeGreaterThanOrEqual(closedAt);
    child.stdin!.end();
  });
});

/** A program printing its NULLSPAN_CONTEXT and the SDK's state right after its first span. */
const RUN_SCRIPT = `
import { span } from '${REPO}/sdk/dist/index.js';
import { activeContextState } from '${REPO}/sdk/dist/active.js';
await span.trace('job', () => new Promise((r) => setImmediate(r)));
console.log(JSON.stringify({ env: process.env.NULLSPAN_CONTEXT ?? null, state: activeContextState() }));
`;

describe('nullspan run and the handshake', () => {
  it('starts the command with NULLSPAN_CONTEXT=1 (hook on from the first span); captures and replays slot records', async () => {
    const live = join(tmp.dir, 'live.jsonl');
    const capture = join(tmp.dir, 'run.nscap');
    const r = await runCli(
      [
        'run',
        '--no-otlp',
        '--otlp-file',
        live,
        '--write',
        capture,
        '--',
        process.execPath,
        '--input-type=module',
        '-e',
        RUN_SCRIPT,
      ],
      {
        env: cliEnv({ NULLSPAN_CONTEXT: undefined }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!)).toEqual({ env: '1', state: 'on' });

    const reader = CaptureReader.open(capture);
    const kinds = new Set<string>();
    for (const b of reader.batches()) for (const e of decodeBatch(b)) kinds.add(e.kind);
    expect(kinds.has('slot')).toBe(true);
    const replayed = join(tmp.dir, 'replayed.jsonl');
    const rr = await runCli(['replay', '--no-otlp', '--otlp-file', replayed, capture]);
    expect(rr.code, rr.stderr).toBe(0);
    expect(readFileSync(replayed, 'utf8')).toBe(readFileSync(live, 'utf8'));
    expect(readFileSync(live, 'utf8')).toContain('"job"');
  });

  it('leaves a NULLSPAN_CONTEXT the user set alone', async () => {
    const r = await runCli(
      [
        'run',
        '--no-otlp',
        '--otlp-file',
        join(tmp.dir, 'off.jsonl'),
        '--',
        process.execPath,
        '--input-type=module',
        '-e',
        RUN_SCRIPT,
      ],
      {
        env: cliEnv({ NULLSPAN_CONTEXT: '0' }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!)).toEqual({ env: '0', state: 'off' });
  });
});
