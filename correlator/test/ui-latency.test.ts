// The UI's latency API: the percentile table (the --summary builder over the retained spans of the selection),
// the spans ranked around a percentile, and syscall latency as spectrogram cells and as a span list.
import { describe, expect, it } from 'vitest';
import { createUiApp } from '../src/ui/app.js';
import { bucketOf } from '../src/ui/buckets.js';
import { SpanStore } from '../src/ui/store.js';
import { SummaryBuilder } from '../src/summary/builder.js';
import { CLOCK, proc, span, syscall } from './ui-synthetic.js';

const wallMs = (monoNs: number) => Number((BigInt(monoNs) + CLOCK.wallOffsetNs) / 1_000_000n);
const wallUs = (monoNs: number) => Number((BigInt(monoNs) + CLOCK.wallOffsetNs) / 1000n);

/** 100 spans `GET /a` of 1 … 100 ms, one every 100 ms, each with one fsync of half its duration; every 10th also a
 *  merged run of 4 fsyncs of 1 ms each; and 5 spans `GET /b` of another service with no syscalls. */
function setup() {
  const store = new SpanStore({ clock: CLOCK, maxSpans: 1000 });
  const builder = new SummaryBuilder();
  const shop = proc(100, 'shop');
  for (let i = 1; i <= 100; i++) {
    const start = i * 1e8;
    const s = span({ name: 'GET /a', start, end: start + i * 1e6, status: i % 50 === 0 ? 'error' : 'unset' });
    s.syscalls = [syscall({ name: 'fsync', ts: start + 1000, dur: i * 5e5, path: '/var/lib/app/wal' })];
    if (i % 10 === 0) s.syscalls.push(syscall({ name: 'fsync', ts: start + 2000, dur: 4e6, count: 4 }));
    store.add(s, shop);
    builder.add(s, shop);
  }
  for (let i = 0; i < 5; i++) {
    const s = span({ name: 'GET /b', start: i * 1e9, end: i * 1e9 + 3e6 });
    store.add(s, proc(200, 'auth'));
    builder.add(s, proc(200, 'auth'));
  }
  const app = createUiApp({ store });
  const get = async (path: string) => {
    const res = await app.request(path);
    return { res, json: (await res.json()) as any };
  };
  return { get, builder };
}

describe('UI latency API', () => {
  it('serves the percentile table per service and span name, as --summary computes it', async () => {
    const { get, builder } = setup();
    const all = await get('/api/percentiles');
    expect(all.res.status).toBe(200);
    expect(all.json).toEqual(JSON.parse(JSON.stringify(builder.result())));
    const a = all.json.rows.find((r: any) => r.name === 'GET /a');
    expect(a).toMatchObject({ service: 'shop', count: 100, errors: 2, maxNs: 100e6, minNs: 1e6 });
    // floor(0.99 · 99) = #98 of the sorted durations: 99 ms
    expect(Math.abs(a.percentilesNs.p99 - 99e6)).toBeLessThanOrEqual(0.99e6);
    expect(a.slowest.syscalls[0]).toMatchObject({ name: 'fsync', target: '/var/lib/app/wal', calls: 1, totalNs: 50e6 });
  });

  it('restricts the table to the selection: window, duration range and filter', async () => {
    const { get } = setup();
    const sel = await get(`/api/percentiles?from=${wallMs(1e9)}&to=${wallMs(3e9)}&minDuration=15ms&service=shop`);
    expect(sel.json.rows).toHaveLength(1);
    // starts 1.0 s … 2.9 s are spans 10 … 29; of those, 15 ms and longer: 15 … 29
    expect(sel.json.rows[0]).toMatchObject({ name: 'GET /a', count: 15, minNs: 15e6, maxNs: 29e6 });
    expect((await get('/api/percentiles?minDuration=2s')).json).toMatchObject({ spans: 0, rows: [], overflow: null });
    expect((await get('/api/percentiles?order=slowest')).res.status).toBe(400);
  });

  it('lists the spans ranked around a percentile, shortest first', async () => {
    const { get } = setup();
    const p90 = await get('/api/percentiles/spans?span=GET%20/a&percentile=p90&service=shop');
    expect(p90.res.status).toBe(200);
    // floor(0.9 · 99) = #89: the 90 ms span, with 10 on each side
    expect(p90.json).toMatchObject({ total: 100, rank: 89 });
    expect(p90.json.spans.map((s: any) => s.durationNs / 1e6)).toEqual(Array.from({ length: 21 }, (_, i) => 80 + i));
    const max = await get('/api/percentiles/spans?span=GET%20/a&percentile=max');
    expect(max.json.rank).toBe(99);
    expect(max.json.spans.at(-1).durationNs).toBe(100e6);
    expect(max.json.spans).toHaveLength(11);
    // the span name is exact: a prefix matches nothing
    expect((await get('/api/percentiles/spans?span=GET&percentile=p50')).json).toEqual({
      total: 0,
      rank: 0,
      spans: [],
    });
    const bad = await get('/api/percentiles/spans?span=GET%20/a&percentile=p42');
    expect(bad.res.status).toBe(400);
    expect(bad.json.error).toBe("Parameter 'percentile' must be one of 'p50', 'p90', 'p99', 'p999', 'max'.");
    expect((await get('/api/percentiles/spans?percentile=p50')).json.error).toBe("Parameter 'span' is required.");
  });

  it('draws syscall latency: every call of one name in the bucket of its own duration', async () => {
    const { get } = setup();
    const cells = (await get('/api/spectrogram?syscall=fsync')).json.cells as { t: number; b: number; n: number }[];
    // 100 single calls + 10 merged runs of 4
    expect(cells.reduce((n, c) => n + c.n, 0)).toBe(140);
    const perBucket = new Map<number, number>();
    for (const c of cells) perBucket.set(c.b, (perBucket.get(c.b) ?? 0) + c.n);
    // the merged runs' 40 calls of 1 ms each, plus the single calls of 1.0 and 1.5 ms (spans 2 and 3)
    expect(perBucket.get(bucketOf(1e6))).toBe(40 + [1e6, 1.5e6].filter((d) => bucketOf(d) === bucketOf(1e6)).length);
    expect(perBucket.get(bucketOf(50e6))).toBeGreaterThanOrEqual(1);
    // the same grid as the spans': fitted to the calls (entries 0.1 … 10 s after monotonic 0), about 120 columns
    const sp = (await get('/api/spectrogram?syscall=fsync')).json;
    expect(sp).toMatchObject({
      columnMs: 100,
      total: 140,
      dataRange: { firstMs: wallUs(1e8 + 1000) / 1000, lastMs: wallUs(100e8 + 2000) / 1000 },
    });
    expect(sp.fromMs).toBe(wallMs(1e8));
    expect(sp.bucketRange).toEqual({ min: bucketOf(5e5), max: bucketOf(50e6) });
    // a window counts the calls inside it; the scope narrows the spans whose calls count (all by default here)
    const late = (await get(`/api/spectrogram?syscall=fsync&from=${wallMs(50e8)}&to=${wallMs(101e8)}&columns=51`)).json;
    expect(late).toMatchObject({
      columnMs: 100,
      columns: 51,
      total: 51 + 6 * 4,
      fromMs: wallMs(50e8),
      toMs: wallMs(101e8),
    });
    expect((await get('/api/spectrogram?syscall=fsync&scope=server')).json.total).toBe(0);
    expect((await get('/api/spectrogram?syscall=fsync&service=auth')).json.cells).toEqual([]);
    expect((await get('/api/spectrogram?syscall=read')).json.cells).toEqual([]);
    const bad = await get('/api/spectrogram?syscall=fsync;drop');
    expect(bad.res.status).toBe(400);
  });

  it('lists the spans that made the calls of a syscall selection, slowest call first', async () => {
    const { get } = setup();
    const r = await get('/api/spans?syscall=fsync&minDuration=45ms');
    // single calls of 45 … 50 ms: spans 90 … 100
    expect(r.json).toMatchObject({ total: 11, calls: 11, returned: 11 });
    expect(r.json.spans[0]).toMatchObject({ name: 'GET /a', durationNs: 100e6, slowestCallNs: 50e6, calls: 1 });
    const merged = await get(`/api/spans?syscall=fsync&maxDuration=1001us&from=${wallMs(0.95e9)}&to=${wallMs(2.05e9)}`);
    // spans 10 and 20 hold a merged run of 1 ms calls; span 2's call (1 ms) started before the window
    expect(merged.json).toMatchObject({ total: 2, calls: 8 });
  });

  it('names the syscalls in memory with their call counts', async () => {
    const { get } = setup();
    expect((await get('/api/syscalls')).json).toEqual({ names: [{ name: 'fsync', count: 140 }] });
    expect((await get('/api/syscalls?x=1')).res.status).toBe(400);
  });
});
