// End to end, the quick-start job: `nullspan run --print --otlp-file ... -- node examples/hono-service/dist/demo.js`
// on the real kernel, exporting to a real OTLP/HTTP receiver. Checks the trees the instrumented Hono service
// produces: server spans per request, application spans nested as the code writes them, a client span whose
// downstream server span joins its trace through traceparent, socket calls under the span that made them with
// the peer address, error status, connected traces; the receiver gets what the file holds; replay reproduces it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { cliEnv, REPO, runCli, runProgram, startCli, tempDir, waitForOutput, type CliResult } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const DEMO = join(REPO, 'examples/hono-service/dist/demo.js');
const SERVER_JS = join(REPO, 'examples/hono-service/dist/server.js');
const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

const tmp = tempDir();
let receiver: OtlpReceiver;
let live: CliResult;
let spans: OtlpSpan[];
let port: number;
const file = join(tmp.dir, 'traces.jsonl');
const capture = join(tmp.dir, 'demo.nscap');

beforeAll(async () => {
  if (!existsSync(DEMO)) throw new Error(`${DEMO} is missing: build the workspace first (pnpm build)`);
  receiver = await startOtlpReceiver();
  live = await runCli([
    'run',
    '--print',
    '--otlp-file',
    file,
    '--endpoint',
    receiver.url,
    '--write',
    capture,
    '--',
    process.execPath,
    DEMO,
  ]);
  spans = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
  port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(live.stdout)?.[1]);
});

afterAll(async () => {
  await receiver?.close();
  tmp.remove();
});

function named(name: string): OtlpSpan[] {
  return spans.filter((s) => s.name === name);
}

function one(name: string): OtlpSpan {
  const found = named(name);
  expect(found, `one span named ${name}`).toHaveLength(1);
  return found[0];
}

function parentOf(s: OtlpSpan): OtlpSpan | undefined {
  return spans.find((p) => p.traceId === s.traceId && p.spanId === s.parentSpanId);
}

function syscallsUnder(s: OtlpSpan): OtlpSpan[] {
  return spans.filter(
    (c) => c.parentSpanId === s.spanId && c.traceId === s.traceId && c.attributes['syscall.attribution'] !== undefined,
  );
}

describe('quick start: the Hono example under nullspan run', () => {
  it('runs the demo to completion and exits with its exit code', () => {
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toContain('GET /users/42 -> 200');
    expect(port).toBeGreaterThan(0);
    expect(withoutFallbackNotices(live.stderr)).toBe('');
  });

  it('exports one server span per request, with route, status and the service resource', () => {
    const servers = spans.filter((s) => s.kind === SERVER);
    for (const name of ['GET /file', 'GET /users/:id', 'GET /proxy', 'GET /slow', 'GET /fail']) {
      const s = one(name);
      expect(s.kind).toBe(SERVER);
      expect(s.parentSpanId).toBe('');
    }
    // /hello is requested by the demo and again through /proxy
    expect(named('GET /hello')).toHaveLength(2);
    expect(servers).toHaveLength(7);
    const users = one('GET /users/:id');
    expect(users.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'http.response.status_code': 200,
    });
    expect(users.resource['service.name']).toBe('hono-example');
    expect(users.resource['process.executable.name']).toBe('node');
    expect(String(users.resource['process.command_line'])).toContain('demo.js');
    expect(one('GET /fail').status.code).toBe(STATUS_ERROR);
  });

  it('nests application spans as the code writes them', () => {
    const users = one('GET /users/:id');
    const query = one('db.query');
    expect(parentOf(query)).toBe(users);
    expect(parentOf(one('db.connect'))).toBe(query);
    expect(parentOf(one('db.fetch'))).toBe(query);
    expect(query.attributes).toMatchObject({ 'db.system': 'files', id: '42', rows: 1 });
    expect(parentOf(one('file.read'))).toBe(one('GET /file'));
    const slow = one('GET /slow');
    expect(parentOf(one('file.write+fsync'))).toBe(slow);
    expect(parentOf(one('sleep'))).toBe(slow);
  });

  it('joins the downstream request of /proxy into its trace through traceparent', () => {
    const proxy = one('GET /proxy');
    const client = spans.find((s) => s.kind === CLIENT && parentOf(s) === proxy);
    expect(client, 'a client span under GET /proxy').toBeDefined();
    const downstream = named('GET /hello').find((s) => s.parentSpanId === client!.spanId);
    expect(downstream, "the proxied GET /hello is the client span's child").toBeDefined();
    expect(downstream!.traceId).toBe(proxy.traceId);
  });

  it('puts the socket calls of the outgoing request under the client span, with the peer address', () => {
    const client = spans.find((s) => s.kind === CLIENT)!;
    const calls = syscallsUnder(client);
    const sent = calls.find(
      (c) => /^(write|writev|sendto|sendmsg)$/.test(c.name) && c.attributes['network.peer.port'] === port,
    );
    expect(sent, `a send to 127.0.0.1:${port} under ${client.name}`).toBeDefined();
    expect(sent!.attributes).toMatchObject({ 'network.peer.address': '127.0.0.1', 'network.transport': 'tcp' });
    expect(sent!.attributes['syscall.bytes']).toBeGreaterThan(0);
    // system calls stay inside their span's interval
    for (const c of calls) {
      const where = `${c.name} ${JSON.stringify(c.attributes)}: starts ${c.startTimeUnixNano - client.startTimeUnixNano} ns after ${client.name}, ends ${c.endTimeUnixNano - client.endTimeUnixNano} ns after it`;
      expect(
        c.startTimeUnixNano >= client.startTimeUnixNano && c.endTimeUnixNano <= client.endTimeUnixNano,
        where,
      ).toBe(true);
    }
  });

  it('keeps every trace connected: each parent id is a span of the same trace', () => {
    const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
    const orphans = spans.filter((s) => s.parentSpanId && !ids.has(`${s.traceId}/${s.parentSpanId}`));
    expect(orphans.map((s) => s.name)).toEqual([]);
  });

  it('prints the nested span → syscall tree', () => {
    const lines = live.stdout.split('\n');
    const query = lines.findIndex((l) => /^ {4}db\.query {2}/.test(l));
    expect(query, live.stdout).toBeGreaterThan(0);
    const enclosingRoot = lines
      .slice(0, query)
      .reverse()
      .find((l) => /^ {2}\S/.test(l));
    expect(enclosingRoot).toMatch(/^ {2}GET \/users\/:id {2}/);
    expect(lines.slice(query + 1).some((l) => /^ {6}db\.connect {2}/.test(l))).toBe(true);
    expect(lines.some((l) => new RegExp(`^ +· write +-> 127\\.0\\.0\\.1:${port} `).test(l))).toBe(true);
  });

  it('sent the same spans to the OTLP/HTTP receiver', () => {
    expect(receiver.errors).toEqual([]);
    const key = (s: OtlpSpan) => `${s.traceId}/${s.spanId}/${s.name}/${s.startTimeUnixNano}/${s.endTimeUnixNano}`;
    expect(receiver.spans().map(key).sort()).toEqual(spans.map(key).sort());
  });

  it('replays the capture into the same traces and the same tree', async () => {
    const replayed = join(tmp.dir, 'replayed.jsonl');
    const r = await runCli(['replay', '--print', '--no-otlp', '--otlp-file', replayed, capture]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(replayed, 'utf8')).toBe(readFileSync(file, 'utf8'));
    const demoLine = /^(example service listening on |GET \/\S* -> )/;
    expect(r.stdout).toBe(
      live.stdout
        .split('\n')
        .filter((l) => !demoLine.test(l))
        .join('\n'),
    );
  });
});

describe('the Hono service under nullspan run, serving requests the test sends', () => {
  it('nests each of several concurrent requests correctly, and flushes everything on Ctrl-C', async () => {
    const traces = join(tmp.dir, 'server.jsonl');
    const cli = startCli(['run', '--no-otlp', '--otlp-file', traces, '--', process.execPath, SERVER_JS], {
      env: cliEnv({ PORT: '0' }),
    });
    await waitForOutput(cli, (out) => /example service on http:\/\/127\.0\.0\.1:\d+/.test(out));
    const base = /example service on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())![1];
    const ids = ['11', '12', '13', '14', '15'];
    const answers = await Promise.all(
      ids.map((id) => fetch(`${base}/users/${id}`).then((r) => r.json() as Promise<{ id: string }>)),
    );
    expect(answers.map((a) => a.id)).toEqual(ids);
    expect((await fetch(`${base}/fail`)).status).toBe(500);

    cli.child.kill('SIGINT');
    const r = await cli.done;
    // the service died of the SIGINT nullspan passed on; run reports that as 128 + 2
    expect(r.code, r.stderr).toBe(130);

    const got = decodeOtlpJsonLines(readFileSync(traces, 'utf8'));
    const servers = got.filter((s) => s.name === 'GET /users/:id');
    expect(servers.map((s) => s.attributes['url.path']).sort()).toEqual(ids.map((id) => `/users/${id}`));
    // interleaved on one thread, each query still hangs under the request that made it
    for (const q of got.filter((s) => s.name === 'db.query')) {
      const parent = got.find((s) => s.spanId === q.parentSpanId && s.traceId === q.traceId)!;
      expect(parent.attributes['url.path']).toBe(`/users/${q.attributes.id}`);
      for (const step of ['db.connect', 'db.fetch']) {
        expect(got.filter((s) => s.name === step && s.parentSpanId === q.spanId)).toHaveLength(1);
      }
    }
    expect(got.filter((s) => s.name === 'db.query')).toHaveLength(ids.length);
    expect(new Set(servers.map((s) => s.traceId)).size).toBe(ids.length);
    expect(got.find((s) => s.name === 'GET /fail')!.status.code).toBe(STATUS_ERROR);
  });
});

describe('the README quick-start line', () => {
  it('`pnpm nullspan run --print --otlp-file FILE -- node examples/hono-service/dist/demo.js` works from the repo root', async () => {
    const traces = join(tmp.dir, 'quickstart.jsonl');
    const r = await runProgram(
      'pnpm',
      ['nullspan', 'run', '--print', '--otlp-file', traces, '--', 'node', 'examples/hono-service/dist/demo.js'],
      {
        cwd: REPO,
        env: cliEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}GET \/users\/:id {2}/m);
    expect(r.stdout).toMatch(/^ {4}db\.query {2}/m);
    const names = decodeOtlpJsonLines(readFileSync(traces, 'utf8')).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['GET /proxy', 'db.fetch', 'file.write+fsync']));
  });
});
