// A marker a writer sends a byte at a time is parsed a bounded number of times (not once per write), and its
// bytes are copied a bounded number of times: the cost stays linear in the marker.
import { describe, expect, it, vi } from 'vitest';
import * as grammar from '@nullspan/sdk/grammar';
import { Stream, collect, oneProcess } from './synthetic.js';

vi.mock('@nullspan/sdk/grammar', async (importOriginal) => {
  const real = await importOriginal<typeof grammar>();
  return { ...real, parseMarker: vi.fn(real.parseMarker) };
});

const parses = () => vi.mocked(grammar.parseMarker).mock.calls.length;

describe('markers split across many writes', () => {
  it('parses a 60 KB marker sent a byte at a time a bounded number of times, and gets it right', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    const value = 'v'.repeat(60_000);
    for (const ch of `>:1:big:k=${value}:`) s.marker(10, 10, ch);
    s.marker(10, 10, '<:1:big::');
    const before = parses();
    c.pushBatch(s.events);
    expect(parses() - before).toBeLessThanOrEqual(10); // once per write would be 60,000
    expect(spans).toHaveLength(1);
    expect(spans[0].span.attributes.k).toBe(value);
  });

  it('is not fooled into parsing again by escaped colons', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    s.marker(10, 10, '>:1:esc:k=');
    for (let i = 0; i < 20_000; i++) s.marker(10, 10, '\\:');
    s.marker(10, 10, ':');
    const before = parses();
    c.pushBatch(s.events);
    expect(parses() - before).toBeLessThanOrEqual(10);
    expect(c.stats()).toMatchObject({ markers: 1, malformedMarkers: 0 });
    c.close();
    expect(spans[0].span.attributes.k).toBe(':'.repeat(20_000));
  });

  it('never writes into the batch a split marker came in (Buffer payloads, as replay decodes them)', () => {
    const { c, spans } = collect({}, oneProcess(10));
    // one Buffer holding both writes and what follows them, the way a capture block holds a batch's payloads
    const block = Buffer.from('>:1:split:a=1' + ',b=2:' + '<:1:split::' + 'after');
    const s = new Stream();
    s.marker(10, 10, block.subarray(0, 13));
    s.marker(10, 10, block.subarray(13, 18));
    s.marker(10, 10, block.subarray(18, 29));
    const copy = Buffer.from(block);
    c.pushBatch(s.events);
    expect(block.equals(copy)).toBe(true);
    expect(spans).toHaveLength(1);
    expect(spans[0].span.attributes).toMatchObject({ a: '1', b: '2' });
  });
});
