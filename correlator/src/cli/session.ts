// One tracing session as the CLI runs it: a Correlator fed with probe events (live or from a capture) and the
// outputs the options ask for — OTLP file, OTLP/HTTP, the terminal tree, the web UI. Live runs and replays go
// through this same code, which is what makes a replay produce the live run's output.

import type { ProbeEvent } from '@nullspan/probe';
import { Correlator } from '../correlator.js';
import { MAX_TAGS } from '../markers.js';
import { OtlpFileExporter } from '../export/file.js';
import { OtlpHttpExporter } from '../export/http.js';
import type { ExportStats, SpanSink } from '../export/sink.js';
import { httpUrlProblem, tracesUrl } from '../export/traces-url.js';
import type { Clock } from '../model.js';
import type { InitialState } from '../state/snapshot.js';
import { SpanStore } from '../ui/store.js';
import { startUiServer, type UiServer } from '../ui/server.js';
import { correlatorOptions, type CorrelatorSettings } from './correlator-settings.js';
import { describeEndpoint, probeEndpoint, unreachableReason, type EndpointCheck } from './endpoint.js';
import { limitHeapGrowth } from './heap.js';
import { CliError } from './errors.js';
import { filterOption } from './filter-option.js';
import { MetricsOutput, type MetricsOutputStats } from './metrics-output.js';
import { exportLossText, lossCounts, totalDrops, type LossCounts } from './losses.js';
import type { CliOptions } from './options.js';
import type { Terminal } from './terminal.js';
import {
  parseTailSampling,
  samplingSummary,
  samplingText,
  TailSampler,
  type TailSamplingConfig,
  type TailSamplingCounts,
} from './tail-sampling.js';
import { SummaryOutput } from './summary-output.js';
import { TraceAssembler, type TracedSpan } from './trace-assembler.js';
import { COLORS, PLAIN, renderTrace, wantsColor } from './tree-printer.js';

export interface SessionSetup {
  clock: Clock;
  hostName: string;
  idSeed?: string;
  initialState: InitialState;
  settings: CorrelatorSettings;
  /** live tracing (the UI follows new spans) vs. a replay */
  live: boolean;
  /** which outputs this command offers (`nullspan ui` serves a capture and exports nothing) */
  outputs: { export: boolean; print: boolean; ui: boolean };
  /** write the OTLP file's partial batches this long after their first span (the agent runs for weeks) */
  fileDelayMs?: number;
}

export interface OutputStats {
  /** spans and traces (root or remote-parent spans) the correlator finished */
  spans: number;
  traces: number;
  exporters: (ExportStats & { exporter: string })[];
  /** finished spans held until their trace is complete (--print) or decided (tail sampling) */
  held: { output: string; traces: number; bytes: number; releasedEarly: number }[];
  tailSampling?: TailSamplingCounts;
  /** the OTLP metrics, when recorded */
  metrics?: MetricsOutputStats;
}

export class TraceSession {
  readonly correlator: Correlator;
  private readonly sinks: SpanSink[] = [];
  private file?: OtlpFileExporter;
  private http?: OtlpHttpExporter;
  private endpoint?: EndpointCheck;
  /** nothing listened at the traces endpoint at the end (and the user was told) */
  private tracesUnreachable = false;
  private readonly printer?: TraceAssembler;
  /** holds spans back until their trace is decided, for --tail-sampling / --min-duration */
  private readonly gate?: TailSampler;
  private readonly tailSampling: TailSamplingConfig;
  private readonly metrics?: MetricsOutput;
  private store?: SpanStore;
  private readonly summary?: SummaryOutput;
  private ui?: UiServer;
  private spans = 0;
  private traces = 0;
  private syscalls = 0;
  private readonly palette;

  constructor(
    private readonly opts: CliOptions,
    private readonly term: Terminal,
    private readonly setup: SessionSetup,
  ) {
    limitHeapGrowth();
    this.correlator = new Correlator({
      clock: setup.clock,
      hostName: setup.hostName,
      idSeed: setup.idSeed,
      ...correlatorOptions(setup.settings),
    });
    this.correlator.seed(setup.initialState);
    this.palette = wantsColor(process.stdout) ? COLORS : PLAIN;

    const { outputs } = setup;
    if (outputs.export && opts.otlpFile) {
      this.file = new OtlpFileExporter(opts.otlpFile, setup.clock, {
        hostName: setup.hostName,
        scheduledDelayMs: setup.fileDelayMs,
      });
      this.sinks.push(this.file);
    }
    if (outputs.export && !opts.noOtlp) {
      // --endpoint was checked with the options; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is taken as it is
      const endpointOption = opts.given.has('endpoint') ? opts.endpoint : undefined;
      const problem = httpUrlProblem(tracesUrl(endpointOption));
      if (problem)
        throw new CliError(
          `the OTLP endpoint ${tracesUrl(endpointOption)} cannot be used: ${problem}; give an http:// or https:// URL.`,
        );
      this.http = new OtlpHttpExporter(setup.clock, {
        hostName: setup.hostName,
        maxQueueBytes: opts.maxExportQueueBytes,
        // without --endpoint, tracesUrl takes OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT first, as the OTel spec says
        ...(opts.given.has('endpoint') ? { endpoint: opts.endpoint } : {}),
      });
      this.sinks.push(this.http);
    }
    // every span, before tail sampling decides what the traces keep (as the Collector's spanmetrics connector counts)
    if (outputs.export) this.metrics = MetricsOutput.create(opts, setup.clock, setup.hostName);
    const pendingLimits = { maxPendingBytes: opts.maxPendingBytes };
    if (outputs.print && opts.print) this.printer = new TraceAssembler((trace) => this.print(trace), pendingLimits);
    this.tailSampling = parseTailSampling(setup.settings.tailSampling);
    const filter = filterOption(setup.settings.filter);
    // the outputs they apply to; the web UI gets every span (cli/README.md)
    if ((this.tailSampling.policies.length > 0 || filter) && (outputs.export || outputs.print))
      this.gate = new TailSampler(this.tailSampling, (trace) => this.release(trace), pendingLimits, filter);
    if (outputs.ui && opts.ui) {
      this.store = new SpanStore({
        clock: setup.clock,
        maxSpans: opts.uiMaxSpans,
        maxSyscalls: opts.uiMaxSyscalls,
        maxTextBytes: opts.uiMaxTextBytes,
      });
    }

    if (outputs.export || outputs.print) this.summary = SummaryOutput.fromOptions(opts);

    this.correlator.onSpan((span, proc) => {
      this.spans++;
      this.summary?.add(span, proc);
      this.syscalls += span.syscalls.length;
      if (span.parentSpanId === undefined || span.remoteParent) this.traces++;
      this.store?.add(span, proc);
      this.metrics?.record(span, proc);
      if (this.gate) this.gate.add(span, proc);
      else {
        for (const sink of this.sinks) sink.export(span, proc);
        this.printer?.add(span, proc);
      }
    });
  }

  /** Starts what runs beside the event stream: the endpoint check and the web UI. */
  async start(): Promise<void> {
    this.metrics?.start();
    if (this.http) {
      this.endpoint = await probeEndpoint(this.http.url);
      if (!this.endpoint.reachable)
        this.term.warn(describeEndpoint(this.endpoint, this.opts.otlpFile), { endpoint: this.http.url });
    }
    if (this.store) {
      this.ui = await startUiServer({
        store: this.store,
        host: this.opts.host,
        port: this.opts.port,
        token: this.opts.token,
        jaegerUrl: this.opts.jaegerUrl,
        // Jaeger can only have the spans this session sends it (never those of `nullspan ui CAPTURE`)
        exported: this.http !== undefined,
        live: this.setup.live,
        correlatorStats: () => this.correlator.stats(),
        onError: (err) =>
          this.term.notice(`web UI: a request failed: ${err.stack ?? err.message}`, { error: err.message }, 'error'),
      }).catch((err: Error) => {
        throw new CliError(err.message);
      });
      this.term.notice(`web UI at ${this.ui.url}`, { url: this.ui.url });
    }
  }

  push(events: ProbeEvent[]): void {
    this.correlator.pushBatch(events);
  }

  /** What the status line shows; `kernelDrops` from the probe when live (the correlator only learns of drops from
   * the event stream). */
  figures(kernelDrops?: number): { spans: number; losses: LossCounts; tailSampling?: string } {
    const s = this.correlator.stats();
    const drops = kernelDrops ?? totalDrops(s.drops);
    const exporters = [this.file?.stats(), this.http?.stats()].filter((st) => st !== undefined);
    const tailSampling = this.gate ? samplingText(this.gate.counts()) : undefined;
    return { spans: this.spans, losses: lossCounts(s, drops, exporters), tailSampling };
  }

  /** Cumulative counts and current holdings of the outputs, for /metrics (read at scrape time). */
  outputStats(): OutputStats {
    return {
      spans: this.spans,
      traces: this.traces,
      exporters: [
        ...(this.http ? [{ exporter: 'otlp_http', ...this.http.stats() }] : []),
        ...(this.file ? [{ exporter: 'otlp_file', ...this.file.stats() }] : []),
      ],
      held: [
        ...(this.printer
          ? [{ output: 'print', releasedEarly: this.printer.releasedEarly, ...this.printer.held() }]
          : []),
        ...(this.gate
          ? [{ output: 'tail_sampling', releasedEarly: this.gate.counts().decidedOverBound, ...this.gate.held() }]
          : []),
      ],
      tailSampling: this.gate?.counts(),
      metrics: this.metrics?.stats(),
    };
  }

  /**
   * Tracing stopped: close the spans still open (as incomplete), hand every span to the outputs and wait until
   * the file is complete and the endpoint has what it will take.
   */
  async finish(reason: string): Promise<void> {
    this.correlator.close(reason);
    this.gate?.flush();
    this.printer?.flush();
    if (this.file) {
      await this.file.shutdown();
      if (this.file.lastError)
        this.term.warn(`could not write all traces to ${this.opts.otlpFile}: ${this.file.lastError.message}.`);
    }
    if (this.http) await this.finishHttp(this.http);
    // nullspan already said when nothing listens where the traces go
    await this.metrics?.finish(this.term, this.http && this.tracesUnreachable ? this.http.url : undefined);
    this.reportLosses();
    this.summarize();
    this.summary?.write(this.term);
  }

  /** Where the web UI is served, when it is. */
  get uiUrl(): string | undefined {
    return this.ui?.url;
  }

  async closeUi(): Promise<void> {
    await this.ui?.close();
    this.ui = undefined;
  }

  private async finishHttp(http: OtlpHttpExporter): Promise<void> {
    // Flushing to an endpoint nobody listens on would wait out the retries for nothing.
    const now = await probeEndpoint(http.url);
    this.tracesUnreachable = !now.reachable;
    if (now.reachable) await http.shutdown();
    else {
      if (this.endpoint?.reachable) this.term.warn(describeEndpoint(now, this.opts.otlpFile), { endpoint: http.url });
      await http.abandon(unreachableReason(now));
    }
    const st = http.stats();
    if (st.dropped > 0)
      this.term.warn(
        `${plural(st.dropped, 'span')} ${st.dropped === 1 ? 'was' : 'were'} not delivered to ${http.url} (${exportLossText(st.lost)}).`,
        { endpoint: http.url, spansDropped: st.dropped },
      );
  }

  private summarize(): void {
    const where = [this.opts.otlpFile, this.http && this.endpoint?.reachable ? this.endpoint.url : undefined].filter(
      Boolean,
    );
    this.term.interactiveNotice(
      `${plural(this.traces, 'trace')}, ${plural(this.spans, 'span')}, ${plural(this.syscalls, 'system call record')}` +
        (where.length ? ` → ${where.join(', ')}` : '') +
        '.',
      { traces: this.traces, spans: this.spans, syscalls: this.syscalls },
    );
  }

  /** At exit: what the kernel dropped, what the correlator could not use, and what the byte bounds cost. */
  private reportLosses(): void {
    const s = this.correlator.stats();
    const lost = totalDrops(s.drops);
    if (lost > 0) {
      this.term.warn(
        `the kernel dropped ${lost} events (${s.drops.syscall} syscalls, ${s.drops.marker} markers, ` +
          `${s.drops.process} process events); a larger --ring-size helps.`,
        { syscallDrops: s.drops.syscall, markerDrops: s.drops.marker, processEventDrops: s.drops.process },
      );
    }
    if (s.malformedMarkers > 0 || s.unmatchedExits > 0 || s.spansEvicted > 0) {
      this.term.warn(
        `${s.malformedMarkers} malformed markers, ${s.unmatchedExits} unmatched span exits, ${s.spansEvicted} spans evicted.`,
        { malformedMarkers: s.malformedMarkers, unmatchedExits: s.unmatchedExits, spansEvicted: s.spansEvicted },
      );
    }
    if (s.markersOverTagLimit > 0)
      this.term.warn(`${s.markersOverTagLimit} of the malformed markers had more than ${MAX_TAGS} tags.`);
    if (s.spansEvictedByBytes > 0) {
      this.term.warn(
        `${s.spansEvictedByBytes} open spans were evicted over --max-open-span-bytes ${this.opts.maxOpenSpanBytes}.`,
      );
    }
    const early = this.printer?.releasedEarly ?? 0;
    if (early > 0) this.term.warn(`${early} traces went out before their root span ended (--max-pending-bytes).`);
    if (this.gate) this.term.notice(samplingSummary(this.gate.counts(), this.tailSampling));
  }

  /** A trace tail sampling kept: to the outputs it applies to. */
  private release(trace: TracedSpan[]): void {
    for (const { span, proc } of trace) {
      for (const sink of this.sinks) sink.export(span, proc);
      this.printer?.add(span, proc);
    }
  }

  private print(trace: TracedSpan[]): void {
    this.term.out(`${renderTrace(trace, this.palette).join('\n')}\n`);
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
