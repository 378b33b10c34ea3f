// Typed fetches of the UI's JSON API (shapes in ../api-types.ts, shared with the server's views).

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
} from '../api-types.js';

/** Query parameters; empty, null and undefined values are left out (the server rejects empty ones). */
export type Params = Record<string, string | number | null | undefined>;

export async function getJson<T>(path: string, params?: Params): Promise<T> {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(errorText(body) ?? `Request failed: HTTP ${res.status}.`, errorColumn(body));
  return body as T;
}

/** A refused request: the server's sentence and, for a bad filter expression, the 1-based column it points at. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly column: number | null,
  ) {
    super(message);
  }
}

function errorText(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  return typeof body.error === 'string' ? body.error : undefined;
}

function errorColumn(body: unknown): number | null {
  if (typeof body !== 'object' || body === null || !('column' in body)) return null;
  return typeof body.column === 'number' ? body.column : null;
}

export const fetchConfig = () => getJson<ConfigJson>('/api/config');
export const fetchStats = () => getJson<StatsJson>('/api/stats');
export const fetchFacets = () => getJson<FacetsJson>('/api/facets');
export const fetchSyscallNames = () => getJson<SyscallNamesJson>('/api/syscalls');
export const fetchSpectrogram = (params: Params) => getJson<SpectrogramJson>('/api/spectrogram', params);
export const fetchSpans = (params: Params) => getJson<SpanListJson>('/api/spans', params);
export const fetchPercentiles = (params: Params) => getJson<PercentilesJson>('/api/percentiles', params);
export const fetchAroundPercentile = (params: Params) =>
  getJson<AroundPercentileJson>('/api/percentiles/spans', params);
export const fetchSpanDetail = (traceId: string, spanId: string) =>
  getJson<SpanDetailJson>(`/api/spans/${encodeURIComponent(traceId)}/${encodeURIComponent(spanId)}`);
