import { describe, expect, it } from 'vitest';
import { defaultUrlState, formatUrlState, parseUrlState, type UrlState } from '../src/ui/client/url-state.js';

const TRACE = '0123456789abcdef0123456789abcdef';
const SPAN = '0123456789abcdef';

function full(): UrlState {
  return {
    from: 1_765_000_000_000,
    to: 1_765_000_001_000,
    scope: 'server',
    filter: 'service=api dur>50ms path~/var/lib & x#y',
    mode: 'fsync',
    name: 'GET /report',
    service: 'shop',
    pid: '4242',
    sel: { fromMs: 1_765_000_000_200, toMs: 1_765_000_000_400, b0: 12, b1: 20 },
    span: { traceId: TRACE, spanId: SPAN },
    tz: 'utc',
  };
}

describe('ui client: URL state', () => {
  it('round-trips every field through the fragment', () => {
    const s = full();
    const hash = formatUrlState(s);
    expect(hash.startsWith('#')).toBe(true);
    expect(parseUrlState(hash)).toEqual(s);
    expect(parseUrlState(hash.slice(1))).toEqual(s);
  });

  it('leaves defaults out: the plain page has no fragment, and an empty fragment is the default view', () => {
    expect(formatUrlState(defaultUrlState())).toBe('');
    expect(parseUrlState('')).toEqual(defaultUrlState());
    expect(parseUrlState('#')).toEqual(defaultUrlState());
    expect(formatUrlState({ ...defaultUrlState(), tz: 'utc' })).toBe('#tz=utc');
  });

  it('reads a readable link', () => {
    const s = parseUrlState(`#from=1000&to=2000&sel=1200~1400~3~5&trace=${TRACE}&span=${SPAN}&scope=all`);
    expect(s).toMatchObject({ from: 1000, to: 2000, scope: 'all', sel: { fromMs: 1200, toMs: 1400, b0: 3, b1: 5 } });
    expect(s.span).toEqual({ traceId: TRACE, spanId: SPAN });
  });

  it('drops what a hostile or broken link carries instead of passing it on', () => {
    const bad = parseUrlState(
      '#from=2000&to=1000&scope=evil&mode=<img>&pid=12a&sel=5~4~1~2' +
        `&trace=${TRACE.toUpperCase()}&span=${SPAN}&tz=mars&name=${'x'.repeat(201)}&filter=${'y'.repeat(2001)}`,
    );
    expect(bad).toEqual(defaultUrlState());
    expect(parseUrlState('#from=1e3&to=Infinity').from).toBeNull();
    expect(parseUrlState('#from=1000').from).toBeNull(); // a range needs both ends
    expect(parseUrlState('#sel=1~2~5~3').sel).toBeNull(); // b0 > b1
    expect(parseUrlState('#sel=1~2~3').sel).toBeNull();
    expect(parseUrlState(`#trace=${TRACE}`).span).toBeNull(); // a span needs both ids
    expect(parseUrlState('#from=999999999999999&to=9999999999999999').from).toBeNull(); // past any timestamp
  });

  it('keeps text values as given, spaces and separators included', () => {
    const s = parseUrlState(formatUrlState({ ...defaultUrlState(), filter: 'a=1&b=2 #c', name: '~ ~' }));
    expect(s.filter).toBe('a=1&b=2 #c');
    expect(s.name).toBe('~ ~');
  });
});
