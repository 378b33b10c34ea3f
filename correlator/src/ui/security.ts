// Access control for the UI server. Two Hono middleware factories:
// - accessToken(): required whenever the server listens on a non-loopback address. Accepts the token as
//   `Authorization: Bearer …`, as a cookie, or once as `?token=…` on the page URL (which sets the cookie and
//   redirects to the same URL without the token, so it leaves the address bar and the history).
// - loopbackHosts(): without a token, only requests addressed to a loopback name are served. This stops DNS
//   rebinding: a web page on another origin cannot rename itself to 127.0.0.1 and read the spans.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export interface AccessTokenOptions {
  /** the secret; compare is constant-time */
  token: string;
  /** cookie that carries the token after the first visit (default 'nullspan_token') */
  cookieName?: string;
  /** query parameter accepted on page loads (default 'token') */
  queryParam?: string;
}

const DEFAULT_ACCESS_TOKEN_OPTIONS = { cookieName: 'nullspan_token', queryParam: 'token' };

export function accessToken(options: AccessTokenOptions): MiddlewareHandler {
  const { token, cookieName, queryParam } = { ...DEFAULT_ACCESS_TOKEN_OPTIONS, ...options };
  if (typeof token !== 'string' || token.length < 16) {
    throw new RangeError('The access token must be a string of at least 16 characters.');
  }
  const expected = digest(token);
  const valid = (candidate: string | undefined): boolean =>
    candidate !== undefined && timingSafeEqual(digest(candidate), expected);

  return async (c, next) => {
    const header = c.req.header('authorization');
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (valid(bearer) || valid(getCookie(c, cookieName))) return next();

    const fromQuery = c.req.query(queryParam);
    if (valid(fromQuery) && c.req.method === 'GET') {
      setCookie(c, cookieName, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete(queryParam);
      return c.redirect(url.pathname + url.search, 303);
    }
    return c.json(
      { error: 'A valid access token is required (open the URL nullspan printed, which carries it).' },
      401,
    );
  };
}

export interface LoopbackHostsOptions {
  /** extra host names accepted besides localhost, 127.0.0.0/8 and ::1 */
  allow?: string[];
}

export function loopbackHosts(options: LoopbackHostsOptions = {}): MiddlewareHandler {
  const extra = new Set((options.allow ?? []).map((h) => h.toLowerCase()));
  return async (c, next) => {
    const host = new URL(c.req.url).hostname.toLowerCase();
    if (isLoopbackHost(host) || extra.has(host)) return next();
    return c.json({ error: 'This server only answers requests addressed to localhost.' }, 403);
  };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
