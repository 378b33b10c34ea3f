import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { span } from '../src/index.js';
import { inject, traceRequests, tracedFetch } from '../src/http.js';
import { capture, type Capture } from './capture.js';

let cap: Capture;
let server: Server;
let base: string;
/** the /hang request reached the server; the server has seen its connection close */
let hangArrived: Promise<void>;
let onHangArrived: () => void;
let hangClosed: Promise<void>;
let onHangClosed: () => void;

beforeEach(async () => {
  cap = capture();
  hangArrived = new Promise((r) => (onHangArrived = r));
  hangClosed = new Promise((r) => (onHangClosed = r));
  server = createServer(
    traceRequests(async (req, res) => {
      if (req.url === '/slow-fail') {
        await span.trace('work', async () => new Promise((r) => setTimeout(r, 2)));
        res.statusCode = 502;
        res.end('bad gateway');
        return;
      }
      if (req.url === '/reject') {
        res.end('ok');
        throw new Error('after the response');
      }
      if (req.url === '/hang') {
        res.once('close', () => setImmediate(onHangClosed)); // after the wrapper's own close handling
        onHangArrived();
        return; // no response: the client gives up
      }
      const inner = span.start('handler.inner');
      inner.end();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.headers));
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  cap.stop();
});

describe('node:http wrapper and outgoing context', () => {
  it('joins client and server spans into one trace across a real loopback request', async () => {
    const outer = span.start('job');
    const res = await span.with(outer, () => tracedFetch(`${base}/hello?q=1`));
    const seen = (await res.json()) as Record<string, string>;
    outer.end();
    const ms = cap.markers();
    const enters = ms.filter((m) => m.dir === '>');
    const client = enters.find((m) => m.tags.join('.') === 'HTTP GET')!;
    const srv = enters.find((m) => m.tags.join('.') === 'GET')!;
    const inner = enters.find((m) => m.tags.join('.') === 'handler.inner')!;
    expect(client.ext).toMatchObject({ p: String(outer.id), k: 'client' });
    expect(client.args).toEqual([
      ['http.request.method', 'GET'],
      ['url.full', `${base}/hello?q=1`],
    ]);
    const clientHex = client.id.toString(16).padStart(16, '0');
    expect(seen.traceparent).toBe(`00-${outer.traceId}-${clientHex}-01`);
    expect(srv.ext).toMatchObject({ tp: seen.traceparent, k: 'server' });
    expect(srv.args).toEqual([
      ['http.request.method', 'GET'],
      ['url.path', '/hello'],
    ]);
    expect(inner.ext.p).toBe(String(srv.id));
    const srvExit = ms.find((m) => m.dir === '<' && m.id === srv.id)!;
    expect(srvExit.args).toEqual([['http.response.status_code', 200]]);
    const clientExit = ms.find((m) => m.dir === '<' && m.id === client.id)!;
    expect(clientExit.args).toEqual([['http.response.status_code', 200]]);
  });

  it('marks 5xx, rejected listeners and abandoned requests failed', async () => {
    expect((await fetch(`${base}/slow-fail`)).status).toBe(502);
    expect((await fetch(`${base}/reject`)).status).toBe(200);
    const r = request(`${base}/hang`);
    r.on('error', () => {});
    r.end();
    await hangArrived;
    r.destroy();
    await hangClosed;
    const exits = cap.markers().filter((m) => m.dir === '<' && m.tags[0] === 'GET');
    expect(exits.map((m) => m.ext)).toEqual([
      { st: 'error', msg: 'HTTP 502' },
      { st: 'error', msg: 'after the response' },
      { st: 'error', msg: 'connection closed before the response finished' },
    ]);
  });

  it('inject() writes the header for http.request options', () => {
    span.trace('x', (s) => {
      const headers = inject({ accept: 'text/plain' } as Record<string, string>);
      expect(headers).toEqual({ accept: 'text/plain', traceparent: `00-${s.traceId}-${s.spanId}-01` });
    });
  });

  it('tracedFetch takes a Request too, keeping its method and headers', async () => {
    const res = await tracedFetch(
      new Request(`${base}/echo`, { method: 'POST', headers: { 'x-keep': 'yes' }, body: 'hi' }),
    );
    const seen = (await res.json()) as Record<string, string>;
    expect(seen['x-keep']).toBe('yes');
    const client = cap.markers().find((m) => m.dir === '>' && m.ext.k === 'client')!;
    expect(client.tags.join('.')).toBe('HTTP POST');
    expect(seen.traceparent).toBe(`00-${client.ext.tid}-${client.id.toString(16).padStart(16, '0')}-01`);
  });

  it('a failed fetch ends the client span as failed and rethrows', async () => {
    await expect(tracedFetch('http://127.0.0.1:1/nothing')).rejects.toThrow();
    const exit = cap.markers().find((m) => m.dir === '<')!;
    expect(exit.ext.st).toBe('error');
  });
});
