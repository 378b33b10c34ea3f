// The official OTLP/HTTP machinery (@opentelemetry/otlp-exporter-base: OTEL_EXPORTER_OTLP_* variables, headers,
// compression, TLS, timeouts, its quick retries and self-observability) with the project's own encoders as the
// serializer: requests arrive already encoded by OtlpProtoEncoder or OtlpJsonEncoder (the bytes the file output
// writes) instead of going through ReadableSpan objects and otlp-transformer's serializers (several times slower
// per span).
// The transport and the serializer stay separate, as in OpenTelemetry JS; the batching around them is http.ts's.
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  MetricsExporterMetricsHelper,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';
import type { OtlpProtocol } from './protocol.js';

/** One request: an ExportTraceServiceRequest encoded in the exporter's protocol, and how many OTel spans it carries. */
export interface EncodedTraceRequest {
  readonly body: Uint8Array;
  /** OTel spans in the body (what the exporter's own metrics count, as they count a span array's length) */
  readonly length: number;
}

/** What the delegate calls a serializer: the body is already the request; responses are read in its encoding. */
const PROTOCOLS = {
  'http/protobuf': {
    contentType: 'application/x-protobuf',
    serializer: {
      serializeRequest: (request: EncodedTraceRequest): Uint8Array => request.body,
      deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data),
    },
  },
  'http/json': {
    contentType: 'application/json',
    serializer: {
      serializeRequest: (request: EncodedTraceRequest): Uint8Array => request.body,
      deserializeResponse: (data: Uint8Array) => JsonTraceSerializer.deserializeResponse(data),
    },
  },
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
  protocol: OtlpProtocol;
}

/** An OTLP/HTTP trace exporter for requests encoded beforehand in `opts.protocol`. */
export function createOtlpTraceExporter(opts: OtlpHttpTransportOptions): OTLPExporterBase<EncodedTraceRequest> {
  const { protocol, ...http } = opts;
  const { contentType, serializer } = PROTOCOLS[protocol];
  const config = convertLegacyHttpOptions(http, 'TRACES', 'v1/traces', { 'Content-Type': contentType });
  // the component type OpenTelemetry JS's own OTLP/HTTP span exporter reports in its metrics
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(config, serializer, 'otlp_http_span_exporter', countSpans, undefined),
  );
}

/** One ExportMetricsServiceRequest, encoded beforehand, and how many data points it carries. */
export type EncodedMetricsRequest = EncodedTraceRequest;

const METRICS_RESPONSES = {
  'http/protobuf': (data: Uint8Array) => ProtobufMetricsSerializer.deserializeResponse(data),
  'http/json': (data: Uint8Array) => JsonMetricsSerializer.deserializeResponse(data),
};

const countDataPoints = {
  ...MetricsExporterMetricsHelper,
  countItems: (request: EncodedMetricsRequest) => request.length,
};

/** The same for metrics: OTEL_EXPORTER_OTLP_METRICS_* variables, `/v1/metrics`, the metrics exporter's name. */
export function createOtlpMetricsExporter(opts: OtlpHttpTransportOptions): OTLPExporterBase<EncodedMetricsRequest> {
  const { protocol, ...http } = opts;
  const { contentType } = PROTOCOLS[protocol];
  const serializer = {
    serializeRequest: (request: EncodedMetricsRequest): Uint8Array => request.body,
    deserializeResponse: METRICS_RESPONSES[protocol],
  };
  const config = convertLegacyHttpOptions(http, 'METRICS', 'v1/metrics', { 'Content-Type': contentType });
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(config, serializer, 'otlp_http_metric_exporter', countDataPoints, undefined),
  );
}
