// The fallback paths older kernels take (src/features.ts), forced on this kernel: the probe says which it runs with,
// each fallback really replaces its feature (a tid-keyed hash for task storage, a bounded loop for bpf_loop, no
// uprobes), and the probe's kernel tests pass unchanged with the fallbacks in use. On a kernel that lacks some
// features those fallbacks are in use whatever is forced, and the expectations include them.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FALLBACKS,
  type FallbackName,
  fallbackNotices,
  type MarkerEvent,
  Probe,
  type ProbeEvent,
  type ProbeFeatures,
  type ProbeOptions,
} from '../src/index.js';
import { collectingProbe, compileFixture, exited } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;

/** The kernel's view (name, type) of the BPF maps this process holds (other probes may run on the machine). */
function ourMaps(): { id: number; name: string; type: string }[] {
  const ids = new Set<number>();
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      const m = /^map_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  const all = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show'], { encoding: 'utf8' })) as {
    id: number;
    name: string;
    type: string;
  }[];
  return all.filter((m) => ids.has(m.id));
}

/** Keys (tids) of the tid-keyed thread-state map. */
function threadStateKeys(mapId: number): Set<number> {
  const entries = JSON.parse(
    execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(mapId)], { encoding: 'utf8', maxBuffer: 1 << 28 }),
  ) as { key?: string[]; formatted?: { key: number } }[];
  return new Set(entries.map((e) => e.formatted?.key ?? Buffer.from(e.key!.map((b) => Number(b))).readUInt32LE(0)));
}

const text = (m: MarkerEvent) => Buffer.from(m.data).toString('latin1');

/** The fallbacks this kernel needs (none forced). */
function kernelLacks(): Set<FallbackName> {
  const probe = Probe.open({ fallbacks: [] });
  try {
    return new Set(probe.features.fallbacks.map((f) => f.name));
  } finally {
    void probe.close();
  }
}
const missing = kernelLacks();

/** probe.features.fallbacks with `forced` requested on this kernel: the missing ones, then those forced. */
function expectedFallbacks(forced: readonly FallbackName[]): ProbeFeatures['fallbacks'] {
  return FALLBACKS.filter((f) => missing.has(f.name) || forced.includes(f.name)).map((f) => ({
    name: f.name,
    forced: !missing.has(f.name),
  }));
}

/** The vitest limit on this test (raised by the kernel harness under emulation), or `fallback`. */
const configuredTimeout = (fallback: number) => Number(process.env.TEST_TIMEOUT_MS) || fallback;

describe('fallbacks forced on this kernel', () => {
  it('are each reported in probe.features and by one notice naming the feature', async () => {
    for (const f of FALLBACKS) {
      const probe = Probe.open({ fallbacks: [f.name] });
      expect(probe.features.fallbacks).toEqual(expectedFallbacks([f.name]));
      const notices = probe.notices.filter((n) => n.includes(f.feature));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(`(${f.since})`);
      await probe.close();
    }
  });

  it('without task storage: per-thread state is a hash keyed by tid, filled by live threads and freed at exit', async () => {
    const c = collectingProbe({ fallbacks: ['task_storage'] });
    const states = ourMaps().find((m) => m.name === 'task_states');
    expect(states?.type).toBe('hash');
    // a node process has several threads; it waits for a line on stdin before exiting
    const child = c.probe.spawn(
      process.execPath,
      ['-e', "process.stdout.write('ready\\n'); process.stdin.once('data', () => {})"],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const tids = readdirSync(`/proc/${child.pid}/task`).map(Number);
    expect(tids.length).toBeGreaterThan(1);
    const live = threadStateKeys(states!.id);
    // threads that have made a system call since the probe loaded; the main thread certainly has
    expect(live.has(child.pid!)).toBe(true);
    child.stdin!.end('\n');
    expect((await exited(child as ChildProcess)).code).toBe(0);
    const after = threadStateKeys(states!.id);
    expect(tids.filter((t) => after.has(t))).toEqual([]);
    const events = await c.finish();
    expect(events.some((e) => e.kind === 'exit' && e.pid === child.pid && e.groupDead)).toBe(true);
    expect(c.probe.stats().fallbackLosses.threadStatesFull).toBe(0);
  });

  it('without bpf_loop: a marker writev is read from its first 256 iovecs and the cut is counted; with it, whole', async () => {
    const writer = compileFixture('null-writer');
    // 300 iovecs: ">:" then 298 one-character pieces then "::"
    const pieces = ['>:', ...Array.from({ length: 298 }, (_, i) => String.fromCharCode(97 + (i % 26))), '::'];
    const run = async (opts: ProbeOptions) => {
      const c = collectingProbe(opts);
      const child = c.probe.spawn(writer, [pieces.join('|')], { stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin!.end('\n');
      expect((await exited(child)).code).toBe(0);
      const events: ProbeEvent[] = await c.finish();
      const markers = events.filter((e): e is MarkerEvent => e.kind === 'marker' && e.pid === child.pid);
      return { markers, cut: c.probe.stats().fallbackLosses.iovecsCut };
    };
    const cutMarker = [pieces.slice(0, 256).join('')];
    const whole = await run({});
    expect(whole.markers.map(text)).toEqual(missing.has('bpf_loop') ? cutMarker : [pieces.join('')]);
    expect(whole.cut).toBe(missing.has('bpf_loop') ? 1 : 0);
    const cut = await run({ fallbacks: ['bpf_loop'] });
    expect(cut.markers.map(text)).toEqual(cutMarker);
    expect(cut.cut).toBe(1);
  });

  it('without uprobes: one notice, no per-process libuv notices, attachLibuv says why, tracing goes on', async () => {
    const c = collectingProbe({ fallbacks: ['uprobes'] });
    expect(ourMaps().length).toBeGreaterThan(0);
    const child = c.probe.spawn(process.execPath, ['-e', '0']);
    expect(c.probe.features.fallbacks).toEqual(expectedFallbacks(['uprobes']));
    expect(c.probe.notices).toEqual(fallbackNotices(c.probe.features));
    expect(c.probe.notices.filter((n) => /uprobe events \(CONFIG_UPROBE_EVENTS\)/.test(n))).toHaveLength(1);
    expect(c.probe.attachLibuv(process.execPath, child.pid!)).toBe(
      'This kernel has no uprobe events (CONFIG_UPROBE_EVENTS).',
    );
    expect((await exited(child)).code).toBe(0);
    const events = await c.finish();
    expect(events.some((e) => e.kind === 'exec' && e.pid === child.pid)).toBe(true);
  });

  it(
    "pass the probe's kernel tests with every fallback but uprobes (which the libuv tests need) in use",
    async () => {
      const files = [
        'active-span',
        'capture',
        'context-skip',
        'coverage',
        'drops',
        'filtering',
        'lifecycle',
        'sched',
        'slot-ack',
      ].map((f) => `probe/test/${f}.test.ts`);
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
      const forced: FallbackName[] = ['rdonly_cast', 'task_storage', 'bpf_loop', 'switch_state'];
      env.NULLSPAN_BPF_FALLBACKS = forced.join(',');
      // the variable alone is what selects the fallbacks in the child run
      const saved = process.env.NULLSPAN_BPF_FALLBACKS;
      process.env.NULLSPAN_BPF_FALLBACKS = env.NULLSPAN_BPF_FALLBACKS;
      try {
        const probe = Probe.open();
        expect(probe.features.fallbacks).toEqual(expectedFallbacks(forced));
        await probe.close();
      } finally {
        if (saved === undefined) delete process.env.NULLSPAN_BPF_FALLBACKS;
        else process.env.NULLSPAN_BPF_FALLBACKS = saved;
      }
      let out: string;
      try {
        out = execFileSync(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', ...files], {
          cwd: root,
          env,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: configuredTimeout(600_000) - 60_000,
        });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        throw new Error(`the kernel tests failed with the fallbacks in use:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
      }
      expect(out).toMatch(/\d+ passed, 0 failed/);
    },
    configuredTimeout(600_000),
  );
});
