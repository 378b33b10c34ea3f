// The OTLP/HTTP export queue is bounded by estimated bytes as well as spans, and every span it gives up on is
// counted under the reason it was lost (the CLI's exit notice prints them).

import { describe, expect, it } from 'vitest';
import { ExportResultCode } from '@opentelemetry/core';
import { OtlpHttpExporter, type SpanExporterLike } from '../src/export/http.js';
import { spanRecordBytes as estimateSpanBytes } from '../src/span-bytes.js';
import type { SpanRecord } from '../src/model.js';
import { CLOCK, EXPORT_PROC, exportSpan } from './synthetic.js';

const PROC = EXPORT_PROC;

function span(i: number, argBytes: number): SpanRecord {
  return exportSpan(i, { attributes: { args: 'x'.repeat(argBytes) } });
}

/** An exporter whose requests never complete: everything stays queued. */
const silent: SpanExporterLike = { export: () => undefined, shutdown: async () => undefined };

describe('export queue bounded by bytes', () => {
  it('estimates a span by the text it holds', () => {
    expect(estimateSpanBytes(span(0, 31_000))).toBeGreaterThanOrEqual(62_000);
    expect(estimateSpanBytes(span(0, 31_000)) - estimateSpanBytes(span(0, 0))).toBe(62_000);
  });

  it('drops spans beyond maxQueueBytes and counts them as "queue limit"', () => {
    const one = estimateSpanBytes(span(0, 31_000));
    const exp = new OtlpHttpExporter(CLOCK, {
      exporter: silent,
      maxQueueBytes: 10 * one,
      maxQueueSpans: 1_000_000,
      scheduledDelayMs: 60_000,
    });
    for (let i = 0; i < 100; i++) exp.export(span(i, 31_000), PROC);
    const st = exp.stats();
    expect(st.pending).toBe(10);
    expect(st.pendingBytes).toBe(10 * one);
    expect(st.dropped).toBe(90);
    expect(st.lost).toEqual({ 'queue limit': 90 });
  });

  it('cuts requests at maxBatchBytes, so the requests in flight stay bounded in bytes too', async () => {
    const sizes: number[] = [];
    const recording: SpanExporterLike = {
      export: (spans, done) => {
        sizes.push(spans.length);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => undefined,
    };
    const one = estimateSpanBytes(span(0, 31_000));
    const exp = new OtlpHttpExporter(CLOCK, { exporter: recording, maxBatchBytes: 3 * one, scheduledDelayMs: 60_000 });
    for (let i = 0; i < 10; i++) exp.export(span(i, 31_000), PROC);
    await exp.flush();
    expect(sizes).toEqual([3, 3, 3, 1]);
    expect(exp.stats()).toMatchObject({ exported: 10, dropped: 0 });
    await exp.shutdown();
  });

  it('counts a refused batch under its HTTP status and what was left at shutdown under the last failure', async () => {
    const refusing: SpanExporterLike = {
      export: (_spans, done) =>
        done({
          code: ExportResultCode.FAILED,
          error: Object.assign(new Error('Internal Server Error'), { code: 500 }),
        }),
      shutdown: async () => undefined,
    };
    const exp = new OtlpHttpExporter(CLOCK, {
      exporter: refusing,
      maxBatchSpans: 1,
      scheduledDelayMs: 60_000,
      shutdownTimeoutMs: 100,
    });
    exp.export(span(1, 10), PROC);
    exp.export(span(2, 10), PROC);
    await exp.shutdown();
    expect(exp.stats().lost).toEqual({ 'HTTP 500': 2 });
    expect(exp.stats()).toMatchObject({ dropped: 2, pending: 0, pendingBytes: 0 });
  });
});
