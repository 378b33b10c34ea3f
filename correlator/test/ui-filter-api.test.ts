// The API's `scope` and `filter` parameters: which spans the spectrogram, the list and the percentile views count
// (root by default, server, all), filter expressions with syscall terms bound to one call, and a wrong expression
// answered with its sentence and column.

import { describe, expect, it } from 'vitest';
import { createUiApp } from '../src/ui/app.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK, proc, request, span, syscall } from './ui-synthetic.js';

const MS = 1e6;
const ISSUE_EXAMPLE = 'service=api dur>50ms syscall.name=fsync path~/var/lib';

/**
 * Four `shop` requests (root server span + db.query client child), and three `api` server spans with fsyncs:
 * A (80 ms, remote parent) fsyncs /var/lib; B (80 ms, no parent) fsyncs /var/log and writes /var/lib; C (10 ms,
 * remote parent) fsyncs /var/lib. B has a local server child (a nested handler) and an internal child (sleep).
 */
function setup() {
  const store = new SpanStore({ clock: CLOCK, maxSpans: 1000 });
  const shop = proc(100, 'shop');
  for (const t of [0.1, 0.5, 1.0]) for (const r of request(t * 1e9, 2 * MS)) store.add(r, shop);
  for (const r of request(4.5e9, 2500 * MS, 100, 'GET /report')) store.add(r, shop);

  const api = proc(200, 'api');
  const fsync = (ts: number, path: string, dur = 5 * MS) => syscall({ name: 'fsync', ts, dur, pid: 200, path });
  const a = span({
    name: 'POST /orders',
    kind: 'server',
    start: 2e9,
    end: 2e9 + 80 * MS,
    pid: 200,
    parentSpanId: 'ffffffffffffffff',
    remoteParent: true,
    syscalls: [fsync(2e9 + 10, '/var/lib/api/orders.wal')],
  });
  const b = span({
    name: 'POST /orders',
    kind: 'server',
    start: 2.2e9,
    end: 2.2e9 + 80 * MS,
    pid: 200,
    syscalls: [
      fsync(2.2e9 + 10, '/var/log/api.log'),
      syscall({ name: 'write', ts: 2.2e9 + 6 * MS, dur: 1000, pid: 200, path: '/var/lib/api/orders.wal' }),
    ],
  });
  const c = span({
    name: 'POST /orders',
    kind: 'server',
    start: 2.4e9,
    end: 2.4e9 + 10 * MS,
    pid: 200,
    parentSpanId: 'eeeeeeeeeeeeeeee',
    remoteParent: true,
    syscalls: [fsync(2.4e9 + 10, '/var/lib/api/orders.wal', 1 * MS)],
  });
  const nested = span({
    traceId: b.traceId,
    parentSpanId: b.spanId,
    name: 'handler',
    kind: 'server',
    start: 2.2e9 + 1 * MS,
    end: 2.2e9 + 70 * MS,
    pid: 200,
  });
  const sleep = span({
    traceId: b.traceId,
    parentSpanId: nested.spanId,
    name: 'sleep',
    start: 2.2e9 + 2 * MS,
    end: 2.2e9 + 60 * MS,
    pid: 200,
    syscalls: [syscall({ name: 'clock_nanosleep', ts: 2.2e9 + 2 * MS, dur: 58 * MS, pid: 200 })],
  });
  for (const s of [a, sleep, nested, b, c]) store.add(s, api);

  const app = createUiApp({ store });
  const get = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, json: (await res.json()) as any };
  };
  return { get, a, b, c };
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
const cellTotal = (json: { cells: { n: number }[] }) => json.cells.reduce((n, cell) => n + cell.n, 0);

describe('UI API: scope', () => {
  it('counts root spans by default (no parent, or a remote one), server spans or all of them', async () => {
    const { get } = setup();
    const totals: Record<string, number> = {};
    for (const scope of ['', 'root', 'server', 'all']) {
      const spans = await get(`/api/spans?${q({ scope, limit: '100' })}`);
      const spectrogram = await get(`/api/spectrogram?${q({ scope })}`);
      expect(cellTotal(spectrogram.json), scope).toBe(spans.json.total);
      totals[scope || 'default'] = spans.json.total;
    }
    // 4 shop roots + A, B, C; + the nested handler; + 4 db.query + sleep
    expect(totals).toEqual({ default: 7, root: 7, server: 8, all: 13 });
    const names = (await get('/api/spans?scope=root&limit=100')).json.spans.map((s: any) => s.name);
    expect(names).not.toContain('db.query');
    expect(names).not.toContain('sleep');
  });

  it('applies to the percentile table and the spans around a percentile', async () => {
    const { get } = setup();
    const rows = (scope: string) =>
      get(`/api/percentiles?${q({ scope })}`).then(({ json }) =>
        json.rows.map((r: any) => `${r.service} ${r.name} ${r.count}`).sort(),
      );
    expect(await rows('')).toEqual(['api POST /orders 3', 'shop GET /products 3', 'shop GET /report 1']);
    expect(await rows('all')).toContain('api sleep 1');
    const around = await get(`/api/percentiles/spans?${q({ span: 'handler', percentile: 'p50', scope: 'server' })}`);
    expect(around.json.total).toBe(1);
    expect((await get(`/api/percentiles/spans?${q({ span: 'handler', percentile: 'p50' })}`)).json.total).toBe(0);
  });

  it('in syscall mode defaults to all spans: every call of the name, whichever span made it', async () => {
    const { get } = setup();
    // the nanosleep is made by a child span
    expect(cellTotal((await get('/api/spectrogram?syscall=clock_nanosleep')).json)).toBe(1);
    expect(cellTotal((await get('/api/spectrogram?syscall=clock_nanosleep&scope=root')).json)).toBe(0);
    expect((await get('/api/spans?syscall=clock_nanosleep')).json.spans.map((s: any) => s.name)).toEqual(['sleep']);
  });

  it('refuses an unknown scope', async () => {
    const { get } = setup();
    const r = await get('/api/spans?scope=roots');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: "Parameter 'scope' must be one of 'root', 'server', 'all'." });
  });
});

describe('UI API: filter', () => {
  it("the issue's example selects the one span whose fsync on /var/lib is in a request over 50 ms", async () => {
    const { get, a } = setup();
    const spans = await get(`/api/spans?${q({ filter: ISSUE_EXAMPLE })}`);
    expect(spans.status).toBe(200);
    expect(spans.json.spans.map((s: any) => s.spanId)).toEqual([a.spanId]);
    expect(cellTotal((await get(`/api/spectrogram?${q({ filter: ISSUE_EXAMPLE })}`)).json)).toBe(1);
    const table = (await get(`/api/percentiles?${q({ filter: ISSUE_EXAMPLE })}`)).json;
    expect(table.rows.map((r: any) => [r.name, r.count])).toEqual([['POST /orders', 1]]);
    const around = await get(
      `/api/percentiles/spans?${q({ filter: ISSUE_EXAMPLE, span: 'POST /orders', percentile: 'max' })}`,
    );
    expect(around.json.spans.map((s: any) => s.spanId)).toEqual([a.spanId]);
    // without the same-call rule B (fsync on /var/log, a write on /var/lib) would match too
    const anyCall = await get(
      `/api/spans?${q({ filter: 'service=api dur>50ms syscall.name=fsync (dur>0ns path~/var/lib)' })}`,
    );
    expect(anyCall.json.total).toBe(2);
  });

  it('combines with scope, the old parameters and the window', async () => {
    const { get, b } = setup();
    const all = await get(`/api/spans?${q({ filter: 'service=api dur>50ms', scope: 'all' })}`);
    expect(all.json.spans.map((s: any) => s.name).sort()).toEqual(['POST /orders', 'POST /orders', 'handler', 'sleep']);
    const servers = await get(
      `/api/spans?${q({ filter: 'kind=server not name=handler', scope: 'server', pid: '200' })}`,
    );
    expect(servers.json.total).toBe(3);
    const errorsOrSlow = await get(`/api/spans?${q({ filter: 'errno=ENOENT dur>1s or peer~:5432', scope: 'all' })}`);
    // the slow report root (its failed openat) and the four db.query spans (their database peer)
    expect(errorsOrSlow.json.spans.map((s: any) => s.name)).toEqual(['GET /report', ...Array(4).fill('db.query')]);
    const windowed = await get(
      `/api/spans?${q({ filter: 'path~/var', from: String(Number((BigInt(2.1e9) + CLOCK.wallOffsetNs) / 1_000_000n)) })}`,
    );
    expect(windowed.json.spans.map((s: any) => s.spanId)).toEqual([b.spanId, expect.any(String)]);
    expect(windowed.json.total).toBe(2);
  });

  it('filters the spans whose calls the syscall spectrogram counts', async () => {
    const { get } = setup();
    expect(cellTotal((await get('/api/spectrogram?syscall=fsync')).json)).toBe(3);
    expect(cellTotal((await get(`/api/spectrogram?${q({ syscall: 'fsync', filter: 'dur>50ms' })}`)).json)).toBe(2);
    const spans = await get(`/api/spans?${q({ syscall: 'fsync', filter: 'path~/var/lib' })}`);
    expect(spans.json.total).toBe(3);
  });

  it('an empty expression filters nothing', async () => {
    const { get } = setup();
    expect((await get('/api/spans?filter=&scope=all')).json.total).toBe(13);
    expect((await get('/api/spans?filter=%20%20')).json.total).toBe(7);
  });

  it('answers a wrong expression with 400, one sentence and the column, on every endpoint', async () => {
    const { get } = setup();
    for (const path of ['/api/spans', '/api/spectrogram', '/api/percentiles']) {
      const r = await get(`${path}?${q({ filter: 'service=api dur>50 syscall.name=fsync' })}`);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        error: "'dur' needs a duration with a unit, such as 50ms, 1.5s, 200us or 800ns.",
        column: 17,
      });
    }
    const around = await get(`/api/percentiles/spans?${q({ span: 'x', percentile: 'p50', filter: 'name=a)' })}`);
    expect(around.json).toEqual({ error: "Unmatched ')': no '(' before it.", column: 7 });
    const long = await get(`/api/spans?${q({ filter: 'name~a '.repeat(1000) })}`);
    expect(long.json).toEqual({ error: 'The filter is longer than 4096 characters.', column: 4097 });
    const deep = await get(`/api/spans?${q({ filter: `${'('.repeat(2000)}name=a${')'.repeat(2000)}` })}`);
    expect(deep.status).toBe(400);
    expect(deep.json.error).toMatch(/nest deeper than 32 levels/);
    // other parameter errors carry no column
    expect((await get('/api/spans?limit=0')).json.column).toBeUndefined();
  });

  it('hostile values are data: markup and control characters in an expression come back as JSON text', async () => {
    const { get } = setup();
    const r = await get(`/api/spans?${q({ filter: '<img src=x onerror=alert(1)>' })}`);
    expect(r.status).toBe(400);
    expect(r.json.column).toBe(1);
    expect(r.json.error).toBe("Expected a field such as name, service or dur before '<'.");
    const ok = await get(`/api/spans?${q({ filter: 'name~"<script>\u0000"' })}`);
    expect(ok.json.total).toBe(0);
  });
});
