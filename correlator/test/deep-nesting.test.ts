// Trees as deep as a traced process makes them: nesting is marker text, so drawing, serving and escaping a trace
// must not recurse over it, and what is drawn stays proportional to the spans.

import { describe, expect, it } from 'vitest';
import type { ProcessInfo, SpanRecord } from '../src/model.js';
import { MAX_SHOWN_CHARS, sanitize } from '../src/cli/terminal-text.js';
import { MAX_INDENT_DEPTH, PLAIN, renderTrace } from '../src/cli/tree-printer.js';
import { createUiApp } from '../src/ui/app.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK } from './ui-synthetic.js';

const DEPTH = 20_000;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const proc: ProcessInfo = {
  pid: 100,
  ppid: 1,
  exe: 'node',
  exePath: '/usr/bin/node',
  cmdline: ['node'],
  serviceName: 'deep',
};
const id = (i: number) => (i + 1).toString(16).padStart(16, '0');

/** span 0 is the root, span i the child of span i - 1; children finish first, as the correlator emits them */
function chain(depth: number): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (let i = depth - 1; i >= 0; i--) {
    spans.push({
      traceId: TRACE,
      spanId: id(i),
      parentSpanId: i === 0 ? undefined : id(i - 1),
      name: `level-${i}`,
      kind: 'internal',
      start: 1000 + i,
      end: 1_000_000 - i,
      pid: 100,
      tid: 100,
      attributes: { i: String(i) },
      status: 'unset',
      syscalls: [
        {
          name: 'read',
          ts: 1000 + i,
          dur: 1,
          end: 1001 + i,
          tid: 100,
          pid: 100,
          ret: 1,
          count: 1,
          attribution: 'thread',
        },
      ],
    });
  }
  return spans;
}

describe('a trace nested 20,000 deep', () => {
  it('prints every span and call, indentation capped and the depth said past the cap', () => {
    const lines = renderTrace(
      chain(DEPTH).map((span) => ({ span, proc })),
      PLAIN,
    );
    expect(lines).toHaveLength(1 + 2 * DEPTH);
    expect(lines[1]).toBe('  level-0  999.0 µs  i=0');
    const capped = '  '.repeat(MAX_INDENT_DEPTH + 1);
    expect(lines[2 * DEPTH - 1]).toBe(`${capped}[depth ${DEPTH - 1}] level-${DEPTH - 1}  959.0 µs  i=${DEPTH - 1}`);
    expect(lines[2 * DEPTH]).toBe(`${capped}  · read  = 1  1 ns`);
    // bytes grow linearly with depth, not quadratically
    expect(lines.reduce((n, l) => n + l.length, 0)).toBeLessThan(DEPTH * 2 * 120);
  });

  it('is served by the UI API as a flat list of nodes (the retained part, bounded by the store)', async () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: DEPTH + 10 });
    for (const span of chain(DEPTH)) store.add(span, proc);
    const app = createUiApp({ store });
    const res = await app.request(`/api/spans/${TRACE}/${id(0)}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    const nodes = body.tree.nodes;
    expect(nodes.length).toBeGreaterThan(1000);
    nodes.forEach((n: any, i: number) => {
      expect(n.span.name).toBe(`level-${i}`);
      expect(n.depth).toBe(i);
      expect(n.parent).toBe(i === 0 ? null : i - 1);
    });
    expect(body.breakdown.spans).toBe(nodes.length);
  });
});

describe('sanitize on a huge hostile string', () => {
  it('escapes what it shows and summarizes the rest instead of building a string past the engine limit', () => {
    // 150 M escape characters would escape to 600 M characters: more than a V8 string can hold
    const hostile = '\x1b'.repeat(150_000_000);
    const shown = sanitize(hostile);
    expect(shown).toBe(`${'\\x1b'.repeat(MAX_SHOWN_CHARS)}… (${150_000_000 - MAX_SHOWN_CHARS} more characters)`);
  }, 60_000);
});
