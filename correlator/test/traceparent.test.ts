// `_tp` in a marker and a `traceparent` header are read by one parser (the SDK's tracecontext.ts): the correlator
// joins exactly the remote parents the SDK's extract() accepts, on the W3C edge cases.
import { describe, expect, it } from 'vitest';
import { extract } from '@nullspan/sdk';
import { Stream, collect, oneProcess } from './synthetic.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const CASES = [
  `00-${T}-${S}-01`,
  `00-${T}-${S}-00`,
  `cc-${T}-${S}-01-future-fields`, // a later version may carry more fields
  `00-${T}-${S}-01-extra`, // version 00 may not
  `ff-${T}-${S}-01`,
  `00-${'0'.repeat(32)}-${S}-01`,
  `00-${T}-${'0'.repeat(16)}-01`,
  `00-${T.toUpperCase()}-${S}-01`,
  ` 00-${T}-${S}-01 `, // optional whitespace around a header value
  `00-${T}-${S}`,
  '',
];

describe("_tp is read with the SDK's traceparent parser", () => {
  it('the correlator joins a remote parent exactly when extract() accepts the header', () => {
    const { c, spans } = collect({}, oneProcess(10));
    const s = new Stream();
    CASES.forEach((tp, i) => {
      s.marker(10, 10, `>:${100 + i}:case${i}:_tp=${tp}:`);
      s.marker(10, 10, `<:${100 + i}:case${i}::`);
    });
    c.pushBatch(s.events);
    const accepted = CASES.map((tp) => extract({ traceparent: tp }) !== undefined);
    expect(accepted).toContain(true);
    expect(accepted).toContain(false);
    CASES.forEach((tp, i) => {
      const span = spans.find((x) => x.span.name === `case${i}`)!.span;
      const ctx = extract({ traceparent: tp });
      expect(span.remoteParent === true, JSON.stringify(tp)).toBe(ctx !== undefined);
      if (ctx !== undefined) expect([span.traceId, span.parentSpanId]).toEqual([ctx.traceId, ctx.spanId]);
    });
    expect(c.stats().badContext).toBe(accepted.filter((a) => !a).length);
  });
});
