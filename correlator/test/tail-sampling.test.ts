// Tail sampling: which traces the policies keep when many traces finish interleaved, the deterministic
// probabilistic share, the decision wait, memory while decisions are pending, the option's syntax and the
// setting a capture records.

import { describe, expect, it } from 'vitest';
import { settingsForReplay, settingsFromOptions } from '../src/cli/correlator-settings.js';
import { UsageError } from '../src/cli/errors.js';
import { parseCommandLine } from '../src/cli/options.js';
import {
  parseTailSampling,
  samplingSummary,
  TailSampler,
  traceIdFraction,
  type TailSamplingConfig,
} from '../src/cli/tail-sampling.js';
import type { TracedSpan } from '../src/cli/trace-assembler.js';
import { samplers } from '@nullspan/sdk';
import { ParentKind, traceWordsOfHex } from '@nullspan/sdk/sampler';
import type { ProcessInfo, SpanRecord } from '../src/model.js';

const proc: ProcessInfo = {
  pid: 7,
  ppid: 1,
  exe: 'app',
  exePath: '/usr/bin/app',
  cmdline: ['app'],
  serviceName: 'app',
};
const MS = 1e6;

/** Trace ids as the correlator makes local ones: a per-process prefix and a counter at the end. */
function traceId(i: number): string {
  return `4bf92f3577b34da6a3ce929d${i.toString(16).padStart(8, '0')}`;
}

function span(
  trace: number,
  id: number,
  parent: number | undefined,
  start: number,
  end: number,
  extra: Partial<SpanRecord> = {},
): SpanRecord {
  return {
    traceId: traceId(trace),
    spanId: id.toString(16).padStart(16, '0'),
    parentSpanId: parent === undefined ? undefined : parent.toString(16).padStart(16, '0'),
    name: `t${trace}.s${id}`,
    kind: 'internal',
    start,
    end,
    pid: 7,
    tid: 7,
    attributes: {},
    status: 'unset',
    syscalls: [],
    ...extra,
  };
}

function sampler(text: string, limits = {}): { s: TailSampler; kept: TracedSpan[][]; config: TailSamplingConfig } {
  const kept: TracedSpan[][] = [];
  const config = parseTailSampling(text);
  return { s: new TailSampler(config, (t) => kept.push(t), limits), kept, config };
}

function keptTraces(kept: TracedSpan[][]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of kept) for (const { span: s } of t) out.set(s.traceId, [...(out.get(s.traceId) ?? []), s.name].sort());
  return out;
}

type Shape = 'slow' | 'error' | 'incomplete' | 'plain';
const shapeOf = (i: number): Shape =>
  (['slow', 'plain', 'error', 'plain', 'incomplete', 'plain', 'plain'] as const)[i % 7];

/**
 * `n` traces of a root and two children, started 1 ms apart; a trace's children end after the next traces have
 * started and some of their spans ended, so the spans of up to four traces arrive interleaved.
 */
function interleavedSpans(n: number): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = i * MS;
    const shape = shapeOf(i);
    const rootEnd = t0 + (shape === 'slow' ? 150 * MS : 3.5 * MS);
    spans.push(
      span(i, 2, 1, t0 + 0.1 * MS, t0 + 2 * MS, shape === 'error' ? { status: 'error', statusMessage: 'boom' } : {}),
    );
    spans.push(
      span(i, 3, 1, t0 + 2.1 * MS, t0 + 3 * MS, shape === 'incomplete' ? { incomplete: 'process exited' } : {}),
    );
    spans.push(span(i, 1, undefined, t0, rootEnd));
  }
  return spans.sort((a, b) => a.end - b.end);
}

describe('tail sampling policies', () => {
  it('keep exactly the slow traces and those with an error on any span, whole, under interleaving', () => {
    const n = 700;
    const { s, kept } = sampler('latency=100ms,status_code=ERROR');
    const spans = interleavedSpans(n);
    // the interleaving is real: some span of a later trace arrives before the root of an earlier one
    expect(spans.findIndex((x) => x.traceId === traceId(1))).toBeLessThan(spans.findIndex((x) => x.name === 't0.s1'));
    for (const x of spans) s.add(x, proc);
    s.flush();

    const expected = new Map<string, string[]>();
    for (let i = 0; i < n; i++)
      if (shapeOf(i) !== 'plain') expected.set(traceId(i), [`t${i}.s1`, `t${i}.s2`, `t${i}.s3`]);
    expect(keptTraces(kept)).toEqual(expected);
    const c = s.counts();
    expect(c).toEqual({
      decided: n,
      kept: 300,
      dropped: 400,
      keptBy: [
        ['latency=100ms', 100],
        ['status_code=ERROR', 200], // the correlator's incomplete spans count as errors
      ],
      decidedByWait: 0,
      decidedOverBound: 0,
    });
    expect(samplingSummary(c, parseTailSampling('latency=100ms'))).toBe(
      'tail sampling: traces kept 300 (latency=100ms: 100, status_code=ERROR: 200), dropped 400.',
    );
  });

  it('latency with an upper threshold keeps the traces in the range; status_code=OK/UNSET what has those', () => {
    const ranged = sampler('latency=2ms..100ms');
    const ok = sampler('status_code=ok');
    for (const x of interleavedSpans(70)) {
      ranged.s.add(x, proc);
      ok.s.add(x.traceId === traceId(5) && x.parentSpanId === undefined ? { ...x, status: 'ok' } : x, proc);
    }
    ranged.s.flush();
    ok.s.flush();
    expect(ranged.s.counts()).toMatchObject({ kept: 60, dropped: 10 });
    expect([...keptTraces(ranged.kept).keys()]).not.toContain(traceId(0));
    expect([...keptTraces(ok.kept).keys()]).toEqual([traceId(5)]);
  });

  it('probabilistic keeps a share within the binomial bound of counter-like trace ids, the same every time', () => {
    const n = 10_000;
    const decide = () => {
      const { s, kept } = sampler('probabilistic=10');
      for (let i = 0; i < n; i++) s.add(span(i, 1, undefined, i, i + 1), proc);
      return [...keptTraces(kept).keys()];
    };
    const first = decide();
    // 10 % of 10,000 with σ = 30: five σ either side
    expect(first.length).toBeGreaterThan(850);
    expect(first.length).toBeLessThan(1150);
    expect(decide()).toEqual(first);
    // every hundredth counter value alone is spread as well: the decision does not follow the low bits
    const strided = Array.from({ length: 2000 }, (_, k) => traceIdFraction(traceId(k * 256)) < 0.1).filter(Boolean);
    expect(strided.length).toBeGreaterThan(200 - 5 * 13.5);
    expect(strided.length).toBeLessThan(200 + 5 * 13.5);
    expect(parseTailSampling('probabilistic=0').policies[0]).toMatchObject({ percent: 0 });
  });

  it('decides a trace whose root never ends after decision_wait of event time; later spans follow the decision', () => {
    const { s, kept } = sampler('status_code=ERROR,decision_wait=1s');
    s.add(span(1, 2, 1, 0, 1 * MS, { status: 'error' }), proc); // root never ends in time
    s.add(span(2, 2, 1, 0, 1 * MS), proc); // nothing kept it
    expect(s.counts().decided).toBe(0);
    s.add(span(3, 1, undefined, 500 * MS, 1000 * MS), proc);
    expect(s.counts().decided).toBe(1); // trace 3 by its root; 1 and 2 are 999 ms old
    s.add(span(4, 1, undefined, 1001 * MS, 1002 * MS), proc);
    expect(s.counts()).toMatchObject({ decided: 4, kept: 1, decidedByWait: 2 });
    // the roots that end at last go where their trace went
    s.add(span(1, 1, undefined, 0, 3000 * MS), proc);
    s.add(span(2, 1, undefined, 0, 3000 * MS), proc);
    s.flush();
    expect(keptTraces(kept)).toEqual(new Map([[traceId(1), ['t1.s1', 't1.s2']]]));
    expect(s.counts().decided).toBe(4);
  });

  it('does not count a trace whose top span ended (under a remote parent) as waited out', () => {
    const { s, kept } = sampler('latency=1ms,decision_wait=500ms');
    s.add(span(1, 2, 9, 0, 100 * MS, { remoteParent: true }), proc); // waits up to 1 s for its parent
    s.add(span(2, 1, undefined, 700 * MS, 701 * MS), proc);
    expect(s.counts()).toMatchObject({ decided: 2, kept: 2, decidedByWait: 0 });
    expect([...keptTraces(kept).keys()]).toEqual([traceId(2), traceId(1)]);
  });

  it('holds bounded memory while a flood of traces waits for roots that never end, every eviction decided and counted', () => {
    const maxPendingBytes = 64 * 1024;
    const { s, kept, config } = sampler('status_code=ERROR', { maxPendingBytes });
    const n = 5000;
    let most = 0;
    for (let i = 0; i < n; i++) {
      s.add(
        span(i, 2, 1, i, i + 1, { attributes: { blob: 'x'.repeat(200) }, status: i % 10 === 0 ? 'error' : 'unset' }),
        proc,
      );
      most = Math.max(most, s.held().bytes);
    }
    expect(most).toBeLessThanOrEqual(maxPendingBytes);
    const waiting = s.held().traces;
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThan(200);
    expect(s.counts()).toMatchObject({ decided: n - waiting, decidedOverBound: n - waiting });
    s.flush();
    expect(s.counts()).toMatchObject({ decided: n, kept: n / 10, dropped: n - n / 10 });
    expect(kept).toHaveLength(n / 10);
    expect(samplingSummary(s.counts(), config)).toContain(
      `decided before their top-level span ended: ${n - waiting} because too much was held (--max-pending-bytes)`,
    );
  });
});

describe('probabilistic and the SDK head sampler', () => {
  it('agree: a trace traceidratio r keeps is kept by probabilistic at r, and one it drops is not', () => {
    const head = samplers.traceIdRatio(0.3);
    let kept = 0;
    for (let i = 0; i < 2000; i++) {
      const traceId = (i * 2654435761 + 12345).toString(16).padStart(8, '0').repeat(4).slice(0, 32);
      const byHead = head.shouldSample({
        parent: ParentKind.None,
        parentSampled: false,
        trace: traceWordsOfHex(traceId, [0, 0, 0, 0]),
      });
      expect(traceIdFraction(traceId) * 100 < 30, traceId).toBe(byHead);
      if (byHead) kept++;
    }
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(800);
  });
});

describe('--tail-sampling', () => {
  const parse = (...args: string[]) => parseCommandLine(['replay', ...args, 'x.nscap'], {}).options;

  it('reads policies and settings; --min-duration is one more latency policy', () => {
    expect(parseTailSampling(' latency=0.5..2s , status_code=error/OK ,probabilistic=2.5,decision_wait=5s')).toEqual({
      policies: [
        { kind: 'latency', name: 'latency=500us..2s', minNs: 500_000, maxNs: 2e9 },
        { kind: 'status_code', name: 'status_code=ERROR/OK', codes: ['error', 'ok'] },
        { kind: 'probabilistic', name: 'probabilistic=2.5', percent: 2.5 },
      ],
      decisionWaitNs: 5e9,
    });
    expect(settingsFromOptions(parse()).tailSampling).toBe('none');
    expect(settingsFromOptions(parse('--min-duration', '100ms')).tailSampling).toBe('latency=100ms');
    expect(
      settingsFromOptions(parse('--tail-sampling', 'status_code=ERROR,decision_wait=2s', '--min-duration', '3'))
        .tailSampling,
    ).toBe('status_code=ERROR,latency=3ms,decision_wait=2s');
  });

  it.each([
    [
      'latency',
      /--tail-sampling expects policies such as latency=100ms,status_code=ERROR,probabilistic=5 \(or none\), got "latency"\./,
    ],
    ['latency=fast', /expects latency to be a duration such as 100ms or a range such as 100ms\.\.2s, got "fast"/],
    ['latency=2s..1s', /expects latency to be a duration .* got "2s\.\.1s"/],
    ['status_code=FAILED', /expects status_code to be ERROR, OK or UNSET \(several joined with \/\), got "FAILED"/],
    ['probabilistic=101', /expects probabilistic to be a percentage from 0 to 100, got "101"/],
    ['probabilistic=-1', /expects probabilistic to be a percentage/],
    [
      'rate_limiting=5',
      /expects the policies latency, status_code and probabilistic \(and decision_wait\), got "rate_limiting"/,
    ],
    ['decision_wait=0', /expects decision_wait to be a positive duration/],
    ['decision_wait=1s', /expects at least one policy/],
    ['latency=1s,,status_code=ERROR', /got ""/],
  ])('refuses %s with one sentence (a usage error, exit 2)', (value, message) => {
    let err: unknown;
    try {
      parse(`--tail-sampling=${value}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.split('. ').length).toBe(1);
  });

  it('is recorded: replay uses the recorded policies unless --tail-sampling or --min-duration is given', () => {
    const recorded = settingsFromOptions(parse('--tail-sampling', 'latency=1s,probabilistic=5'));
    expect(settingsForReplay(parse(), recorded).tailSampling).toBe('latency=1s,probabilistic=5');
    expect(settingsForReplay(parse('--tail-sampling', 'none'), recorded).tailSampling).toBe('none');
    expect(settingsForReplay(parse('--min-duration', '2s'), recorded).tailSampling).toBe('latency=2s');
    // a damaged or hostile header cannot make the replay fail or choose something unparsable
    expect(settingsForReplay(parse(), { ...recorded, tailSampling: 'latency=((' }).tailSampling).toBe('none');
    expect(settingsForReplay(parse(), { ...recorded, tailSampling: 7 }).tailSampling).toBe('none');
  });
});
