// Batched exits (sdk/MARKERS.md): one write holding several whole markers, read in order; an exit's `_te` is its
// end time when it lies between the span's start and the write, the write's time otherwise.
import { describe, expect, it } from 'vitest';
import { Stream, collect, oneProcess } from './synthetic.js';

function run(build: (s: Stream) => void) {
  const { c, spans } = collect({}, oneProcess(10));
  const s = new Stream();
  build(s);
  c.pushBatch(s.events);
  c.close();
  const byName = (n: string) => spans.find((x) => x.span.name === n)!.span;
  return { c, spans, byName, s };
}

describe('batched markers', () => {
  it('reads every marker of a write in order, exits at their _te, the last marker at the write time', () => {
    let aStart = 0;
    let bStart = 0;
    let write = 0;
    const { spans, byName, c } = run((s) => {
      aStart = s.marker(10, 10, '>:1:a::').ts;
      bStart = s.marker(10, 10, '>:2:b:_p=1:').ts;
      write = s.marker(10, 10, `<:2:b:_te=${bStart + 3}:\n<:1:a:_te=${bStart + 5},x=1:>:3:c::`).ts;
      s.marker(10, 10, '<:3:c::');
    });
    expect(spans.map((x) => x.span.name)).toEqual(['b', 'a', 'c']);
    expect([byName('b').start, byName('b').end]).toEqual([bStart, bStart + 3]);
    expect([byName('a').start, byName('a').end]).toEqual([aStart, bStart + 5]);
    expect(byName('a').attributes.x).toBe('1');
    expect(byName('c').start).toBe(write);
    expect(c.stats()).toMatchObject({ markers: 6, malformedMarkers: 0, unmatchedExits: 0 });
  });

  it('takes the write time for an _te before the span started, after the write, or not a number', () => {
    const ends: number[] = [];
    let write = 0;
    const { byName } = run((s) => {
      const t = s.marker(10, 10, '>:1:early::').ts;
      s.marker(10, 10, '>:2:late::');
      s.marker(10, 10, '>:3:text::');
      s.marker(10, 10, '>:4:huge::');
      write = s.marker(
        10,
        10,
        `<:1:early:_te=${t - 1}:<:2:late:_te=${t + 1_000_000_000}:<:3:text:_te=12x:<:4:huge:_te=99999999999999999:`,
      ).ts;
    });
    for (const n of ['early', 'late', 'text', 'huge']) ends.push(byName(n).end);
    expect(ends).toEqual([write, write, write, write]);
  });

  it('keeps the markers before one cut short inside the batch, counts it malformed, and ignores other trailing bytes', () => {
    const { c, byName } = run((s) => {
      s.marker(10, 10, '>:1:a::');
      s.marker(10, 10, '>:2:b::');
      s.marker(10, 10, '<:1:a::<:2:b:k=');
      s.marker(10, 10, '>:3:c::trailing text, not a marker');
      s.marker(10, 10, '<:3:c::');
    });
    expect(byName('a').end).toBeGreaterThan(0);
    expect(c.stats()).toMatchObject({ malformedMarkers: 1, markers: 5 });
    expect(byName('b').incomplete).toBeDefined(); // never ended: closed when tracing stopped
  });
});
