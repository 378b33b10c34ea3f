// End to end: `nullspan run` exporting to a real OTLP/HTTP receiver on loopback (protobuf by default, JSON when
// OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL says so, decoded with the official schema), the same spans as the OTLP JSON
// Lines file; a protocol nullspan does not speak refused before the command starts; best-effort export when
// nothing listens.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  CaptureReader,
  correlatorForCapture,
  OtlpMapper,
  clockFromString,
  type SpanRecord,
  type ProcessInfo,
} from '@nullspan/correlator';
import { decodeBatch } from '@nullspan/probe';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { cliEnv, REPO, runCli, tempDir } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const SCRIPT = join(REPO, 'test/fixtures/nested-markers.sh');
const tmp = tempDir();
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
  tmp.remove();
});

/** What identifies an exported span, independent of how it was encoded and batched. */
function key(s: OtlpSpan): string {
  return JSON.stringify([
    s.traceId,
    s.spanId,
    s.parentSpanId,
    s.name,
    s.kind,
    String(s.startTimeUnixNano),
    String(s.endTimeUnixNano),
    s.status,
    Object.entries(s.attributes).sort(),
    Object.entries(s.resource).sort(),
  ]);
}

describe('OTLP/HTTP export to a real receiver', () => {
  const file = join(tmp.dir, 'traces.jsonl');
  const capture = join(tmp.dir, 'traces.nscap');
  let fileSpans: OtlpSpan[];

  beforeAll(async () => {
    const r = await runCli(
      ['run', '--otlp-file', file, '--write', capture, '--', 'sh', SCRIPT, join(tmp.dir, 'out.txt')],
      { env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }) },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(withoutFallbackNotices(r.stderr)).toBe('');
    fileSpans = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
  });

  it('sends every span as OTLP protobuf (the default) to OTEL_EXPORTER_OTLP_ENDPOINT by the time run exits', () => {
    expect(receiver.errors).toEqual([]);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.encoding === 'protobuf')).toBe(true);
    const sent = receiver.spans();
    expect(sent.map((s) => s.name)).toEqual(expect.arrayContaining(['job', 'job.step', 'openat', 'write']));
    expect(sent.map(key).sort()).toEqual(fileSpans.map(key).sort());
    const job = sent.find((s) => s.name === 'job')!;
    expect(job.resource['service.name']).toBe('sh');
    expect(job.resource['process.pid']).toEqual(expect.any(Number));
    expect(typeof job.resource['host.name']).toBe('string');
    expect(job.scope).toBe('nullspan');
  });

  it("nullspan's spans in the OTLP protobuf encoding decode with the official .proto types to the same spans", async () => {
    // The spans of the run, rebuilt from its capture, serialized as protobuf the way the OTel protobuf exporter does.
    const reader = CaptureReader.open(capture);
    const correlator = correlatorForCapture(reader.header);
    const mapper = new OtlpMapper(clockFromString(reader.header.wallOffsetNs), { hostName: reader.header.hostName });
    const finished: [SpanRecord, ProcessInfo][] = [];
    correlator.onSpan((s, p) => finished.push([s, p]));
    for (const batch of reader.batches()) correlator.pushBatch(decodeBatch(batch));
    correlator.close(String(reader.trailer?.stopReason));
    reader.close();
    const readable: Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0] = [];
    for (const [s, p] of finished) mapper.map(s, p, readable as never);
    const body = ProtobufTraceSerializer.serializeRequest(readable)!;

    const before = receiver.requests.length;
    const res = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(res.status).toBe(200);
    const got = receiver.requests.slice(before);
    expect(got.map((r) => r.encoding)).toEqual(['protobuf']);
    expect(got[0].spans.map(key).sort()).toEqual(fileSpans.map(key).sort());
  });
});

describe('the OTLP/HTTP protocol', () => {
  /** A run of the script exporting to `rx` with `env`; returns its spans as the file output has them. */
  async function exportedRun(rx: OtlpReceiver, env: Record<string, string>): Promise<OtlpSpan[]> {
    const file = join(tmp.dir, `protocol-${Math.random()}.jsonl`);
    const r = await runCli(['run', '--otlp-file', file, '--', 'sh', SCRIPT, join(tmp.dir, 'protocol.txt')], {
      env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, ...env }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(withoutFallbackNotices(r.stderr)).toBe('');
    expect(rx.errors).toEqual([]);
    return decodeOtlpJsonLines(readFileSync(file, 'utf8'));
  }

  it('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json wins over OTEL_EXPORTER_OTLP_PROTOCOL: JSON, the same spans', async () => {
    const rx = await startOtlpReceiver();
    try {
      const fromFile = await exportedRun(rx, {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      });
      expect(rx.requests.length).toBeGreaterThan(0);
      expect(rx.requests.map((r) => r.encoding)).toEqual(rx.requests.map(() => 'json'));
      expect(rx.spans().map(key).sort()).toEqual(fromFile.map(key).sort());
    } finally {
      await rx.close();
    }
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf with gzip: the same spans as the file', async () => {
    const rx = await startOtlpReceiver();
    try {
      const fromFile = await exportedRun(rx, {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      });
      expect(rx.requests.length).toBeGreaterThan(0);
      expect(rx.requests.map((r) => [r.encoding, r.gzip])).toEqual(rx.requests.map(() => ['protobuf', true]));
      expect(rx.spans().map(key).sort()).toEqual(fromFile.map(key).sort());
      expect(rx.spans().map((s) => s.name)).toEqual(expect.arrayContaining(['job', 'job.step', 'openat', 'write']));
    } finally {
      await rx.close();
    }
  });

  it('grpc: one sentence, exit 2, and the command never starts', async () => {
    const out = join(tmp.dir, 'grpc.txt');
    const r = await runCli(['run', '--', 'sh', SCRIPT, out], {
      env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'nullspan: OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: nullspan exports OTLP over HTTP, so use http/protobuf or http/json.\n',
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('the default endpoint', () => {
  it('with no --endpoint and no OTEL_* variable, spans go to http://localhost:4318 (as the quick start promises)', async () => {
    const local = await startOtlpReceiver(4318).catch((err: Error) => {
      throw new Error(`this test needs port 4318 free on 127.0.0.1 (${err.message})`);
    });
    try {
      const r = await runCli(['run', '--', 'sh', SCRIPT, join(tmp.dir, 'default.txt')], {
        env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined }),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(withoutFallbackNotices(r.stderr)).toBe('');
      expect(local.errors).toEqual([]);
      expect(local.spans().map((s) => s.name)).toEqual(expect.arrayContaining(['job', 'job.step']));
    } finally {
      await local.close();
    }
  });
});

describe('best-effort export', () => {
  it('says once that nothing listens, still writes the file, and exits promptly with the command', async () => {
    const file = join(tmp.dir, 'nobody.jsonl');
    const r = await runCli([
      'run',
      '--endpoint',
      'http://127.0.0.1:9',
      '--otlp-file',
      file,
      '--',
      'sh',
      SCRIPT,
      join(tmp.dir, 'o2.txt'),
      '3',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr.match(/nothing listens/g)).toHaveLength(1);
    expect(withoutFallbackNotices(r.stderr)).toMatch(
      /^nullspan: nothing listens at http:\/\/127\.0\.0\.1:9\/v1\/traces \(ECONNREFUSED\); the traces are written to .*nobody\.jsonl/,
    );
    expect(decodeOtlpJsonLines(readFileSync(file, 'utf8')).map((s) => s.name)).toEqual(
      expect.arrayContaining(['job', 'job.step']),
    );
  });

  it('--endpoint wins over OTEL_EXPORTER_OTLP_ENDPOINT, and --no-otlp sends nothing', async () => {
    const before = receiver.requests.length;
    const r = await runCli(['run', '--endpoint', receiver.url, '--', 'sh', SCRIPT, join(tmp.dir, 'o3.txt')], {
      env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(receiver.requests.length).toBeGreaterThan(before);
    const mid = receiver.requests.length;
    const quiet = await runCli(['run', '--no-otlp', '--', 'sh', SCRIPT, join(tmp.dir, 'o4.txt')], {
      env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
    });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(receiver.requests.length).toBe(mid);
  });
});
