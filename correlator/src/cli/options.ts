// The one table of `nullspan` command-line options. `--help`, the README's options section (`--help --markdown`)
// and the parser are all generated from it, so they cannot drift apart.

import { parseArgs } from 'node:util';
import { RING_SIZE_DEFAULT, SNAP_LEN_DEFAULT } from '@nullspan/probe/options';
import { DEFAULT_OTLP_ENDPOINT, httpUrlProblem } from '../export/traces-url.js';
import { HISTOGRAM_KINDS, type HistogramKind } from '../metrics/span-metrics.js';
import { DEFAULT_MAX_SERIES } from '../metrics/series.js';
import { DEFAULT_MAX_OPEN_SPAN_BYTES, DEFAULT_MAX_QUEUE_BYTES } from '../span-bytes.js';
import { DEFAULT_MAX_SPANS, DEFAULT_MAX_SYSCALLS, DEFAULT_MAX_TEXT_BYTES } from '../ui/store.js';
import { parseDuration } from './durations.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import { LOG_FORMATS, type LogFormat } from './log.js';
import { UsageError } from './errors.js';
import { parseTailSampling } from './tail-sampling.js';
import { DEFAULT_MAX_PENDING_BYTES } from './trace-assembler.js';
import { filterOption } from './filter-option.js';

export const COMMANDS = ['run', 'attach', 'agent', 'replay', 'ui'] as const;
export type Command = (typeof COMMANDS)[number];

type OptionType = 'boolean' | 'string' | 'integer' | 'bytes' | 'duration' | 'url' | 'address' | 'filter';

export interface OptionSpec {
  /** long name without the dashes */
  name: string;
  /** one-letter short form */
  alias?: string;
  type: OptionType;
  /** placeholder shown in help (`FILE`, `URL`, ...) */
  value?: string;
  /** the default as written on the command line (parsed like a user value) */
  default?: string;
  /** a command's own default, over `default` (e.g. a long-running command serving metrics unless told not to) */
  commandDefaults?: Partial<Record<Command, string>>;
  /** environment variable read when the option is not given */
  env?: string;
  /** allowed values */
  choices?: readonly string[];
  /** may be given several times */
  multiple?: boolean;
  /** smallest and largest value accepted (integer and bytes options) */
  min?: number;
  max?: number;
  commands: readonly Command[] | 'all';
  help: string;
}

const TRACING: readonly Command[] = ['run', 'attach', 'agent'];
const OUTPUT: readonly Command[] = ['run', 'attach', 'agent', 'replay'];
const UI: readonly Command[] = ['run', 'attach', 'agent', 'replay', 'ui'];

/** --include-exe, --exclude-cgroup, ...: the agent's selection (selection.ts), one pair per property. */
function selectionOptions(): OptionSpec[] {
  const what = [
    ['exe', 'NAME', 'whose executable is named NAME (`node`, `nginx`: process.executable.name)'],
    [
      'cgroup',
      'PATH',
      'in cgroup PATH or below it (`/system.slice/app.service`, `/kubepods.slice`), as /proc/PID/cgroup writes it',
    ],
    ['container', 'ID', 'in the container with this id (or id prefix, as `docker ps` shows it)'],
  ] as const;
  return what.flatMap(([name, value, whose]) => [
    {
      name: `include-${name}`,
      type: 'string' as const,
      value,
      multiple: true,
      commands: ['agent'] as const,
      help: `Trace only processes ${whose}, or matching another --include-*. Repeat for several.`,
    },
    {
      name: `exclude-${name}`,
      type: 'string' as const,
      value,
      multiple: true,
      commands: ['agent'] as const,
      help: `Do not trace processes ${whose}; excludes win over includes. Repeat for several.`,
    },
  ]);
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'pid',
    type: 'integer',
    value: 'PID',
    multiple: true,
    min: 1,
    commands: ['attach'],
    help: 'Process to trace (all its threads, and children it starts from now on). Repeat for several.',
  },
  ...selectionOptions(),
  {
    name: 'print',
    alias: 'p',
    type: 'boolean',
    commands: OUTPUT,
    help:
      'Print each finished trace as a tree: spans with durations and the system calls made inside them ' +
      '(paths, peers, bytes, errors, merged counts). Colored on a terminal unless NO_COLOR is set.',
  },
  {
    name: 'otlp-file',
    alias: 'o',
    type: 'string',
    value: 'FILE',
    commands: OUTPUT,
    help:
      'Write the traces to FILE as OTLP JSON Lines (one ExportTraceServiceRequest per line, the ' +
      'OpenTelemetry Collector file format). Complete when nullspan exits.',
  },
  {
    name: 'endpoint',
    type: 'url',
    value: 'URL',
    default: DEFAULT_OTLP_ENDPOINT,
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    commands: OUTPUT,
    help:
      'OTLP/HTTP endpoint the traces are sent to (`/v1/traces` is appended). Best effort: when nothing listens ' +
      'nullspan says so once and goes on. The other OTEL_EXPORTER_OTLP_* variables are honoured.',
  },
  { name: 'no-otlp', type: 'boolean', commands: OUTPUT, help: 'Do not export over OTLP/HTTP.' },
  {
    name: 'summary',
    type: 'boolean',
    commands: OUTPUT,
    help:
      'At exit (also after SIGINT/SIGTERM), print a latency summary to stdout: per service and span name the ' +
      'count, errors, p50, p90, p99, p99.9 (within 1 %) and max, then where the slowest 1 % of each spent their ' +
      'time (top system calls with paths and peers, and the time breakdown when there is one).',
  },
  {
    name: 'summary-format',
    type: 'string',
    value: 'FORMAT',
    default: 'text',
    choices: ['text', 'json'],
    commands: OUTPUT,
    help: 'How --summary is written: a `text` table, or one `json` document (its shape: correlator/README.md).',
  },
  {
    name: 'summary-file',
    type: 'string',
    value: 'FILE',
    commands: OUTPUT,
    help: "Write the --summary to FILE instead of stdout (implies --summary; stdout also carries the traced command's own output).",
  },
  {
    name: 'otlp-metrics-file',
    type: 'string',
    value: 'FILE',
    commands: OUTPUT,
    help:
      'Write the span and system-call metrics to FILE as OTLP JSON Lines (one ExportMetricsServiceRequest per ' +
      'export: every OTEL_METRIC_EXPORT_INTERVAL and at exit, each cumulative).',
  },
  {
    name: 'no-metrics',
    type: 'boolean',
    commands: OUTPUT,
    help:
      'Do not record metrics. By default they go wherever the traces go over OTLP/HTTP (`/v1/metrics`) and to ' +
      '--otlp-metrics-file.',
  },
  {
    name: 'metrics-histogram',
    type: 'string',
    value: 'KIND',
    default: 'exponential',
    choices: HISTOGRAM_KINDS,
    commands: OUTPUT,
    help:
      'Duration histograms as `exponential` (base-2, 160 buckets) or `explicit` buckets (the Collector ' +
      "spanmetrics connector's 2 ms … 15 s; system calls 1 µs … 10 s by decades).",
  },
  {
    name: 'metrics-max-series',
    type: 'integer',
    value: 'N',
    default: String(DEFAULT_MAX_SERIES),
    min: 1,
    commands: OUTPUT,
    help:
      'Series per metric; recordings past it go to one overflow series (`otel.metric.overflow=true`), counted and ' +
      'reported at exit.',
  },
  {
    name: 'max-export-queue-bytes',
    type: 'bytes',
    value: 'BYTES',
    default: sizeText(DEFAULT_MAX_QUEUE_BYTES),
    min: 1,
    commands: OUTPUT,
    help:
      'Bound on the spans waiting for the OTLP/HTTP endpoint, in bytes of memory (estimated per span from its ' +
      'text and system-call records); beyond it new spans are dropped and counted as "queue limit" in the exit notice.',
  },
  {
    name: 'write',
    alias: 'w',
    type: 'string',
    value: 'FILE',
    // not the agent: the identities it reads from /proc as processes appear are not in the event stream
    commands: ['run', 'attach'],
    help: 'Save the raw event stream and the initial process state to a capture FILE (mode 0600) for `nullspan replay`.',
  },
  {
    name: 'min-duration',
    type: 'duration',
    value: 'DURATION',
    default: '0',
    commands: OUTPUT,
    help:
      'Print and export only traces whose root span lasts at least DURATION (`500us`, `2ms`, `1s`; a bare ' +
      'number is milliseconds): the tail-sampling policy `latency=DURATION`, added to --tail-sampling.',
  },
  {
    name: 'tail-sampling',
    type: 'string',
    value: 'POLICIES',
    default: 'none',
    commands: OUTPUT,
    help:
      'Print and export only the traces a policy keeps (OpenTelemetry Collector tail_sampling semantics: any ' +
      'policy keeps), decided when the top-level span ends: `latency=100ms` (or a range `100ms..2s`) on the longest ' +
      'top-level span, `status_code=ERROR` (or `OK`, `UNSET`, several joined with `/`; spans nullspan closed as ' +
      'incomplete count as ERROR), `probabilistic=5` (percent, from a hash of the trace id). Comma-separated, e.g. ' +
      '`latency=100ms,status_code=ERROR,probabilistic=5`; `decision_wait=30s` (the default) decides a trace whose ' +
      'top-level span never ends on what arrived. Kept and dropped counts per policy are shown live and at exit.',
  },
  {
    name: 'filter',
    type: 'filter',
    value: 'EXPR',
    commands: OUTPUT,
    help:
      'Print and export only the traces with at least one span matching EXPR, whole (e.g. `service=api dur>50ms ' +
      'syscall.name=fsync path~/var/lib`; grammar: correlator/src/filter/FILTER.md). Applied with --tail-sampling ' +
      '(a trace must match and be kept by a policy); --summary, metrics and the web UI still see every span. ' +
      'Recorded in captures; `--filter ""` on replay clears it.',
  },
  {
    name: 'syscalls',
    alias: 's',
    type: 'string',
    value: 'LIST',
    default: 'all',
    commands: TRACING,
    help:
      'System calls to record: comma-separated names (`openat,read,write,connect`) or `all`. Markers and ' +
      'process events are always recorded.',
  },
  {
    name: 'markers',
    type: 'string',
    value: 'WHICH',
    default: 'traced',
    choices: ['traced', 'all'],
    commands: ['run', 'attach'],
    help: 'Take markers from the traced processes only (`traced`) or from every process on the host (`all`).',
  },
  {
    name: 'snaplen',
    type: 'bytes',
    value: 'BYTES',
    default: String(SNAP_LEN_DEFAULT),
    commands: TRACING,
    help: 'Bytes captured of each marker and path argument.',
  },
  {
    name: 'ring-size',
    type: 'bytes',
    value: 'BYTES',
    default: sizeText(RING_SIZE_DEFAULT),
    commands: TRACING,
    help: 'Size of the kernel ring buffer (a power of two; `K`/`M` suffixes). Larger rings drop less under bursts.',
  },
  {
    name: 'merge-threshold',
    type: 'duration',
    value: 'DURATION',
    default: '1ms',
    commands: TRACING.concat('replay'),
    help:
      'Consecutive identical calls on the same fd are merged into one child with a count and total bytes; a ' +
      'call slower than DURATION, or failing, is always kept on its own.',
  },
  { name: 'no-merge', type: 'boolean', commands: TRACING.concat('replay'), help: 'Keep every system call on its own.' },
  {
    name: 'outside-spans',
    type: 'boolean',
    commands: TRACING.concat('replay'),
    help:
      'Also record and export system calls made outside any span (grouped per process); without it the kernel ' +
      'skips those not on a socket or file.',
  },
  {
    name: 'max-open-spans',
    type: 'integer',
    value: 'N',
    default: '10000',
    min: 1,
    commands: TRACING.concat('replay'),
    help: 'Bound on spans open at once; beyond it the oldest are closed as incomplete (and counted).',
  },
  {
    name: 'max-open-span-bytes',
    type: 'bytes',
    value: 'BYTES',
    default: sizeText(DEFAULT_MAX_OPEN_SPAN_BYTES),
    commands: TRACING.concat('replay'),
    help:
      'Bound on the memory open spans hold together (names, tags, args and system call records, estimated); ' +
      'beyond it the oldest are closed as incomplete (and counted).',
  },
  {
    name: 'max-pending-bytes',
    type: 'bytes',
    value: 'BYTES',
    default: sizeText(DEFAULT_MAX_PENDING_BYTES),
    commands: OUTPUT,
    help:
      'Bound on the finished spans --print and --tail-sampling hold while their trace waits for its root; ' +
      'beyond it the oldest trace goes out without the rest (and is counted).',
  },
  {
    name: 'ui',
    type: 'boolean',
    commands: ['run', 'attach', 'agent', 'replay'],
    help: 'Also serve the web UI (latency spectrogram and drill-down) while tracing.',
  },
  {
    name: 'port',
    type: 'integer',
    value: 'PORT',
    default: '7317',
    min: 0,
    max: 65535,
    env: 'NULLSPAN_PORT',
    commands: UI,
    help: 'Port of the web UI (0 picks a free one; the address is printed on start).',
  },
  {
    name: 'host',
    type: 'string',
    value: 'ADDR',
    default: '127.0.0.1',
    commands: UI,
    help: 'Address the web UI binds to. Anything but loopback requires --token.',
  },
  {
    name: 'token',
    type: 'string',
    value: 'TOKEN',
    env: 'NULLSPAN_TOKEN',
    commands: UI,
    help: 'Access token the web UI requires (as `?token=` or `Authorization: Bearer`).',
  },
  {
    name: 'jaeger-url',
    type: 'url',
    value: 'URL',
    default: 'http://localhost:16686',
    env: 'NULLSPAN_JAEGER_URL',
    commands: UI,
    help: 'Jaeger UI the web UI links traces to.',
  },
  {
    name: 'ui-max-spans',
    type: 'integer',
    value: 'N',
    min: 1,
    default: String(DEFAULT_MAX_SPANS),
    commands: UI,
    help:
      'Spans the web UI keeps in memory (about 80 MB per 100,000 spans of a typical web service); beyond it the ' +
      'oldest are dropped, counted, and the page says which bound to raise.',
  },
  {
    name: 'ui-max-syscalls',
    type: 'integer',
    value: 'N',
    min: 1,
    default: String(DEFAULT_MAX_SYSCALLS),
    commands: UI,
    help:
      'System-call records the web UI keeps in memory across its spans (about 15 MB per 100,000); beyond it the ' +
      'oldest spans are dropped (and counted).',
  },
  {
    name: 'ui-max-text-bytes',
    type: 'bytes',
    value: 'BYTES',
    min: 1,
    default: sizeText(DEFAULT_MAX_TEXT_BYTES),
    commands: UI,
    help:
      'Text the web UI keeps in memory across its spans (span names, attributes, system-call paths and targets, ' +
      'which traced processes choose); beyond it the oldest spans are dropped (and counted).',
  },
  {
    name: 'metrics-address',
    type: 'address',
    value: 'HOST:PORT',
    commands: TRACING,
    // an agent runs for weeks: scraped by default (the port OpenTelemetry's Prometheus exporters use)
    commandDefaults: { agent: '127.0.0.1:9464' },
    help:
      'Serve Prometheus metrics at `/metrics` and a health check at `/healthz` on HOST:PORT (port 0 picks a free ' +
      'one; the address is logged on start). Counts only, no traced data: any address may be given, e.g. ' +
      '`0.0.0.0:9464` for a scraper on another host.',
  },
  {
    name: 'log-format',
    type: 'string',
    value: 'FORMAT',
    default: 'text',
    choices: LOG_FORMATS,
    commands: 'all',
    help:
      'How notices are written to stderr: `text` lines, or `json` (one object per line with time, level, msg and ' +
      'fields, for journald and Kubernetes log shippers; no live status line).',
  },
  { name: 'markdown', type: 'boolean', commands: 'all', help: 'With --help: print the options table as Markdown.' },
  { name: 'help', alias: 'h', type: 'boolean', commands: 'all', help: 'Show this help.' },
  { name: 'version', alias: 'V', type: 'boolean', commands: 'all', help: 'Show the version.' },
];

export const USAGE = [
  [
    'nullspan run [options] -- COMMAND [ARGS...]',
    "Trace COMMAND and every process it starts; exit with COMMAND's exit code.",
  ],
  [
    'nullspan attach --pid PID [--pid PID...] [options]',
    'Trace running processes until Ctrl-C / SIGTERM, or until they have all exited.',
  ],
  [
    'nullspan agent [options]',
    'Trace every process on the host from its first marker on (with --include-*/--exclude-*: those selected), ' +
      'until Ctrl-C / SIGTERM.',
  ],
  ['nullspan replay [options] FILE', 'Produce the same outputs from a capture written with --write.'],
  ['nullspan ui [options] [CAPTURE]', 'Serve the web UI on the spans of a capture file (without one: an empty UI).'],
] as const;

/** Parsed, typed options. Durations are nanoseconds, sizes bytes. */
export interface CliOptions {
  pid: number[];
  includeExe: string[];
  excludeExe: string[];
  includeCgroup: string[];
  excludeCgroup: string[];
  includeContainer: string[];
  excludeContainer: string[];
  print: boolean;
  otlpFile?: string;
  endpoint: string;
  noOtlp: boolean;
  summary: boolean;
  summaryFormat: 'text' | 'json';
  summaryFile?: string;
  otlpMetricsFile?: string;
  noMetrics: boolean;
  metricsHistogram: HistogramKind;
  metricsMaxSeries: number;
  maxExportQueueBytes: number;
  write?: string;
  minDuration: number;
  tailSampling: string;
  /** --filter expression (FILTER.md); undefined when not given */
  filter?: string;
  syscalls: string[] | 'all';
  markers: 'traced' | 'all';
  snaplen: number;
  ringSize: number;
  mergeThreshold: number;
  noMerge: boolean;
  outsideSpans: boolean;
  maxOpenSpans: number;
  maxOpenSpanBytes: number;
  maxPendingBytes: number;
  ui: boolean;
  port: number;
  host: string;
  token?: string;
  jaegerUrl: string;
  uiMaxSpans: number;
  uiMaxSyscalls: number;
  uiMaxTextBytes: number;
  metricsAddress?: ListenAddress;
  logFormat: LogFormat;
  markdown: boolean;
  help: boolean;
  version: boolean;
  /** long names of the options given on the command line (not from a default or the environment) */
  given: ReadonlySet<string>;
}

export interface ParsedCommandLine {
  command: Command | undefined;
  options: CliOptions;
  /** the file argument of replay / ui */
  file?: string;
  /** what `run` executes */
  argv: string[];
}

/** A size as the options table writes defaults: `128M` rather than 134217728. */
function sizeText(bytes: number): string {
  for (const [suffix, unit] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `origin`: where the value came from, when not the command line (an environment variable). */
function parseValue(spec: OptionSpec, raw: string, origin?: string): unknown {
  const bad = (what: string) =>
    new UsageError(`--${spec.name}${origin ? ` (from ${origin})` : ''} expects ${what}, got ${JSON.stringify(raw)}.`);
  switch (spec.type) {
    case 'boolean':
      return true;
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) throw bad(`one of ${spec.choices.join(', ')}`);
      if (raw === '') throw bad('a value');
      return raw;
    case 'integer': {
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw bad(rangeText(spec, 'an integer'));
      return inRange(spec, Number(raw), raw, 'an integer');
    }
    case 'bytes': {
      const m = /^(\d+)([kmg]?)(i?b)?$/i.exec(raw);
      if (!m) throw bad('a size such as 4096, 64K or 16M');
      return inRange(spec, Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()], raw, 'a size');
    }
    case 'url': {
      const problem = httpUrlProblem(raw);
      if (problem) throw bad(`an http:// or https:// URL (${problem})`);
      return raw;
    }
    case 'address': {
      const address = parseListenAddress(raw);
      if (typeof address === 'string') throw bad(`HOST:PORT such as 127.0.0.1:9464 (${address})`);
      return address;
    }
    case 'filter':
      // a wrong expression is a usage error with the column, before anything starts
      filterOption(raw);
      return raw;
    case 'duration': {
      const ns = parseDuration(raw);
      if (ns === undefined)
        throw bad(`a ${raw.startsWith('-') ? 'non-negative ' : ''}duration such as 500us, 2ms or 1s`);
      return ns;
    }
  }
}

/** `a positive integer`, `an integer from 0 to 65535`, ...: what the option's range admits. */
function rangeText(spec: OptionSpec, kind: string): string {
  const min = spec.min ?? 0;
  if (spec.max !== undefined) return `${kind} from ${min} to ${spec.max}`;
  if (min === 0) return `a non-negative ${kind.replace(/^an? /, '')}`;
  if (min === 1) return `a positive ${kind.replace(/^an? /, '')}`;
  return `${kind} of at least ${min}`;
}

function inRange(spec: OptionSpec, n: number, raw: string, kind: string): number {
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new UsageError(`--${spec.name} expects ${rangeText(spec, kind)}, got ${JSON.stringify(raw)}.`);
  }
  return n;
}

/** The default `command` gets: its own (`commandDefaults`), else the option's. */
export function defaultFor(spec: OptionSpec, command: Command | undefined): string | undefined {
  return (command && spec.commandDefaults?.[command]) ?? spec.default;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function takesValue(spec: OptionSpec): boolean {
  return spec.type !== 'boolean';
}

/**
 * Splits `run`'s arguments into nullspan's options and the command: the command starts after `--`, or at the
 * first argument that is neither an option nor an option's value (like strace and perf).
 */
function splitCommand(args: string[]): { own: string[]; argv: string[] } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return { own: args.slice(0, i), argv: args.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') return { own: args.slice(0, i), argv: args.slice(i) };
    if (arg.includes('=')) continue;
    const spec = arg.startsWith('--')
      ? OPTIONS.find((o) => o.name === arg.slice(2))
      : arg.length === 2
        ? OPTIONS.find((o) => o.alias === arg[1])
        : undefined;
    if (spec && takesValue(spec)) i++;
  }
  return { own: args, argv: [] };
}

export function parseCommandLine(args: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommandLine {
  const first = args[0];
  let command: Command | undefined;
  let rest = args;
  if (first !== undefined && !first.startsWith('-')) {
    if (!(COMMANDS as readonly string[]).includes(first) && first !== 'help') {
      throw new UsageError(`unknown command ${JSON.stringify(first)}; the commands are ${COMMANDS.join(', ')}.`);
    }
    command = first === 'help' ? undefined : (first as Command);
    rest = first === 'help' ? ['--help', ...args.slice(1)] : args.slice(1);
  }
  const { own, argv } = command === 'run' ? splitCommand(rest) : { own: rest, argv: [] };

  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const o of OPTIONS) {
    config[o.name] = { type: takesValue(o) ? 'string' : 'boolean', multiple: Boolean(o.multiple) };
    if (o.alias) config[o.name].short = o.alias;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinDashValues(own), options: config, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(describeParseError(err as Error));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;

  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const given = values[spec.name];
    if (command && spec.commands !== 'all' && !spec.commands.includes(command) && given !== undefined) {
      throw new UsageError(`--${spec.name} does not apply to \`nullspan ${command}\`.`);
    }
    const key = camel(spec.name);
    if (spec.multiple) {
      out[key] = ((given as string[] | undefined) ?? []).map((v) => parseValue(spec, v));
    } else if (given !== undefined) {
      out[key] = spec.type === 'boolean' ? true : parseValue(spec, given as string);
    } else if (spec.env && env[spec.env]) {
      out[key] = parseValue(spec, env[spec.env] as string, spec.env);
    } else if (defaultFor(spec, command) !== undefined) {
      out[key] = parseValue(spec, defaultFor(spec, command) as string);
    } else {
      out[key] = spec.type === 'boolean' ? false : undefined;
    }
  }
  out.given = new Set(Object.keys(values).filter((k) => values[k] !== undefined));
  const syscalls = out.syscalls as string;
  out.syscalls =
    syscalls === 'all'
      ? 'all'
      : syscalls
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean);
  const options = out as unknown as CliOptions;
  parseTailSampling(options.tailSampling); // a wrong policy is a usage error before anything starts
  // --snaplen and --ring-size are checked by the probe itself (its limits, one source), in CLI terms (live.ts).

  const positionals = parsed.positionals;
  let file: string | undefined;
  if (command === 'replay' || command === 'ui') {
    if (positionals.length > 1)
      throw new UsageError(`\`nullspan ${command}\` takes one file, got ${positionals.length}.`);
    file = positionals[0];
  } else if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])}${command ? ` for \`nullspan ${command}\`` : ''}.`,
    );
  }
  return { command, options, file, argv };
}

/** `--min-duration -5ms` is a value that starts with a dash, not a missing one: joined as `--min-duration=-5ms`,
 * the value's own check says what is wrong with it. */
function joinDashValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const spec = args[i].startsWith('--') ? OPTIONS.find((o) => o.name === args[i].slice(2)) : undefined;
    if (spec && takesValue(spec) && /^-\d/.test(args[i + 1] ?? '')) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

function describeParseError(err: Error): string {
  const code = (err as { code?: string }).code;
  const m = /'([^']+)'/.exec(err.message);
  const opt = m ? m[1].split(' ')[0] : undefined;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return `unknown option ${opt ?? ''}; see \`nullspan --help\`.`.replace('  ', ' ');
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (opt && /does not take/.test(err.message)) return `option ${opt} does not take a value.`;
    if (opt && /ambiguous/.test(err.message))
      return `option ${opt} needs a value (write ${opt}=VALUE for a value that starts with a dash).`;
    return `option ${opt ?? ''} needs a value.`;
  }
  return err.message.split('\n')[0];
}

// ---- help text -------------------------------------------------------------------------------------------------

function flagText(spec: OptionSpec): string {
  const long = `--${spec.name}${spec.value ? ` ${spec.value}` : ''}`;
  return spec.alias ? `-${spec.alias}, ${long}` : `    ${long}`;
}

function notes(spec: OptionSpec): string[] {
  const n: string[] = [];
  if (spec.choices) n.push(`one of: ${spec.choices.join(', ')}`);
  if (spec.default !== undefined) n.push(`default: ${spec.default}`);
  for (const [command, value] of Object.entries(spec.commandDefaults ?? {})) n.push(`default for ${command}: ${value}`);
  if (spec.env) n.push(`env: ${spec.env}`);
  if (spec.commands !== 'all') n.push(`for: ${spec.commands.join(', ')}`);
  return n;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function helpText(version: string): string {
  const out: string[] = [];
  out.push(
    `nullspan ${version} — span-aware application tracer: /dev/null markers + eBPF system calls → OpenTelemetry traces`,
  );
  out.push('', 'Usage:');
  for (const [usage, what] of USAGE) out.push(`  ${usage}`, `      ${what}`);
  out.push('', 'Options:');
  const col = 30;
  for (const spec of OPTIONS) {
    const flags = `  ${flagText(spec)}`;
    const body = wrap(`${spec.help}${notes(spec).length ? ` (${notes(spec).join('; ')})` : ''}`, 78);
    if (flags.length < col) {
      out.push(flags.padEnd(col) + body[0]);
    } else {
      out.push(flags, ' '.repeat(col) + body[0]);
    }
    for (const line of body.slice(1)) out.push(' '.repeat(col) + line);
  }
  out.push(
    '',
    "Exit status: `run` exits with COMMAND's status (128 + N when signal N ended it); otherwise 0, 1 on errors,",
    '2 on a wrong command line. Ctrl-C / SIGTERM: finished spans are flushed, open ones closed as incomplete, the',
    'probe detached, every output completed; a second Ctrl-C exits at once. NO_COLOR turns colors off.',
    '',
    'Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF. Run `bash setup.sh` once to build everything.',
  );
  return `${out.join('\n')}\n`;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The README's options section: a Markdown table generated from OPTIONS. */
export function optionsMarkdown(): string {
  const rows = ['| Option | Default | Environment | Commands | Description |', '| --- | --- | --- | --- | --- |'];
  for (const spec of OPTIONS) {
    if (spec.name === 'markdown') continue;
    const flag = `\`--${spec.name}${spec.value ? ` ${spec.value}` : ''}\`${spec.alias ? `, \`-${spec.alias}\`` : ''}`;
    const def = [
      spec.default !== undefined ? `\`${spec.default}\`` : '',
      ...Object.entries(spec.commandDefaults ?? {}).map(([command, value]) => `\`${value}\` (${command})`),
    ]
      .filter(Boolean)
      .join(', ');
    const env = spec.env ? `\`${spec.env}\`` : '';
    const cmds = spec.commands === 'all' ? 'all' : spec.commands.join(', ');
    const help = spec.choices ? `${spec.help} One of: ${spec.choices.map((c) => `\`${c}\``).join(', ')}.` : spec.help;
    rows.push(`| ${mdCell(flag)} | ${mdCell(def)} | ${mdCell(env)} | ${cmds} | ${mdCell(help)} |`);
  }
  const usage = USAGE.map(([u, what]) => `- \`${u}\` — ${what}`);
  return `${[...usage, '', ...rows].join('\n')}\n`;
}
