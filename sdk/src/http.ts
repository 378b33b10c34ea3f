/**
 * node:http helpers: a request-listener wrapper that opens one server span per request, and client-side helpers
 * that put the active span's context into outgoing requests.
 *
 *   http.createServer(traceRequests((req, res) => { ... }));
 *   await tracedFetch('http://127.0.0.1:8080/x');            // client span + traceparent
 *   http.request(url, { headers: inject({}) });              // just the header (inject is re-exported here)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { start, withSpan, type Span, type SpanArgs } from './span.js';
import { extract, injectContext } from './tracecontext.js';

export interface HttpServerOptions {
  /** Span name (default: the method, e.g. `GET`: node:http has no routes; pass one that knows yours). */
  spanName?: (req: IncomingMessage) => string;
  /** Continue the caller's trace from `traceparent` (default true). */
  trustTraceparent?: boolean;
  /** Which statuses mark the span failed (default: 500 and above). A throwing listener always does. */
  isError?: (status: number) => boolean;
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Wraps a node:http request listener: the span starts when the request arrives, is active while the listener
 * (and everything it awaits) runs, and ends when the response finishes or the connection closes.
 */
export function traceRequests<Req extends IncomingMessage, Res extends ServerResponse>(
  listener: (req: Req, res: Res) => unknown,
  options: HttpServerOptions = {},
): (req: Req, res: Res) => void {
  const isError = options.isError ?? ((s: number) => s >= 500);
  const trust = options.trustTraceparent !== false;
  return (req, res) => {
    let s: Span;
    try {
      const method = req.method ?? 'GET';
      let name = method;
      try {
        if (options.spanName) name = options.spanName(req);
      } catch {
        // keep the default name
      }
      const args: SpanArgs = { 'http.request.method': method, 'url.path': pathOf(req.url) };
      s = start(name, args, { kind: 'server', parent: (trust ? extract(req.headers) : undefined) ?? null });
      const finish = () => {
        const status = res.statusCode;
        try {
          if (!res.writableFinished && s.status === 'unset')
            s.setError('connection closed before the response finished');
          else if (isError(status) && s.status === 'unset') s.setError(`HTTP ${status}`);
        } catch {
          // a throwing isError option must not become an uncaught exception
        } finally {
          s.end({ 'http.response.status_code': status });
        }
      };
      // 'finish' comes on process.nextTick, before promise reactions: a listener that rejects right after
      // res.end() is still recorded when the end waits for one microtask turn.
      const later = () => queueMicrotask(finish);
      res.once('finish', later);
      res.once('close', later);
    } catch {
      return void listener(req, res);
    }
    try {
      const r = withSpan(s, () => listener(req, res));
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, (e: unknown) => s.setError(e));
      }
    } catch (e) {
      s.setError(e);
      throw e;
    }
  };
}

/** Writes the active span's (or `s`'s) `traceparent` into outgoing headers: an object for http.request, or fetch Headers. */
export { inject } from './span.js';

/**
 * fetch() inside a client span (`HTTP <METHOD>`, with url.full and the response status); the request carries the
 * span's `traceparent`, so the server's span becomes its child. Rejections and 5xx mark the span failed.
 */
export async function tracedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const isRequest = typeof Request !== 'undefined' && input instanceof Request;
  const method = (init.method ?? (isRequest ? input.method : 'GET')).toUpperCase();
  const url = isRequest ? input.url : String(input);
  const s = start(`HTTP ${method}`, { 'http.request.method': method, 'url.full': url }, { kind: 'client' });
  const headers = new Headers(init.headers ?? (isRequest ? input.headers : undefined));
  injectContext(headers, s.context());
  try {
    const res = await withSpan(s, () => fetch(input, { ...init, headers }));
    if (res.status >= 500) s.setError(`HTTP ${res.status}`);
    s.end({ 'http.response.status_code': res.status });
    return res;
  } catch (e) {
    s.setError(e);
    s.end();
    throw e;
  }
}
