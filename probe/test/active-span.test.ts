// The kernel side of active-span attribution: a marker split across two write() calls keeps its continuation, a thread that
// registered an active-span slot gets the slot's value on each syscall, and libuv worker threads get the value the
// submitting thread's slot held (uprobes on node's uv__work_submit / uv__fs_work).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MarkerEvent, SyscallEvent } from '../src/index.js';
import { collectingProbe, exited, otherNotices } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nullspan-active-'));
const text = (m: MarkerEvent) => Buffer.from(m.data).toString();

/** A node child that registers a slot the way the SDK does, then makes syscalls with known slot values. */
const CHILD = `
import fs from 'node:fs';
const fd = fs.openSync('/dev/null', 'a');
fs.writeSync(fd, '>:1:split.');          // a marker cut by its writer...
fs.writeSync(fd, 'marker:k=v:');         // ...and its continuation, which starts with no '>'
fs.writeSync(fd, 'not a marker');        // the marker was complete: this is ignored again
const slot = Buffer.allocUnsafeSlow(16);
slot.set([0x23, 0x00, 0x6e, 0x73, 0x73, 0x6c, 0x74, 0x31]);
const ids = new Uint32Array(slot.buffer, slot.byteOffset, 4);
fs.writeSync(fd, slot, 0, 16);           // registers the slot
ids[2] = 7; ids[3] = 2;                  // span 2 * 2^32 + 7
fs.readFileSync(process.argv[2] + '/sync.txt');
const pending = fs.promises.readFile(process.argv[2] + '/async.txt');
ids[2] = 0; ids[3] = 0;
await pending;
fs.readFileSync(process.argv[2] + '/none.txt');
`;

describe('active span and split markers', () => {
  it('captures a split marker continuation, reads the slot, and carries the submitter to libuv workers', async () => {
    for (const f of ['sync.txt', 'async.txt', 'none.txt']) writeFileSync(join(dir, f), f);
    writeFileSync(join(dir, 'child.mjs'), CHILD);
    const c = collectingProbe();
    expect(otherNotices(c.probe)).toEqual([]);
    const child = c.probe.spawn(process.execPath, [join(dir, 'child.mjs'), dir], { stdio: 'ignore' });
    expect((await exited(child)).code).toBe(0);
    const events = await c.finish();
    const pid = child.pid;

    const markers = events.filter((e): e is MarkerEvent => e.kind === 'marker' && e.pid === pid);
    expect(markers.map(text)).toEqual(['>:1:split.', 'marker:k=v:']);

    const opens = events.filter(
      (e): e is SyscallEvent =>
        e.kind === 'syscall' && e.pid === pid && e.name === 'openat' && (e.path ?? '').startsWith(`${dir}/`),
    );
    const byFile = (f: string) => opens.find((e) => e.path === join(dir, f));
    const span = 2 * 2 ** 32 + 7;
    expect(byFile('sync.txt')).toMatchObject({ ctxSource: 'slot', ctxSpan: span, tid: pid });
    const async = byFile('async.txt');
    expect(async).toMatchObject({ ctxSource: 'submitter', ctxSpan: span });
    expect(async?.tid).not.toBe(pid); // a libuv worker
    expect(byFile('none.txt')).toMatchObject({ ctxSource: 'slot', ctxSpan: 0 });
    // syscalls before the registration carry nothing
    const first = events.find((e): e is SyscallEvent => e.kind === 'syscall' && e.pid === pid);
    expect(first?.ctxSource).toBe('none');
  });

  it('says in one sentence when a binary has no libuv symbols, and keeps tracing', async () => {
    const c = collectingProbe();
    const child = c.probe.spawn('/bin/sleep', ['0.2']);
    expect(c.probe.attachLibuv('/bin/sleep', child.pid!)).toMatch(/uv__work_submit.*\.$/);
    expect(otherNotices(c.probe)).toHaveLength(1);
    expect(otherNotices(c.probe)[0]).toMatch(
      new RegExp(`^libuv worker attribution is off for /bin/sleep \\(process ${child.pid}\\): .*\\.$`),
    );
    expect((await exited(child)).code).toBe(0);
    const events = await c.finish();
    expect(events.some((e) => e.kind === 'exec' && e.pid === child.pid)).toBe(true);
  });

  it('puts the libuv uprobes on the traced node process only', async () => {
    // A uprobe is a breakpoint written into the process's copy of the text page (which turns it into an anonymous
    // page): the traced node has such pages in node's code mapping, an untraced node running the same binary none.
    const SCRIPT = `setTimeout(() => {
      const smaps = require('node:fs').readFileSync('/proc/self/smaps', 'utf8').split(/\\n(?=[0-9a-f]+-[0-9a-f]+ )/);
      const text = smaps.filter((m) => / r-xp .*\\/node\\S*$/m.test(m.split('\\n')[0]));
      console.log(text.reduce((kb, m) => kb + Number(/^Anonymous:\\s+(\\d+) kB/m.exec(m)[1]), 0));
    }, 300)`;
    const c = collectingProbe();
    const traced = c.probe.spawn(process.execPath, ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    expect(otherNotices(c.probe)).toEqual([]);
    let out = '';
    traced.stdout!.on('data', (d) => (out += d));
    const untraced = execFileSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8' });
    expect((await exited(traced)).code).toBe(0);
    await c.finish();
    expect(Number(out)).toBeGreaterThan(0);
    expect(Number(untraced)).toBe(0);
  });
});
