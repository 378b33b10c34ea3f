// The web UI as a Hono app: a JSON API under /api and the page's own static files, served from memory.
//
//   GET /api/config                      jaeger URL (when exported), live flag, latency buckets
//   GET /api/stats                       store counters (+ the correlator's when provided)
//   GET /api/facets                      span names, services and processes present, with counts
//   GET /api/spectrogram?from&to&columns&scope&name&service&pid&syscall
//   GET /api/spans?from&to&minDuration&maxDuration&name&service&pid&order&limit&syscall
//   GET /api/percentiles?from&to&minDuration&maxDuration&name&service&pid
//   GET /api/percentiles/spans?…&span&percentile   the spans ranked around one percentile of one span name
//   GET /api/syscalls                    syscall names in memory, for the spectrogram's syscall-latency mode
//   GET /api/spans/:traceId/:spanId      the span's whole retained trace (spans + syscalls) and where its time went
//   GET /api/stream                      server-sent events while spans arrive (live mode)

import { Hono } from 'hono';
import type { Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { CorrelatorStats } from '../model.js';
import { bucketTable } from './buckets.js';
import {
  AROUND_PARAMS,
  BadRequest,
  hexId,
  parseChoice,
  parseColumns,
  parseFilter,
  parseScope,
  parseSpansQuery,
  parseSyscall,
  parseWindow,
  PERCENTILES_PARAMS,
  requiredText,
  singleValues,
  SPANS_PARAMS,
  SPECTROGRAM_PARAMS,
} from './query.js';
import {
  PERCENTILE_KEYS,
  percentileTable,
  spansAroundPercentile,
  spansWithSyscall,
  syscallNames,
  syscallSpectrogram,
} from './latency.js';
import { accessToken, loopbackHosts } from './security.js';
import type {
  AroundPercentileJson,
  ConfigJson,
  FacetsJson,
  PercentilesJson,
  SpanDetailJson,
  SpanListJson,
  SpectrogramJson,
  StatsJson,
  SyscallNamesJson,
} from './api-types.js';
import { STATIC_FILES } from './assets/index.js';
import type { SpanStore } from './store.js';
import { loopBusyTopIds, spanSummary, timeBreakdown, traceJson } from './views.js';

export const DEFAULT_JAEGER_URL = 'http://localhost:16686';

export interface UiAppOptions {
  store: SpanStore;
  /** required for non-loopback listeners; when absent only loopback Host names are served */
  token?: string;
  /** Jaeger UI base URL; the page links to `${jaegerUrl}/trace/${traceId}` (default http://localhost:16686) */
  jaegerUrl?: string;
  /** the spans were sent over OTLP/HTTP by this nullspan (so Jaeger may have them): without it no Jaeger link */
  exported?: boolean;
  /** live session (the page starts in live mode) vs. a capture being browsed */
  live?: boolean;
  /** the correlator's counters, shown next to the store's */
  correlatorStats?: () => CorrelatorStats;
  /** extra Host names to accept without a token (e.g. a machine name the user opens the UI by) */
  allowHosts?: string[];
  /** ends every open event stream (the server aborts it on close) */
  signal?: AbortSignal;
  /** concurrent live streams allowed (default 16) */
  maxStreams?: number;
  /** where an internal error of a request is reported (the CLI's log, in its format); default stderr */
  onError?: (err: Error) => void;
}

/** How often the live stream reports new spans: batches keep the page's redraws and the traffic bounded. */
const STREAM_INTERVAL_MS = 500;
const STREAM_HEARTBEAT_MS = 15_000;

export function createUiApp(options: UiAppOptions): Hono {
  const { store } = options;
  const jaegerBase = validJaegerUrl(options.jaegerUrl ?? DEFAULT_JAEGER_URL);
  const exported = options.exported ?? false;
  const jaegerUrl = exported ? jaegerBase : null;
  const maxStreams = options.maxStreams ?? 16;
  let openStreams = 0;

  const app = new Hono();

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
    }),
  );
  app.use(
    '*',
    options.token !== undefined ? accessToken({ token: options.token }) : loopbackHosts({ allow: options.allowHosts }),
  );
  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  app.onError((err, c) => {
    if (err instanceof BadRequest)
      return c.json(
        err.column === undefined ? { error: err.message } : { error: err.message, column: err.column },
        400,
      );
    // Never a stack trace to the client: the message may be generic, the details stay in the server's log.
    if (options.onError) options.onError(err);
    else console.error('nullspan ui: request failed:', err);
    return c.json({ error: 'Internal error while answering the request.' }, 500);
  });
  app.notFound((c) => c.json({ error: 'Not found.' }, 404));

  app.get('/api/config', (c) =>
    c.json({
      jaegerUrl,
      exported,
      live: options.live ?? false,
      buckets: bucketTable(),
    } satisfies ConfigJson),
  );

  app.get('/api/stats', (c) => {
    singleValues(c.req.queries(), []);
    return c.json({ store: store.stats(), correlator: options.correlatorStats?.() ?? null } satisfies StatsJson);
  });

  app.get('/api/facets', (c) => {
    singleValues(c.req.queries(), []);
    return c.json(store.facets() satisfies FacetsJson);
  });

  app.get('/api/spectrogram', (c) => {
    const p = singleValues(c.req.queries(), SPECTROGRAM_PARAMS);
    const syscall = parseSyscall(p);
    // calls are counted whichever span made them, unless a scope is asked for
    const scope = parseScope(p, syscall ? 'all' : 'root');
    const q = { ...parseFilter(p), ...parseWindow(p), scope, columns: parseColumns(p) };
    return c.json((syscall ? syscallSpectrogram(store, q, syscall) : store.spectrogram(q)) satisfies SpectrogramJson);
  });

  app.get('/api/spans', (c) => {
    const p = singleValues(c.req.queries(), SPANS_PARAMS);
    const q = parseSpansQuery(p);
    const syscall = parseSyscall(p);
    if (syscall) {
      // the window and duration range select calls; the spans that made them come back, slowest call first
      const r = spansWithSyscall(store, q, syscall);
      const spans = r.spans.map((s) => ({ ...spanSummary(s.entry), slowestCallNs: s.slowestCallNs, calls: s.calls }));
      return c.json({ total: r.total, calls: r.calls, returned: spans.length, spans } satisfies SpanListJson);
    }
    const { total, spans } = store.query(q);
    return c.json({ total, returned: spans.length, spans: spans.map(spanSummary) } satisfies SpanListJson);
  });

  app.get('/api/percentiles', (c) => {
    const q = parseSpansQuery(singleValues(c.req.queries(), PERCENTILES_PARAMS));
    return c.json(percentileTable(store, q) satisfies PercentilesJson);
  });

  app.get('/api/percentiles/spans', (c) => {
    const p = singleValues(c.req.queries(), AROUND_PARAMS);
    const around = spansAroundPercentile(
      store,
      parseSpansQuery(p),
      requiredText(p, 'span'),
      parseChoice(p, 'percentile', PERCENTILE_KEYS),
    );
    return c.json({
      total: around.total,
      rank: around.rank,
      spans: around.spans.map(spanSummary),
    } satisfies AroundPercentileJson);
  });

  app.get('/api/syscalls', (c) => {
    singleValues(c.req.queries(), []);
    return c.json({ names: syscallNames(store) } satisfies SyscallNamesJson);
  });

  app.get('/api/spans/:traceId/:spanId', (c) => {
    singleValues(c.req.queries(), []);
    const traceId = hexId(c.req.param('traceId'), 'traceId', 32);
    const spanId = hexId(c.req.param('spanId'), 'spanId', 16);
    const trace = store.trace(traceId, spanId);
    if (!trace) return c.json({ error: 'That span is not in memory (unknown, or dropped as older spans are).' }, 404);
    const parentId = trace.focus.entry.span.parentSpanId;
    const retained = store.bySpanId(loopBusyTopIds(trace.roots));
    return c.json({
      tree: traceJson(trace, (pid, id) => retained(pid, id)?.span.traceId),
      breakdown: timeBreakdown(trace.focus),
      parentRetained: parentId !== undefined && store.get(traceId, parentId) !== undefined,
      jaegerUrl: jaegerUrl === null ? null : `${jaegerUrl}/trace/${traceId}`,
    } satisfies SpanDetailJson);
  });

  app.get('/api/stream', (c) => {
    singleValues(c.req.queries(), []);
    if (openStreams >= maxStreams) return c.json({ error: 'Too many live streams are open.' }, 503);
    return liveStream(c);
  });

  const liveStream = (c: Context) =>
    streamSSE(c, async (stream) => {
      openStreams++;
      let added = 0;
      let newestStartUs: number | null = null;
      const unsubscribe = store.subscribe((entry) => {
        added++;
        if (newestStartUs === null || entry.startUs > newestStartUs) newestStartUs = entry.startUs;
      });
      const ended = () => stream.aborted || options.signal?.aborted === true;
      try {
        await stream.writeSSE({ event: 'hello', data: JSON.stringify(store.stats()) });
        let sinceWrite = 0;
        while (!ended()) {
          await stream.sleep(STREAM_INTERVAL_MS);
          sinceWrite += STREAM_INTERVAL_MS;
          if (added > 0) {
            const data = JSON.stringify({ added, newestStartUs, stats: store.stats() });
            added = 0;
            newestStartUs = null;
            sinceWrite = 0;
            await stream.writeSSE({ event: 'spans', data });
          } else if (sinceWrite >= STREAM_HEARTBEAT_MS) {
            sinceWrite = 0;
            await stream.write(': keep-alive\n\n');
          }
        }
      } finally {
        unsubscribe();
        openStreams--;
      }
    });

  // The page: a fixed allow-list of in-memory files. Nothing is read from disk, so no path can escape.
  for (const [path, file] of Object.entries(STATIC_FILES)) {
    app.get(path, (c) => {
      c.header('Content-Type', file.type);
      c.header('Cache-Control', 'no-cache');
      return c.body(file.body);
    });
  }

  return app;
}

function validJaegerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`The Jaeger URL '${value}' is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError(`The Jaeger URL must start with http:// or https://, not '${url.protocol}'.`);
  }
  return url.href.replace(/\/+$/, '');
}
