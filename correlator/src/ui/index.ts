// Public surface of the web UI: the span store the correlator feeds, the Hono app, and the server the CLI starts.

export { SpanStore } from './store.js';
export type {
  SpanStoreOptions,
  StoredSpan,
  SpanFilter,
  WindowQuery,
  Spectrogram,
  SpectrogramCell,
  StoreStats,
  SpanTreeNode,
} from './store.js';
export { createUiApp, DEFAULT_JAEGER_URL } from './app.js';
export type { UiAppOptions } from './app.js';
export { startUiServer } from './server.js';
export type { UiServer, UiServerOptions } from './server.js';
export { accessToken, loopbackHosts, generateToken, isLoopbackHost } from './security.js';
export type { AccessTokenOptions, LoopbackHostsOptions } from './security.js';
export { BOUNDARIES_NS, BUCKET_COUNT, BUCKETS_PER_DECADE, bucketOf, bucketTable } from './buckets.js';
export { DEFAULT_COLUMNS, MAX_COLUMNS, MIN_COLUMNS, niceColumnMs } from './spectrogram-grid.js';
export type { SpanPredicate, SpanScope, FilterSubject, SyscallSubject } from './filter-subject.js';
