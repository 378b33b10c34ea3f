// Tail sampling: which finished traces reach the outputs, decided per trace once it is complete enough, with
// policies named as in the OpenTelemetry Collector's `tail_sampling` processor. A trace is kept when any policy
// keeps it; each policy's count says how many it kept. `--min-duration D` is the policy `latency=D`.
//
// Everything is decided in event time (span end timestamps) and from the trace id, never wall time or chance:
// a replay of a capture keeps exactly the traces the live run kept.

import { traceHash, traceWordsOfHex } from '@nullspan/sdk/sampler';
import { subjectOf, type SpanPredicate } from '../filter/index.js';
import type { ProcessInfo, SpanRecord, StatusCode } from '../model.js';
import { durationText, parseDuration } from './durations.js';
import { UsageError } from './errors.js';
import { TraceAssembler, traceDuration, type TraceAssemblerLimits, type TracedSpan } from './trace-assembler.js';

export type TailPolicy =
  | { kind: 'latency'; name: string; minNs: number; maxNs?: number }
  | { kind: 'status_code'; name: string; codes: StatusCode[] }
  | { kind: 'probabilistic'; name: string; percent: number };

export interface TailSamplingConfig {
  policies: TailPolicy[];
  /** event time a trace whose top-level span never ends waits before it is decided on what arrived */
  decisionWaitNs: number;
}

/** The Collector's default decision_wait. */
export const DEFAULT_DECISION_WAIT_NS = 30e9;
/** Decisions remembered so that spans of a decided trace arriving later follow it (a fixed, small table). */
const REMEMBERED_DECISIONS = 10_000;

const EXAMPLE = 'latency=100ms,status_code=ERROR,probabilistic=5';
const STATUS_CODES: Record<string, StatusCode> = { ERROR: 'error', OK: 'ok', UNSET: 'unset' };

/** Reads `--tail-sampling`: `none`, or comma-separated policies and settings such as EXAMPLE. */
export function parseTailSampling(text: string): TailSamplingConfig {
  const config: TailSamplingConfig = { policies: [], decisionWaitNs: DEFAULT_DECISION_WAIT_NS };
  if (text.trim() === 'none') return config;
  let waitGiven = false;
  for (const item of text.split(',').map((s) => s.trim())) {
    const m = /^([a-z_]+)=(.+)$/.exec(item);
    if (!m) throw usage(`policies such as ${EXAMPLE} (or none), got ${JSON.stringify(item)}`);
    const [, kind, value] = m;
    switch (kind) {
      case 'latency':
        config.policies.push(latencyPolicy(value));
        break;
      case 'status_code':
        config.policies.push(statusPolicy(value));
        break;
      case 'probabilistic':
        config.policies.push(probabilisticPolicy(value));
        break;
      case 'decision_wait': {
        const ns = parseDuration(value);
        if (ns === undefined || ns === 0)
          throw usage(`decision_wait to be a positive duration such as 30s, got ${JSON.stringify(value)}`);
        if (waitGiven) throw usage('decision_wait once');
        waitGiven = true;
        config.decisionWaitNs = ns;
        break;
      }
      default:
        throw usage(
          `the policies latency, status_code and probabilistic (and decision_wait), got ${JSON.stringify(kind)}`,
        );
    }
  }
  if (config.policies.length === 0) throw usage(`at least one policy such as ${EXAMPLE}, got ${JSON.stringify(text)}`);
  return config;
}

function usage(what: string): UsageError {
  return new UsageError(`--tail-sampling expects ${what}.`);
}

function latencyPolicy(value: string): TailPolicy {
  const [low, high, ...more] = value.split('..');
  const minNs = parseDuration(low);
  const maxNs = high === undefined ? undefined : parseDuration(high);
  if (minNs === undefined || more.length > 0 || (high !== undefined && (maxNs === undefined || maxNs <= minNs))) {
    throw usage(`latency to be a duration such as 100ms or a range such as 100ms..2s, got ${JSON.stringify(value)}`);
  }
  const name = `latency=${durationText(minNs)}${maxNs === undefined ? '' : `..${durationText(maxNs)}`}`;
  return { kind: 'latency', name, minNs, maxNs };
}

function statusPolicy(value: string): TailPolicy {
  const names = value.toUpperCase().split('/');
  if (!names.every((n) => n in STATUS_CODES)) {
    throw usage(`status_code to be ERROR, OK or UNSET (several joined with /), got ${JSON.stringify(value)}`);
  }
  const unique = [...new Set(names)];
  return { kind: 'status_code', name: `status_code=${unique.join('/')}`, codes: unique.map((n) => STATUS_CODES[n]) };
}

function probabilisticPolicy(value: string): TailPolicy {
  const percent = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || percent > 100) {
    throw usage(`probabilistic to be a percentage from 0 to 100, got ${JSON.stringify(value)}`);
  }
  return { kind: 'probabilistic', name: `probabilistic=${percent}`, percent };
}

/** The setting a capture records: `--tail-sampling` with `--min-duration` as one more latency policy, or `none`. */
export function tailSamplingSetting(tailSampling: string, minDurationNs: number): string {
  const config = parseTailSampling(tailSampling);
  if (minDurationNs > 0) config.policies.push(latencyPolicy(durationText(minDurationNs)));
  return configText(config);
}

/** The config written back in the syntax parseTailSampling reads. */
export function configText(config: TailSamplingConfig): string {
  if (config.policies.length === 0) return 'none';
  const wait =
    config.decisionWaitNs === DEFAULT_DECISION_WAIT_NS ? [] : [`decision_wait=${durationText(config.decisionWaitNs)}`];
  return [...config.policies.map((p) => p.name), ...wait].join(',');
}

/**
 * Where a trace id falls in [0, 1), spread evenly: local trace ids differ in a per-process counter at their end,
 * so every bit is mixed into the result. The SDK's trace-id hash, which its `traceidratio` sampler uses too: a
 * trace head-sampled at some share is kept by a probabilistic policy of at least that share.
 */
export function traceIdFraction(traceId: string): number {
  return traceHash(traceWordsOfHex(traceId, [0, 0, 0, 0])) / 2 ** 32;
}

/** Whether `policy` keeps the trace. */
export function policyKeeps(policy: TailPolicy, trace: TracedSpan[]): boolean {
  switch (policy.kind) {
    case 'latency': {
      const d = traceDuration(trace);
      return d >= policy.minNs && (policy.maxNs === undefined || d <= policy.maxNs);
    }
    case 'status_code':
      return trace.some(({ span }) => spanHasStatus(span, policy.codes));
    case 'probabilistic':
      return traceIdFraction(trace[0].span.traceId) * 100 < policy.percent;
  }
}

/** A span the correlator had to close itself (its process exited, it was evicted, tracing stopped) is an error. */
function spanHasStatus(span: SpanRecord, codes: StatusCode[]): boolean {
  return codes.includes(span.status) || (span.incomplete !== undefined && codes.includes('error'));
}

export interface TailSamplingCounts {
  /** traces decided */
  decided: number;
  kept: number;
  dropped: number;
  /** per policy (by name), the traces it kept; a trace several policies keep counts for each */
  keptBy: [string, number][];
  /** decided on what had arrived after decision_wait, their top-level span not ended */
  decidedByWait: number;
  /** decided on what had arrived because the traces waiting held too much (--max-pending-bytes) */
  decidedOverBound: number;
  /** with --filter: traces with a span matching it (the policies, if any, decide among these) */
  filterMatched?: number;
}

/** Whether any span of the trace matches `filter` (--filter keeps whole traces). */
export function traceMatches(filter: SpanPredicate, trace: TracedSpan[]): boolean {
  return trace.some(({ span, proc }) => filter.test(subjectOf(span, proc)));
}

/**
 * Holds finished spans until their trace is decided, then hands the kept traces to `keep`: with a `filter`, a
 * trace must have a span matching it, and be kept by a policy when there are any.
 */
export class TailSampler {
  private readonly assembler: TraceAssembler;
  /** recently decided traces: spans of theirs that finish later follow the decision */
  private readonly decisions = new Map<string, boolean>();
  private readonly keptBy: number[];
  private decided = 0;
  private kept = 0;
  private filterMatched = 0;

  constructor(
    private readonly config: TailSamplingConfig,
    private readonly keep: (trace: TracedSpan[]) => void,
    limits: TraceAssemblerLimits = {},
    private readonly filter?: SpanPredicate,
  ) {
    this.keptBy = config.policies.map(() => 0);
    this.assembler = new TraceAssembler((trace) => this.decide(trace), {
      ...limits,
      decisionWaitNs: config.decisionWaitNs,
    });
  }

  add(span: SpanRecord, proc: ProcessInfo): void {
    const decision = this.decisions.get(span.traceId);
    if (decision === undefined) this.assembler.add(span, proc);
    else if (decision) this.keep([{ span, proc }]);
  }

  /** Decides every trace still waiting (tracing stopped). */
  flush(): void {
    this.assembler.flush();
  }

  counts(): TailSamplingCounts {
    return {
      decided: this.decided,
      kept: this.kept,
      dropped: this.decided - this.kept,
      keptBy: this.config.policies.map((p, i) => [p.name, this.keptBy[i]]),
      decidedByWait: this.assembler.releasedByWait,
      decidedOverBound: this.assembler.releasedEarly,
      ...(this.filter ? { filterMatched: this.filterMatched } : {}),
    };
  }

  /** What is waiting for a decision. */
  held(): { traces: number; bytes: number } {
    return this.assembler.held();
  }

  private decide(trace: TracedSpan[]): void {
    const matched = !this.filter || traceMatches(this.filter, trace);
    if (this.filter && matched) this.filterMatched++;
    let keep = matched && this.config.policies.length === 0;
    if (matched) {
      this.config.policies.forEach((policy, i) => {
        if (policyKeeps(policy, trace)) {
          this.keptBy[i]++;
          keep = true;
        }
      });
    }
    this.decided++;
    if (keep) this.kept++;
    this.remember(trace[0].span.traceId, keep);
    if (keep) this.keep(trace);
  }

  private remember(traceId: string, keep: boolean): void {
    this.decisions.set(traceId, keep);
    if (this.decisions.size > REMEMBERED_DECISIONS) this.decisions.delete(this.decisions.keys().next().value as string);
  }
}

/** `traces kept 3 (latency=100ms: 2, status_code=ERROR: 1), dropped 40`: the status line's and the exit's figure. */
export function samplingText(c: TailSamplingCounts): string {
  const policies = c.keptBy.map(([name, n]) => `${name}: ${n}`).join(', ');
  const why =
    c.filterMatched === undefined
      ? policies
      : policies
        ? `--filter matched ${c.filterMatched}; ${policies}`
        : '--filter';
  return `traces kept ${c.kept} (${why}), dropped ${c.dropped}`;
}

/** The exit notice: the counts, and how many traces were decided before their top-level span ended. */
export function samplingSummary(c: TailSamplingCounts, config: TailSamplingConfig): string {
  const early = [
    c.decidedByWait > 0 ? `${c.decidedByWait} after decision_wait ${durationText(config.decisionWaitNs)}` : '',
    c.decidedOverBound > 0 ? `${c.decidedOverBound} because too much was held (--max-pending-bytes)` : '',
  ].filter(Boolean);
  return (
    `tail sampling: ${samplingText(c)}` +
    (early.length ? `; decided before their top-level span ended: ${early.join(', ')}` : '') +
    '.'
  );
}
