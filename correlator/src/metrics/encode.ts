// An ExportMetricsServiceRequest (request.ts) in both OTLP encodings: JSON (the object is already in the JSON
// mapping's shape) and protobuf, written field by field from opentelemetry-proto's metrics.proto with the project's
// ProtoWriter. otlp-transformer's metrics serializers cannot be used: they drop exemplars.

import { ProtoWriter } from '../protowriter.js';
import type {
  AnyValue,
  ExponentialHistogramPoint,
  HistogramPoint,
  KeyValue,
  MetricsRequest,
  NumberPoint,
  OtlpExemplar,
  OtlpMetric,
} from './request.js';

export function encodeMetricsJson(req: MetricsRequest): string {
  return JSON.stringify(req);
}

const LD = 2;
const I64 = 1;
const VARINT = 0;
const tag = (field: number, wire: number): number => (field << 3) | wire;
/** a length slot big enough for any message this writes (ProtoWriter moves it to the minimal size) */
const SLOT = 5;

function message(w: ProtoWriter, field: number, body: () => void): void {
  w.varint(tag(field, LD));
  const at = w.begin(SLOT);
  body();
  w.end(at, SLOT);
}

function fixed64(w: ProtoWriter, field: number, decimal: string): void {
  const v = BigInt(decimal);
  w.varint(tag(field, I64));
  w.fixed64(Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
}

function double(w: ProtoWriter, field: number, v: number): void {
  w.varint(tag(field, I64));
  w.double(v);
}

function anyValue(w: ProtoWriter, v: AnyValue): void {
  if ('stringValue' in v) {
    w.varint(tag(1, LD));
    w.string(v.stringValue);
  } else if ('boolValue' in v) {
    w.varint(tag(2, VARINT));
    w.varint(v.boolValue ? 1 : 0);
  } else if ('intValue' in v) {
    w.varint(tag(3, VARINT));
    w.int64(Number(v.intValue));
  } else double(w, 4, v.doubleValue);
}

function keyValues(w: ProtoWriter, field: number, attrs: KeyValue[]): void {
  for (const kv of attrs)
    message(w, field, () => {
      w.varint(tag(1, LD));
      w.string(kv.key);
      message(w, 2, () => anyValue(w, kv.value));
    });
}

function exemplars(w: ProtoWriter, field: number, list: OtlpExemplar[]): void {
  for (const e of list)
    message(w, field, () => {
      fixed64(w, 2, e.timeUnixNano);
      double(w, 3, e.asDouble);
      w.varint(tag(4, LD));
      w.hexBytes(e.spanId);
      w.varint(tag(5, LD));
      w.hexBytes(e.traceId);
    });
}

function numberPoint(w: ProtoWriter, p: NumberPoint): void {
  fixed64(w, 2, p.startTimeUnixNano);
  fixed64(w, 3, p.timeUnixNano);
  // as_int is an sfixed64
  w.varint(tag(6, I64));
  const v = BigInt(p.asInt);
  w.fixed64(Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
  keyValues(w, 7, p.attributes);
}

function histogramPoint(w: ProtoWriter, p: HistogramPoint): void {
  fixed64(w, 2, p.startTimeUnixNano);
  fixed64(w, 3, p.timeUnixNano);
  fixed64(w, 4, p.count);
  double(w, 5, p.sum);
  message(w, 6, () => {
    for (const c of p.bucketCounts) {
      const v = BigInt(c);
      w.fixed64(Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
    }
  });
  message(w, 7, () => {
    for (const b of p.explicitBounds) w.double(b);
  });
  exemplars(w, 8, p.exemplars);
  keyValues(w, 9, p.attributes);
  double(w, 11, p.min);
  double(w, 12, p.max);
}

function exponentialPoint(w: ProtoWriter, p: ExponentialHistogramPoint): void {
  keyValues(w, 1, p.attributes);
  fixed64(w, 2, p.startTimeUnixNano);
  fixed64(w, 3, p.timeUnixNano);
  fixed64(w, 4, p.count);
  double(w, 5, p.sum);
  w.varint(tag(6, VARINT));
  w.varint(zigzag(p.scale));
  fixed64(w, 7, p.zeroCount);
  message(w, 8, () => {
    w.varint(tag(1, VARINT));
    w.varint(zigzag(p.positive.offset));
    message(w, 2, () => {
      for (const c of p.positive.bucketCounts) w.int64(Number(c));
    });
  });
  exemplars(w, 11, p.exemplars);
  double(w, 12, p.min);
  double(w, 13, p.max);
}

/** sint32's encoding: small negative numbers stay small */
function zigzag(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function metric(w: ProtoWriter, m: OtlpMetric): void {
  w.varint(tag(1, LD));
  w.string(m.name);
  w.varint(tag(2, LD));
  w.string(m.description);
  w.varint(tag(3, LD));
  w.string(m.unit);
  if (m.sum) {
    const sum = m.sum;
    message(w, 7, () => {
      for (const p of sum.dataPoints) message(w, 1, () => numberPoint(w, p));
      w.varint(tag(2, VARINT));
      w.varint(sum.aggregationTemporality);
      w.varint(tag(3, VARINT));
      w.varint(sum.isMonotonic ? 1 : 0);
    });
  }
  if (m.histogram) {
    const h = m.histogram;
    message(w, 9, () => {
      for (const p of h.dataPoints) message(w, 1, () => histogramPoint(w, p));
      w.varint(tag(2, VARINT));
      w.varint(h.aggregationTemporality);
    });
  }
  if (m.exponentialHistogram) {
    const h = m.exponentialHistogram;
    message(w, 10, () => {
      for (const p of h.dataPoints) message(w, 1, () => exponentialPoint(w, p));
      w.varint(tag(2, VARINT));
      w.varint(h.aggregationTemporality);
    });
  }
}

export function encodeMetricsProto(req: MetricsRequest): Uint8Array {
  const w = new ProtoWriter(4096);
  for (const rm of req.resourceMetrics)
    message(w, 1, () => {
      message(w, 1, () => keyValues(w, 1, rm.resource.attributes));
      for (const sm of rm.scopeMetrics)
        message(w, 2, () => {
          message(w, 1, () => {
            w.varint(tag(1, LD));
            w.string(sm.scope.name);
            w.varint(tag(2, LD));
            w.string(sm.scope.version);
          });
          for (const m of sm.metrics) message(w, 2, () => metric(w, m));
        });
    });
  return w.bytes().slice();
}
