// Live tracing shared by `run` and `attach`: the probe's batches go verbatim to the capture file (--write) and,
// decoded, into the session; stop() detaches the probe, drains what the kernel still held, closes the spans left
// open and waits for every output. With --metrics-address, /metrics and /healthz are served until then.

import { hostname } from 'node:os';
import type { Probe, ProbeEvent, ProbeOptions } from '@nullspan/probe';
import { CaptureWriter } from '../capture.js';
import { sampleClock } from '../clock.js';
import { fdPermissionNotice, type InitialState, type ProcessSnapshot } from '../state/snapshot.js';
import { kernelSkip } from '../state/kernel-skip.js';
import { settingsFromOptions } from './correlator-settings.js';
import { UsageError } from './errors.js';
import { ConsumerHealth } from './health.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { SelfMetrics } from './self-metrics.js';
import { missingAddonError } from './setup-check.js';
import { totalDrops } from './losses.js';
import type { ListenAddress } from './listen-address.js';
import type { CliOptions } from './options.js';
import type { Admission } from './admission.js';
import { TraceSession } from './session.js';
import type { Terminal } from './terminal.js';

type ProbeModule = typeof import('@nullspan/probe');

/** The probe options the command line asks for. */
export function probeOptions(o: CliOptions, pids: number[]): ProbeOptions {
  return {
    pids,
    followChildren: true,
    snapLen: o.snaplen,
    ringSize: o.ringSize,
    syscalls: o.syscalls,
    markers: o.markers,
    skipByContext: kernelSkip(o.outsideSpans),
    // the correlator drops a marker write's own record (correlator.ts): not sent at all is cheaper
    recordMarkerWrites: false,
  };
}

/** Opens the probe, explaining an addon that was never built in terms of what to run. */
export function openProbe(mod: ProbeModule, opts: ProbeOptions): Probe {
  try {
    return mod.Probe.open(opts);
  } catch (err) {
    // by code, not class: the error may come from another copy of the probe module than `mod`
    const e = err as { code?: unknown; option?: unknown; requirement?: unknown } | null;
    if (e?.code === 'ADDON_NOT_BUILT') throw missingAddonError();
    if (e?.code === 'INVALID_OPTION' && typeof e.option === 'string' && typeof e.requirement === 'string') {
      throw new UsageError(`${PROBE_OPTION_FLAGS[e.option] ?? e.option} ${e.requirement}.`);
    }
    throw err;
  }
}

/** The probe names its own options (`snapLen`); users typed flags (`--snaplen`). */
const PROBE_OPTION_FLAGS: Record<string, string> = {
  syscalls: '--syscalls',
  snapLen: '--snaplen',
  ringSize: '--ring-size',
  markers: '--markers',
};

export class LiveTrace {
  readonly session: TraceSession;
  private readonly capture?: CaptureWriter;
  /** resolves when the probe's stream has ended (closed, or failed: stop() then reports why) */
  readonly pumped: Promise<void>;
  private stopped?: Promise<void>;
  private pumpError: unknown;
  /** the agent's selection and discovery of processes, between the probe and the session */
  private readonly admission?: Admission;
  private readonly health: ConsumerHealth;
  private metricsServer?: MetricsServer;
  /** the processes found running that nullspan may not fully read, said once */
  private fdPermissionSaid = false;
  private readonly initialProcesses: ProcessSnapshot[];

  constructor(
    private readonly mod: ProbeModule,
    private readonly probe: Probe,
    private readonly opts: CliOptions,
    private readonly term: Terminal,
    initialState: InitialState,
    meta: Record<string, unknown>,
    agent?: { admission: (session: TraceSession) => Admission; fileDelayMs: number },
  ) {
    this.initialProcesses = initialState.processes;
    const clock = sampleClock();
    const host = hostname();
    const settings = settingsFromOptions(opts);
    this.session = new TraceSession(opts, term, {
      clock,
      hostName: host,
      initialState,
      settings,
      live: true,
      outputs: { export: true, print: true, ui: true },
      fileDelayMs: agent?.fileDelayMs,
    });
    this.admission = agent?.admission(this.session);
    if (opts.write) {
      this.capture = CaptureWriter.create(opts.write, {
        hostName: host,
        wallOffsetNs: clock.wallOffsetNs.toString(),
        idSeed: this.session.correlator.idSeed,
        probe: { ...probeOptions(opts, []), pids: opts.pid },
        initialState,
        meta: { ...meta, correlator: settings },
      });
    }
    this.health = new ConsumerHealth(() => this.probe.stats().batches);
    this.pumped = this.pump().then(
      () => this.health.ended(),
      (err: unknown) => {
        this.pumpError = err;
        this.health.ended(err instanceof Error ? err.message : String(err));
        void this.probe.close();
      },
    );
  }

  /** Starts the outputs that run beside the stream and the status line. */
  async start(): Promise<void> {
    // e.g. a node binary without libuv symbols: its worker-thread calls will be unattributed (attribution-context.ts)
    for (const n of this.probe.notices ?? []) this.term.notice(n);
    // a capability missing for a process met later (a slot it may not acknowledge) is said when it happens
    this.probe.onNotice?.((text) => this.term.notice(text));
    this.noteProcesses(this.initialProcesses);
    if (this.opts.metricsAddress) await this.serveMetrics(this.opts.metricsAddress);
    await this.session.start();
    if (this.health.phase === 'starting') this.health.tracing();
    this.term.startStatus(() => {
      const st = this.probe.stats();
      return { events: st.events, skipped: totalSkipped(st.skipped), ...this.session.figures(totalDrops(st.drops)) };
    });
  }

  /** Says, once per session, when processes found running keep their open files from nullspan (a capability
   * is missing): their earlier fds then show as numbers, which would otherwise look like a bug. */
  noteProcesses(processes: ProcessSnapshot[]): void {
    if (this.fdPermissionSaid) return;
    const text = fdPermissionNotice(processes);
    if (text === undefined) return;
    this.fdPermissionSaid = true;
    this.term.notice(text);
  }

  /** Stops tracing and completes every output. Safe to call more than once. */
  stop(reason: string): Promise<void> {
    this.stopped ??= this.finish(reason);
    return this.stopped;
  }

  private async serveMetrics(address: ListenAddress): Promise<void> {
    const { session } = this;
    const metrics = new SelfMetrics({
      probe: () => this.probe.stats(),
      correlator: () => session.correlator.stats(),
      tables: () => session.correlator.tableSizes(),
      outputs: () => session.outputStats(),
      admission: () => this.admission?.counts,
    });
    this.metricsServer = await startMetricsServer(address, metrics, () => this.health.check());
    this.term.notice(`metrics at ${this.metricsServer.url}/metrics, health at ${this.metricsServer.url}/healthz`, {
      metricsAddress: this.metricsServer.address,
    });
  }

  private async finish(reason: string): Promise<void> {
    // /healthz says so while the outputs drain; /metrics keeps counting until they are done
    if (this.health.phase !== 'ended') this.health.phase = 'stopping';
    try {
      await this.probe.close();
      await this.pumped;
      this.term.stopStatus();
      // The stop reason goes into the capture: spans closed at stop carry it, and replay must reproduce them.
      this.capture?.end({ stopReason: reason, correlator: this.session.correlator.stats(), probe: this.probe.stats() });
      await this.session.finish(reason);
      const skipped = this.probe.stats().skipped;
      if (totalSkipped(skipped) > 0) this.term.interactiveNotice(skippedText(skipped));
    } finally {
      await this.metricsServer?.close();
    }
    if (this.pumpError !== undefined) throw this.pumpError;
  }

  private async pump(): Promise<void> {
    for await (const batch of this.probe.batches()) {
      this.capture?.writeBatch(batch.bytes);
      const events = this.mod.decodeBatch(batch.bytes);
      if (this.admission) this.admission.admit(events, this.pushAdmitted);
      else this.pushAdmitted(events);
      this.health.took();
      // Batches come back to back under load: without a turn of the event loop between them a second Ctrl-C
      // (and every timer) would wait for the whole backlog. A batch's own work is bounded (one ring read).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private readonly pushAdmitted = (events: ProbeEvent[]): void => {
    this.probeNodeExecs(events);
    this.session.push(events);
  };

  /** A traced process that execs a node binary gets that binary's libuv uprobes (worker-thread attribution; once per binary). */
  private probeNodeExecs(events: ProbeEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.kind !== 'exec' || !this.mod.isNodeBinary(ev.filename)) continue;
      const why = this.probe.attachLibuv(ev.filename, ev.pid);
      if (why !== null) this.term.notice(`libuv worker attribution is off for ${ev.filename}: ${why}`);
    }
  }
}

type Skipped = ReturnType<Probe['stats']>['skipped'];

function totalSkipped(s: Skipped): number {
  return s.unsampled + s.outsideSpans;
}

/** The exit's account of what the kernel did not record (ProbeOptions.skipByContext, set by probeOptions). */
export function skippedText(s: Skipped): string {
  const parts = [];
  if (s.unsampled > 0) parts.push(`${s.unsampled} in unsampled spans`);
  if (s.outsideSpans > 0) parts.push(`${s.outsideSpans} outside spans (--outside-spans records those)`);
  return `the kernel skipped ${totalSkipped(s)} system calls no output uses: ${parts.join(', ')}.`;
}
