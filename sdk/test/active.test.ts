// The active-span slot follows the async context: the span of the callback running now is published, 0 between
// callbacks, also when requests interleave on the event loop.
import { describe, expect, it } from 'vitest';
import { publishedActive } from '../src/active.js';
import { span } from '../src/index.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

// no probe acknowledges the slot here: keep the hook on without the handshake (read at the first span start)
process.env.NULLSPAN_CONTEXT = '1';

describe('active span slot', () => {
  it('publishes the span of the running async context and 0 between callbacks', async () => {
    const seen: [string, number, number][] = [];
    const request = (name: string, waits: number) =>
      span.trace(name, async (s) => {
        seen.push([name, s.id, publishedActive()]);
        for (let i = 0; i < waits; i++) {
          await tick();
          seen.push([name, s.id, publishedActive()]);
          await new Promise<void>((r) =>
            setTimeout(() => {
              seen.push([name, s.id, publishedActive()]);
              r();
            }, 1),
          );
        }
        await span.trace(`${name}.child`, async (c) => {
          await tick();
          seen.push([`${name}.child`, c.id, publishedActive()]);
        });
        seen.push([name, s.id, publishedActive()]);
      });
    await Promise.all([request('a', 3), request('b', 2), request('c', 4)]);
    expect(seen.length).toBeGreaterThan(20);
    for (const [name, id, published] of seen) expect(published, name).toBe(id);
    // outside any span, in a fresh callback
    const between = await new Promise<number>((r) => setTimeout(() => r(publishedActive()), 1));
    expect(between).toBe(0);
    expect(span.with(undefined, () => publishedActive())).toBe(0);
  });

  it("publishes the parent once a span has ended, also in the ended span's later callbacks", async () => {
    const seen: Record<string, number> = {};
    let ids: [number, number] = [0, 0];
    await span.trace('parent', async (p) => {
      const child = span.start('child');
      ids = [p.id, child.id];
      await span.with(child, async () => {
        seen.beforeEnd = publishedActive();
        child.end();
        seen.afterEnd = publishedActive(); // the same callback, after end(): its calls are not the child's
        await tick();
        seen.laterCallback = publishedActive();
      });
      seen.parent = publishedActive();
    });
    expect(seen).toEqual({ beforeEnd: ids[1], afterEnd: ids[0], laterCallback: ids[0], parent: ids[0] });
    // a root span's context after its end is no span's
    const root = span.start('root');
    const after = await span.with(root, async () => {
      root.end();
      const now = publishedActive();
      await tick();
      return [now, publishedActive()];
    });
    expect(after).toEqual([0, 0]);
  });
});
