// Latency summary per service and span name: count, errors, percentiles from a sketch, and where the slowest 1 %
// of each row spent their time. One streaming pass over finished spans in bounded memory: at most `maxRows`
// rows (later keys share one overflow row, whose spans are counted), each with one sketch and a bounded set of
// slow spans. The CLI's --summary and the web UI's percentile table both come from here.

import type { ProcessInfo, SpanRecord } from '../model.js';
import { LatencySketch, RELATIVE_ACCURACY, type QuantileKey } from './sketch.js';
import { cut, SlowestSpans, SLOWEST_CAPACITY, type SyscallGroup } from './slowest.js';
import { mergeTimes, type TimesTotals } from './times.js';

/** Rows (service × span name) a summary keeps by default. */
export const DEFAULT_MAX_ROWS = 500;
/** Characters of a service or span name kept in a row's key. */
export const MAX_KEY_CHARS = 256;
/** Syscall groups shown per row in the slowest-spans section. */
export const TOP_SYSCALLS = 5;
/** Example spans (trace and span id) listed per row. */
const EXAMPLES = 3;

export interface SummaryRow {
  service: string;
  name: string;
  count: number;
  errors: number;
  minNs: number;
  maxNs: number;
  percentilesNs: Record<QuantileKey, number>;
  slowest: SlowestSection;
}

export interface SlowestSection {
  /** spans the section covers: ceil(1 % of count), at most the kept capacity */
  spans: number;
  /** the 1 % of count did not fit the capacity: the section covers the slowest `spans` only */
  capped: boolean;
  /** the shortest duration among them */
  thresholdNs: number;
  /** their own system calls by (name, target), most total time first */
  syscalls: SyscallGroup[];
  /** their summed time breakdown, when spans carried one */
  times: TimesTotals | null;
  examples: { traceId: string; spanId: string; durationNs: number }[];
}

export interface Summary {
  /** relative error of every percentile */
  relativeAccuracy: number;
  spans: number;
  rows: SummaryRow[];
  /** spans of keys past the row bound, summarized together; null when none */
  overflow: SummaryRow | null;
  maxRows: number;
}

interface Row {
  service: string;
  name: string;
  errors: number;
  sketch: LatencySketch;
  slowest: SlowestSpans;
}

export class SummaryBuilder {
  /** service → span name → row (nested: no key string built per span) */
  private readonly rows = new Map<string, Map<string, Row>>();
  private rowCount = 0;
  private overflow?: Row;
  private spans = 0;

  constructor(private readonly maxRows = DEFAULT_MAX_ROWS) {}

  add(span: SpanRecord, proc: ProcessInfo): void {
    this.spans++;
    const service = clip(proc.serviceName);
    const name = clip(span.name);
    let byName = this.rows.get(service);
    let row = byName?.get(name);
    if (!row) {
      if (this.rowCount < this.maxRows) {
        if (!byName) this.rows.set(service, (byName = new Map()));
        byName.set(name, (row = newRow(service, name)));
        this.rowCount++;
      } else row = this.overflow ??= newRow('', '');
    }
    const durationNs = Math.max(0, span.end - span.start);
    row.sketch.add(durationNs);
    if (span.status === 'error') row.errors++;
    row.slowest.add(span, durationNs);
  }

  result(): Summary {
    const rows = [...this.rows.values()]
      .flatMap((byName) => [...byName.values()])
      .sort((a, b) => compare(a.service, b.service) || compare(a.name, b.name))
      .map(rowResult);
    return {
      relativeAccuracy: RELATIVE_ACCURACY,
      spans: this.spans,
      rows,
      overflow: this.overflow ? rowResult(this.overflow) : null,
      maxRows: this.maxRows,
    };
  }
}

function newRow(service: string, name: string): Row {
  return { service, name, errors: 0, sketch: new LatencySketch(), slowest: new SlowestSpans() };
}

function clip(text: string): string {
  return text.length > MAX_KEY_CHARS ? cut(text, MAX_KEY_CHARS) : text;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rowResult(row: Row): SummaryRow {
  const count = row.sketch.count;
  return {
    service: row.service,
    name: row.name,
    count,
    errors: row.errors,
    minNs: row.sketch.min,
    maxNs: row.sketch.max,
    percentilesNs: row.sketch.percentiles(),
    slowest: slowestSection(row.slowest, count),
  };
}

function slowestSection(kept: SlowestSpans, count: number): SlowestSection {
  const wanted = Math.max(1, Math.ceil(count / 100));
  const spans = kept.slowest(wanted);
  const groups = new Map<string, SyscallGroup>();
  let times: TimesTotals | undefined;
  for (const s of spans) {
    for (const g of s.groups) {
      const key = `${g.name}\0${g.target}`;
      const sum = groups.get(key);
      if (sum) {
        sum.calls += g.calls;
        sum.totalNs += g.totalNs;
      } else groups.set(key, { ...g });
    }
    if (s.times) times = mergeTimes(times, s.times);
  }
  return {
    spans: spans.length,
    capped: wanted > SLOWEST_CAPACITY,
    thresholdNs: spans.length ? spans[spans.length - 1].durationNs : 0,
    syscalls: [...groups.values()].sort((a, b) => b.totalNs - a.totalNs).slice(0, TOP_SYSCALLS),
    times: times ?? null,
    examples: spans.slice(0, EXAMPLES).map(({ traceId, spanId, durationNs }) => ({ traceId, spanId, durationNs })),
  };
}
