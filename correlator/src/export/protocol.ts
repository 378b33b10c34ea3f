// Which OTLP/HTTP encoding traces are sent in: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL
// (the specification's order), else http/protobuf, the specification's default. gRPC is not spoken: a tiny module
// of its own, so the CLI can refuse a value before anything starts without loading the exporter.

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];

/** The variable that decides the protocol, and its value (undefined when neither is set). */
function protocolSetting(env: NodeJS.ProcessEnv): { name: string; value: string } | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** Why the protocol the environment asks for cannot be used, as one sentence; undefined when it can. */
export function otlpProtocolProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = protocolSetting(env);
  if (set === undefined || PROTOCOLS.includes(set.value)) return undefined;
  return `${set.name}=${set.value} is not supported: nullspan exports OTLP over HTTP, so use http/protobuf or http/json.`;
}

/** The protocol the environment asks for (throws otlpProtocolProblem's sentence for one it cannot use). */
export function otlpProtocol(env: NodeJS.ProcessEnv = process.env): OtlpProtocol {
  const problem = otlpProtocolProblem(env);
  if (problem) throw new Error(problem);
  return (protocolSetting(env)?.value as OtlpProtocol | undefined) ?? DEFAULT_OTLP_PROTOCOL;
}
