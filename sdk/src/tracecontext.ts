/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): parsing and formatting `traceparent`/`tracestate`,
 * reading them from incoming headers and writing them into outgoing ones. Header values are hostile input:
 * anything that does not parse is ignored, never thrown.
 */

export interface TraceContext {
  /** 32 lower-case hex digits, not all zero */
  traceId: string;
  /** 16 lower-case hex digits, not all zero */
  spanId: string;
  /** trace flags, 0..255 (bit 0 = sampled) */
  flags: number;
  /** the `tracestate` header, if any (at most 512 characters; longer ones are dropped as the spec allows) */
  traceState?: string;
}

/** Header carriers the helpers understand: fetch/undici `Headers`, Node's IncomingHttpHeaders / OutgoingHttpHeaders, plain objects. */
export type HeaderCarrier = Headers | Record<string, string | string[] | number | undefined>;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
const MAX_TRACESTATE = 512;

export function parseTraceparent(value: string | undefined | null): TraceContext | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

export function formatTraceparent(ctx: { traceId: string; spanId: string; flags?: number }): string {
  const flags = ctx.flags ?? 1;
  return `00-${ctx.traceId}-${ctx.spanId}-${flags < 16 ? '0' : ''}${(flags & 0xff).toString(16)}`;
}

function headerValue(carrier: HeaderCarrier, name: string): string | undefined {
  if (typeof (carrier as Headers).get === 'function') return (carrier as Headers).get(name) ?? undefined;
  const rec = carrier as Record<string, unknown>;
  let v = rec[name];
  if (v === undefined) {
    // plain objects may keep the caller's capitalization
    for (const k of Object.keys(rec)) {
      if (k.length === name.length && k.toLowerCase() === name) {
        v = rec[k];
        break;
      }
    }
  }
  if (Array.isArray(v)) return v.join(',');
  return typeof v === 'string' ? v : undefined;
}

/** Reads `traceparent` (and `tracestate`) from incoming headers; undefined when absent or invalid. Never throws. */
export function extract(carrier: HeaderCarrier | undefined | null): TraceContext | undefined {
  try {
    if (!carrier) return undefined;
    const ctx = parseTraceparent(headerValue(carrier, 'traceparent'));
    if (!ctx) return undefined;
    const state = headerValue(carrier, 'tracestate')?.trim();
    if (state && state.length <= MAX_TRACESTATE) ctx.traceState = state;
    return ctx;
  } catch {
    return undefined;
  }
}

/** Writes `traceparent` (and `tracestate`) for `ctx` into outgoing headers; returns the carrier. Never throws. */
export function injectContext<C extends HeaderCarrier>(carrier: C, ctx: TraceContext | undefined): C {
  if (!ctx || !carrier) return carrier;
  try {
    const tp = formatTraceparent(ctx);
    if (typeof (carrier as Headers).set === 'function') {
      (carrier as Headers).set('traceparent', tp);
      if (ctx.traceState) (carrier as Headers).set('tracestate', ctx.traceState);
    } else {
      const rec = carrier as Record<string, unknown>;
      rec.traceparent = tp;
      if (ctx.traceState) rec.tracestate = ctx.traceState;
    }
  } catch {
    // frozen or exotic carrier: the request goes out without context rather than failing
  }
  return carrier;
}
