import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, constants as fsc } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInetTable, parseUnixTable } from '../src/state/procnet.js';
import { containerIdFromCgroup, snapshotProc } from '../src/state/snapshot.js';
import type { FdDesc } from '../src/state/fdtable.js';
import { Stream, collect, inet, oneProcess } from './synthetic.js';

const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;

function target(c: ReturnType<typeof collect>['c'], pid: number, fd: number): string | undefined {
  return c.fds(pid)?.get(fd)?.target;
}

describe('fd table from events', () => {
  it('resolves open/openat paths against cwd, dirfds and chdir', () => {
    const { c } = collect({}, oneProcess(100));
    const s = new Stream();
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0, 0, 0, 0], path: 'data/a.txt', ret: 3 });
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0, 0, 0, 0], path: '/etc', ret: 4 });
    s.sys(100, 100, 'openat', { args: [4, 0, 0, 0, 0, 0], path: 'hosts', ret: 5 });
    s.sys(100, 100, 'chdir', { path: '/tmp/../var' });
    s.sys(100, 100, 'open', { args: [0, 0, 0, 0, 0, 0], path: 'log', ret: 6 });
    // AT_FDCWD as the unsigned 64-bit register value (a decoder that does not sign-extend)
    s.sys(100, 100, 'openat', { args: [2 ** 64 - 100, 0, 0, 0, 0, 0], path: 'x', ret: 7 });
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0, 0, 0, 0], path: 'missing', ret: -2 });
    c.pushBatch(s.events);
    expect(target(c, 100, 3)).toBe('/srv/data/a.txt');
    expect(target(c, 100, 5)).toBe('/etc/hosts');
    expect(target(c, 100, 6)).toBe('/var/log');
    expect(target(c, 100, 7)).toBe('/var/x');
    expect(c.fds(100)?.size).toBe(5); // the failed open added nothing
  });

  it('dup, dup2, dup3 and fcntl(F_DUPFD*) share the description; close removes one fd', () => {
    const { c } = collect({}, oneProcess(100));
    const s = new Stream();
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0], path: '/f', ret: 3 });
    s.sys(100, 100, 'dup', { args: [3], ret: 4 });
    s.sys(100, 100, 'dup2', { args: [3, 10], ret: 10 });
    s.sys(100, 100, 'dup3', { args: [3, 11, O_CLOEXEC], ret: 11 });
    s.sys(100, 100, 'fcntl', { args: [3, 1030, 20], ret: 20 }); // F_DUPFD_CLOEXEC
    s.sys(100, 100, 'fcntl', { args: [3, 0, 30], ret: 30 }); // F_DUPFD
    s.sys(100, 100, 'close', { args: [3] });
    c.pushBatch(s.events);
    for (const fd of [4, 10, 11, 20, 30]) expect(target(c, 100, fd)).toBe('/f');
    expect(target(c, 100, 3)).toBeUndefined();
    // exec drops the CLOEXEC ones (11 via dup3, 20 via F_DUPFD_CLOEXEC) and keeps the rest
    const s2 = new Stream();
    s2.exec(100, '/bin/other');
    c.pushBatch(s2.events);
    expect([...c.fds(100)!.keys()].sort((a, b) => a - b)).toEqual([4, 10, 30]);
  });

  it('tracks O_CLOEXEC from open flags, socket types and fcntl(F_SETFD) across exec', () => {
    const { c } = collect({}, oneProcess(100));
    const s = new Stream();
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, O_CLOEXEC], path: '/a', ret: 3 });
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0], path: '/b', ret: 4 });
    s.sys(100, 100, 'fcntl', { args: [4, 2, 1], ret: 0 }); // F_SETFD FD_CLOEXEC
    s.sys(100, 100, 'fcntl', { args: [3, 2, 0], ret: 0 }); // F_SETFD 0: clears it
    s.sys(100, 100, 'socket', { args: [2, 1 | O_CLOEXEC, 0], ret: 5 });
    s.sys(100, 100, 'pipe2', { args: [0, O_CLOEXEC], fds: [6, 7] });
    s.sys(100, 100, 'open', { args: [0, 0], path: '/c', ret: 8 });
    s.exec(100, '/usr/bin/next', ['next', '--x']);
    c.pushBatch(s.events);
    expect([...c.fds(100)!.keys()].sort()).toEqual([3, 8]);
    const info = c.processes().get(100)!;
    expect(info.exe).toBe('next');
    expect(info.cmdline).toEqual(['next', '--x']);
  });

  it('close_range closes a range, or only marks it CLOEXEC, and can unshare first', () => {
    const { c } = collect({}, oneProcess(100));
    const s = new Stream();
    for (let fd = 3; fd <= 8; fd++) s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0], path: `/f${fd}`, ret: fd });
    s.sys(100, 100, 'close_range', { args: [5, 6, 0] });
    s.sys(100, 100, 'close_range', { args: [7, 2 ** 32 - 1, 4] }); // CLOSE_RANGE_CLOEXEC up to ~0U
    c.pushBatch(s.events);
    expect([...c.fds(100)!.keys()].sort()).toEqual([3, 4, 7, 8]);
    const s2 = new Stream();
    s2.exec(100, '/bin/x');
    c.pushBatch(s2.events);
    expect([...c.fds(100)!.keys()].sort()).toEqual([3, 4]);
  });

  it('threads and CLONE_FILES children share one table; plain fork children get a copy', () => {
    const { c } = collect({}, oneProcess(100));
    const s = new Stream();
    s.fork(100, 100, 100, 101, { isThread: true }); // thread 101
    s.fork(100, 100, 200, 200, { sharesFiles: true }); // CLONE_FILES process
    s.fork(100, 100, 300, 300); // plain fork
    s.sys(100, 101, 'openat', { args: [AT_FDCWD, 0, 0], path: '/by-thread', ret: 3 });
    s.sys(200, 200, 'openat', { args: [AT_FDCWD, 0, 0], path: '/by-shared-child', ret: 4 });
    s.sys(300, 300, 'openat', { args: [AT_FDCWD, 0, 0], path: '/by-forked-child', ret: 5 });
    c.pushBatch(s.events);
    expect(target(c, 100, 3)).toBe('/by-thread');
    expect(target(c, 100, 4)).toBe('/by-shared-child');
    expect(target(c, 100, 5)).toBeUndefined();
    expect(target(c, 300, 5)).toBe('/by-forked-child');
    expect(target(c, 300, 4)).toBeUndefined(); // forked before fd 4 existed
    // exec in the CLONE_FILES child unshares: its later opens no longer reach the parent
    const s2 = new Stream();
    s2.exec(200, '/bin/y');
    s2.sys(200, 200, 'openat', { args: [AT_FDCWD, 0, 0], path: '/after-exec', ret: 9 });
    c.pushBatch(s2.events);
    expect(target(c, 200, 9)).toBe('/after-exec');
    expect(target(c, 100, 9)).toBeUndefined();
  });

  it('names epoll/eventfd/timerfd/pidfd fds; getsockname/getpeername fill in what bind(port 0) and accept left open', () => {
    const { c, spans } = collect({}, oneProcess(100));
    const s = new Stream();
    s.sys(100, 100, 'epoll_create1', { args: [O_CLOEXEC], ret: 3 });
    s.sys(100, 100, 'eventfd2', { args: [0, 0], ret: 4 });
    s.sys(100, 100, 'timerfd_create', { args: [1, O_CLOEXEC], ret: 5 });
    s.sys(100, 100, 'pidfd_open', { args: [42, 0], ret: 6 });
    s.sys(100, 100, 'socket', { args: [2, 1, 0], ret: 7 });
    s.sys(100, 100, 'bind', { args: [7], addr: inet('127.0.0.1', 0) });
    s.marker(100, 100, '>:t:x::');
    s.sys(100, 100, 'accept4', { args: [7, 0, 0, 0], ret: 8 }); // libuv passes no address buffer
    s.sys(100, 100, 'read', { args: [8], ret: 10 });
    s.sys(100, 100, 'getsockname', { args: [7], addr: inet('127.0.0.1', 41535) });
    s.sys(100, 100, 'accept4', { args: [7, 0, 0, 0], ret: 9 });
    s.sys(100, 100, 'getpeername', { args: [9], addr: inet('127.0.0.1', 50001) });
    s.sys(100, 100, 'read', { args: [9], ret: 10 });
    s.marker(100, 100, '<:t:x::');
    c.pushBatch(s.events);
    expect([3, 4, 5, 6].map((fd) => target(c, 100, fd))).toEqual([
      'anon_inode:[eventpoll]',
      'anon_inode:[eventfd]',
      'anon_inode:[timerfd]',
      'anon_inode:[pidfd]',
    ]);
    const reads = spans[0].span.syscalls.filter((r) => r.name === 'read');
    expect(reads.map((r) => r.target)).toEqual(['127.0.0.1 -> ?', '127.0.0.1:41535 -> 127.0.0.1:50001']);
    const s2 = new Stream();
    s2.exec(100, '/bin/x');
    c.pushBatch(s2.events);
    expect([...c.fds(100)!.keys()].sort()).toEqual([4, 7, 8, 9]); // epoll, timerfd (CLOEXEC) and pidfd (always) gone
  });

  it('a child whose first events overtake its fork event keeps them and gets its identity', () => {
    const { c } = collect({}, oneProcess(100, 'server'));
    const s = new Stream();
    s.sys(100, 100, 'openat', { args: [AT_FDCWD, 0, 0], path: '/inherited', ret: 3 });
    s.sys(300, 300, 'openat', { args: [AT_FDCWD, 0, 0], path: '/early', ret: 4 }); // before the fork event
    s.fork(100, 100, 300);
    c.pushBatch(s.events);
    expect(target(c, 300, 3)).toBe('/inherited');
    expect(target(c, 300, 4)).toBe('/early');
    expect(c.processes().get(300)).toMatchObject({ exe: 'server', ppid: 100 });
  });

  it('socket tuples from connect, bind + accept, datagram peers, pipes and socketpairs', () => {
    const { c, spans } = collect({}, oneProcess(100));
    const s = new Stream();
    s.marker(100, 100, '>:t:req::');
    s.sys(100, 100, 'socket', { args: [2, 1, 0], ret: 3 });
    s.sys(100, 100, 'connect', { args: [3], addr: inet('127.0.0.1', 8080), ret: -115 }); // EINPROGRESS still connects
    s.sys(100, 100, 'write', { args: [3], ret: 10 });
    s.sys(100, 100, 'socket', { args: [10, 1, 0], ret: 4 });
    s.sys(100, 100, 'bind', { args: [4], addr: inet('::1', 9000) });
    s.sys(100, 100, 'listen', { args: [4] });
    s.sys(100, 100, 'accept4', { args: [4, 0, 0, O_CLOEXEC], addr: inet('::1', 50000), ret: 5 });
    s.sys(100, 100, 'socket', { args: [2, 2, 0], ret: 6 });
    s.sys(100, 100, 'sendto', { args: [6], addr: inet('10.0.0.9', 53), ret: 40 });
    s.sys(100, 100, 'pipe2', { args: [0, 0], fds: [7, 8] });
    s.sys(100, 100, 'socketpair', { args: [1, 1, 0], fds: [9, 10] });
    s.marker(100, 100, '<:t:req::');
    c.pushBatch(s.events);
    expect(target(c, 100, 5)).toBe('[::1]:9000 -> [::1]:50000');
    expect(target(c, 100, 7)).toBe('pipe');
    expect(target(c, 100, 9)).toBe('unix socketpair');
    const calls = spans[0].span.syscalls;
    const write = calls.find((r) => r.name === 'write')!;
    expect(write).toMatchObject({
      fd: 3,
      peerAddress: '127.0.0.1',
      peerPort: 8080,
      transport: 'tcp',
      bytes: 10,
      target: '-> 127.0.0.1:8080',
    });
    const accept = calls.find((r) => r.name === 'accept4')!;
    expect(accept).toMatchObject({ fd: 5, localAddress: '::1', localPort: 9000, peerAddress: '::1', peerPort: 50000 });
    const sendto = calls.find((r) => r.name === 'sendto')!;
    expect(sendto).toMatchObject({ peerAddress: '10.0.0.9', peerPort: 53, transport: 'udp', target: '-> 10.0.0.9:53' });
    // CLOEXEC accept4 fd goes away at exec, the others stay
    const s2 = new Stream();
    s2.exec(100, '/bin/z');
    c.pushBatch(s2.events);
    expect(target(c, 100, 5)).toBeUndefined();
    expect(target(c, 100, 3)).toBe('-> 127.0.0.1:8080');
  });
});

describe('/proc/net parsing', () => {
  it('reads IPv4 and IPv6 tuples and unix paths by inode', () => {
    const out = new Map<number, FdDesc>();
    parseInetTable(
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
        '   0: 0100007F:1F90 0100007F:A8B2 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 4 30 10 -1\n' +
        '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4243 1 0 20 4 30 10 -1\n',
      'tcp',
      false,
      out,
    );
    parseInetTable(
      'header\n   0: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000100007F:C350 01 0:0 0:0 0 0 0 4244 1\n',
      'tcp',
      true,
      out,
    );
    parseUnixTable(
      'Num RefCount Protocol Flags Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 4245 /run/x.sock\n',
      out,
    );
    expect(out.get(4242)?.target).toBe('127.0.0.1:8080 -> 127.0.0.1:43186');
    expect(out.get(4243)?.target).toBe('0.0.0.0:22');
    expect(out.get(4244)?.target).toBe('[::1]:8080 -> [::ffff:127.0.0.1]:50000');
    expect(out.get(4245)?.target).toBe('unix:/run/x.sock');
  });

  it('derives container ids from cgroup paths', () => {
    const id = 'a'.repeat(12) + 'b'.repeat(52);
    expect(containerIdFromCgroup(`0::/system.slice/docker-${id}.scope\n`)).toBe(id);
    expect(containerIdFromCgroup(`0::/kubepods/besteffort/pod1234/${id}\n`)).toBe(id);
    expect(containerIdFromCgroup('0::/user.slice/user-0.slice/session-1.scope\n')).toBeUndefined();
  });
});

describe('snapshotProc on the real /proc', () => {
  let dir: string;
  let server: Server;
  let client: Socket;
  let port: number;
  let fileFd: number;
  let cloexecFd: number;
  let child: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nullspan-snap-'));
    fileFd = openSync(join(dir, 'open-file.txt'), 'w');
    cloexecFd = openSync(join(dir, 'cloexec.txt'), fsc.O_WRONLY | fsc.O_CREAT | O_CLOEXEC);
    // a child whose stdout is that file: inherited fds are not close-on-exec
    child = spawn('sleep', ['30'], { stdio: ['ignore', fileFd, 'ignore'] });
    await new Promise<void>((r) => child.once('spawn', r));
    server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    client = connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', r));
  });

  afterAll(() => {
    child.kill();
    client.destroy();
    server.close();
    closeSync(fileFd);
    closeSync(cloexecFd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('captures this process: identity, threads, files with CLOEXEC and a TCP socket tuple', () => {
    const state = snapshotProc([process.pid], { descendants: false });
    expect(state.processes).toHaveLength(1);
    const p = state.processes[0];
    expect(p.pid).toBe(process.pid);
    expect(p.ppid).toBe(process.ppid);
    expect(p.tids).toContain(process.pid);
    expect(p.exe).toBe('node');
    expect(p.cwd).toBe(process.cwd());
    const byFd = new Map(p.fds.map((f) => [f.fd, f]));
    // libuv opens everything O_CLOEXEC
    expect(byFd.get(fileFd)).toMatchObject({ cloexec: true, desc: { kind: 'file', path: join(dir, 'open-file.txt') } });
    expect(byFd.get(cloexecFd)?.cloexec).toBe(true);
    const tuple = `127.0.0.1:${client.localPort} -> 127.0.0.1:${port}`;
    expect(p.fds.some((f) => f.desc.target === tuple && f.desc.transport === 'tcp')).toBe(true);
    // JSON round trip (it goes into capture files) and seeding resolve the same fds
    const { c } = collect({}, JSON.parse(JSON.stringify(state)));
    expect(c.fds(process.pid)?.get(fileFd)?.path).toBe(join(dir, 'open-file.txt'));
  });

  it('sees inherited fds without CLOEXEC, and descendants of the given pids', () => {
    const state = snapshotProc([process.pid]);
    const p = state.processes.find((x) => x.pid === child.pid);
    expect(p?.exe).toBe('sleep');
    expect(p?.cmdline).toEqual(['sleep', '30']);
    expect(p?.fds.find((f) => f.fd === 1)).toMatchObject({
      cloexec: false,
      desc: { path: join(dir, 'open-file.txt') },
    });
  });

  it('without pids covers every process, including pid 1', () => {
    const state = snapshotProc();
    expect(state.processes.some((p) => p.pid === 1)).toBe(true);
    expect(state.processes.some((p) => p.pid === process.pid)).toBe(true);
  });
});
