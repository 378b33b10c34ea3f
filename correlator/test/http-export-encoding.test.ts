// OTLP/HTTP carries the very bytes the file output writes: one encoder (otlp-json.ts) for every output, sent
// through the official exporter machinery, so OTEL_EXPORTER_OTLP_* variables such as compression keep working.
// Checked against a real loopback receiver that decodes with the official OTLP schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OtlpFileExporter } from '../src/export/file.js';
import { OtlpHttpExporter } from '../src/export/http.js';
import type { ProcessInfo, SpanRecord } from '../src/model.js';
import { tempDir } from '../../test/helpers/cli.js';
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
  return Array.from({ length: 40 }, (_, i) => ({
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
  }));
}

async function viaHttp(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  rx = r;
  const exp = new OtlpHttpExporter(CLOCK, { endpoint: r.url, maxBatchSpans: 100_000, scheduledDelayMs: 10 });
  for (const [i, s] of spans().entries()) exp.export(s, PROCS[i % 2]);
  await exp.flush();
  await exp.shutdown();
  expect(exp.stats()).toMatchObject({ dropped: 0, pending: 0 });
  return r;
}

async function viaFile(): Promise<string> {
  const path = join(tmp.dir, `spans-${Math.random()}.jsonl`);
  const exp = new OtlpFileExporter(path, CLOCK, { maxBatchSpans: 100_000 });
  for (const [i, s] of spans().entries()) exp.export(s, PROCS[i % 2]);
  await exp.shutdown();
  return readFileSync(path, 'utf8');
}

describe('OTLP/HTTP export with the project encoder', () => {
  it('sends one request whose body is the file output’s line, byte for byte, and the official schema decodes it', async () => {
    const r = await viaHttp();
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
    const r = await viaHttp();
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0].gzip).toBe(true);
    expect(Buffer.from(r.requests[0].body).toString('utf8')).toBe((await viaFile()).trimEnd());
  });
});
