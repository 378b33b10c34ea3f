// Where OTLP/HTTP traces go: the one resolution shared by the exporter, the CLI's endpoint check and its options
// table (a tiny module of its own, so `nullspan --help` does not load the OTel exporter).

/** The OTLP/HTTP endpoint the OpenTelemetry specification defaults to. */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/**
 * The traces URL in the specification's order: an explicit endpoint + `/v1/traces`, else
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`, else the default.
 */
export function tracesUrl(endpoint?: string, env: NodeJS.ProcessEnv = process.env): string {
  return signalUrl('traces', endpoint, env);
}

/** The same order for any signal: `metrics` reads OTEL_EXPORTER_OTLP_METRICS_ENDPOINT and appends `/v1/metrics`. */
export function signalUrl(
  signal: 'traces' | 'metrics',
  endpoint?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (endpoint === undefined) {
    const own = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`]?.trim();
    if (own) return own;
  }
  const base = endpoint ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || DEFAULT_OTLP_ENDPOINT);
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/** Why `url` cannot be an OTLP/HTTP endpoint (not a URL, not http/https), or undefined when it can. */
export function httpUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:'
    ? undefined
    : `${parsed.protocol.replace(/:$/, '')} is not supported`;
}
