// OTLP/HTTP with the project's encoders, sent through the official exporter machinery so OTEL_EXPORTER_OTLP_*
// variables such as compression keep working: http/json carries the very bytes the file output writes
// (otlp-json.ts); http/protobuf (otlp-proto.ts) carries the same content, field for field, and the bytes
// otlp-transformer's ProtobufTraceSerializer makes of the same spans. Checked against a real loopback receiver
// that decodes with the official OTLP schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OtlpFileExporter } from '../src/export/file.js';
import { OtlpHttpExporter } from '../src/export/http.js';
import type { OtlpProtocol } from '../src/export/protocol.js';
import type { ProcessInfo, SpanRecord, SyscallRecord } from '../src/model.js';
import { OtlpMapper } from '../src/otlp.js';
import { tempDir } from '../../test/helpers/cli.js';
import { otlpRequestObject, wellFormed } from '../../test/helpers/otlp.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../test/helpers/otlp-receiver.js';
import { CLOCK } from './synthetic.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
let rx: OtlpReceiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
  delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
});

const PROCS: ProcessInfo[] = [
  { pid: 5, ppid: 1, exe: 'app', exePath: '/bin/app', cmdline: ['app', '--x'], serviceName: 'app' },
  { pid: 6, ppid: 1, exe: 'wörker', exePath: '/bin/w', cmdline: ['w'], serviceName: 'svc "quoted"\n' },
];

/** Spans with what an encoder can get wrong: escapes, non-ASCII, typed values, status, syscall children. */
function spans(): SpanRecord[] {
  const common = Array.from(
    { length: 40 },
    (_, i): SpanRecord => ({
      traceId: (i + 1).toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      ...(i % 3 ? { parentSpanId: i.toString(16).padStart(16, '0') } : {}),
      name: i % 2 ? `op\u0000${i} "ü" \\` : `GET /users/${i}`,
      kind: i % 2 ? 'internal' : 'server',
      start: 1_000_000 + i * 1000,
      end: 1_500_000 + i * 1000,
      pid: PROCS[i % 2].pid,
      tid: PROCS[i % 2].pid,
      attributes: { 'http.response.status_code': 200 + i, ratio: i / 7, ok: i % 2 === 0, note: `line\n${i}\u2028` },
      status: i % 5 === 0 ? 'error' : 'unset',
      ...(i % 5 === 0 ? { statusMessage: 'boom "x"' } : {}),
      syscalls: Array.from({ length: i % 4 }, (_, k) => ({
        name: k % 2 ? 'read' : 'openat',
        ts: 1_000_100 + i * 1000 + k,
        dur: 10 + k,
        end: 1_000_110 + i * 1000 + 2 * k,
        tid: PROCS[i % 2].pid,
        pid: PROCS[i % 2].pid,
        ret: k % 2 ? 12 : -2,
        fd: 3,
        count: 1,
        path: `/tmp/ä/${k}`,
        target: `/tmp/ä/${k}`,
        attribution: 'thread' as const,
      })),
    }),
  );
  return [...common, ...edgeSpans()];
}

/** Values at the edges of each wire format: empty and non-ASCII strings, lone surrogates, negative and largest
 * int64-safe integers, doubles, bools, ids with high bits and leading zeros, messages too long for short lengths. */
function edgeSpans(): SpanRecord[] {
  const many: Record<string, string | number | boolean> = {};
  for (let i = 0; i < 3000; i++) many[`k${i}`] = i % 3 === 0 ? `v${i}` : i % 3 === 1 ? -i : i % 2 === 0;
  const call = (over: Partial<SyscallRecord>): SyscallRecord => ({
    name: 'read',
    ts: 2_000_000,
    dur: 5,
    end: 2_000_005,
    tid: 5,
    pid: 5,
    ret: 0,
    count: 1,
    attribution: 'thread',
    ...over,
  });
  const edge = (id: string, over: Partial<SpanRecord>): SpanRecord => ({
    traceId: id.padStart(32, '0'),
    spanId: id.padStart(16, '0'),
    name: 'edge',
    kind: 'client',
    start: 0,
    end: 9_007_199_254_740_991,
    pid: 5,
    tid: 5,
    attributes: {},
    status: 'unset',
    syscalls: [],
    ...over,
  });
  return [
    edge('e0', { name: 'small' }),
    edge('e1', {
      name: '',
      attributes: {
        '': '',
        empty: '',
        'ключ ✓': 'значение ✓ 𝄞',
        accents: 'é'.repeat(50),
        lone: 'a\ud800b\udc00c',
        zero: 0,
        neg: -1,
        minSafe: -9_007_199_254_740_991,
        maxSafe: 9_007_199_254_740_991,
        big: 4_294_967_296,
        half: 0.5,
        negDouble: -1.25e-300,
        tinyDouble: 5e-324,
        yes: true,
        no: false,
      },
      status: 'error',
      statusMessage: '',
    }),
    {
      ...edge('f', { kind: 'consumer', attributes: many, status: 'ok', statusMessage: 'x'.repeat(20_000) }),
      traceId: 'f'.repeat(32),
      spanId: 'f'.repeat(16),
      parentSpanId: `${'0'.repeat(15)}1`,
      remoteParent: true,
      traceState: 'a=1,b=2',
    },
    edge('e2', {
      kind: 'producer',
      name: 'ü'.repeat(200),
      syscalls: [
        call({ ret: -11, errno: 'EAGAIN', fd: 0, path: '', target: '' }),
        call({ ret: -2, errno: 'ENOENT', path: `/tmp/${'ä'.repeat(10_000)}`, unfinished: true }),
        call({ name: 'sendmmsg', ret: 2 ** 40, count: 7, dur: 70, bytes: 0 }),
      ],
    }),
  ];
}

async function viaHttp(protocol: OtlpProtocol): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  rx = r;
  const exp = new OtlpHttpExporter(CLOCK, {
    endpoint: r.url,
    protocol,
    maxBatchSpans: 100_000,
    maxBatchBytes: 64 << 20,
    scheduledDelayMs: 10,
  });
  for (const [i, s] of spans().entries()) exp.export(s, PROCS[i % 2]);
  await exp.flush();
  await exp.shutdown();
  expect(exp.stats()).toMatchObject({ dropped: 0, pending: 0 });
  return r;
}

async function viaFile(): Promise<string> {
  const path = join(tmp.dir, `spans-${Math.random()}.jsonl`);
  const exp = new OtlpFileExporter(path, CLOCK, { maxBatchSpans: 100_000, maxBatchBytes: 64 << 20 });
  for (const [i, s] of spans().entries()) exp.export(s, PROCS[i % 2]);
  await exp.shutdown();
  return readFileSync(path, 'utf8');
}

/** The same spans serialised by OpenTelemetry JS's own protobuf serializer from the mapped ReadableSpans. */
function officialProtobuf(): Uint8Array {
  const mapper = new OtlpMapper(CLOCK);
  const readable: ReadableSpan[] = [];
  for (const [i, s] of spans().entries()) mapper.map(s, PROCS[i % 2], readable);
  return ProtobufTraceSerializer.serializeRequest(readable)!;
}

/** The protobuf request carries the JSON file line's content, field for field, and otlp-transformer's bytes. */
async function expectFileContent(body: Uint8Array): Promise<void> {
  const line = Buffer.from((await viaFile()).trimEnd(), 'utf8');
  expect(otlpRequestObject(body, 'protobuf')).toEqual(wellFormed(otlpRequestObject(line, 'json')));
  expect(Buffer.from(body).equals(Buffer.from(officialProtobuf()))).toBe(true);
}

describe('OTLP/HTTP http/protobuf with the project encoder', () => {
  it('sends one request whose content is the file output line’s, decoded with the official schema', async () => {
    const r = await viaHttp('http/protobuf');
    expect(r.errors).toEqual([]);
    expect(r.requests).toHaveLength(1);
    const [req] = r.requests;
    expect([req.encoding, req.gzip]).toEqual(['protobuf', false]);
    await expectFileContent(req.body);
    const all = spans();
    expect(req.spans).toHaveLength(all.length + all.reduce((n, s) => n + s.syscalls.length, 0));
    const e1 = req.spans.find((s) => s.spanId === '00000000000000e1');
    expect(e1?.attributes).toMatchObject({ lone: 'a\ufffdb\ufffdc', minSafe: -9_007_199_254_740_991, no: false });
  });

  it('honours OTEL_EXPORTER_OTLP_COMPRESSION=gzip, with the same content inside', async () => {
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'gzip';
    const r = await viaHttp('http/protobuf');
    expect(r.requests).toHaveLength(1);
    expect([r.requests[0].encoding, r.requests[0].gzip]).toEqual(['protobuf', true]);
    await expectFileContent(r.requests[0].body);
  });
});

describe('OTLP/HTTP http/json with the project encoder', () => {
  it('sends one request whose body is the file output’s line, byte for byte, and the official schema decodes it', async () => {
    const r = await viaHttp('http/json');
    expect(r.errors).toEqual([]);
    expect(r.requests).toHaveLength(1);
    const [req] = r.requests;
    expect(req.encoding).toBe('json');
    expect(Buffer.from(req.body).toString('utf8')).toBe((await viaFile()).trimEnd());
    const all = spans();
    expect(req.spans).toHaveLength(all.length + all.reduce((n, s) => n + s.syscalls.length, 0));
    const status = req.spans.find((s) => s.name === 'GET /users/0')?.attributes['http.response.status_code'];
    expect(status).toBe(200);
  });

  it('honours OTEL_EXPORTER_OTLP_COMPRESSION=gzip, with the same bytes inside', async () => {
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'gzip';
    const r = await viaHttp('http/json');
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0].gzip).toBe(true);
    expect(Buffer.from(r.requests[0].body).toString('utf8')).toBe((await viaFile()).trimEnd());
  });
});
