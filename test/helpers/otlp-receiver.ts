// A real OTLP/HTTP trace receiver on loopback for the end-to-end tests: POST /v1/traces with
// `application/x-protobuf` or `application/json` bodies (gzip or not), decoded with the official schema
// (helpers/otlp.ts). It answers like a collector: an empty ExportTraceServiceResponse in the request's encoding.

import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { decodeOtlpJson, decodeOtlpMetrics, decodeOtlpProtobuf, type OtlpSpan } from './otlp.js';

export interface ReceivedRequest {
  encoding: 'protobuf' | 'json';
  /** the body as sent (gzip undone) */
  body: Uint8Array;
  /** whether it came gzip-compressed */
  gzip: boolean;
  spans: OtlpSpan[];
}

/** One POST /v1/metrics: the ExportMetricsServiceRequest as decodeOtlpMetrics gives it. */
export interface ReceivedMetrics {
  encoding: 'protobuf' | 'json';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  request: any;
}

export interface OtlpReceiver {
  /** base URL to use as OTEL_EXPORTER_OTLP_ENDPOINT / --endpoint */
  url: string;
  requests: ReceivedRequest[];
  metrics: ReceivedMetrics[];
  /** bodies the receiver could not decode (each a test failure waiting to be noticed) */
  errors: string[];
  spans(): OtlpSpan[];
  close(): Promise<void>;
}

/** How a failing receiver answers every request: with this HTTP status, or never (the connection stays open). */
export type FailingAnswer = number | 'never';

/** Starts the receiver on 127.0.0.1:`port` (default: any free port). With `fail`, it takes no spans and answers
 * every request that way instead (a collector in trouble). */
export async function startOtlpReceiver(port = 0, fail?: FailingAnswer): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const errors: string[] = [];
  const metrics: ReceivedMetrics[] = [];
  const app = new Hono();
  app.post('/v1/metrics', async (c) => {
    if (fail === 'never') return new Promise<Response>(() => undefined);
    if (fail !== undefined) return c.text('receiver failing on purpose', fail as 500);
    let body = new Uint8Array(await c.req.arrayBuffer());
    if ((c.req.header('content-encoding') ?? '').toLowerCase() === 'gzip') body = gunzipSync(body);
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const encoding = type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : undefined;
    if (!encoding) {
      errors.push(`unsupported content-type ${JSON.stringify(type)}`);
      return c.text('unsupported content type', 415);
    }
    try {
      metrics.push({ encoding, request: decodeOtlpMetrics(body, encoding) });
    } catch (err) {
      errors.push((err as Error).message);
      return c.text(`bad request: ${(err as Error).message}`, 400);
    }
    return encoding === 'json' ? c.json({}, 200) : c.body(new Uint8Array(0), 200, { 'content-type': type });
  });
  app.post('/v1/traces', async (c) => {
    if (fail === 'never') return new Promise<Response>(() => undefined);
    if (fail !== undefined) return c.text('receiver failing on purpose', fail as 500);
    let body = new Uint8Array(await c.req.arrayBuffer());
    const gzip = (c.req.header('content-encoding') ?? '').toLowerCase() === 'gzip';
    if (gzip) body = gunzipSync(body);
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    try {
      if (type === 'application/x-protobuf') {
        requests.push({ encoding: 'protobuf', body, gzip, spans: decodeOtlpProtobuf(body) });
        return c.body(new Uint8Array(0), 200, { 'content-type': 'application/x-protobuf' });
      }
      if (type === 'application/json') {
        requests.push({ encoding: 'json', body, gzip, spans: decodeOtlpJson(Buffer.from(body).toString('utf8')) });
        return c.json({}, 200);
      }
      errors.push(`unsupported content-type ${JSON.stringify(type)}`);
      return c.text('unsupported content type', 415);
    } catch (err) {
      errors.push((err as Error).message);
      return c.text(`bad request: ${(err as Error).message}`, 400);
    }
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    metrics,
    errors,
    spans: () => requests.flatMap((r) => r.spans),
    close: () =>
      new Promise<void>((resolve) => {
        // a receiver that never answers still holds the connections nullspan opened
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
