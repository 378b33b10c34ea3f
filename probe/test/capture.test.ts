// A real process doing known system calls, traced from its first instruction: every call is captured with its
// arguments, paths and addresses, in program order.
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecEvent, ExitEvent, ForkEvent, MarkerEvent, ProbeEvent, SyscallEvent } from '../src/index.js';
import { collectingProbe, compileFixture, exited } from './helpers.js';

const text = (m: MarkerEvent) => Buffer.from(m.data).toString('latin1');

describe('capturing a known process', () => {
  let dir: string;
  let tcp: Server;
  let unix: Server;
  let events: ProbeEvent[];
  let pid: number;
  let exitCode: number | null;
  const file = () => join(dir, 'known-input.txt');
  const unixPath = () => join(dir, 'known.sock');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nullspan-capture-'));
    writeFileSync(file(), 'hello from a named file\n');
    tcp = createServer((s) => s.resume()).listen(0, '127.0.0.1');
    unix = createServer((s) => s.resume()).listen(unixPath());
    await Promise.all([new Promise((r) => tcp.once('listening', r)), new Promise((r) => unix.once('listening', r))]);
    const port = (tcp.address() as { port: number }).port;
    const bin = compileFixture('known-syscalls');

    const c = collectingProbe();
    const child = c.probe.spawn(bin, [file(), String(port), unixPath()], { stdio: 'ignore' });
    pid = child.pid!;
    exitCode = (await exited(child)).code;
    events = await c.finish();
  });

  afterAll(() => {
    tcp?.close();
    unix?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mine = () => events.filter((e) => e.pid === pid);
  const calls = () => mine().filter((e): e is SyscallEvent => e.kind === 'syscall');
  const after = (name: string, from = 0) => calls().findIndex((e, i) => i >= from && e.name === name);

  it('traces the spawned command from its exec on', () => {
    expect(exitCode).toBe(3);
    const exec = mine().find((e): e is ExecEvent => e.kind === 'exec');
    expect(exec?.argv.slice(1)).toEqual([file(), expect.any(String), unixPath()]);
    const execve = calls().find((e) => e.name === 'execve' && e.ret === 0);
    expect(execve?.path).toMatch(/known-syscalls$/);
  });

  it('captures open/read of a named file with its path, fd and byte count', () => {
    const open = calls().find((e) => (e.name === 'openat' || e.name === 'open') && e.path === file());
    expect(open).toBeDefined();
    expect(open!.ret).toBeGreaterThanOrEqual(0);
    expect(open!.dur).toBeGreaterThan(0);
    const read = calls().find((e) => e.name === 'read' && e.args[0] === open!.ret && e.ts > open!.ts);
    expect(read?.ret).toBe('hello from a named file\n'.length);
    expect(read!.args[2]).toBe(256);
  });

  it('captures connect with IPv4 and unix socket addresses', () => {
    const port = (tcp.address() as { port: number }).port;
    const connects = calls().filter((e) => e.name === 'connect');
    expect(connects.map((e) => e.addr)).toEqual([
      { family: 'inet', address: '127.0.0.1', port },
      { family: 'unix', address: unixPath(), port: 0 },
    ]);
    expect(connects[0].ret).toBe(0);
    const write = calls().find((e) => e.name === 'write' && e.args[0] === connects[0].args[0]);
    expect(write?.ret).toBe(4);
  });

  it('captures the fds a pipe creates', () => {
    const pipe = calls().find((e) => e.name === 'pipe' || e.name === 'pipe2');
    expect(pipe?.ret).toBe(0);
    expect(pipe?.fds).toEqual([expect.any(Number), expect.any(Number)]);
    expect(pipe!.fds![0]).toBeGreaterThan(2);
  });

  it('follows a forked child through its exec of true and its exit', () => {
    const fork = mine().find((e): e is ForkEvent => e.kind === 'fork');
    expect(fork).toBeDefined();
    expect(fork!.isThread).toBe(false);
    expect(fork!.sharesFiles).toBe(false);
    const childEvents = events.filter((e) => e.pid === fork!.childPid);
    const exec = childEvents.find((e): e is ExecEvent => e.kind === 'exec');
    expect(exec?.filename).toBe('/bin/true');
    expect(exec?.argv).toEqual(['true', 'from-child']);
    expect(childEvents.some((e) => e.kind === 'syscall' && e.name === 'execve' && e.path === '/bin/true')).toBe(true);
    const exit = childEvents.find((e): e is ExitEvent => e.kind === 'exit');
    expect(exit).toMatchObject({ code: 0, groupDead: true });
    const parentExit = mine().find((e): e is ExitEvent => e.kind === 'exit');
    expect(parentExit).toMatchObject({ code: 3 << 8, groupDead: true });
  });

  it('captures markers: plain, split across writev iovecs, and through a dup-ed fd', () => {
    const markers = mine().filter((e): e is MarkerEvent => e.kind === 'marker');
    expect(markers.map(text)).toEqual(['>:t:test.known::', '>:t:test.split:k=v:', '<:t:test.known::']);
    const devnullOpen = calls().find((e) => e.path === '/dev/null');
    const dup = calls().find((e) => e.name === 'dup');
    expect(markers[0].fd).toBe(devnullOpen!.ret);
    expect(markers[1].fd).toBe(devnullOpen!.ret);
    expect(markers[2].fd).toBe(dup!.ret);
    expect(markers[2].fd).not.toBe(markers[0].fd);
    expect(markers.map((m) => m.len)).toEqual([16, 19, 16]);
    // the file's bytes written to /dev/null are not a marker
    expect(markers.some((m) => text(m).startsWith('hello'))).toBe(false);
  });

  it("delivers each thread's records in program order", () => {
    const order = [
      'openat',
      'read',
      'close',
      'openat',
      'write',
      'write',
      'socket',
      'connect',
      'write',
      'close',
      'socket',
      'connect',
      'close',
      'pipe2',
      'clone',
      'wait4',
      'writev',
      'dup',
      'write',
      'exit_group',
    ];
    let at = after('openat');
    const names = calls().map((e) => e.name);
    for (const name of order.slice(1)) {
      if (name === 'exit_group') break; // exit_group never returns: its exit record is the process exit event
      const next = names.findIndex(
        (n, i) => i > at && (n === name || (name === 'pipe2' && n === 'pipe') || (name === 'clone' && n === 'fork')),
      );
      expect(next, `${name} after index ${at}`).toBeGreaterThan(at);
      at = next;
    }
    const ts = calls().map((e) => e.ts);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    const markerTs = mine()
      .filter((e) => e.kind === 'marker')
      .map((e) => e.ts);
    expect([...markerTs].sort((a, b) => a - b)).toEqual(markerTs);
  });
});
