// What gets traced: only the traced set (an untraced process pays and shows nothing), auto-discovery of marker
// writers, following children, removing a pid, and choosing syscalls.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADOPT_CGROUPS_MAX, Probe, type MarkerEvent, type ProbeEvent } from '../src/index.js';
import { collectingProbe, exited } from './helpers.js';

const unique = () => `/tmp/nullspan-filter-${process.pid}-${Math.random().toString(36).slice(2)}`;
// `test -e PATH` stats PATH; `echo` to /dev/null writes a marker
const shell = (script: string) => spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });

describe('filtering in the kernel', () => {
  let finish: (() => Promise<ProbeEvent[]>) | undefined;
  afterEach(async () => {
    await finish?.();
    finish = undefined;
  });

  it('does not capture an untraced process, while capturing the traced one', async () => {
    const c = collectingProbe();
    finish = c.finish;
    const tracedPath = unique();
    const untracedPath = unique();
    const untraced = shell(`test -e ${untracedPath}; echo '>:t:untraced::' > /dev/null`);
    const traced = c.probe.spawn('/bin/sh', ['-c', `test -e ${tracedPath}`], { stdio: 'ignore' });
    await Promise.all([exited(untraced), exited(traced)]);
    const events = await c.finish();
    expect(events.some((e) => e.kind === 'syscall' && e.path === tracedPath)).toBe(true);
    expect(events.some((e) => e.pid === untraced.pid)).toBe(false);
    expect(events.some((e) => e.kind === 'syscall' && e.path === untracedPath)).toBe(false);
    expect(events.some((e) => e.kind === 'marker')).toBe(false);
  });

  it("in markers: 'all' mode, a process writing a marker becomes traced from that write on", async () => {
    const c = collectingProbe({ markers: 'all' });
    finish = c.finish;
    const before = unique();
    const afterPath = unique();
    const p = shell(`test -e ${before}; echo '>:t:discovered::' > /dev/null; test -e ${afterPath}`);
    await exited(p);
    const events = (await c.finish()).filter((e) => e.pid === p.pid);
    const marker = events.find((e): e is MarkerEvent => e.kind === 'marker');
    expect(Buffer.from(marker!.data).toString()).toBe('>:t:discovered::\n');
    expect(events.some((e) => e.kind === 'syscall' && e.name === 'write' && e.ts === marker!.ts)).toBe(true);
    expect(events.some((e) => e.kind === 'syscall' && e.path === afterPath)).toBe(true);
    expect(events.some((e) => e.kind === 'syscall' && e.path === before)).toBe(false);
  });

  it('follows children by default and not when followChildren is false', async () => {
    for (const followChildren of [true, false]) {
      const c = collectingProbe({ followChildren });
      const path = unique();
      const p = c.probe.spawn('/bin/sh', ['-c', `/bin/sh -c 'test -e ${path}'; true`], { stdio: 'ignore' });
      await exited(p);
      const events = await c.finish();
      const fork = events.find((e) => e.kind === 'fork' && e.pid === p.pid);
      expect(fork, 'the fork of a traced process is reported either way').toBeDefined();
      expect(events.some((e) => e.kind === 'syscall' && e.path === path)).toBe(followChildren);
    }
  });

  it('stops tracing a removed pid', async () => {
    const c = collectingProbe();
    finish = c.finish;
    const first = unique();
    const second = unique();
    const p = c.probe.spawn('/bin/sh', ['-c', `test -e ${first}; read _; test -e ${second}`], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    while (!c.events.some((e) => e.kind === 'syscall' && e.path === first)) await new Promise((r) => setTimeout(r, 20));
    c.probe.removePid(p.pid!);
    p.stdin!.end('\n');
    await exited(p);
    const events = await c.finish();
    expect(events.some((e) => e.kind === 'syscall' && e.path === second)).toBe(false);
  });

  it('records only the chosen syscalls, but still every marker', async () => {
    const c = collectingProbe({ syscalls: ['newfstatat', 'stat'] });
    finish = c.finish;
    const path = unique();
    const p = c.probe.spawn('/bin/sh', ['-c', `test -e ${path}; echo '>:t:chosen::' > /dev/null`], { stdio: 'ignore' });
    await exited(p);
    const events = (await c.finish()).filter((e) => e.pid === p.pid);
    const names = new Set(events.flatMap((e) => (e.kind === 'syscall' ? [e.name] : [])));
    expect([...names].every((n) => n === 'newfstatat' || n === 'stat')).toBe(true);
    expect(events.some((e) => e.kind === 'syscall' && e.path === path)).toBe(true);
    expect(events.filter((e) => e.kind === 'marker')).toHaveLength(1);
  });

  it('traces every process that joins a chosen cgroup, and nothing outside it', async () => {
    const mount = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[2] === 'cgroup2')!
      .split(' ')[1];
    const name = `nullspan-test-${process.pid}`;
    mkdirSync(join(mount, name));
    try {
      const c = collectingProbe({ cgroup: name });
      finish = c.finish;
      const inside = unique();
      const outside = unique();
      const member = shell(`echo $$ > ${join(mount, name, 'cgroup.procs')}; test -e ${inside}`);
      const other = shell(`test -e ${outside}`);
      await Promise.all([exited(member), exited(other)]);
      const events = await c.finish();
      expect(events.some((e) => e.kind === 'syscall' && e.path === inside)).toBe(true);
      expect(events.some((e) => e.kind === 'syscall' && e.path === outside)).toBe(false);
    } finally {
      rmdirSync(join(mount, name));
    }
  });

  // every program variant: the cgroup check sits on the adoption path the fallbacks share
  it.each(['none', 'all'])(
    'auto-discovery with adoptCgroups adopts writers in and below those cgroups only (fallbacks: %s)',
    async (fallbacks) => {
      const mount = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[2] === 'cgroup2')!
        .split(' ')[1];
      const parent = `nullspan-adopt-${process.pid}`;
      const dirs = [parent, `${parent}/in`, `${parent}/in/leaf`];
      for (const d of dirs) mkdirSync(join(mount, d));
      try {
        const c = collectingProbe({
          markers: 'all',
          adoptCgroups: [`${parent}/in`],
          fallbacks: fallbacks === 'all' ? 'all' : [],
        });
        finish = c.finish;
        const inside = unique();
        const outside = unique();
        const write = (dir: string, path: string) =>
          shell(`echo $$ > ${join(mount, dir, 'cgroup.procs')}; echo '>:t:x::' > /dev/null; test -e ${path}`);
        // below the listed cgroup, and in its parent (an ancestor at another depth is not a match)
        const member = write(`${parent}/in/leaf`, inside);
        const other = write(parent, outside);
        await Promise.all([exited(member), exited(other)]);
        const events = await c.finish();
        expect(events.some((e) => e.kind === 'marker' && e.pid === member.pid)).toBe(true);
        expect(events.some((e) => e.kind === 'syscall' && e.path === inside)).toBe(true);
        expect(events.some((e) => e.pid === other.pid)).toBe(false);
      } finally {
        for (const d of dirs.reverse()) rmdirSync(join(mount, d));
      }
    },
  );

  it('refuses more adoptCgroups than the kernel side holds, and a path that is no cgroup', () => {
    const many = Array.from({ length: ADOPT_CGROUPS_MAX + 1 }, () => '/');
    expect(() => Probe.open({ markers: 'all', adoptCgroups: many })).toThrow(/adoptCgroups option may list at most 16/);
    expect(() => Probe.open({ markers: 'all', adoptCgroups: ['no-such-cgroup-here'] })).toThrow(/does not exist/);
  });
});
