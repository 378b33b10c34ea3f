// Which OTLP/HTTP encoding traces are sent in: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL
// (the specification's order), else http/protobuf, the specification's default. gRPC is not spoken: a tiny module
// of its own, so the CLI can refuse a value before anything starts without loading the exporter.

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Which signal's own variables (OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL) come first. */
export type OtlpSignal = 'TRACES' | 'METRICS';

export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];

/** The variable that decides the protocol, and its value (undefined when neither is set). */
function protocolSetting(env: NodeJS.ProcessEnv, signal: OtlpSignal): { name: string; value: string } | undefined {
  for (const name of [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** Why the protocol the environment asks for cannot be used, as one sentence; undefined when it can. */
export function otlpProtocolProblem(
  env: NodeJS.ProcessEnv = process.env,
  signal: OtlpSignal = 'TRACES',
): string | undefined {
  const set = protocolSetting(env, signal);
  if (set === undefined || PROTOCOLS.includes(set.value)) return undefined;
  return `${set.name}=${set.value} is not supported: nullspan exports OTLP over HTTP, so use http/protobuf or http/json.`;
}

/** The protocol the environment asks for (throws otlpProtocolProblem's sentence for one it cannot use). */
export function otlpProtocol(env: NodeJS.ProcessEnv = process.env, signal: OtlpSignal = 'TRACES'): OtlpProtocol {
  const problem = otlpProtocolProblem(env, signal);
  if (problem) throw new Error(problem);
  return (protocolSetting(env, signal)?.value as OtlpProtocol | undefined) ?? DEFAULT_OTLP_PROTOCOL;
}
