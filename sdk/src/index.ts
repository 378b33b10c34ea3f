/**
 * @nullspan/sdk: span markers written to /dev/null, read by the nullspan eBPF probe.
 *
 *   import { span } from '@nullspan/sdk';
 *   const s = span.start('db.query', { table: 'users' }); ...; s.end({ rows: 3 });
 *   await span.trace('checkout', { cart: id }, async () => { ... });
 */
import { configure, current, inject, start, trace, withSpan, Span } from './span.js';
import { extract } from './tracecontext.js';
import { samplers } from './sampler.js';

export const span = {
  start,
  trace,
  current,
  /** runs fn with the given span active */
  with: withSpan,
  extract,
  inject,
  configure,
  samplers,
};

export { Span, configure, current, start, trace, withSpan, extract, inject };
export type { SdkOptions, SpanArgs, SpanKind, SpanStatus, StartOptions } from './span.js';
export { samplers, type Sampler, type ParentBasedOptions } from './sampler.js';
export { formatTraceparent, parseTraceparent, type HeaderCarrier, type TraceContext } from './tracecontext.js';
export { spanIdFromHex, spanIdHex } from './ids.js';
export { disabledChannel } from './sink.js';
