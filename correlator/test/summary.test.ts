// The latency summary builder: percentiles against exact order statistics, the slowest-1 % section, bounds, the
// time breakdown when spans carry one, and both renderings.
import { describe, expect, it } from 'vitest';
import { SummaryBuilder } from '../src/summary/builder.js';
import { nearestRank } from '../src/summary/rank.js';
import { summaryJson, summaryText } from '../src/summary/render.js';
import { LatencySketch, QUANTILES, RELATIVE_ACCURACY } from '../src/summary/sketch.js';
import { SLOWEST_CAPACITY } from '../src/summary/slowest.js';
import type { SpanRecord } from '../src/model.js';
import { proc, span, syscall } from './ui-synthetic.js';

const P = proc(100, 'api');

function spanOf(name: string, durationNs: number, over: Partial<SpanRecord> = {}) {
  return span({ name, start: 1_000, end: 1_000 + durationNs, ...over });
}

/** The value at the sketch's rank definition: floor(q · (n − 1)) of the sorted values. */
function exactAt(sorted: number[], q: number): number {
  return sorted[nearestRank(q, sorted.length)];
}

describe('LatencySketch', () => {
  it('reads percentiles at the nearest rank: the p99 of two spans is the slower one, never the faster', () => {
    const sketch = new LatencySketch();
    sketch.add(127_000);
    sketch.add(1_650_000);
    const p = sketch.percentiles();
    expect(p.p50).toBe(127_000);
    for (const key of ['p90', 'p99', 'p999'] as const) expect(Math.abs(p[key] - 1_650_000)).toBeLessThanOrEqual(16_500);
    // ten spans: p50 is the 5th, p90 the 9th, p99 the 10th
    const ten = new LatencySketch();
    for (let i = 1; i <= 10; i++) ten.add(i * 1_000_000);
    const t = ten.percentiles();
    expect([t.p50, t.p90, t.p99].map((v) => Math.round(v / 1_000_000))).toEqual([5, 9, 10]);
    expect([nearestRank(0.5, 1), nearestRank(0.99, 100), nearestRank(0.999, 1000), nearestRank(1, 7)]).toEqual([
      0, 98, 998, 6,
    ]);
  });

  it('reports every percentile within the stated relative error of the exact value at its rank', () => {
    // a heavy-tailed spread of durations: 10 µs … ~10 s, deterministic
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      values.push(Math.round(10_000 * Math.exp((x / 2 ** 31) * 13.8)));
    }
    const sketch = new LatencySketch();
    for (const v of values) sketch.add(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const { q } of QUANTILES) {
      const exact = exactAt(sorted, q);
      expect(Math.abs(sketch.quantile(q) - exact)).toBeLessThanOrEqual(exact * RELATIVE_ACCURACY + 1);
    }
    expect(sketch.max).toBe(sorted[sorted.length - 1]);
    expect(sketch.min).toBe(sorted[0]);
    expect(sketch.count).toBe(values.length);
  });

  it('merges: two halves give the percentiles of the whole', () => {
    const a = new LatencySketch();
    const b = new LatencySketch();
    const whole = new LatencySketch();
    for (let i = 1; i <= 1000; i++) {
      (i % 2 ? a : b).add(i * 1000);
      whole.add(i * 1000);
    }
    a.merge(b);
    expect(a.percentiles()).toEqual(whole.percentiles());
    expect(a.max).toBe(1_000_000);
  });

  it('counts a negative or non-finite duration as zero', () => {
    const s = new LatencySketch();
    s.add(-5);
    s.add(Number.NaN);
    s.add(100);
    expect(s.count).toBe(3);
    expect(s.min).toBe(0);
    expect(s.quantile(0.5)).toBe(0);
  });
});

describe('SummaryBuilder', () => {
  it('summarizes 1,000 spans of known durations per service and span name', () => {
    const b = new SummaryBuilder();
    const durations = [...Array(900).fill(1e6), ...Array(90).fill(1e7), ...Array(9).fill(5e7), 2e8] as number[];
    durations.forEach((d, i) => {
      const sc = syscall({ name: 'nanosleep', ts: 1_000, dur: d - 1000 });
      b.add(spanOf('work', d, { status: i % 100 === 0 ? 'error' : 'unset', syscalls: [sc] }), P);
    });
    b.add(spanOf('other', 5), proc(101, 'db'));
    const s = b.result();
    expect(s.spans).toBe(1001);
    expect(s.rows.map((r) => [r.service, r.name, r.count])).toEqual([
      ['api', 'work', 1000],
      ['db', 'other', 1],
    ]);
    const work = s.rows[0];
    expect(work.errors).toBe(10);
    // ranks floor(q · 999): p50 → #499 and p90 → #899 are 1 ms, p99 → #989 is the last 10 ms one, p99.9 → #998 is 50 ms
    const within = (v: number, exact: number) => expect(Math.abs(v - exact)).toBeLessThanOrEqual(exact * 0.01);
    within(work.percentilesNs.p50, 1e6);
    within(work.percentilesNs.p90, 1e6);
    within(work.percentilesNs.p99, 1e7);
    within(work.percentilesNs.p999, 5e7);
    expect(work.maxNs).toBe(2e8);
    expect(work.minNs).toBe(1e6);
    // the slowest 1 %: 10 spans, the 200 ms one and the nine of 50 ms
    expect(work.slowest.spans).toBe(10);
    expect(work.slowest.capped).toBe(false);
    expect(work.slowest.thresholdNs).toBe(5e7);
    expect(work.slowest.syscalls).toEqual([
      { name: 'nanosleep', target: '', calls: 10, totalNs: 2e8 + 9 * 5e7 - 10 * 1000 },
    ]);
    expect(work.slowest.examples[0].durationNs).toBe(2e8);
    expect(work.slowest.times).toBeNull();
  });

  it("groups the slow spans' system calls by name and target, most total time first", () => {
    const b = new SummaryBuilder();
    for (let i = 0; i < 50; i++) b.add(spanOf('q', 1e6), P);
    const slow = spanOf('q', 9e7, {
      syscalls: [
        syscall({ name: 'fsync', ts: 2000, dur: 6e7, fd: 3, path: '/var/lib/app/wal' }),
        syscall({ name: 'pread64', ts: 3000, dur: 5e6, count: 4, path: '/var/lib/app/db' }),
        syscall({ name: 'fsync', ts: 4000, dur: 1e7, fd: 3, path: '/var/lib/app/wal' }),
        syscall({ name: 'sendto', ts: 5000, dur: 1e6, peerAddress: '10.0.0.2', peerPort: 5432 }),
      ],
    });
    b.add(slow, P);
    const [row] = b.result().rows;
    expect(row.slowest.spans).toBe(1);
    expect(row.slowest.examples).toEqual([{ traceId: slow.traceId, spanId: slow.spanId, durationNs: 9e7 }]);
    expect(row.slowest.syscalls).toEqual([
      { name: 'fsync', target: '/var/lib/app/wal', calls: 2, totalNs: 7e7 },
      { name: 'pread64', target: '/var/lib/app/db', calls: 4, totalNs: 5e6 },
      { name: 'sendto', target: '10.0.0.2:5432', calls: 1, totalNs: 1e6 },
    ]);
  });

  it('past the capacity, covers the slowest spans it kept and says the section is capped', () => {
    const b = new SummaryBuilder();
    const n = SLOWEST_CAPACITY * 100 + 500; // 1 % would be CAPACITY + 5
    for (let i = 0; i < n; i++) b.add(spanOf('busy', 1000 + i), P);
    const { slowest } = b.result().rows[0];
    expect(slowest.capped).toBe(true);
    expect(slowest.spans).toBe(SLOWEST_CAPACITY);
    expect(slowest.thresholdNs).toBe(1000 + n - SLOWEST_CAPACITY);
    expect(summaryText(b.result())).toContain(
      `slowest ${SLOWEST_CAPACITY} (1 % would be ${SLOWEST_CAPACITY + 5}; capped)`,
    );
  });

  it('bounds its rows: keys past the bound share one overflow row, counted', () => {
    const b = new SummaryBuilder(3);
    for (let i = 0; i < 10; i++) b.add(spanOf(`name-${i}`, 1000 * (i + 1)), P);
    const s = b.result();
    expect(s.rows.map((r) => r.name)).toEqual(['name-0', 'name-1', 'name-2']);
    expect(s.overflow?.count).toBe(7);
    expect(s.overflow?.maxNs).toBe(10_000);
    const text = summaryText(s);
    expect(text).toContain('(other): 7 spans of service/span names past the 3-row bound.');
  });

  it('cuts names longer than the key bound, so hostile names cannot grow a row', () => {
    const b = new SummaryBuilder();
    b.add(spanOf('x'.repeat(100_000), 1000), P);
    b.add(spanOf('x'.repeat(100_001), 1000), P);
    const s = b.result();
    expect(s.rows).toHaveLength(1);
    expect(s.rows[0].name.length).toBe(259);
  });

  it('adds up the time breakdown of the slow spans when they carry one', () => {
    const b = new SummaryBuilder();
    const times = (onCpu: number, file: number, busy: number) => ({
      model: 'event-loop',
      onCpu,
      runqueue: 1e6,
      blocked: { file, net: 0, lock: 0, sleep: 0, poll: 0, pagefault: 0, other: 0 },
      majorFaults: 2,
      loopBusyOther: busy,
      loopBusyTop: { name: 'GET /heavy', spanId: 'ab'.repeat(8), ns: busy },
    });
    for (let i = 0; i < 99; i++) b.add(spanOf('GET /a', 1e6, { times: times(1e6, 0, 0) } as never), P);
    b.add(spanOf('GET /a', 1e8, { times: times(5e6, 4e6, 9e7) } as never), P);
    const t = b.result().rows[0].slowest.times;
    expect(t).toMatchObject({ spans: 1, durationNs: 1e8, onCpu: 5e6, runqueue: 1e6, majorFaults: 2 });
    expect(t?.blocked.file).toBe(4e6);
    expect(t?.loopBusyOther).toBe(9e7);
    expect(t?.loopBusyBy).toEqual({ 'GET /heavy': 9e7 });
    expect(summaryText(b.result())).toContain(
      'time: on-cpu 5 % · runq 1 % · file 4 % · loop busy (GET /heavy) 90 % · 2 major faults',
    );
  });
});

describe('summary rendering', () => {
  it("renders an aligned table with escaped names, then each row's slowest 1 %", () => {
    const b = new SummaryBuilder();
    b.add(spanOf('GET /users/:id', 2_500_000, { status: 'error' }), P);
    b.add(
      spanOf('evil\x1b[2J\u202ename', 40_000, {
        syscalls: [syscall({ name: 'openat', ts: 2000, dur: 30_000, path: '/tmp/\x1b]0;pwned\x07' })],
      }),
      proc(7, 'svc\x1b[31m'),
    );
    const text = summaryText(b.result());
    expect(text).not.toMatch(/\x1b|\u202e|\x07/);
    const lines = text.split('\n');
    expect(lines[0]).toBe('latency summary: 2 spans; percentiles within ±1 % of the exact value at their rank');
    expect(lines[1]).toMatch(/^SERVICE\s+SPAN\s+COUNT\s+ERRORS\s+P50\s+P90\s+P99\s+P99\.9\s+MAX$/);
    expect(lines[2]).toMatch(
      /^api\s+GET \/users\/:id\s+1\s+1\s+2\.\d+ ms\s+2\.\d+ ms\s+2\.\d+ ms\s+2\.\d+ ms\s+2\.500 ms$/,
    );
    expect(lines[3]).toContain('svc\\x1b[31m');
    expect(lines[3]).toContain('evil\\x1b[2J\\u202ename');
    // columns line up: every table line has its MAX column end at the same place
    expect(new Set(lines.slice(1, 4).map((l) => l.length)).size).toBe(1);
    expect(text).toContain('slowest 1 % of api / GET /users/:id: 1 span ≥ 2.500 ms\n  no system calls of their own');
    expect(text).toContain('  openat ×1  /tmp/\\x1b]0;pwned\\x07  30.0 µs');
    // the slowest span of each row, to look up in Jaeger
    const slowest = b.result().rows[0].slowest.examples[0];
    expect(text).toContain(`  slowest: trace ${slowest.traceId} span ${slowest.spanId} (2.500 ms)`);
  });

  it('writes one JSON document with a version, the stated error and the rows', () => {
    const b = new SummaryBuilder();
    b.add(spanOf('a', 1e6), P);
    const out = summaryJson(b.result());
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trimEnd()).not.toContain('\n');
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({ summaryVersion: 1, relativeAccuracy: RELATIVE_ACCURACY, spans: 1, overflow: null });
    expect(doc.rows[0]).toMatchObject({ service: 'api', name: 'a', count: 1, errors: 0, maxNs: 1e6 });
    expect(Object.keys(doc.rows[0].percentilesNs)).toEqual(['p50', 'p90', 'p99', 'p999']);
  });
});
