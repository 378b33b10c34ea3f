import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { OtlpFileExporter } from '../src/export/file.js';
import type { Clock, ProcessInfo, SpanRecord } from '../src/model.js';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OtlpMapper, WallClock, parseResourceAttributesEnv } from '../src/otlp.js';
import { OtlpJsonEncoder, attributeHeadCache } from '../src/otlp-json.js';
import { OtlpProtoEncoder } from '../src/otlp-proto.js';
import { Stream, collect, inet, oneProcess } from './synthetic.js';

const CLOCK: Clock = { wallOffsetNs: 1_700_000_000_123_456_789n };
const dir = mkdtempSync(join(tmpdir(), 'nullspan-otlp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROC: ProcessInfo = {
  pid: 4242,
  ppid: 1,
  exe: 'node',
  exePath: '/usr/bin/node',
  cmdline: ['node', 'server.js', '--port', '8080'],
  serviceName: 'shop',
  containerId: 'c'.repeat(64),
};

/** A realistic span from the correlator: server span with a file read, a connect and a failed open. */
function sampleSpans(): { span: SpanRecord; proc: ProcessInfo }[] {
  const { c, spans } = collect({ clock: CLOCK }, oneProcess(10, 'node'));
  const s = new Stream();
  s.ts = 123_456_789_012_345;
  s.marker(
    10,
    10,
    '>:4398046511105:http.request:_tid=4bf92f3577b34da6a3ce929d0e0e4736,_k=server,method=GET,url=/items:',
  );
  s.sys(10, 10, 'openat', { args: [-100, 0, 0], path: '/srv/items.json', ret: 7 });
  s.sys(10, 10, 'read', { args: [7], ret: 4096 });
  s.sys(10, 10, 'read', { args: [7], ret: 100 });
  s.sys(10, 10, 'openat', { args: [-100, 0, 0], path: '/srv/missing', ret: -2 });
  s.sys(10, 10, 'socket', { args: [2, 1, 0], ret: 8 });
  s.sys(10, 10, 'connect', { args: [8], addr: inet('127.0.0.1', 5432), ret: -115 });
  s.marker(10, 10, '<:4398046511105:http.request:status=200,_st=error,_msg=upstream failed:');
  c.pushBatch(s.events);
  return spans;
}

function attrs(list: { key: string; value: Record<string, unknown> }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list)
    out[key] = value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
  return out;
}

/** Spans of two processes with what an encoder can get wrong: odd names, remote parent, tracestate, arg keys. */
function mixedItems(): { span: SpanRecord; proc: ProcessInfo }[] {
  const procA = { ...PROC };
  const procB = { ...PROC, pid: 7, serviceName: 'other', containerId: undefined, exePath: '' };
  const odd: SpanRecord = {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: 'c'.repeat(16),
    remoteParent: true,
    traceState: 'vendor=x,other=y',
    name: 'weird "name" \u2028 ✓ \ud800',
    kind: 'producer',
    start: 0.4,
    end: 7e15,
    pid: 7,
    tid: 9,
    attributes: Object.assign(Object.create(null), {
      z: '1',
      200: 'int-like key first',
      'a"b': 'quote\n',
      'thread.id': 'an arg named like ours',
    }),
    status: 'ok',
    incomplete: 'evicted',
    truncated: true,
    droppedSyscalls: 3,
    syscalls: [
      {
        name: 'recvfrom',
        ts: 1,
        dur: 1,
        end: 2,
        tid: 9,
        pid: 7,
        ret: -104,
        errno: 'ECONNRESET',
        fd: 4,
        target: '-> [::1]:80',
        peerAddress: '::1',
        peerPort: 80,
        localAddress: '::1',
        localPort: 5555,
        transport: 'tcp',
        count: 1,
        attribution: 'unattributed',
        unfinished: true,
      },
    ],
  };
  return [
    ...sampleSpans().map((x) => ({ span: x.span, proc: procA })),
    { span: odd, proc: procB },
    ...sampleSpans().map((x) => ({ span: x.span, proc: procA })),
  ];
}

describe('OTLP mapping', () => {
  it('converts monotonic ns to wall-clock HrTime exactly (no double rounding)', () => {
    const w = new WallClock(CLOCK);
    const mono = 123_456_789_012_345;
    expect(w.wallNs(mono)).toBe(CLOCK.wallOffsetNs + BigInt(mono));
    expect(w.hrTime(999_999_999)).toEqual([1_700_000_001, 123_456_788]);
    const neg = new WallClock({ wallOffsetNs: -1_500_000_000n });
    expect(neg.wallNs(3_000_000_000)).toBe(1_500_000_000n);
  });

  it('maps the application span and one child per syscall with semantic-convention attributes', () => {
    const [{ span, proc }] = sampleSpans();
    const out: ReadableSpan[] = [];
    const n = new OtlpMapper(CLOCK, { hostName: 'web-1', resourceAttributes: {} }).map(
      span,
      { ...proc, containerId: PROC.containerId },
      out,
    );
    expect(n).toBe(out.length);
    const [app, ...calls] = out;
    expect(app.name).toBe('http.request');
    expect(app.kind).toBe(SpanKind.SERVER);
    expect(app.spanContext()).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '0000040000000001',
    });
    expect(app.parentSpanContext).toBeUndefined();
    expect(app.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
    expect(app.attributes).toMatchObject({ method: 'GET', url: '/items', status: '200', 'thread.id': 10 });
    expect(app.resource.attributes).toMatchObject({
      'service.name': 'node',
      'process.pid': 10,
      'process.executable.name': 'node',
      'process.command_line': 'node',
      'host.name': 'web-1',
      'container.id': PROC.containerId,
    });
    expect(calls.map((c) => c.name)).toEqual(['openat', 'read', 'openat', 'socket', 'connect']);
    for (const c of calls) {
      expect(c.parentSpanContext?.spanId).toBe('0000040000000001');
      expect(c.spanContext().traceId).toBe(app.spanContext().traceId);
      expect(c.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(new Set(out.map((s) => s.spanContext().spanId)).size).toBe(out.length);
    expect(calls[1].attributes).toMatchObject({
      'file.path': '/srv/items.json',
      'syscall.fd': 7,
      'syscall.bytes': 4196,
      'syscall.count': 2,
      'syscall.ret': 100,
      'thread.id': 10,
      'syscall.attribution': 'thread',
    });
    expect(calls[2].attributes).toMatchObject({
      'syscall.errno': 'ENOENT',
      'syscall.ret': -2,
      'file.path': '/srv/missing',
    });
    expect(calls[2].status).toEqual({ code: SpanStatusCode.ERROR, message: 'ENOENT' });
    expect(calls[4].attributes).toMatchObject({
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 5432,
      'network.transport': 'tcp',
      'syscall.target': '-> 127.0.0.1:5432',
      'syscall.errno': 'EINPROGRESS',
    });
    expect(calls[4].status.code).toBe(SpanStatusCode.UNSET); // EINPROGRESS is how non-blocking connects start
  });

  it('marks remote parents and carries tracestate', () => {
    const span: SpanRecord = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      parentSpanId: 'c'.repeat(16),
      remoteParent: true,
      traceState: 'vendor=x',
      name: 'handle',
      kind: 'consumer',
      start: 1,
      end: 2,
      pid: 1,
      tid: 1,
      attributes: {},
      status: 'unset',
      incomplete: 'tracing stopped',
      syscalls: [],
    };
    const out: ReadableSpan[] = [];
    new OtlpMapper(CLOCK).map(span, PROC, out);
    expect(out[0].parentSpanContext).toMatchObject({ spanId: 'c'.repeat(16), isRemote: true });
    expect(out[0].spanContext().traceState?.serialize()).toBe('vendor=x');
    expect(out[0].kind).toBe(SpanKind.CONSUMER);
    expect(out[0].attributes['nullspan.incomplete']).toBe('tracing stopped');
  });

  it('says on a span that it misses records, in both encoders: nullspan.dropped_records and nullspan.incomplete', () => {
    const span: SpanRecord = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: 'handle',
      kind: 'internal',
      start: 1,
      end: 2,
      pid: 1,
      tid: 1,
      attributes: {},
      status: 'error',
      incomplete: 'evicted',
      droppedRecords: 12,
      syscalls: [],
    };
    const out: ReadableSpan[] = [];
    new OtlpMapper(CLOCK).map(span, PROC, out);
    expect(out[0].attributes).toMatchObject({ 'nullspan.dropped_records': 12, 'nullspan.incomplete': 'evicted' });
    const json = new OtlpJsonEncoder(CLOCK, {}).request([{ span, proc: PROC }]);
    expect(json).toContain('{"key":"nullspan.dropped_records","value":{"intValue":12}}');
    expect(json).toContain('{"key":"nullspan.incomplete","value":{"stringValue":"evicted"}}');
  });

  it('keeps the JSON attribute-name cache bounded in bytes when markers bring thousands of long names', () => {
    const long = (i: number) => `${'k'.repeat(20_000)}.${i}`;
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 300; i++) attributes[long(i)] = 'v';
    for (let i = 0; i < 5000; i++) attributes[`short.${i}`] = 'v';
    const span: SpanRecord = { ...sampleSpans()[0].span, attributes, syscalls: [] };
    const json = new OtlpJsonEncoder(CLOCK, {}).request([{ span, proc: PROC }]);
    expect(json).toContain(`{"key":"${long(299)}","value":{"stringValue":"v"}}`); // still written right
    const cache = attributeHeadCache();
    expect(cache.names).toBeLessThanOrEqual(4096);
    expect(cache.bytes).toBeLessThan(8 << 20); // 300 long names cached would be 300 × 8 × 20 KB = 48 MB
  });

  it('the direct JSON encoder writes exactly what otlp-transformer serialises from the mapped spans', () => {
    const items = mixedItems();
    const opts = { hostName: 'web-1', resourceAttributes: { 'deployment.environment': 'test' } };
    const mapper = new OtlpMapper(CLOCK, opts);
    const readable: ReadableSpan[] = [];
    for (const { span, proc } of items) mapper.map(span, proc, readable);
    const reference = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(readable));
    expect(new OtlpJsonEncoder(CLOCK, opts).request(items)).toBe(reference);
  });

  it('the direct protobuf encoder writes exactly what otlp-transformer serialises from the mapped spans', () => {
    const items = mixedItems();
    const opts = { hostName: 'web-1', resourceAttributes: { 'deployment.environment': 'test' } };
    const mapper = new OtlpMapper(CLOCK, opts);
    const readable: ReadableSpan[] = [];
    for (const { span, proc } of items) mapper.map(span, proc, readable);
    const reference = Buffer.from(ProtobufTraceSerializer.serializeRequest(readable)!);
    expect(Buffer.from(new OtlpProtoEncoder(CLOCK, opts).request(items)).equals(reference)).toBe(true);
  });

  it('typed marker args arrive as intValue, doubleValue and boolValue, the same bytes from both encoders', () => {
    const { c, spans } = collect({ clock: CLOCK }, oneProcess(10, 'node'));
    const s = new Stream();
    s.ts = 1_000;
    s.marker(
      10,
      10,
      '>:4398046511105:GET:_tid=4bf92f3577b34da6a3ce929d0e0e4736,_k=server,_i.attempt=-3,_d.ratio=0.25,_b.cached=true,_b.cold=false,route=/a:',
    );
    s.marker(
      10,
      10,
      '<:4398046511105:GET:http.response.status_code=200,server.port=8080,_i.max=9007199254740991,_d.big=1e21,_d.tiny=5e-324,_d.two=2.0,_i.huge=9007199254740992,_d.nan=NaN,note=200:',
    );
    c.pushBatch(s.events);
    const items = spans.map((x) => ({ span: x.span, proc: PROC }));
    expect(items).toHaveLength(1);
    const readable: ReadableSpan[] = [];
    const mapper = new OtlpMapper(CLOCK, { resourceAttributes: {} });
    for (const { span, proc } of items) mapper.map(span, proc, readable);
    const reference = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(readable));
    const ours = new OtlpJsonEncoder(CLOCK, { resourceAttributes: {} }).request(items);
    expect(ours).toBe(reference);
    const proto = new OtlpProtoEncoder(CLOCK, { resourceAttributes: {} }).request(items);
    expect(Buffer.from(proto).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(readable)!))).toBe(true);
    const app = JSON.parse(ours).resourceSpans[0].scopeSpans[0].spans[0];
    const byKey = Object.fromEntries(app.attributes.map((a: { key: string; value: unknown }) => [a.key, a.value]));
    expect(byKey).toMatchObject({
      attempt: { intValue: -3 },
      ratio: { doubleValue: 0.25 },
      cached: { boolValue: true },
      cold: { boolValue: false },
      route: { stringValue: '/a' },
      'http.response.status_code': { intValue: 200 },
      'server.port': { intValue: 8080 },
      max: { intValue: 9007199254740991 },
      tiny: { doubleValue: 5e-324 },
      two: { intValue: 2 },
      // no exact int64 or finite JSON number for these: they stay the text that was written
      big: { stringValue: '1e21' },
      huge: { stringValue: '9007199254740992' },
      nan: { stringValue: 'NaN' },
      note: { stringValue: '200' },
    });
  });

  it('parses OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(parseResourceAttributesEnv('deployment.environment=prod,team=a%2Cb,bad')).toEqual({
      'deployment.environment': 'prod',
      team: 'a,b',
    });
  });
});

describe('OTLP JSON Lines file exporter', () => {
  it('writes one ExportTraceServiceRequest per line with hex ids and exact ns timestamps, mode 0600', async () => {
    const path = join(dir, 'traces.jsonl');
    const exp = new OtlpFileExporter(path, CLOCK, { hostName: 'web-1', maxBatchSpans: 4, resourceAttributes: {} });
    const spans = sampleSpans();
    for (let i = 0; i < 3; i++) for (const { span, proc } of spans) exp.export(span, proc);
    await exp.flush();
    await exp.shutdown();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(3); // 6 OTel spans per application span, batches of ≥ 4
    let total = 0;
    for (const line of lines) {
      const req = JSON.parse(line);
      expect(Object.keys(req)).toEqual(['resourceSpans']);
      for (const rs of req.resourceSpans) {
        const res = attrs(rs.resource.attributes);
        expect(res).toMatchObject({ 'service.name': 'node', 'host.name': 'web-1', 'process.pid': 10 });
        for (const ss of rs.scopeSpans) {
          expect(ss.scope.name).toBe('nullspan');
          for (const sp of ss.spans) {
            total++;
            expect(sp.traceId).toMatch(/^[0-9a-f]{32}$/);
            expect(sp.spanId).toMatch(/^[0-9a-f]{16}$/);
            expect(typeof sp.startTimeUnixNano).toBe('string');
            expect(BigInt(sp.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(sp.startTimeUnixNano));
            expect(typeof sp.kind).toBe('number');
            if (sp.name === 'http.request') {
              expect(sp.kind).toBe(2); // SPAN_KIND_SERVER in OTLP numbering
              expect(sp.startTimeUnixNano).toBe((CLOCK.wallOffsetNs + BigInt(spans[0].span.start)).toString());
              expect(sp.status).toEqual({ code: 2, message: 'upstream failed' });
            } else {
              expect(sp.parentSpanId).toBe('0000040000000001');
            }
          }
        }
      }
    }
    expect(total).toBe(18);
    expect(exp.stats()).toMatchObject({ exported: 18, dropped: 0, requests: 3 });
    exp.export(spans[0].span, spans[0].proc); // after shutdown: counted, not written
    expect(exp.stats().dropped).toBe(6);
  });
});
