// Skipping in the kernel the syscalls no output will use (ProbeOptions.skipByContext): a thread whose slot says its
// span is unsampled records only the calls that change the fd table; a thread with no span active (slot 0) also
// keeps its calls on sockets and files unless keepOutsideSpans; threads without a slot, and "unknown", keep all.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPAN_UNSAMPLED, type ProbeOptions, type SyscallEvent } from '../src/index.js';
import { collectingProbe, compileFixture, exited } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nullspan-skip-'));
for (const f of ['k', 't', 'u', 'o', 's', 'w']) writeFileSync(join(dir, f), f);
const fixture = compileFixture('context-io');

/** what the correlator passes, narrowed to what the fixture calls */
const SKIP = {
  stateSyscalls: ['openat', 'close', 'socketpair', 'pipe2'],
  fdArgSyscalls: ['read', 'pread64', 'write', 'fsync', 'fstat', 'lseek', 'sendto', 'recvfrom'],
};
/** the fixture's calls that change no fd table, per run of its io(): 6 on a file, 2 on a socket, 1 on no fd, 2 on
 * a pipe */
const IO_CALLS = 11;
const OUTSIDE_SKIPPED = 3; // the no-fd and pipe calls; file and socket calls may belong to a span by their fd

async function run(opts: ProbeOptions) {
  const c = collectingProbe(opts);
  const child = c.probe.spawn(fixture, [dir], { stdio: 'ignore' });
  expect((await exited(child)).code).toBe(0);
  const events = await c.finish();
  const calls = events.filter((e): e is SyscallEvent => e.kind === 'syscall' && e.pid === child.pid);
  // each io() run opens its own file first and ends with its fifth close
  const runs = new Map<string, SyscallEvent[]>();
  const current = new Map<number, SyscallEvent[]>();
  for (const e of calls) {
    if (e.name === 'openat' && e.path?.startsWith(`${dir}/`)) {
      const list: SyscallEvent[] = [];
      runs.set(e.path.slice(dir.length + 1), list);
      current.set(e.tid, list);
    }
    const list = current.get(e.tid);
    list?.push(e);
    if (list?.filter((c) => c.name === 'close').length === 5) current.delete(e.tid);
  }
  return { runs, stats: c.probe.stats(), pid: child.pid };
}

const names = (list: SyscallEvent[] | undefined) => (list ?? []).map((e) => e.name);
const ALL = [
  'openat',
  'socketpair',
  'pipe2',
  'read',
  'pread64',
  'write',
  'fsync',
  'fstat',
  'lseek',
  'sendto',
  'recvfrom',
  'getppid',
  'write',
  'read',
  'close',
  'close',
  'close',
  'close',
  'close',
];

describe('skipping syscalls by context in the kernel', () => {
  it('records only fd-table calls of an unsampled span and skips no-span calls off sockets and files', async () => {
    const { runs, stats } = await run({ skipByContext: SKIP });
    expect(stats.skipped).toEqual({ unsampled: IO_CALLS, outsideSpans: OUTSIDE_SKIPPED });
    // unsampled: the fd table still sees every open and close, marked as unsampled
    const u = runs.get('u') ?? [];
    expect(names(u)).toEqual(['openat', 'socketpair', 'pipe2', 'close', 'close', 'close', 'close', 'close']);
    expect(u.every((e) => e.ctxSource === 'slot' && e.ctxSpan === SPAN_UNSAMPLED)).toBe(true);
    // no span: the file and socket calls stay (a span using that fd may own them), the pipe and no-fd ones go
    expect(names(runs.get('o'))).toEqual([
      'openat',
      'socketpair',
      'pipe2',
      'read',
      'pread64',
      'write',
      'fsync',
      'fstat',
      'lseek',
      'sendto',
      'recvfrom',
      'close',
      'close',
      'close',
      'close',
      'close',
    ]);
    // a sampled span, "unknown", and a thread without a slot: everything
    expect(names(runs.get('s'))).toEqual(ALL);
    expect(names(runs.get('k'))).toEqual(ALL);
    expect(names(runs.get('t'))).toEqual(ALL);
    expect(runs.get('t')?.every((e) => e.ctxSource === 'none')).toBe(true);
  });

  it('keeps calls outside spans when asked to', async () => {
    const { runs, stats } = await run({ skipByContext: { ...SKIP, keepOutsideSpans: true } });
    expect(stats.skipped).toEqual({ unsampled: IO_CALLS, outsideSpans: 0 });
    expect(names(runs.get('o'))).toEqual(ALL);
    expect(names(runs.get('u'))).toEqual([
      'openat',
      'socketpair',
      'pipe2',
      'close',
      'close',
      'close',
      'close',
      'close',
    ]);
  });

  it('skips nothing by default', async () => {
    const { runs, stats } = await run({});
    expect(stats.skipped).toEqual({ unsampled: 0, outsideSpans: 0 });
    for (const r of ['k', 't', 'u', 'o', 's']) expect(names(runs.get(r))).toEqual(ALL);
    expect(runs.get('u')?.every((e) => e.ctxSpan === SPAN_UNSAMPLED)).toBe(true);
  });

  it('leaves out the syscall record of a write that carried a marker when asked to', async () => {
    const script = join(dir, 'markers.mjs');
    writeFileSync(
      script,
      `import fs from 'node:fs';
const fd = fs.openSync('/dev/null', 'a');
fs.writeSync(fd, '>:1:a::');
fs.writeSync(fd, '<:1:a::');
fs.writeSync(fd, 'plain');
console.log(fd);
`,
    );
    const writesTo = async (recordMarkerWrites: boolean) => {
      const c = collectingProbe({ recordMarkerWrites });
      const child = c.probe.spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      expect((await exited(child)).code).toBe(0);
      const events = await c.finish();
      const fd = Number(out.trim());
      const markers = events.filter((e) => e.kind === 'marker' && e.pid === child.pid);
      const writes = events.filter(
        (e): e is SyscallEvent => e.kind === 'syscall' && e.pid === child.pid && e.name === 'write' && e.args[0] === fd,
      );
      return { markers: markers.length, writes: writes.map((w) => w.ret) };
    };
    expect(await writesTo(false)).toEqual({ markers: 2, writes: [5] });
    expect(await writesTo(true)).toEqual({ markers: 2, writes: [7, 7, 5] });
  });

  it('skips the libuv worker calls of work an unsampled span, or no span, submitted', async () => {
    const script = join(dir, 'worker.mjs');
    writeFileSync(
      script,
      `import fs from 'node:fs';
const slot = Buffer.allocUnsafeSlow(16);
slot.set([0x23, 0x00, 0x6e, 0x73, 0x73, 0x6c, 0x74, 0x31]);
const ids = new Uint32Array(slot.buffer, slot.byteOffset, 4);
ids[2] = 0xffffffff; ids[3] = 0xffffffff;
fs.writeSync(fs.openSync('/dev/null', 'a'), slot, 0, 16);
ids[2] = 0xfffffffe;                      // unsampled
await fs.promises.readFile(process.argv[2]);
ids[2] = 0; ids[3] = 0;                   // no span
await fs.promises.readFile(process.argv[3]);
ids[2] = 0xffffffff; ids[3] = 0xffffffff;
`,
    );
    const c = collectingProbe({ skipByContext: { stateSyscalls: ['openat', 'close'], fdArgSyscalls: ['read'] } });
    const child = c.probe.spawn(process.execPath, [script, join(dir, 'w'), join(dir, 'k')], { stdio: 'ignore' });
    expect((await exited(child)).code).toBe(0);
    const events = await c.finish();
    const worker = events.filter(
      (e): e is SyscallEvent => e.kind === 'syscall' && e.pid === child.pid && e.ctxSource === 'submitter',
    );
    const open = (f: string) => worker.find((e) => e.name === 'openat' && e.path === join(dir, f));
    expect(open('w')).toMatchObject({ ctxSpan: SPAN_UNSAMPLED });
    expect(open('w')?.tid).not.toBe(child.pid);
    expect(open('k')).toMatchObject({ ctxSpan: 0 });
    // the workers' reads, fstats... of those files never reached user space (on a worker, not even calls on a
    // file: no span can own them); their opens and closes did
    const names = (span: number) => new Set(worker.filter((e) => e.ctxSpan === span).map((e) => e.name));
    expect(names(SPAN_UNSAMPLED)).toEqual(new Set(['openat', 'close']));
    expect(names(0)).toEqual(new Set(['openat', 'close']));
    // at least each worker's fstat and read
    expect(c.probe.stats().skipped).toMatchObject({
      unsampled: expect.toSatisfy((n: number) => n >= 2),
      outsideSpans: expect.toSatisfy((n: number) => n >= 2),
    });
  });
});
