import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { span } from '../src/index.js';
import { nullspan } from '../src/hono.js';
import { capture, type Capture } from './capture.js';

let cap: Capture;
beforeEach(() => {
  cap = capture({ serviceName: 'shop' });
});
afterEach(() => cap.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function app(options?: Parameters<typeof nullspan>[0]) {
  const a = new Hono();
  a.use(nullspan(options));
  a.get('/users/:id', async (c) => {
    await span.trace('db.query', { table: 'users' }, async () => sleep(2));
    return c.json({ id: c.req.param('id') });
  });
  a.get('/fail', () => {
    throw new Error('kaput');
  });
  a.get('/http-error', () => {
    throw new HTTPException(503, { message: 'busy' });
  });
  a.get('/teapot', (c) => c.text('no', 418));
  a.get('/unauthorized', () => {
    throw new HTTPException(401, { message: 'who are you' });
  });
  a.get('/inject', (c) => c.json(span.inject({} as Record<string, string>)));
  return a;
}

describe('Hono middleware', () => {
  it('opens one server span per request with method, route and status; handler spans nest under it', async () => {
    const res = await app().request('/users/42?x=1');
    expect(res.status).toBe(200);
    const ms = cap.markers();
    expect(ms.map((m) => `${m.dir}${m.tags.join('.')}`)).toEqual([
      '>GET /users/:id',
      '>db.query',
      '<db.query',
      '<GET /users/:id',
    ]);
    const [req, db, , reqExit] = ms;
    expect(req.ext).toMatchObject({ k: 'server', svc: 'shop' });
    expect(req.ext.tid).toMatch(/^[0-9a-f]{32}$/);
    expect(req.args).toEqual([
      ['http.request.method', 'GET'],
      ['url.path', '/users/42'],
      ['http.route', '/users/:id'],
    ]);
    expect(db.ext.p).toBe(String(req.id));
    expect(reqExit.args).toEqual([['http.response.status_code', 200]]);
    expect(reqExit.ext).toEqual({});
  });

  it("continues the caller's trace from traceparent", async () => {
    const a = app();
    const res = await a.request('/inject', { headers: { traceparent: TP, tracestate: 'v=1' } });
    const injected = (await res.json()) as Record<string, string>;
    const [req] = cap.markers();
    expect(req.ext.tp).toBe(TP);
    expect(req.ext.ts).toBe('v=1');
    expect(req.ext.tid).toBeUndefined();
    // the handler's outgoing context is the server span, in the caller's trace
    expect(injected.traceparent).toBe(
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${req.id.toString(16).padStart(16, '0')}-01`,
    );
    expect(injected.tracestate).toBe('v=1');
  });

  it('ignores traceparent when told not to trust it, and ignores garbage', async () => {
    await app({ trustTraceparent: false }).request('/teapot', { headers: { traceparent: TP } });
    await app().request('/teapot', { headers: { traceparent: 'zz' } });
    const enters = cap.markers().filter((m) => m.dir === '>');
    expect(enters.map((m) => m.ext.tp)).toEqual([undefined, undefined]);
    expect(enters.every((m) => /^[0-9a-f]{32}$/.test(m.ext.tid))).toBe(true);
  });

  it('marks thrown errors and 5xx responses failed, 4xx (also thrown as HTTPException) not', async () => {
    const a = app();
    expect((await a.request('/fail')).status).toBe(500);
    expect((await a.request('/http-error')).status).toBe(503);
    expect((await a.request('/teapot')).status).toBe(418);
    expect((await a.request('/nowhere')).status).toBe(404);
    expect((await a.request('/unauthorized')).status).toBe(401);
    const exits = cap.markers().filter((m) => m.dir === '<');
    expect(exits.map((m) => [m.tags.join('.'), m.ext.st, m.ext.msg, m.args[0][1]])).toEqual([
      ['GET /fail', 'error', 'kaput', 500],
      ['GET /http-error', 'error', 'busy', 503],
      ['GET /teapot', undefined, undefined, 418],
      ['GET', undefined, undefined, 404],
      ['GET /unauthorized', undefined, undefined, 401],
    ]);
  });

  it('passes non-Error throws on after ending the span', async () => {
    const a = new Hono();
    a.use(nullspan());
    a.get('/weird', () => {
      throw 'a string'; // eslint-disable-line no-throw-literal
    });
    await expect(a.request('/weird')).rejects.toBe('a string');
    const exits = cap.markers().filter((m) => m.dir === '<');
    expect(exits).toHaveLength(1);
    expect(exits[0].ext).toEqual({ st: 'error', msg: 'a string' });
  });

  it('keeps concurrent requests apart', async () => {
    const a = app();
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.request(`/users/${i}`)));
    const ms = cap.markers();
    const reqs = new Map(ms.filter((m) => m.dir === '>' && m.tags[0].startsWith('GET')).map((m) => [String(m.id), m]));
    const dbs = ms.filter((m) => m.dir === '>' && m.tags[0] === 'db');
    expect(reqs.size).toBe(20);
    expect(dbs).toHaveLength(20);
    expect(new Set(dbs.map((d) => d.ext.p)).size).toBe(20);
    for (const d of dbs) expect(reqs.has(d.ext.p)).toBe(true);
  });

  it('names spans after routes of mounted sub-apps, with middleware registered after the route', async () => {
    const api = new Hono();
    api.get('/items/:id', (c) => c.text(c.req.param('id')));
    const a = new Hono();
    a.use(nullspan());
    a.route('/api', api);
    a.use('/api/*', async (_c, next) => next()); // matches too, registered for ALL methods
    expect(await (await a.request('/api/items/7')).text()).toBe('7');
    const [req, exit] = cap.markers();
    expect(req.tags.join('.')).toBe('GET /api/items/:id');
    expect(req.args).toContainEqual(['http.route', '/api/items/:id']);
    expect(exit.args).toEqual([['http.response.status_code', 200]]);
  });

  it('survives options that throw: the request is served, the span still written', async () => {
    const boom = () => {
      throw new Error('option bug');
    };
    const res = await app({ spanName: boom, requestArgs: boom, isError: boom }).request('/users/3');
    expect(res.status).toBe(200);
    const ms = cap.markers();
    expect(ms.map((m) => `${m.dir}${m.tags.join('.')}`)).toEqual([
      '>GET /users/:id',
      '>db.query',
      '<db.query',
      '<GET /users/:id',
    ]);
    expect(ms[3].args).toEqual([['http.response.status_code', 200]]);
  });

  it('uses the options: span name and extra args', async () => {
    await app({
      spanName: (_c, route) => `api ${route}`,
      requestArgs: (c) => ({ tenant: c.req.header('x-tenant') }),
    }).request('/users/1', { headers: { 'x-tenant': 'acme' } });
    const [req] = cap.markers();
    expect(req.tags.join('.')).toBe('api /users/:id');
    expect(req.args).toContainEqual(['tenant', 'acme']);
  });
});
