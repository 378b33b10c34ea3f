// Public API of @nullspan/correlator (for the CLI, the web UI and tests).
export type * from './model.js';
export { Correlator, OUTSIDE_SPAN_NAME, type CorrelatorOptions, type SpanListener } from './correlator.js';
export {
  ThreadActiveSpanSource,
  ChainedActiveSpanSource,
  resetResult,
  attributeTo,
  attributeToNone,
  attributeUnsure,
  type ActiveSpanSource,
  type AttributionContext,
  type AttributionResult,
  type Outcome,
} from './attribution.js';
export type { OpenSpan, SpanTable } from './spans.js';
export type { MergeOptions } from './merge.js';
export {
  snapshotProc,
  containerIdFromCgroup,
  type InitialState,
  type ProcessSnapshot,
  type FdSnapshot,
  type SnapshotOptions,
} from './state/snapshot.js';
export type { FdDesc, Transport } from './state/fdtable.js';
export type { ThreadState, ProcState } from './state/proctable.js';
export { sampleClock, clockFromString } from './clock.js';
export { newIdSeed } from './ids.js';
export {
  OtlpMapper,
  WallClock,
  syscallAttributes,
  forEachSyscallAttribute,
  spanAttributes,
  resourceAttributes,
  parseResourceAttributesEnv,
  type OtlpMappingOptions,
} from './otlp.js';
export { OtlpJsonEncoder, type SpanWithProcess } from './otlp-json.js';
export { OtlpProtoEncoder } from './otlp-proto.js';
export type { SpanSink, ExportStats } from './export/sink.js';
export { OtlpFileExporter, type FileExportOptions } from './export/file.js';
export { OtlpHttpExporter, tracesUrl, type HttpExportOptions, type SpanExporterLike } from './export/http.js';
export { DEFAULT_OTLP_PROTOCOL, otlpProtocol, type OtlpProtocol } from './export/protocol.js';
export {
  CaptureWriter,
  CaptureReader,
  CaptureFormatError,
  CAPTURE_MAGIC,
  CAPTURE_VERSION,
  type CaptureHeader,
  type CaptureHeaderInput,
  type CaptureTrailer,
} from './capture.js';
export { correlatorForCapture, replayInto, type ReplayOptions } from './replay.js';
export { errnoName } from './errno.js';
