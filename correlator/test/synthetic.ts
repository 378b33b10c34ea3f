// Builders for synthetic probe event streams (the shapes of probe/src/events.ts), for the correlator's unit tests.
import type {
  ExecEvent,
  ExitEvent,
  ForkEvent,
  MarkerEvent,
  ProbeEvent,
  SockAddr,
  SyscallEvent,
  ThreadTimes,
} from '@nullspan/probe';
import { Correlator, type CorrelatorOptions } from '../src/correlator.js';
import type { ProcessInfo, SpanRecord } from '../src/model.js';
import type { InitialState } from '../src/state/snapshot.js';

const nrs = new Map<string, number>();
/** A stable, distinct number per syscall name (the correlator caches syscall classes by number). */
export function nrOf(name: string): number {
  let n = nrs.get(name);
  if (n === undefined) nrs.set(name, (n = nrs.size + 1));
  return n;
}

export class Stream {
  ts = 1_000_000_000;
  readonly events: ProbeEvent[] = [];

  private tick(dt = 1000): number {
    this.ts += dt;
    return this.ts;
  }

  sys(
    pid: number,
    tid: number,
    name: string,
    o: Partial<Omit<SyscallEvent, 'kind' | 'pid' | 'tid' | 'name'>> = {},
  ): SyscallEvent {
    const ev: SyscallEvent = {
      kind: 'syscall',
      ts: o.ts ?? this.tick(),
      tid,
      pid,
      cpu: 0,
      nr: o.nr ?? nrOf(name),
      name,
      dur: o.dur ?? 500,
      ret: o.ret ?? 0,
      args: o.args ?? [0, 0, 0, 0, 0, 0],
      path: o.path ?? null,
      path2: o.path2 ?? null,
      addr: o.addr ?? null,
      fds: o.fds ?? null,
      unfinished: o.unfinished ?? false,
      ctxSpan: o.ctxSpan ?? 0,
      ctxSource: o.ctxSource ?? 'none',
      times: o.times ?? null,
    };
    this.ts = Math.max(this.ts, ev.ts + ev.dur);
    this.events.push(ev);
    return ev;
  }

  marker(
    pid: number,
    tid: number,
    text: string | Uint8Array,
    o: { len?: number; fd?: number; ts?: number; times?: ThreadTimes | null } = {},
  ): MarkerEvent {
    const data = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    const ev: MarkerEvent = {
      kind: 'marker',
      ts: o.ts ?? this.tick(),
      tid,
      pid,
      cpu: 0,
      fd: o.fd ?? 9,
      data,
      len: o.len ?? data.length,
      times: o.times ?? null,
    };
    this.events.push(ev);
    return ev;
  }

  fork(
    pid: number,
    tid: number,
    childPid: number,
    childTid = childPid,
    o: { isThread?: boolean; sharesFiles?: boolean } = {},
  ): ForkEvent {
    const ev: ForkEvent = {
      kind: 'fork',
      ts: this.tick(),
      tid,
      pid,
      cpu: 0,
      childPid,
      childTid,
      isThread: o.isThread ?? false,
      sharesFiles: o.sharesFiles ?? o.isThread ?? false,
    };
    this.events.push(ev);
    return ev;
  }

  exec(pid: number, filename: string, argv: string[] = [filename]): ExecEvent {
    const ev: ExecEvent = { kind: 'exec', ts: this.tick(), tid: pid, pid, cpu: 0, filename, argv };
    this.events.push(ev);
    return ev;
  }

  exit(pid: number, tid: number, groupDead = tid === pid, code = 0): ExitEvent {
    const ev: ExitEvent = { kind: 'exit', ts: this.tick(), tid, pid, cpu: 0, code, groupDead };
    this.events.push(ev);
    return ev;
  }
}

export function inet(address: string, port: number): SockAddr {
  return { family: address.includes(':') ? 'inet6' : 'inet', address, port };
}

export const CLOCK = { wallOffsetNs: 1_700_000_000_000_000_000n };
export const SEED = '0123456789abcdef0123456789abcdef';

/** One process (pid, one thread) with nothing open, for seeding. */
export function oneProcess(pid: number, exe = 'app', extra: Partial<InitialState['processes'][0]> = {}): InitialState {
  return {
    version: 1,
    processes: [
      { pid, ppid: 1, tids: [pid], exe, exePath: `/usr/bin/${exe}`, cmdline: [exe], cwd: '/srv', fds: [], ...extra },
    ],
  };
}

export interface Emitted {
  span: SpanRecord;
  proc: ProcessInfo;
}

/** A correlator with a collecting listener. */
export function collect(
  opts: Partial<CorrelatorOptions> = {},
  seed?: InitialState,
): { c: Correlator; spans: Emitted[] } {
  const c = new Correlator({ clock: CLOCK, idSeed: SEED, hostName: 'testhost', ...opts });
  if (seed) c.seed(seed);
  const spans: Emitted[] = [];
  c.onSpan((span, proc) => spans.push({ span, proc }));
  return { c, spans };
}

export function byName(spans: Emitted[], name: string): SpanRecord {
  const found = spans.filter((s) => s.span.name === name);
  if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}`);
  return found[0].span;
}

/** The process the exporter tests' spans come from. */
export const EXPORT_PROC: ProcessInfo = {
  pid: 5,
  ppid: 1,
  exe: 'app',
  exePath: '/bin/app',
  cmdline: ['app'],
  serviceName: 'app',
};

/** A finished application span for the exporter tests, with `calls` read(2) children: 1 + calls OTel spans. */
export function exportSpan(i: number, o: { calls?: number; attributes?: SpanRecord['attributes'] } = {}): SpanRecord {
  return {
    traceId: (i + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `op${i}`,
    kind: 'internal',
    start: 1000 + i,
    end: 2000 + i,
    pid: 5,
    tid: 5,
    attributes: o.attributes ?? { i: String(i) },
    status: 'unset',
    syscalls: Array.from({ length: o.calls ?? 0 }, () => ({
      name: 'read',
      ts: 1000 + i,
      dur: 1,
      end: 1001 + i,
      tid: 5,
      pid: 5,
      ret: 1,
      fd: 3,
      count: 1,
      attribution: 'thread' as const,
    })),
  };
}
