// The official OTLP/HTTP machinery (@opentelemetry/otlp-exporter-base: OTEL_EXPORTER_OTLP_* variables, headers,
// compression, TLS, timeouts, its quick retries and self-observability) with the project's own JSON encoder as the
// serializer: requests arrive already encoded by OtlpJsonEncoder — the bytes the file output writes — instead of
// going through ReadableSpan objects and otlp-transformer's JsonTraceSerializer (several times slower per span).
// The transport and the serializer stay separate, as in OpenTelemetry JS; the batching around them is http.ts's.
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';

/** One request: an ExportTraceServiceRequest encoded as OTLP JSON, and how many OTel spans it carries. */
export interface EncodedTraceRequest {
  readonly body: Uint8Array;
  /** OTel spans in the body (what the exporter's own metrics count, as they count a span array's length) */
  readonly length: number;
}

/** The serializer the delegate calls: the body is already the request. */
const preEncoded = {
  serializeRequest: (request: EncodedTraceRequest): Uint8Array => request.body,
  deserializeResponse: (data: Uint8Array) => JsonTraceSerializer.deserializeResponse(data),
};

const countSpans = {
  ...TraceExporterMetricsHelper,
  countItems: (request: EncodedTraceRequest) => request.length,
};

export interface OtlpHttpTransportOptions {
  url: string;
  headers?: Record<string, string>;
  timeoutMillis: number;
  concurrencyLimit: number;
}

/** An OTLP/HTTP JSON trace exporter for requests encoded beforehand. */
export function createOtlpJsonTraceExporter(opts: OtlpHttpTransportOptions): OTLPExporterBase<EncodedTraceRequest> {
  const config = convertLegacyHttpOptions(opts, 'TRACES', 'v1/traces', { 'Content-Type': 'application/json' });
  // the component type OpenTelemetry JS's own OTLP/HTTP span exporter reports in its metrics
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(config, preEncoded, 'otlp_http_span_exporter', countSpans, undefined),
  );
}
