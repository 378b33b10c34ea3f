// The waterfall model (no DOM): rows of a whole trace, collapsing, hiding and folding calls, find-in-trace, the
// critical path and self time, and bounded work on a hostile 10,000-span trace.

import { describe, expect, it } from 'vitest';
import {
  ancestorSpans,
  attributionText,
  buildModel,
  callId,
  DEFAULT_HIDE_UNDER_NS,
  findInTrace,
  spanId,
  type TraceCall,
  type TraceNode,
  visibleRows,
  type WaterfallRow,
} from '../src/ui/client/waterfall-model.js';

function call(name: string, offsetNs: number, durationNs: number, over: Partial<TraceCall> = {}): TraceCall {
  return {
    name,
    offsetNs,
    durationNs,
    extentNs: durationNs,
    errno: null,
    path: null,
    target: null,
    peer: null,
    count: 1,
    ...over,
  };
}

function node(
  name: string,
  offsetNs: number,
  durationNs: number,
  parent: number | null,
  depth: number,
  syscalls: TraceCall[] = [],
  over: Partial<TraceNode['span']> = {},
): TraceNode {
  return {
    span: { spanId: name, name, durationNs, status: 'unset', attributes: {}, ...over },
    offsetNs,
    syscalls,
    omittedSyscalls: 0,
    parent,
    depth,
  };
}

const NONE = { collapsed: new Set<string>(), expandedFolds: new Set<string>(), hideUnderNs: 0 };

/** A row as short text, to compare whole row lists. */
function show(model: ReturnType<typeof buildModel>, r: WaterfallRow): string {
  const pad = '  '.repeat(r.depth);
  if (r.kind === 'span')
    return `${pad}${model.nodes[r.node].span.name}${r.collapsed ? ' +' : ''}${r.hiddenCalls ? ` (${r.hiddenCalls} hidden)` : ''}`;
  if (r.kind === 'call') return `${pad}${model.nodes[r.node].syscalls[r.call].name}`;
  if (r.kind === 'fold') return `${pad}[${r.sameName ?? r.names.join(',')} ×${r.count}${r.expanded ? ' open' : ''}]`;
  return `${pad}(${r.count} omitted)`;
}

// The issue's trace: 18 sub-µs bookkeeping calls, a futex run, then a 37 ms rmdir; a sibling span that fails.
function noisyTrace(): TraceNode[] {
  const bookkeeping = ['getpid', 'capget', 'getuid', 'getgid', 'geteuid', 'getegid'];
  const rootCalls: TraceCall[] = [];
  for (let i = 0; i < 18; i++) rootCalls.push(call(bookkeeping[i % 6], 1000 + i * 1000, 400));
  for (let i = 0; i < 6; i++) rootCalls.push(call('futex', 30_000 + i * 20_000, 15_000));
  rootCalls.push(call('rmdir', 200_000, 37e6, { path: '/var/lib/app/cache' }));
  return [
    node('GET /cleanup', 0, 50e6, null, 0, rootCalls, { status: 'unset' }),
    node('db.query', 40e6, 5e6, 0, 1, [call('sendto', 40.1e6, 20_000, { peer: '127.0.0.1:5432' })], {
      attributes: { table: 'jobs' },
    }),
    node('audit.write', 46e6, 3e6, 0, 1, [call('openat', 46.1e6, 9_000, { errno: 'EACCES', path: '/var/log/audit' })], {
      status: 'error',
    }),
  ];
}

describe('waterfall model', () => {
  it('lays out every span of the trace with its calls and child spans in time order, roots by start', () => {
    const nodes = [
      node('root', 0, 100, null, 0, [call('read', 10, 5), call('write', 60, 5)]),
      node('child', 30, 20, 0, 1, [call('fsync', 35, 10)]),
      node('second root', 200, 10, null, 0),
    ];
    const model = buildModel(nodes);
    expect(visibleRows(model, NONE).map((r) => show(model, r))).toEqual([
      'root',
      '  read',
      '  child',
      '    fsync',
      '  write',
      'second root',
    ]);
    expect(model.totalNs).toBe(210);
  });

  it('collapses a span: its calls and descendants go, the row stays and says it is collapsed', () => {
    const model = buildModel(noisyTrace());
    const rows = visibleRows(model, { ...NONE, collapsed: new Set([spanId(0)]) });
    expect(rows.map((r) => show(model, r))).toEqual(['GET /cleanup +']);
    const open = visibleRows(model, NONE);
    expect(open[0]).toMatchObject({ kind: 'span', hasChildren: true, collapsed: false });
  });

  it('folds runs of tiny calls and of repeated calls into one row with count and total time, expandable', () => {
    const model = buildModel(noisyTrace());
    const rows = visibleRows(model, NONE);
    expect(rows.map((r) => show(model, r))).toEqual([
      'GET /cleanup',
      '  [getpid,capget,getuid,getgid ×18]',
      '  [futex ×6]',
      '  rmdir',
      '  db.query',
      '    sendto',
      '  audit.write',
      '    openat',
    ]);
    const tiny = rows[1];
    expect(tiny).toMatchObject({
      kind: 'fold',
      count: 18,
      totalNs: 18 * 400,
      startNs: 1000,
      endNs: 18_400,
      sameName: null,
    });
    const futex = rows[2];
    expect(futex).toMatchObject({ kind: 'fold', sameName: 'futex', count: 6, totalNs: 6 * 15_000 });
    // the 37 ms rmdir is the fourth row, not the 26th
    expect(rows.findIndex((r) => r.kind === 'call' && model.nodes[0].syscalls[r.call].name === 'rmdir')).toBe(3);

    const opened = visibleRows(model, { ...NONE, expandedFolds: new Set([futex.id]) });
    expect(opened.map((r) => show(model, r)).slice(1, 10)).toEqual([
      '  [getpid,capget,getuid,getgid ×18]',
      '  [futex ×6 open]',
      ...Array(6).fill('    futex'),
      '  rmdir',
    ]);
  });

  it('says how a run of repeated failed calls failed, so the errno does not hide inside the fold', () => {
    const failed = Array.from({ length: 5 }, (_, i) => call('access', i * 1000, 500, { errno: 'ENOENT' }));
    const tiny = Array.from({ length: 4 }, (_, i) => call(i % 2 ? 'getpid' : 'getuid', 10_000 + i * 1000, 500));
    const model = buildModel([node('s', 0, 100_000, null, 0, [...failed, ...tiny])]);
    const rows = visibleRows(model, NONE);
    expect(rows[1]).toMatchObject({ kind: 'fold', sameName: 'access', count: 5, errno: 'ENOENT', error: true });
    expect(rows[2]).toMatchObject({ kind: 'fold', sameName: null, count: 4, errno: null });
  });

  it('does not fold two calls, a failed call into tiny ones, or a call that is pinned (a find match)', () => {
    const nodes = [
      node('s', 0, 100_000, null, 0, [
        call('getpid', 0, 100),
        call('getuid', 200, 100),
        call('openat', 400, 100, { errno: 'ENOENT' }),
        call('getgid', 600, 100),
        call('getpid', 800, 100),
        call('getuid', 1000, 100),
        call('getgid', 1200, 100),
      ]),
    ];
    const model = buildModel(nodes);
    expect(visibleRows(model, NONE).map((r) => show(model, r))).toEqual([
      's',
      '  getpid',
      '  getuid',
      '  openat',
      '  [getgid,getpid,getuid ×4]',
    ]);
    const pinned = visibleRows(model, { ...NONE, pinned: new Set([callId(0, 4)]) });
    // the pinned getpid splits the run: what is left on either side is too short to fold
    expect(pinned.map((r) => show(model, r)).slice(4)).toEqual(['  getgid', '  getpid', '  getuid', '  getgid']);
  });

  it('hides calls under the threshold (mean per call), counted on their span; failed calls always show', () => {
    const model = buildModel(noisyTrace());
    const rows = visibleRows(model, { ...NONE, hideUnderNs: DEFAULT_HIDE_UNDER_NS });
    expect(rows.map((r) => show(model, r))).toEqual([
      'GET /cleanup (18 hidden)',
      '  [futex ×6]',
      '  rmdir',
      '  db.query',
      '    sendto',
      '  audit.write',
      '    openat',
    ]);
    expect(rows[0]).toMatchObject({ hiddenCalls: 18, hiddenNs: 18 * 400 });
    const high = visibleRows(model, { ...NONE, hideUnderNs: 1e6 });
    expect(high.map((r) => show(model, r))).toEqual([
      'GET /cleanup (24 hidden)',
      '  rmdir',
      '  db.query (1 hidden)',
      '  audit.write',
      '    openat',
    ]);
    // a find match under the threshold is shown all the same
    const found = visibleRows(model, { ...NONE, hideUnderNs: DEFAULT_HIDE_UNDER_NS, pinned: new Set([callId(0, 3)]) });
    expect(found.map((r) => show(model, r)).slice(0, 2)).toEqual(['GET /cleanup (17 hidden)', '  getgid']);
    // a merged run of 32 calls of 0.5 µs each is 16 µs in all but hides under 1 µs
    const merged = buildModel([node('m', 0, 1e6, null, 0, [call('read', 0, 16_000, { count: 32, extentNs: 90_000 })])]);
    expect(visibleRows(merged, { ...NONE, hideUnderNs: 1000 })[0]).toMatchObject({ hiddenCalls: 32, hiddenNs: 16_000 });
  });

  it('finds names, paths, peers, errno names and attribute values, with the spans to open above each match', () => {
    const model = buildModel(noisyTrace());
    expect(findInTrace(model, '/VAR/LIB')).toEqual([callId(0, 24)]);
    expect(findInTrace(model, '5432')).toEqual([callId(1, 0)]);
    expect(findInTrace(model, 'eacces')).toEqual([callId(2, 0)]);
    expect(findInTrace(model, 'jobs')).toEqual([spanId(1)]);
    expect(findInTrace(model, 'futex')).toHaveLength(6);
    expect(findInTrace(model, '/var')).toEqual([callId(0, 24), callId(2, 0)]);
    expect(findInTrace(model, '  ')).toEqual([]);
    expect(ancestorSpans(model, callId(2, 0))).toEqual([spanId(2), spanId(0)]);
    expect(ancestorSpans(model, spanId(1))).toEqual([spanId(0)]);
    expect(ancestorSpans(model, spanId(0))).toEqual([]);
  });

  it('marks the critical path: the last-finishing child backwards, recursively, calls included', () => {
    // root 0..100: a (10..60) with calls x (15..20) and y (40..55); b (50..90) overlapping a; call z (92..95)
    const nodes = [
      node('root', 0, 100, null, 0, [call('z', 92, 3)]),
      node('a', 10, 50, 0, 1, [call('x', 15, 5), call('y', 40, 15)]),
      node('b', 50, 40, 0, 1, [call('w', 55, 10), call('v', 70, 5)]),
    ];
    const model = buildModel(nodes);
    // from 100 back: z (ends 95) → then b (ends 90, before z started) → inside b: v, then w;
    // a ends at 60, after b started at 50: not on the path; nothing else ends before 50 except... a is skipped.
    expect([...model.critical].sort()).toEqual([callId(0, 0), callId(2, 0), callId(2, 1), spanId(0), spanId(2)].sort());
    const rows = visibleRows(model, NONE);
    expect(rows.filter((r) => r.kind !== 'omitted' && r.critical).map((r) => show(model, r).trim())).toEqual([
      'root',
      'b',
      'w',
      'v',
      'z',
    ]);
  });

  it('computes self time: the duration minus the union of child spans, clipped to the span', () => {
    const nodes = [
      node('root', 0, 100, null, 0, [call('read', 0, 90)]), // calls are the span's own time
      node('a', 10, 30, 0, 1), // 10..40
      node('b', 30, 30, 0, 1), // 30..60, overlaps a
      node('late', 90, 50, 0, 1), // 90..140, clipped to 90..100
    ];
    const model = buildModel(nodes);
    expect(model.selfNs).toEqual([100 - 50 - 10, 30, 30, 50]);
  });

  it('labels attribution in words, with a sentence explaining it', () => {
    expect(attributionText('thread')).toBeNull();
    expect(attributionText('context')?.label).toBe('async context');
    expect(attributionText('submitter')?.explain).toMatch(/worker thread/);
    expect(attributionText('fd')?.explain).toMatch(/only this span had used/);
  });

  it('stays bounded on a hostile trace: 10,000 spans in one chain and a span with 20,000 calls', () => {
    const nodes: TraceNode[] = [];
    for (let i = 0; i < 10_000; i++) nodes.push(node(`s${i}`, i, 20_000 - i, i === 0 ? null : i - 1, i));
    nodes[5000] = { ...nodes[5000], syscalls: Array.from({ length: 20_000 }, () => call('futex', 5000, 1)) };
    // a bad parent index (forward or self) makes a root rather than a loop
    nodes.push(node('bad', 3, 1, 10_000, 1));
    const model = buildModel(nodes);
    const rows = visibleRows(model, NONE);
    expect(rows).toHaveLength(10_001 + 1);
    expect(rows[5001]).toMatchObject({ kind: 'fold', count: 20_000 });
    expect(model.critical.has(spanId(9_999))).toBe(true);
    expect(findInTrace(model, 's9999')).toEqual([spanId(9_999)]);
    expect(ancestorSpans(model, spanId(9_999))).toHaveLength(9_999);
  });
});
