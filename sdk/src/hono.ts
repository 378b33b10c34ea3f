/**
 * Hono middleware: one server span per request, child of the incoming `traceparent` when there is one, active
 * while the handlers run (so spans they start nest under it), ended with the response status.
 *
 *   import { nullspan } from '@nullspan/sdk/hono';
 *   app.use(nullspan());
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { start, withSpan, type Span, type SpanArgs } from './span.js';
import { extract } from './tracecontext.js';

export interface HonoMiddlewareOptions {
  /**
   * The span name. Default: `<METHOD> <route>` (OpenTelemetry's HTTP server span name, e.g. `GET /users/:id`),
   * or just the method when no route matched. It is fixed when the request starts (the enter marker carries it).
   */
  spanName?: (c: Context, route: string | undefined) => string;
  /** Continue the caller's trace from `traceparent`/`tracestate` (default true; false: every request is a new trace). */
  trustTraceparent?: boolean;
  /** Extra args for the enter marker (e.g. a tenant id). */
  requestArgs?: (c: Context) => SpanArgs | undefined;
  /** Which response statuses mark the span failed (default: 500 and above). Thrown errors always do. */
  isError?: (status: number) => boolean;
}

const defaultIsError = (status: number) => status >= 500;

/**
 * The route pattern a request matched, or undefined when only middleware did (a 404). Before the handlers run it is
 * the last matched route registered for a method (middleware is registered for ALL); afterwards, the route of the
 * handler that ran last. (matchedRoutes is in hono/route since 4.8.)
 */
function matchedRoute(c: Context, after: boolean): string | undefined {
  try {
    const routes = matchedRoutes(c);
    if (after) {
      const r = routes[c.req.routeIndex];
      return r && r.method !== 'ALL' ? r.path : undefined;
    }
    for (let i = routes.length - 1; i >= 0; i--) if (routes[i].method !== 'ALL') return routes[i].path;
    return undefined;
  } catch {
    return undefined;
  }
}

function isHttpException(e: Error): boolean {
  return (
    typeof (e as { getResponse?: unknown }).getResponse === 'function' &&
    typeof (e as { status?: unknown }).status === 'number'
  );
}

export function nullspan(options: HonoMiddlewareOptions = {}): MiddlewareHandler {
  const isError = options.isError ?? defaultIsError;
  const trust = options.trustTraceparent !== false;

  /** The request's span; the options' callbacks may throw, the request goes on regardless. */
  function open(c: Context): { s: Span; route: string | undefined } {
    const method = c.req.method;
    const route = matchedRoute(c, false);
    const args: SpanArgs = { 'http.request.method': method };
    let name = route ? `${method} ${route}` : method;
    try {
      args['url.path'] = c.req.path;
      if (route) args['http.route'] = route;
      if (options.spanName) name = String(options.spanName(c, route));
      const extra = options.requestArgs?.(c);
      if (extra) Object.assign(args, extra);
    } catch {
      // keep what was gathered before the throw
    }
    const parent = trust ? extract(c.req.raw.headers) : undefined;
    return { s: start(name, args, { kind: 'server', parent: parent ?? null }), route };
  }

  function close(c: Context, s: Span, route: string | undefined): void {
    const endArgs: SpanArgs = {};
    try {
      const status = c.res.status;
      endArgs['http.response.status_code'] = status;
      const err = c.error;
      // an HTTPException carries its own status (a thrown 404 is a client's error, not the server's)
      if (err && !isHttpException(err)) s.setError(err);
      else if (isError(status)) s.setError(err ?? `HTTP ${status}`);
      if (route === undefined) {
        // only middleware matched up front; a handler may still have answered (e.g. one under a wildcard)
        const finalRoute = matchedRoute(c, true);
        if (finalRoute) endArgs['http.route'] = finalRoute;
      }
    } finally {
      s.end(endArgs);
    }
  }

  return async (c, next) => {
    const { s, route } = open(c);
    try {
      await withSpan(s, next);
    } catch (e) {
      // only non-Error throws get here: Hono turns Errors into its onError response
      s.setError(e);
      s.end({ 'http.response.status_code': 500 });
      throw e;
    }
    try {
      close(c, s, route);
    } catch {
      // a throwing isError option: the span is ended anyway, the response goes out
    }
  };
}
