// The JSON answers of the UI's /api/* routes: built by the server's views and read by the page's typed client
// (`import type` on both sides). Self-contained on purpose: the browser bundle type-checks this file with the DOM
// library and no Node types, so it imports nothing from the server. The server assigns its values to these types,
// so a drift between what it sends and what the page reads fails the build.

export type ArgValue = string | number | boolean;
export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type StatusCode = 'unset' | 'ok' | 'error';
export type WaitKind = 'file' | 'net' | 'lock' | 'sleep' | 'poll' | 'pagefault' | 'other';
export type SleepKind = 'none' | 'interruptible' | 'uninterruptible' | 'both';
/** How sure the correlator is about which span a system call belongs to (correlator/src/model.ts). */
export type Attribution = 'thread' | 'context' | 'submitter' | 'fd' | 'unattributed';

export interface SpanSummaryJson {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  service: string;
  pid: number;
  tid: number;
  exe: string;
  /** wall clock, µs since the Unix epoch */
  startUs: number;
  durationNs: number;
  status: StatusCode;
  statusMessage: string | null;
  incomplete: string | null;
  attributes: Record<string, ArgValue>;
  syscallCount: number;
  /** where the span's wall time went (scheduler accounting); null when the kernel did not account for it */
  times: SpanTimesJson | null;
}

/** A span's time split (ns). Thread model: onCpu + runqueue + blocked add up to the duration (within 2 %);
 *  event-loop model: loopBusyOther and asyncWait join them, and `worker` is pool-thread time in parallel. */
export interface SpanTimesJson {
  model: 'thread' | 'event-loop';
  onCpuNs: number;
  runqueueNs: number;
  blockedNs: Record<WaitKind, number>;
  majorFaults: number;
  loopBusyOtherNs: number | null;
  /** the span that held the event loop longest while this one waited */
  loopBusyTop: { name: string; spanId: string; ns: number } | null;
  asyncWaitNs: number | null;
  worker: { onCpuNs: number; runqueueNs: number; blockedNs: number } | null;
}

export interface SyscallTimesJson {
  onCpuNs: number;
  runqueueNs: number;
  blockedNs: number;
  sleep: SleepKind;
}

export interface SyscallJson {
  name: string;
  /** entry of the (first) call, ns after the earliest span of the response started */
  offsetNs: number;
  /** time spent in the call(s); for a merged run the sum of the calls */
  durationNs: number;
  /** entry of the first call to exit of the last one */
  extentNs: number;
  tid: number;
  pid: number;
  ret: number;
  errno: string | null;
  fd: number | null;
  target: string | null;
  path: string | null;
  peer: string | null;
  local: string | null;
  transport: 'tcp' | 'udp' | 'unix' | 'pipe' | null;
  bytes: number | null;
  count: number;
  attribution: Attribution;
  unfinished: boolean;
  times: SyscallTimesJson | null;
}

/** One span of a tree response. */
export interface SpanNodeJson {
  span: SpanSummaryJson;
  /** ns after the earliest span of the response started */
  offsetNs: number;
  syscalls: SyscallJson[];
  /** syscalls of this span left out of the response (the response caps the total) */
  omittedSyscalls: number;
  /** index of the parent node in `nodes`; null for a root (a span whose parent is not retained) */
  parent: number | null;
  /** levels below its root */
  depth: number;
  /** trace of the span named by `span.times.loopBusyTop` when it is retained (it is usually another trace) */
  loopBusyTopTraceId: string | null;
}

/** The retained spans of a trace, flat in depth-first order (roots by start, a child follows its parent, siblings by
 *  start): nesting is the traced process's choice, and a nested JSON document as deep as the tree would overflow the
 *  stack of whatever serializes or walks it recursively, here or in the browser. */
export interface SpanTreeJson {
  nodes: SpanNodeJson[];
  /** index in `nodes` of the span the response was asked for */
  focus: number;
  /** spans of the trace left out (the response caps the span count) */
  omittedSpans: number;
}

export interface TimeBreakdownJson {
  durationNs: number;
  /** time in system calls by call name, over the span and all its retained descendants, largest first */
  bySyscall: { name: string; ns: number; calls: number }[];
  /** wall time covered by at least one system call (calls on several threads may overlap) */
  inSyscallsNs: number;
  /** the span's duration not covered by any system call: computation, waiting outside the kernel, untraced calls */
  outsideSyscallsNs: number;
  spans: number;
  syscalls: number;
}

export interface BucketJson {
  index: number;
  /** inclusive lower bound in ns (0 for the first bucket, which also holds sub-µs spans) */
  lowNs: number;
  /** exclusive upper bound in ns (null for the last bucket, which also holds longer spans) */
  highNs: number | null;
}

/** GET /api/config */
export interface ConfigJson {
  /** null when the spans were not exported over OTLP by this nullspan (Jaeger never received them) */
  jaegerUrl: string | null;
  exported: boolean;
  live: boolean;
  buckets: BucketJson[];
}

/** GET /api/stats: `store` */
export interface StoreStatsJson {
  spans: number;
  syscalls: number;
  maxSpans: number;
  maxSyscalls: number;
  textBytes: number;
  maxTextBytes: number;
  /** spans ever added */
  added: number;
  /** spans dropped because the store was full */
  evicted: number;
  /** of the evicted spans, how many each bound pushed out (the one to raise) */
  evictedBy: { spans: number; syscalls: number; textBytes: number };
  oldestStartUs: number | null;
  newestStartUs: number | null;
}

/** GET /api/stats: `correlator` (the fields the page reads; the server sends all its counters) */
export interface CorrelatorStatsJson {
  events: number;
  malformedMarkers: number;
  drops: { syscall: number; marker: number; process: number };
}

export interface StatsJson {
  store: StoreStatsJson;
  correlator: CorrelatorStatsJson | null;
}

/** GET /api/facets */
export interface FacetsJson {
  names: { name: string; count: number }[];
  services: { service: string; count: number }[];
  processes: { pid: number; exe: string; service: string; count: number }[];
}

export interface SpectrogramCellJson {
  /** column index, counted from `fromMs` */
  c: number;
  /** duration bucket index */
  b: number;
  /** spans (or calls, in syscall mode) in the cell */
  n: number;
}

/** GET /api/spectrogram */
export interface SpectrogramJson {
  /** start of the first column, wall clock ms since the epoch (null: no range given and no data to fit) */
  fromMs: number | null;
  /** end of the range (exclusive); the last column may reach past it */
  toMs: number | null;
  /** width of one column in ms: 1, 2 or 5 × 10^k, at least 1 */
  columnMs: number;
  /** columns from fromMs */
  columns: number;
  cells: SpectrogramCellJson[];
  maxCount: number;
  /** lowest and highest bucket holding data in the range */
  bucketRange: { min: number; max: number } | null;
  /** start of the first and of the last matching span (or call) in memory, whatever the range */
  dataRange: { firstMs: number; lastMs: number } | null;
  /** spans (or calls) counted in the range */
  total: number;
}

/** A span of /api/spans; in syscall mode with its slowest call of that name and how many it made. */
export interface SpanListItemJson extends SpanSummaryJson {
  slowestCallNs?: number;
  calls?: number;
}

/** GET /api/spans (`calls` in syscall mode) */
export interface SpanListJson {
  total: number;
  returned: number;
  calls?: number;
  spans: SpanListItemJson[];
}

export type PercentileKey = 'p50' | 'p90' | 'p99' | 'p999' | 'max';

export interface SyscallGroupJson {
  name: string;
  /** path, socket peer or fd text; '' when the call had none */
  target: string;
  calls: number;
  totalNs: number;
}

/** One service and span name of the percentile table (the fields the page reads of the --summary row). */
export interface PercentileRowJson {
  service: string;
  name: string;
  count: number;
  errors: number;
  maxNs: number;
  percentilesNs: Record<Exclude<PercentileKey, 'max'>, number>;
  slowest: { syscalls: SyscallGroupJson[] };
}

/** GET /api/percentiles */
export interface PercentilesJson {
  relativeAccuracy: number;
  spans: number;
  rows: PercentileRowJson[];
  overflow: PercentileRowJson | null;
  maxRows: number;
}

/** GET /api/percentiles/spans */
export interface AroundPercentileJson {
  total: number;
  /** 0-based rank of the percentile in the sorted spans */
  rank: number;
  spans: SpanSummaryJson[];
}

/** GET /api/syscalls */
export interface SyscallNamesJson {
  names: { name: string; count: number }[];
}

/** GET /api/spans/:traceId/:spanId */
export interface SpanDetailJson {
  tree: SpanTreeJson;
  breakdown: TimeBreakdownJson;
  parentRetained: boolean;
  /** null when the spans were not exported (see ConfigJson) */
  jaegerUrl: string | null;
}

/** 400/401/403/404/500 answers */
export interface ErrorJson {
  error: string;
}
