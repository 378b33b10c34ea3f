/**
 * @nullspan/sdk: span markers written to /dev/null, read by the nullspan eBPF probe.
 *
 *   import { span } from '@nullspan/sdk';
 *   const s = span.start('db.query', { table: 'users' }); ...; s.end({ rows: 3 });
 *   await span.trace('checkout', { cart: id }, async () => { ... });
 */
import { configure, current, start, trace, withSpan, Span } from './span.js';
import { extract, injectContext, type HeaderCarrier } from './tracecontext.js';

/** Writes the active span's (or `s`'s) `traceparent`/`tracestate` into outgoing headers; returns the carrier. */
export function inject<C extends HeaderCarrier>(carrier: C, s: Span | undefined = current()): C {
  return injectContext(carrier, s?.context());
}

export const span = {
  start,
  trace,
  current,
  /** runs fn with the given span active */
  with: withSpan,
  extract,
  inject,
  configure,
};

export { Span, configure, current, start, trace, withSpan, extract };
export type { SdkOptions, SpanArgs, SpanKind, SpanStatus, StartOptions } from './span.js';
export { formatTraceparent, parseTraceparent, type HeaderCarrier, type TraceContext } from './tracecontext.js';
export { spanIdFromHex, spanIdHex } from './ids.js';
export { disabledChannel } from './sink.js';
