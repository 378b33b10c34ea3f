// Which OTLP/HTTP encoding the environment asks for, in the specification's order, and the sentence for one
// nullspan does not speak.
import { describe, expect, it } from 'vitest';
import { OtlpHttpExporter } from '../src/export/http.js';
import { otlpProtocol, otlpProtocolProblem } from '../src/export/protocol.js';
import { CLOCK } from './synthetic.js';

describe('OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL', () => {
  it('defaults to http/protobuf, as the specification does', () => {
    expect(otlpProtocol({})).toBe('http/protobuf');
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: ' ', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: '' })).toBe(
      'http/protobuf',
    );
  });

  it('takes the traces-specific variable first, then the general one', () => {
    expect(otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(
      otlpProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }),
    ).toBe('http/protobuf');
    // a usable traces-specific value wins over an unusable general one, as it decides alone
    expect(
      otlpProtocolProblem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }),
    ).toBeUndefined();
  });

  it('names the variable and the value it cannot use, in one sentence; the exporter refuses it too', () => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' };
    expect(otlpProtocolProblem(env)).toBe(
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc is not supported: nullspan exports OTLP over HTTP, so use http/protobuf or http/json.',
    );
    expect(otlpProtocolProblem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' })).toMatch(
      /^OTEL_EXPORTER_OTLP_PROTOCOL=HTTP\/JSON is not supported/,
    );
    const saved = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL;
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'grpc';
    try {
      expect(() => new OtlpHttpExporter(CLOCK, { endpoint: 'http://127.0.0.1:9' })).toThrow(/grpc is not supported/);
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL;
      else process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = saved;
    }
  });
});
