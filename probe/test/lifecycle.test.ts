// Close leaves nothing loaded, delivers syscalls still blocked as unfinished records, and errors are sentences.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Probe, ProbeError, type SyscallEvent } from '../src/index.js';
import { collectingProbe, compileFixture, exited } from './helpers.js';

const OUR_PROGRAMS = [
  'ns_sys_enter',
  'ns_sys_exit',
  'ns_fork',
  'ns_exec',
  'ns_exit',
  'ns_sched_switch',
  'ns_sched_wakeup',
  'ns_sched_wakeup_new',
  'ns_uv_submit',
  'ns_uv_work',
  'ns_uv_work_ret',
];

/** BPF program and map ids this process holds, from its fds' fdinfo (other probes may run on the machine). */
function heldByUs(): { progs: Set<number>; maps: Set<number> } {
  const progs = new Set<number>();
  const maps = new Set<number>();
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    let info = '';
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const prog = /^prog_id:\s*(\d+)/m.exec(info);
    const map = /^map_id:\s*(\d+)/m.exec(info);
    if (prog) progs.add(Number(prog[1]));
    if (map) maps.add(Number(map[1]));
  }
  return { progs, maps };
}

function loadedIds(): { progs: { id: number; name?: string }[]; maps: { id: number; name?: string }[] } {
  return {
    progs: JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })),
    maps: JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })),
  };
}

/** Which of `ids` the kernel still has loaded, waiting out the RCU grace period that frees them. */
async function stillLoaded(ids: { progs: Set<number>; maps: Set<number> }) {
  let left = { progs: [] as number[], maps: [] as number[] };
  for (let i = 0; i < 100; i++) {
    const l = loadedIds();
    left = {
      progs: l.progs.filter((p) => ids.progs.has(p.id)).map((p) => p.id),
      maps: l.maps.filter((m) => ids.maps.has(m.id)).map((m) => m.id),
    };
    if (left.progs.length === 0 && left.maps.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return left;
}

describe('probe lifecycle', () => {
  it('loads its programs while open and leaves nothing loaded after close', async () => {
    const before = heldByUs();
    const probe = Probe.open();
    const during = heldByUs();
    const ours = {
      progs: new Set([...during.progs].filter((id) => !before.progs.has(id))),
      maps: new Set([...during.maps].filter((id) => !before.maps.has(id))),
    };
    const names = loadedIds()
      .progs.filter((p) => ours.progs.has(p.id))
      .map((p) => p.name);
    expect(names.sort()).toEqual([...OUR_PROGRAMS].sort());
    expect(ours.maps.size).toBeGreaterThanOrEqual(6);
    await probe.close();
    expect(await stillLoaded(ours)).toEqual({ progs: [], maps: [] });
  });

  it('reports a syscall still blocked at close as unfinished, with its arguments', async () => {
    const blocked = compileFixture('blocked');
    const c = collectingProbe();
    const child = c.probe.spawn(blocked, ['/etc/hostname'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => child.stdout!.once('data', r));
    // wait until it is blocked in read(2) (syscall 0), as /proc/<pid>/syscall shows
    while (!readFileSync(`/proc/${child.pid}/syscall`, 'utf8').startsWith('0 '))
      await new Promise((r) => setTimeout(r, 10));
    const events = await c.finish();
    child.kill();
    await exited(child);
    const mine = events.filter((e): e is SyscallEvent => e.kind === 'syscall' && e.pid === child.pid);
    const pipe = mine.find((e) => e.fds !== null)!;
    const last = mine[mine.length - 1];
    expect(last).toMatchObject({ name: 'read', unfinished: true, dur: 0, ret: 0 });
    expect(last.args[0]).toBe(pipe.fds![0]);
    expect(mine.filter((e) => e.unfinished)).toHaveLength(1);
    expect(mine.find((e) => e.path === '/etc/hostname')?.unfinished).toBe(false);
  });

  it('ends batches() after close, and refuses to change the traced set of a closed probe', async () => {
    const probe = Probe.open();
    await probe.close();
    const it = probe.batches()[Symbol.asyncIterator]();
    let r = await it.next();
    while (!r.done) r = await it.next();
    expect(r.done).toBe(true);
    expect(() => probe.addPid(process.pid)).toThrow(ProbeError);
    expect(() => probe.addPid(process.pid)).toThrow(/closed/);
  });

  it('explains bad options and missing processes in one sentence', () => {
    const sentence = /^[A-Z][^\n]*\.$/;
    const cases: [() => unknown, RegExp][] = [
      [() => Probe.open({ pids: [2 ** 22 + 12345] }), /^Process 4206649 does not exist\.$/],
      [() => Probe.open({ ringSize: 5000 }), /^The ringSize option must be a power of two/],
      [() => Probe.open({ snapLen: 0 }), /^The snapLen option must be an integer/],
      [
        () => Probe.open({ syscalls: ['no_such_call'] }),
        /^The syscalls option names no_such_call, which is not an x86_64 system call\.$/,
      ],
      [() => Probe.open({ cgroup: '/no/such/cgroup' }), /The cgroup \/no\/such\/cgroup does not exist/],
    ];
    for (const [fn, message] of cases) {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProbeError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(sentence);
    }
  });

  it('explains that it needs root when run without privileges', () => {
    const script = `import('${new URL('../dist/index.js', import.meta.url).href}').then(m => { try { m.Probe.open(); } catch (e) { console.log(e.name + ': ' + e.message); } })`;
    const out = execFileSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', script],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toMatch(/^ProbeError: The probe needs root .*\.$/);
  });

  it('traces a pid added while running', async () => {
    const c = collectingProbe();
    const child = (await import('node:child_process')).spawn(
      '/bin/sh',
      ['-c', 'read _; test -e /tmp/nullspan-added-later'],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    c.probe.addPid(child.pid!);
    child.stdin!.end('\n');
    await exited(child);
    const events = await c.finish();
    expect(events.some((e) => e.kind === 'syscall' && e.path === '/tmp/nullspan-added-later')).toBe(true);
  });
});
