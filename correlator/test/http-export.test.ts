import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpHttpExporter } from '../src/export/http.js';
import { DEFAULT_OTLP_ENDPOINT, tracesUrl } from '../src/export/traces-url.js';
import { probeEndpoint } from '../src/cli/endpoint.js';
import type { SpanRecord } from '../src/model.js';
import { CLOCK, EXPORT_PROC, exportSpan } from './synthetic.js';
import { decodeOtlpProtobuf } from '../../test/helpers/otlp.js';

const PROC = EXPORT_PROC;

/** An application span with `calls` syscall children: 1 + calls OTel spans. */
function span(i: number, calls = 5): SpanRecord {
  return exportSpan(i, { calls });
}

/** A real OTLP/HTTP receiver on loopback, decoding with the official schema; `reply` decides each response's
 * status. */
class Receiver {
  server: Server;
  spanNames: string[] = [];
  requests = 0;
  reply: (n: number) => number = () => 200;

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const status = this.reply(this.requests);
        if (status === 200) {
          expect(req.url).toBe('/v1/traces');
          // http/protobuf unless the environment says otherwise (the OTel default)
          expect(req.headers['content-type']).toBe('application/x-protobuf');
          for (const s of decodeOtlpProtobuf(Buffer.concat(chunks))) this.spanNames.push(s.name);
        }
        // an empty ExportTraceServiceResponse
        res.writeHead(status, { 'content-type': 'application/x-protobuf' });
        res.end();
      });
    });
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

const FAST = { timeoutMs: 500, initialBackoffMs: 20, maxBackoffMs: 100, scheduledDelayMs: 10, resourceAttributes: {} };
let receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers) await r.close().catch(() => undefined);
  receivers = [];
});

function receiver(): Receiver {
  const r = new Receiver();
  receivers.push(r);
  return r;
}

describe('OTLP/HTTP exporter against a real loopback receiver', () => {
  it('batches spans and their syscall children into requests; flush waits for them', async () => {
    const rx = receiver();
    const port = await rx.listen();
    const exp = new OtlpHttpExporter(CLOCK, { ...FAST, endpoint: `http://127.0.0.1:${port}`, maxBatchSpans: 12 });
    expect(exp.url).toBe(`http://127.0.0.1:${port}/v1/traces`);
    for (let i = 0; i < 10; i++) exp.export(span(i), PROC);
    await exp.flush();
    expect(rx.spanNames.filter((n) => n.startsWith('op'))).toHaveLength(10);
    expect(rx.spanNames.filter((n) => n === 'read')).toHaveLength(50);
    expect(rx.requests).toBeGreaterThanOrEqual(5); // 60 spans, at most 12 per request
    expect(exp.stats()).toMatchObject({ exported: 60, dropped: 0, pending: 0, failedAttempts: 0 });
    await exp.shutdown();
  });

  it('dead endpoint: bounded queue, counted drops, then catches up when the endpoint comes back', async () => {
    const probe = receiver();
    const port = await probe.listen();
    await probe.close(); // nothing listens on `port` now
    receivers = [];
    const exp = new OtlpHttpExporter(CLOCK, {
      ...FAST,
      endpoint: `http://127.0.0.1:${port}`,
      maxQueueSpans: 30,
      maxBatchSpans: 12,
    });
    for (let i = 0; i < 10; i++) exp.export(span(i), PROC); // 60 OTel spans offered, room for 30
    expect(exp.stats()).toMatchObject({ pending: 30, dropped: 30 });
    await until(() => exp.stats().failedAttempts >= 3);
    expect(exp.stats()).toMatchObject({ pending: 30, dropped: 30, exported: 0 });
    exp.export(span(99), PROC); // still full: dropped, memory stays bounded
    expect(exp.stats().dropped).toBe(36);
    const rx = receiver();
    await rx.listen(port);
    await exp.flush();
    expect(exp.stats()).toMatchObject({ exported: 30, dropped: 36, pending: 0 });
    expect(rx.spanNames.filter((n) => n.startsWith('op')).sort()).toEqual(['op0', 'op1', 'op2', 'op3', 'op4']);
    await exp.shutdown();
  });

  it('retries 503s until accepted; gives up on a 400 and counts the loss', async () => {
    const rx = receiver();
    const port = await rx.listen();
    rx.reply = (n) => (n <= 2 ? 503 : 200);
    const exp = new OtlpHttpExporter(CLOCK, { ...FAST, endpoint: `http://127.0.0.1:${port}/` });
    exp.export(span(1), PROC);
    await exp.flush();
    expect(exp.stats()).toMatchObject({ exported: 6, dropped: 0 });
    expect(rx.requests).toBeGreaterThanOrEqual(3);
    rx.reply = () => 400;
    exp.export(span(2), PROC);
    await exp.flush();
    expect(exp.stats()).toMatchObject({ exported: 6, dropped: 6, pending: 0 });
    await exp.shutdown();
  });

  it('honours OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS when no endpoint option is given', async () => {
    const rx = receiver();
    const port = await rx.listen();
    let auth: string | undefined;
    rx.server.prependListener('request', (req: IncomingMessage) => {
      auth = req.headers['x-team'] as string | undefined;
    });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-team=core';
    try {
      const exp = new OtlpHttpExporter(CLOCK, FAST);
      expect(exp.url).toBe(`http://127.0.0.1:${port}/v1/traces`);
      exp.export(span(3), PROC);
      await exp.flush();
      expect(rx.spanNames).toContain('op3');
      expect(auth).toBe('core');
      await exp.shutdown();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    }
  });

  it('shutdown with the endpoint still down counts what never left', async () => {
    const probe = receiver();
    const port = await probe.listen();
    await probe.close();
    receivers = [];
    const exp = new OtlpHttpExporter(CLOCK, { ...FAST, endpoint: `http://127.0.0.1:${port}`, flushTimeoutMs: 200 });
    exp.export(span(1), PROC);
    await exp.shutdown();
    expect(exp.stats()).toMatchObject({ exported: 0, dropped: 6, pending: 0 });
    exp.export(span(2), PROC);
    expect(exp.stats().dropped).toBe(12);
  });
});

describe('tracesUrl: the one resolution of where traces go', () => {
  it('follows the OTel specification order', () => {
    const both = {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/custom/path',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://g:2/',
    };
    expect(tracesUrl('http://x:3/', both)).toBe('http://x:3/v1/traces'); // an explicit endpoint wins
    expect(tracesUrl(undefined, both)).toBe('http://t:1/custom/path'); // the signal variable is taken as it is
    expect(tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://g:2/' })).toBe('http://g:2/v1/traces');
    expect(tracesUrl(undefined, {})).toBe(`${DEFAULT_OTLP_ENDPOINT}/v1/traces`);
  });

  it("the CLI's reachability check connects to the exporter's own URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT included)", async () => {
    const rx = receiver();
    const port = await rx.listen();
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `http://127.0.0.1:${port}/v1/traces`;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:1';
    try {
      const exp = new OtlpHttpExporter(CLOCK, FAST);
      expect(exp.url).toBe(`http://127.0.0.1:${port}/v1/traces`);
      expect(await probeEndpoint(exp.url)).toEqual({ url: exp.url, reachable: true });
      await exp.shutdown();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
  });
});
