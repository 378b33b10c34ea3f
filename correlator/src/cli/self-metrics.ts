// nullspan's own metrics in the Prometheus text format (prom-client): every figure is read from the stats the
// probe, the correlator and the outputs already keep, once per scrape, so serving metrics adds no work to the
// event path. Counters mirror cumulative stats (monotone for the session's life); gauges are what is held now.

import type { ProbeStats } from '@nullspan/probe';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CorrelatorStats, TableSizes } from '../model.js';
import type { AdmissionCounts } from './admission.js';
import type { OutputStats } from './session.js';

export interface SelfMetricsSource {
  /** undefined when no probe runs (a replay) */
  probe(): ProbeStats | undefined;
  correlator(): CorrelatorStats;
  tables(): TableSizes;
  outputs(): OutputStats;
  /** the agent's admission counts; undefined for the other commands */
  admission?(): AdmissionCounts | undefined;
}

interface Snapshot {
  probe?: ProbeStats;
  correlator: CorrelatorStats;
  tables: TableSizes;
  outputs: OutputStats;
  admission?: AdmissionCounts;
}

type Labels = Record<string, string>;
/** The samples of one metric: a bare value, or values by label. */
type Samples = number | [Labels, number][];

/** An exporter's counts by reason as samples; a reason never counted has no series yet. */
function byReason(exporter: string, counts: Record<string, number>): [Labels, number][] {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => [{ exporter, reason }, n]);
}

export class SelfMetrics {
  readonly registry = new Registry();
  private snap?: Snapshot;

  constructor(private readonly source: SelfMetricsSource) {
    collectDefaultMetrics({ register: this.registry });
    this.define();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition: one snapshot of every source, then every metric from it. */
  async render(): Promise<string> {
    const s = this.source;
    this.snap = {
      probe: s.probe(),
      correlator: s.correlator(),
      tables: s.tables(),
      outputs: s.outputs(),
      admission: s.admission?.(),
    };
    try {
      return await this.registry.metrics();
    } finally {
      this.snap = undefined;
    }
  }

  private counter(name: string, help: string, labelNames: string[], read: (s: Snapshot) => Samples): void {
    const self = this;
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        if (!self.snap) return;
        const v = read(self.snap);
        if (typeof v === 'number') this.inc(v);
        else for (const [labels, n] of v) this.inc(labels, n);
      },
    });
  }

  private gauge(name: string, help: string, labelNames: string[], read: (s: Snapshot) => Samples): void {
    const self = this;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        if (!self.snap) return;
        const v = read(self.snap);
        if (typeof v === 'number') this.set(v);
        else for (const [labels, n] of v) this.set(labels, n);
      },
    });
  }

  private define(): void {
    // ---- what came in ------------------------------------------------------------------------------------------
    this.counter(
      'nullspan_records_total',
      'Records the correlator took from the probe, by kind (syscall, marker, process: fork/exec/exit).',
      ['kind'],
      ({ correlator: c }) => [
        [{ kind: 'syscall' }, c.syscalls + c.markerWrites],
        [{ kind: 'marker' }, c.markerEvents],
        [{ kind: 'process' }, c.processEvents],
      ],
    );
    this.counter(
      'nullspan_probe_records_total',
      'Records the probe delivered from the kernel ring buffer.',
      [],
      ({ probe }) => probe?.events ?? 0,
    );
    this.counter(
      'nullspan_probe_read_bytes_total',
      'Bytes of records the probe delivered.',
      [],
      ({ probe }) => probe?.bytes ?? 0,
    );
    this.counter(
      'nullspan_probe_consumer_waits_total',
      "Times the probe's reader thread waited because the event consumer held its maximum of unread batches.",
      [],
      ({ probe }) => probe?.queueFull ?? 0,
    );
    this.counter(
      'nullspan_agent_processes_total',
      'Processes the agent met, by outcome: discovered (traced), excluded (refused by the selection), unidentified ' +
        '(gone before /proc was read), evicted (decision forgotten over the table bound).',
      ['outcome'],
      ({ admission: a }) =>
        a === undefined
          ? []
          : [
              [{ outcome: 'discovered' }, a.discovered],
              [{ outcome: 'excluded' }, a.excluded],
              [{ outcome: 'unidentified' }, a.unidentified],
              [{ outcome: 'evicted' }, a.evicted],
            ],
    );
    this.counter(
      'nullspan_slot_acks_total',
      'Active-span slot registrations by result: acked, declined (process not traced), rejected (no slot at the ' +
        'address), failed (process memory not writable).',
      ['result'],
      ({ probe }) => (probe === undefined ? [] : Object.entries(probe.slotAcks).map(([result, n]) => [{ result }, n])),
    );
    this.counter(
      'nullspan_syscalls_total',
      'System call records by attribution: in a span, outside spans, unattributed, or in an unsampled span.',
      ['attribution'],
      ({ correlator: c }) => [
        [{ attribution: 'span' }, c.syscallsInSpans],
        [{ attribution: 'outside_spans' }, c.syscallsOutsideSpans],
        [{ attribution: 'unattributed' }, c.unattributed],
        [{ attribution: 'unsampled' }, c.syscallsUnsampled],
      ],
    );
    this.counter(
      'nullspan_markers_total',
      'Markers parsed (ok) and rejected (malformed).',
      ['result'],
      ({ correlator: c }) => [
        [{ result: 'ok' }, c.markers],
        [{ result: 'malformed' }, c.malformedMarkers],
      ],
    );

    // ---- what was lost or left out ------------------------------------------------------------------------------
    this.counter(
      'nullspan_kernel_drops_total',
      'Records the kernel could not put in the ring buffer, by kind (a larger --ring-size helps).',
      ['kind'],
      ({ probe, correlator }) => {
        const d = probe?.drops ?? correlator.drops;
        return [
          [{ kind: 'syscall' }, d.syscall],
          [{ kind: 'marker' }, d.marker],
          [{ kind: 'process' }, d.process],
        ];
      },
    );
    this.counter(
      'nullspan_kernel_skipped_total',
      'Selected system calls the kernel did not record because no output uses them: made in an unsampled span ' +
        '(head sampling) or outside any span.',
      ['reason'],
      ({ probe }) => [
        [{ reason: 'unsampled' }, probe?.skipped.unsampled ?? 0],
        [{ reason: 'outside_spans' }, probe?.skipped.outsideSpans ?? 0],
      ],
    );
    this.counter(
      'nullspan_span_exits_unmatched_total',
      'Span exit markers with no open span to end.',
      [],
      ({ correlator }) => correlator.unmatchedExits,
    );
    this.counter(
      'nullspan_spans_evicted_total',
      'Open spans closed as incomplete because the open-span table was full, by the bound that was reached ' +
        '(--max-open-spans: count, --max-open-span-bytes: bytes).',
      ['bound'],
      ({ correlator: c }) => [
        [{ bound: 'count' }, c.spansEvicted - c.spansEvictedByBytes],
        [{ bound: 'bytes' }, c.spansEvictedByBytes],
      ],
    );
    this.counter(
      'nullspan_traces_released_early_total',
      'Traces sent on (printed, or decided by tail sampling) before their root span ended because the spans held ' +
        'reached --max-pending-bytes, by output.',
      ['output'],
      ({ outputs }) => outputs.held.map((h) => [{ output: h.output }, h.releasedEarly]),
    );

    // ---- what went out -------------------------------------------------------------------------------------------
    this.counter('nullspan_spans_total', 'Spans finished (handed to the outputs).', [], ({ outputs }) => outputs.spans);
    this.counter(
      'nullspan_traces_total',
      'Traces started: root spans and spans continuing a remote parent.',
      [],
      ({ outputs }) => outputs.traces,
    );
    this.counter(
      'nullspan_export_spans_total',
      'OpenTelemetry spans (application spans and system-call children) exported, by exporter.',
      ['exporter'],
      ({ outputs }) => outputs.exporters.map((e) => [{ exporter: e.exporter }, e.exported]),
    );
    this.counter(
      'nullspan_export_requests_total',
      'Export requests sent successfully (OTLP/HTTP) or lines written (OTLP file), by exporter.',
      ['exporter'],
      ({ outputs }) => outputs.exporters.map((e) => [{ exporter: e.exporter }, e.requests]),
    );
    this.counter(
      'nullspan_export_errors_total',
      'Failed export attempts by exporter and reason (each is retried while the export queue has room).',
      ['exporter', 'reason'],
      ({ outputs }) =>
        outputs.exporters.flatMap((e) => byReason(e.exporter, e.failures ?? { unknown: e.failedAttempts })),
    );
    this.counter(
      'nullspan_export_spans_dropped_total',
      'OpenTelemetry spans given up on, by exporter and reason ("queue limit": --max-export-queue-bytes).',
      ['exporter', 'reason'],
      ({ outputs }) => outputs.exporters.flatMap((e) => byReason(e.exporter, e.lost ?? { unknown: e.dropped })),
    );
    this.counter(
      'nullspan_tail_sampling_traces_total',
      'Traces tail sampling decided, by decision (kept, dropped).',
      ['decision'],
      ({ outputs: { tailSampling: t } }) =>
        t
          ? [
              [{ decision: 'kept' }, t.kept],
              [{ decision: 'dropped' }, t.dropped],
            ]
          : [],
    );
    this.counter(
      'nullspan_tail_sampling_kept_by_policy_total',
      'Traces each tail-sampling policy kept (a trace several policies keep counts for each).',
      ['policy'],
      ({ outputs: { tailSampling: t } }) => (t ? t.keptBy.map(([policy, n]) => [{ policy }, n]) : []),
    );

    this.counter(
      'nullspan_metrics_overflow_total',
      'Recordings of an OTLP metric that went to its overflow series (--metrics-max-series), by metric.',
      ['metric'],
      ({ outputs: { metrics: m } }) => Object.entries(m?.overflowed ?? {}).map(([metric, n]) => [{ metric }, n]),
    );
    this.counter(
      'nullspan_metrics_exports_total',
      'OTLP metrics exports, by result (each carries all metrics so far).',
      ['result'],
      ({ outputs: { metrics: m } }) =>
        m
          ? [
              [{ result: 'ok' }, m.exports],
              [{ result: 'failed' }, m.failedExports],
            ]
          : [],
    );
    // ---- what is held now ------------------------------------------------------------------------------------------
    this.gauge(
      'nullspan_traced_processes',
      'Live processes in the process table.',
      [],
      ({ tables }) => tables.processes,
    );
    this.gauge('nullspan_traced_threads', 'Threads in the thread table.', [], ({ tables }) => tables.threads);
    this.gauge('nullspan_fds', 'File descriptors known across the live processes.', [], ({ tables }) => tables.fds);
    this.gauge(
      'nullspan_exited_processes',
      'Exited processes kept a while for spans that end after them (bounded).',
      [],
      ({ tables }) => tables.exitedProcesses,
    );
    this.gauge('nullspan_open_spans', 'Spans open now.', [], ({ tables }) => tables.openSpans);
    this.gauge(
      'nullspan_open_span_bytes',
      'Estimated memory the open spans hold (bounded by --max-open-span-bytes).',
      [],
      ({ tables }) => tables.openSpanBytes,
    );
    this.gauge(
      'nullspan_pending_traces',
      'Traces whose finished spans are held for their root (--print) or a decision (tail sampling), by output.',
      ['output'],
      ({ outputs }) => outputs.held.map((h) => [{ output: h.output }, h.traces]),
    );
    this.gauge(
      'nullspan_pending_bytes',
      'Estimated memory of the spans held for their trace (bounded by --max-pending-bytes), by output.',
      ['output'],
      ({ outputs }) => outputs.held.map((h) => [{ output: h.output }, h.bytes]),
    );
    this.gauge(
      'nullspan_export_queue_spans',
      'OpenTelemetry spans waiting to be exported (queued and in flight), by exporter.',
      ['exporter'],
      ({ outputs }) => outputs.exporters.map((e) => [{ exporter: e.exporter }, e.pending]),
    );
    this.gauge(
      'nullspan_export_queue_bytes',
      'Estimated memory of the spans waiting to be exported (bounded by --max-export-queue-bytes), by exporter.',
      ['exporter'],
      ({ outputs }) =>
        outputs.exporters.flatMap((e) =>
          e.pendingBytes === undefined ? [] : [[{ exporter: e.exporter }, e.pendingBytes] as [Labels, number]],
        ),
    );
  }
}
