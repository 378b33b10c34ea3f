// The probe requirements capture.test.ts does not reach, each against the real kernel: markers through pwrite64,
// pwritev(2), /proc/self/fd/N, a dup2-ed fd, a device node of its own and an fd opened before the probe started (also
// under auto-discovery), writev edge cases and the snap length; paths of the mkdir/stat/rename/link/unlink/chdir
// families; socket addresses of bind/connect/accept/accept4/getsockname/sendto/recvfrom/sendmsg/recvmsg (IPv4, IPv6,
// unix, abstract), also of calls still blocked at close; new fds; and a slow consumer never blocking the traced
// application. The programs print their own view (fds, ports), which the decoded events must match.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeBatch,
  Probe,
  type MarkerEvent,
  type ProbeEvent,
  type ProbeOptions,
  type SockAddr,
  type SyscallEvent,
} from '../src/index.js';
import { collectingProbe, compileFixture } from './helpers.js';

const AT_FDCWD = -100;
const AT_REMOVEDIR = 0x200;
const RENAME_NOREPLACE = 1;
const O_CLOEXEC = 0o2000000; // = SOCK_CLOEXEC = EPOLL_CLOEXEC
const ENOENT = 2;

const text = (m: MarkerEvent) => Buffer.from(m.data).toString('latin1');
const markersOf = (events: ProbeEvent[], pid: number) =>
  events.filter((e): e is MarkerEvent => e.kind === 'marker' && e.pid === pid);
const callsOf = (events: ProbeEvent[], pid: number) =>
  events.filter((e): e is SyscallEvent => e.kind === 'syscall' && e.pid === pid);

/** Waits until the child has exited and its pipes are drained. */
function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** "name n n n" lines → name → numbers */
function parseLines(stdout: string): Map<string, number[]> {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [name, ...nums] = l.split(' ');
        return [name, nums.map(Number)];
      }),
  );
}

describe('a process doing the calls capture.test.ts does not', () => {
  let dir: string;
  let events: ProbeEvent[];
  let pid: number;
  let out: Map<string, number[]>;
  const abstractName = `nullspan-cov-${process.pid}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nullspan-coverage-'));
    const bin = compileFixture('more-syscalls');
    const c = collectingProbe();
    const child = c.probe.spawn(bin, [dir, abstractName], { stdio: ['ignore', 'pipe', 'pipe'] });
    pid = child.pid!;
    const result = await finished(child);
    events = await c.finish();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    out = parseLines(result.stdout);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** the fixture's own calls: from its exec on (the trace starts with the spawn gate's shell, same pid) */
  const calls = () => {
    const all = callsOf(events, pid);
    const exec = all.findIndex((e) => e.name === 'execve' && e.ret === 0);
    expect(exec, 'the execve of the fixture').toBeGreaterThanOrEqual(0);
    return all.slice(exec);
  };
  const named = (name: string) => calls().filter((e) => e.name === name);
  const on = (name: string, fd: number) => {
    const found = calls().filter((e) => e.name === name && e.args[0] === fd);
    expect(found, `${name} on fd ${fd}`).toHaveLength(1);
    return found[0];
  };
  const num = (key: string) => out.get(key)!;

  describe('markers', () => {
    it('through pwrite64, pwritev and pwritev2 (iovecs concatenated), a /proc/self/fd/N reopen and a dup2-ed fd', () => {
      const [devnull] = num('devnull');
      const [viaproc] = num('viaproc');
      const markers = markersOf(events, pid).slice(0, 5);
      expect(markers.map(text)).toEqual([
        '>:t:cov.pwrite::',
        '>:t:cov.pwritev:a=1:',
        '>:t:cov.pwritev2:b=2:',
        '<:t:cov.procfd::',
        '<:t:cov.dup2::',
      ]);
      expect(markers.map((m) => m.fd)).toEqual([devnull, devnull, devnull, viaproc, 100]);
      expect(markers.map((m) => m.len)).toEqual([16, 20, 21, 16, 14]);
      // each marker is the payload of the write-family call that entered at the same instant
      const writer = (m: MarkerEvent) => calls().find((e) => e.ts === m.ts && e.tid === m.tid);
      expect(markers.map((m) => [writer(m)?.name, writer(m)?.ret])).toEqual([
        ['pwrite64', 16],
        ['pwritev', 20],
        ['pwritev2', 21],
        ['write', 16],
        ['write', 14],
      ]);
      // the reopen really went through /proc (a new open file of the null device, not a dup)
      const reopen = calls().find((e) => e.name === 'openat' && e.path === `/proc/self/fd/${devnull}`);
      expect(reopen?.ret).toBe(viaproc);
      expect(viaproc).not.toBe(devnull);
    });

    it('by the device number, not the path: a node of its own for 1:3 counts, /dev/zero and a file named null do not', () => {
      const [node] = num('node');
      const [zero] = num('zero');
      const [file] = num('file');
      const markers = markersOf(events, pid);
      expect(markers.filter((m) => m.fd === node).map(text)).toEqual(['<:t:cov.mknod::']);
      expect(markers.filter((m) => m.fd === zero || m.fd === file)).toEqual([]);
      expect(markers).toHaveLength(6); // the five of the test above and the node's
      // the look-alikes were written all the same
      expect(
        calls()
          .filter((e) => e.name === 'write' && (e.args[0] === zero || e.args[0] === file))
          .map((e) => e.ret),
      ).toEqual([14, 14]);
    });
  });

  describe('paths', () => {
    it('of chdir, mkdir/mkdirat, the stat family, rename*/link*/symlink* (both paths), unlink/unlinkat/rmdir, creat/openat2/access/readlink, in program order', () => {
      const all = calls();
      const from = all.findIndex((e) => e.name === 'chdir' && e.path === dir);
      expect(from).toBeGreaterThanOrEqual(0);
      const to = all.findIndex((e, i) => i > from && e.name === 'chdir' && e.path === 'd1');
      expect(to).toBeGreaterThan(from);
      const seen = all.slice(from, to + 1).map((e) => [e.name, e.path, e.path2, e.ret]);
      expect(seen).toEqual([
        ['chdir', dir, null, 0],
        ['mkdir', 'd1', null, 0],
        ['mkdirat', 'd2', null, 0],
        ['openat', 'd1/f1', null, expect.any(Number)],
        ['close', null, null, 0],
        ['stat', 'd1/f1', null, 0],
        ['lstat', 'd1/f1', null, 0],
        ['newfstatat', 'd1/f1', null, 0],
        ['statx', 'd1/f1', null, 0],
        ['stat', 'd1/missing', null, -ENOENT],
        ['rename', 'd1/f1', 'd1/f2', 0],
        ['renameat', 'd1/f2', 'd2/f3', 0],
        ['renameat2', 'd2/f3', 'd1/f4', 0],
        ['unlink', 'd1/f4', null, 0],
        ['unlinkat', 'd2', null, 0],
        ['creat', 'd1/c', null, expect.any(Number)],
        ['close', null, null, 0],
        ['openat2', 'd1/c', null, expect.any(Number)],
        ['close', null, null, 0],
        ['access', 'd1/c', null, 0],
        ['faccessat2', 'd1/c', null, 0],
        ['link', 'd1/c', 'd1/l1', 0],
        ['linkat', 'd1/l1', 'd1/l2', 0],
        ['symlink', 'c', 'd1/s1', 0],
        ['symlinkat', 'c', 'd1/s2', 0],
        ['readlink', 'd1/s1', null, 1],
        ['statfs', 'd1', null, 0],
        ['mkdir', 'd1/r', null, 0],
        ['rmdir', 'd1/r', null, 0],
        ['chdir', 'd1', null, 0],
      ]);
      // flags where they change meaning, and the dirfd (AT_FDCWD comes out negative)
      const get = (name: string) => all.slice(from, to + 1).find((e) => e.name === name)!;
      expect(get('mkdirat').args[0]).toBe(AT_FDCWD);
      expect(get('renameat2').args.slice(0, 5)).toEqual([
        AT_FDCWD,
        expect.any(Number),
        AT_FDCWD,
        expect.any(Number),
        RENAME_NOREPLACE,
      ]);
      expect(get('unlinkat').args[2]).toBe(AT_REMOVEDIR);
    });
  });

  describe('socket addresses', () => {
    const inet = (port: number): SockAddr => ({ family: 'inet', address: '127.0.0.1', port });
    const inet6 = (port: number): SockAddr => ({ family: 'inet6', address: '::1', port });

    it('IPv4 TCP: bind, getsockname, connect, and the peer accept returns', () => {
      const [listener, client, server, port, clientPort] = num('tcp4');
      expect(on('bind', listener).addr).toEqual(inet(0));
      expect(on('getsockname', listener).addr).toEqual(inet(port));
      expect(on('connect', client)).toMatchObject({ ret: 0, addr: inet(port) });
      expect(on('accept', listener)).toMatchObject({ ret: server, addr: inet(clientPort) });
    });

    it('IPv6 TCP to a [::1] listener: bind, connect, and the peer accept4 returns (with its flags)', () => {
      const [listener, client, server, port, clientPort] = num('tcp6');
      expect(on('bind', listener).addr).toEqual(inet6(0));
      expect(on('getsockname', listener).addr).toEqual(inet6(port));
      expect(on('connect', client)).toMatchObject({ ret: 0, addr: inet6(port) });
      const accept4 = on('accept4', listener);
      expect(accept4).toMatchObject({ ret: server, addr: inet6(clientPort) });
      expect(accept4.args[3]).toBe(O_CLOEXEC);
    });

    it('accept into a buffer too small for the IPv6 peer: no byte from beyond the buffer reaches the trace', () => {
      const [listener] = num('tcp6');
      const [client, server, reportedLen] = num('short6');
      expect(reportedLen).toBe(28); // the kernel says 28 though it wrote 16: the length alone cannot be trusted
      expect(on('connect', client).ret).toBe(0);
      const accept = on('accept', listener);
      expect(accept.ret).toBe(server);
      // the application's 16 bytes hold family, port, flowinfo and the first half of ::1; the canary after is 0xab
      expect(accept.addr?.address ?? '').not.toMatch(/ab/);
    });

    it('unix: bind and connect by path, accept of an unnamed peer, bind of an abstract name', () => {
      const [listener, client, server] = num('unix');
      const path = join(dir, 'cov.sock');
      expect(on('bind', listener)).toMatchObject({ ret: 0, addr: { family: 'unix', address: path, port: 0 } });
      expect(on('connect', client)).toMatchObject({ ret: 0, addr: { family: 'unix', address: path, port: 0 } });
      expect(on('accept', listener)).toMatchObject({ ret: server, addr: { family: 'unix', address: '', port: 0 } });
      const [abstract] = num('abstract');
      expect(on('bind', abstract)).toMatchObject({
        ret: 0,
        addr: { family: 'unix', address: `@${abstractName}`, port: 0 },
      });
    });

    for (const v of [4, 6] as const) {
      it(`UDP over IPv${v} loopback: sendto/recvfrom and sendmsg/recvmsg carry the destination and the source (msg_name)`, () => {
        const [receiver, sender, receiverPort, senderPort] = num(`udp${v}`);
        const addr = v === 4 ? inet : inet6;
        expect(on('bind', receiver).addr).toEqual(addr(0));
        expect(on('bind', sender).addr).toEqual(addr(0));
        expect(on('sendto', sender)).toMatchObject({ ret: 4, addr: addr(receiverPort) });
        expect(on('recvfrom', receiver)).toMatchObject({ ret: 4, addr: addr(senderPort) });
        expect(on('sendmsg', sender)).toMatchObject({ ret: 4, addr: addr(receiverPort) });
        expect(on('recvmsg', receiver)).toMatchObject({ ret: 4, addr: addr(senderPort) });
      });
    }
  });

  describe('new fds', () => {
    it('returned by socket, eventfd/eventfd2, epoll_create/epoll_create1, dup/dup2/dup3, and the pair socketpair fills in', () => {
      const [ev2, ev, ep1, ep, nul, d, d2, d3, sv0, sv1] = num('fds');
      const [devnull] = num('devnull');
      expect(named('socket').map((e) => e.ret)).toEqual([
        num('tcp4')[0],
        num('tcp4')[1],
        num('tcp6')[0],
        num('tcp6')[1],
        num('short6')[0],
        num('unix')[0],
        num('unix')[1],
        num('abstract')[0],
        num('udp4')[0],
        num('udp4')[1],
        num('udp6')[0],
        num('udp6')[1],
      ]);
      expect(named('eventfd2').map((e) => e.ret)).toEqual([ev2]);
      expect(named('eventfd').map((e) => e.ret)).toEqual([ev]);
      expect(named('epoll_create1').map((e) => [e.args[0], e.ret])).toEqual([[O_CLOEXEC, ep1]]);
      expect(named('epoll_create').map((e) => e.ret)).toEqual([ep]);
      expect(named('dup').map((e) => [e.args[0], e.ret])).toEqual([[nul, d]]);
      expect(named('dup2').map((e) => [e.args[0], e.args[1], e.ret])).toEqual([
        [devnull, 100, 100],
        [nul, 110, d2],
      ]);
      expect(named('dup3').map((e) => [e.args[0], e.args[1], e.args[2], e.ret])).toEqual([[nul, 111, O_CLOEXEC, d3]]);
      expect(named('socketpair').map((e) => [e.ret, e.fds])).toEqual([[0, [sv0, sv1]]]);
    });
  });
});

describe('markers of a writer that waits for the test (null-writer)', () => {
  let writer: string;
  beforeAll(() => {
    writer = compileFixture('null-writer');
  });

  for (const how of ['pids option', 'addPid', "markers: 'all'"] as const) {
    it(`through an fd opened before the probe started, first by writev, are captured once the process is traced (${how})`, async () => {
      // the first marker is a writev of ">:" and "t:early.fd::"
      const child = spawn(writer, ['>:|t:early.fd::', '<:t:early.fd::'], { stdio: ['pipe', 'pipe', 'ignore'] });
      const done = finished(child);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      // the fd the process opened on /dev/null before any probe existed
      const fds = readdirSync(`/proc/${child.pid}/fd`)
        .map(Number)
        .filter((fd) => fd > 2);
      const early = fds.filter((fd) => readlinkSync(`/proc/${child.pid}/fd/${fd}`) === '/dev/null');
      expect(early).toHaveLength(1);

      // with markers: 'all' the process is never added: its first marker makes it traced (auto-discovery)
      const c = collectingProbe(
        how === 'pids option' ? { pids: [child.pid!] } : how === 'addPid' ? {} : { markers: 'all' },
      );
      if (how === 'addPid') c.probe.addPid(child.pid!);
      child.stdin!.end('\n');
      expect((await done).code).toBe(0);
      const events = await c.finish();
      const markers = markersOf(events, child.pid!);
      expect(markers.map(text)).toEqual(['>:t:early.fd::', '<:t:early.fd::']);
      expect(markers.map((m) => m.fd)).toEqual([early[0], early[0]]);
      const writes = callsOf(events, child.pid!).filter((e) => e.args[0] === early[0]);
      expect(writes.map((e) => [e.name, e.ret, e.ts])).toEqual([
        ['writev', 14, markers[0].ts],
        ['write', 14, markers[1].ts],
      ]);
      // the open itself happened before tracing
      expect(callsOf(events, child.pid!).some((e) => e.path === '/dev/null')).toBe(false);
    });
  }

  /** Runs null-writer traced from its exec on, writing `args` (see the fixture for the '|' writev syntax). */
  async function traceWriter(args: string[], opts: ProbeOptions = {}) {
    const c = collectingProbe(opts);
    const child = c.probe.spawn(writer, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    const done = finished(child);
    child.stdin!.end('\n');
    expect((await done).code).toBe(0);
    const events = await c.finish();
    return { markers: markersOf(events, child.pid!), calls: callsOf(events, child.pid!) };
  }

  it('cut at snapLen: a 200-byte marker arrives as its first 64 bytes with len 200, the next marker whole', async () => {
    const long = `>:t:long.${'x'.repeat(200 - 11)}::`;
    expect(long).toHaveLength(200);
    // the cut marker is not taken for one its writer left unfinished: the plain write after it is no marker
    const { markers } = await traceWriter([long, 'plain bytes', '<:t:after.cut::'], { snapLen: 64 });
    expect(markers).toHaveLength(2);
    expect(markers[0].data.length).toBe(64);
    expect(markers[0].len).toBe(200);
    expect(text(markers[0])).toBe(long.slice(0, 64));
    expect(text(markers[1])).toBe('<:t:after.cut::');
    expect(markers[1].len).toBe(15);
  });

  it('cut at snapLen inside the iovecs of one writev: the first 64 concatenated bytes, len the total', async () => {
    const pieces = [`>:t:iov.${'y'.repeat(42)}`, 'z'.repeat(50), `${'w'.repeat(48)}::`];
    const whole = pieces.join('');
    const { markers, calls } = await traceWriter([pieces.join('|')], { snapLen: 64 });
    expect(markers.map((m) => [text(m), m.len])).toEqual([[whole.slice(0, 64), whole.length]]);
    expect(calls.find((e) => e.name === 'writev' && e.ts === markers[0].ts)?.ret).toBe(whole.length);
  });

  it('written by a writev whose first iovec is empty: the concatenated payload is what starts with ">"', async () => {
    const { markers } = await traceWriter(['|>:t:empty.first::', '<:t:empty.first::']);
    expect(markers.map((m) => [text(m), m.len])).toEqual([
      ['>:t:empty.first::', 17],
      ['<:t:empty.first::', 17],
    ]);
  });

  it('written by a writev of 40 iovecs: len is the total written, data all of it (well under the snap length)', async () => {
    const pieces = ['>:t:many.', ...Array.from({ length: 38 }, (_, i) => `k${i}=`), ':'];
    const whole = pieces.join('');
    const { markers, calls } = await traceWriter([pieces.join('|'), 'not a marker']);
    expect(calls.find((e) => e.name === 'writev')?.ret).toBe(whole.length);
    expect(markers[0].len, 'len: the bytes the application wrote').toBe(whole.length);
    expect(text(markers[0])).toBe(whole);
    // the marker was complete (it ends with ':'), so the next write to /dev/null is no continuation of it
    expect(markers.map(text)).toEqual([whole]);
  });
});

describe('a syscall with a socket address still blocked at close', () => {
  it('is reported unfinished with its address: connect to a full unix backlog, sendto a full unix datagram queue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nullspan-blocked-'));
    const c = collectingProbe();
    const parent = c.probe.spawn(compileFixture('blocked-socket'), [dir], { stdio: ['ignore', 'pipe', 'ignore'] });
    let childPid = 0;
    try {
      const line = await new Promise<string>((resolve) =>
        parent.stdout!.once('data', (d: Buffer) => resolve(d.toString())),
      );
      childPid = Number(/^child (\d+)/.exec(line)![1]);
      // wait until the child is blocked in connect (42) and the parent in sendto (44), as /proc/<pid>/syscall shows
      const inSyscall = (pid: number, nr: number) => readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith(`${nr} `);
      while (!inSyscall(childPid, 42) || !inSyscall(parent.pid!, 44)) await new Promise((r) => setTimeout(r, 10));
      const events = await c.finish();
      const last = (pid: number) => callsOf(events, pid).at(-1);
      expect(last(childPid)).toMatchObject({ name: 'connect', unfinished: true, dur: 0 });
      expect(last(parent.pid!)).toMatchObject({ name: 'sendto', unfinished: true, dur: 0 });
      expect(last(childPid)!.addr).toEqual({ family: 'unix', address: join(dir, 'listen.sock'), port: 0 });
      expect(last(parent.pid!)!.addr).toEqual({ family: 'unix', address: join(dir, 'recv.sock'), port: 0 });
    } finally {
      await c.finish(); // closing twice is harmless; a failure above must not leave the probe attached
      if (childPid) process.kill(childPid, 'SIGKILL');
      const closed = finished(parent);
      parent.kill('SIGKILL');
      await closed;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a slow consumer', () => {
  // A tracer that made the application wait for its consumer would put it to sleep in the kernel at least once
  // per ring fill (thousands of times here), which its voluntary_ctxt_switches count while writing shows without
  // any timing.
  // The untraced run of the same program is the baseline for sleeps that have nothing to do with the probe.
  const writes = 200_000;
  let flooder: string;
  beforeAll(() => {
    flooder = compileFixture('flood-markers');
  });

  async function flood(probe?: Probe) {
    const args = [String(writes)];
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
    const child = probe ? probe.spawn(flooder, args, { stdio }) : spawn(flooder, args, { stdio });
    const { code, stdout, stderr } = await finished(child);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = parseLines(stdout);
    return { pid: child.pid!, writes: out.get('writes')![0], voluntary: out.get('voluntary')![0] };
  }

  /** Closes the probe while draining it; returns the flooder's delivered marker count. */
  async function drain(probe: Probe, pid: number) {
    const closing = probe.close();
    let markers = 0;
    for await (const batch of probe.batches())
      for (const e of decodeBatch(batch.bytes)) if (e.kind === 'marker' && e.pid === pid) markers++;
    await closing;
    return markers;
  }

  it('that never reads: the application completes every write without sleeping on the probe; the kernel drops', async () => {
    const untraced = await flood();
    expect(untraced.writes).toBe(writes);
    const probe = Probe.open({ ringSize: 4096 });
    const traced = await flood(probe); // nobody iterates batches meanwhile
    const stats = probe.stats();
    const delivered = await drain(probe, traced.pid);
    expect(traced.writes).toBe(writes);
    expect(stats.queueFull).toBeGreaterThan(0); // the consumer really was behind...
    expect(stats.drops.marker).toBeGreaterThan(0); // ...so the kernel dropped instead of waiting
    expect(delivered + stats.drops.marker).toBeGreaterThanOrEqual(writes);
    expect(traced.voluntary).toBeLessThanOrEqual(untraced.voluntary + 20);
  });

  it('that reads slowly: the same', async () => {
    const untraced = await flood();
    const probe = Probe.open({ ringSize: 4096 });
    let markers = 0;
    let batches = 0;
    const reading = (async () => {
      for await (const batch of probe.batches()) {
        batches++;
        for (const e of decodeBatch(batch.bytes)) if (e.kind === 'marker') markers++;
        await new Promise((r) => setTimeout(r, 20)); // a consumer busy with something else between batches
      }
    })();
    const traced = await flood(probe);
    const stats = probe.stats();
    await probe.close();
    await reading;
    expect(traced.writes).toBe(writes);
    expect(batches).toBeGreaterThan(0);
    expect(stats.drops.marker).toBeGreaterThan(0);
    expect(markers + probe.stats().drops.marker).toBeGreaterThanOrEqual(writes);
    expect(traced.voluntary).toBeLessThanOrEqual(untraced.voluntary + 20);
  });
});
