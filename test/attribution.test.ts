// Attribution of interleaved requests, end to end on the real kernel through the real CLI: a Hono service handles 50 concurrent
// requests on one Node thread; each reads a file named after its request id with readFileSync (main thread) and with
// fs.promises.readFile (libuv worker threads), and calls a loopback upstream on a fresh connection to a port that
// belongs to that id alone (so every socket call names its request by its peer port). Every one of those system
// calls must sit under its own request's span, or be exported as unattributed; none under another request.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLines, type OtlpSpan } from './helpers/otlp.js';
import { REPO, startCli, tempDir, waitForOutput, type CliResult } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const SERVICE = join(REPO, 'test/fixtures/attribution-service.mjs');
const REQUESTS = 50;
const ids = Array.from({ length: REQUESTS }, (_, i) => `q${String(i).padStart(3, '0')}`);

const tmp = tempDir();
const file = join(tmp.dir, 'traces.jsonl');
let spans: OtlpSpan[] = [];
let live: CliResult;
const upstreams: http.Server[] = [];
/** upstream port → the id it serves; and what each upstream was asked for (path ids) */
const portToId = new Map<number, string>();
const upstreamSaw: string[] = [];
const responses = new Map<string, string>();

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (d) => (body += d))
          .on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  const ports: Record<string, number> = {};
  for (const id of ids) {
    writeFileSync(join(tmp.dir, `${id}-sync.txt`), `sync:${id}`);
    writeFileSync(join(tmp.dir, `${id}-async.txt`), `async:${id}`);
    const server = http.createServer((req, res) => {
      upstreamSaw.push(`${portToId.get((req.socket.address() as AddressInfo).port)}=${req.url}`);
      res.end(`up:${id}`);
    });
    upstreams.push(server);
    ports[id] = await listen(server);
    portToId.set(ports[id], id);
  }
  const cli = startCli([
    'run',
    '--no-otlp',
    '--outside-spans',
    '--otlp-file',
    file,
    '--',
    process.execPath,
    SERVICE,
    tmp.dir,
    JSON.stringify(ports),
  ]);
  await waitForOutput(cli, (out) => /listening on \d+/.test(out));
  const port = Number(/listening on (\d+)/.exec(cli.stdout())![1]);
  const bodies = await Promise.all(ids.map((id) => get(port, `/work/${id}`)));
  ids.forEach((id, i) => {
    responses.set(id, bodies[i]);
  });
  await get(port, '/quit');
  live = await cli.done;
  spans = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
}); // the configured hookTimeout: the kernel harness raises it for emulated kernels

afterAll(() => {
  for (const s of upstreams) s.close();
  tmp.remove();
});

/** The calls the acceptance counts: open/read/close of the id's files, connect/send/receive on the id's socket. */
const FILE_CALLS = new Set(['openat', 'read', 'close']);
const SOCKET_CALLS = new Set([
  'connect',
  'write',
  'writev',
  'sendto',
  'sendmsg',
  'read',
  'readv',
  'recvfrom',
  'recvmsg',
]);

/** The request id a syscall child span names through its file path or its peer port, if any. */
function idOf(s: OtlpSpan): { id: string; counted: boolean } | undefined {
  const path = String(s.attributes['file.path'] ?? s.attributes['syscall.target'] ?? '');
  const m = /\/(q\d{3})-(sync|async)\.txt$/.exec(path);
  if (m) return { id: m[1], counted: FILE_CALLS.has(s.name) };
  const port = s.attributes['network.peer.port'];
  const id = typeof port === 'number' ? portToId.get(port) : undefined;
  return id === undefined ? undefined : { id, counted: SOCKET_CALLS.has(s.name) };
}

describe('attribution of interleaved requests on one Node thread (issue 7)', () => {
  it('served every request while traced', () => {
    expect(live.code, live.stderr).toBe(0);
    for (const id of ids) expect(responses.get(id)).toBe(`sync:${id} async:${id} up:${id}`);
    expect(upstreamSaw.sort()).toEqual(ids.map((id) => `${id}=/up/${id}`).sort());
  });

  it("puts ≥ 99% of each request's file and socket calls under its own span, none under another, the rest unattributed", () => {
    const byKey = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
    /** the request id of the server span a span sits under */
    const requestOf = (s: OtlpSpan): string | undefined => {
      for (let p = byKey.get(`${s.traceId}/${s.parentSpanId}`); p; p = byKey.get(`${p.traceId}/${p.parentSpanId}`)) {
        const m = /^\/work\/(q\d{3})$/.exec(String(p.attributes['url.path'] ?? ''));
        if (m) return m[1];
      }
      return undefined;
    };
    const counts = { right: 0, wrong: 0, unattributed: 0, outside: 0 };
    /** the id's other calls (socket options, shutdown, the close after the response ended its span) */
    const others = { right: 0, wrong: 0, unattributed: 0, outside: 0 };
    const wrong: string[] = [];
    const kinds = new Map<string, number>();
    for (const s of spans) {
      const how = s.attributes['syscall.attribution'];
      if (how === undefined) continue;
      const named = idOf(s);
      if (named === undefined) continue;
      const { id, counted } = named;
      const n = Number(s.attributes['syscall.count'] ?? 1);
      const owner = requestOf(s);
      const c = counted ? counts : others;
      kinds.set(`${s.name}/${how}`, (kinds.get(`${s.name}/${how}`) ?? 0) + n);
      if (owner === id) c.right += n;
      else if (owner !== undefined) {
        c.wrong += n;
        wrong.push(`${s.name} of ${id} under ${owner} (${how})`);
      } else if (how === 'unattributed') c.unattributed += n;
      else c.outside += n;
    }
    const summary = JSON.stringify({ counts, others, kinds: Object.fromEntries(kinds) });
    console.log(`attribution of the requests' own calls: ${summary}`);
    expect(wrong, summary).toEqual([]);
    expect(counts.outside + others.outside, summary).toBe(0);
    // every request opened, read and closed two files, and connected, wrote and read a socket
    const total = counts.right + counts.unattributed;
    expect(total, summary).toBeGreaterThanOrEqual(REQUESTS * 9);
    expect(counts.right / total, summary).toBeGreaterThanOrEqual(0.99);
    for (const id of ids) {
      const names = spans
        .filter((s) => idOf(s)?.id === id && requestOf(s) === id)
        .map((s) => `${s.name}:${s.attributes['syscall.attribution']}`);
      for (const expected of ['openat:context', 'openat:submitter', 'connect:context'])
        expect(names, `${id}: ${names.join(' ')}`).toContain(expected);
    }
  });
});

describe('libuv uprobes for a node binary the CLI only learns about from the exec', () => {
  it('attributes worker-thread calls of that node to the submitting span', async () => {
    const dir = tempDir();
    try {
      // a node executable at a path nothing attached to yet (a copy: uprobes belong to the file)
      const node = join(dir.dir, 'node');
      copyFileSync(process.execPath, node);
      const data = join(dir.dir, 'data.txt');
      writeFileSync(data, 'worker data');
      const out = join(dir.dir, 'traces.jsonl');
      const cli = startCli([
        'run',
        '--no-otlp',
        '--otlp-file',
        out,
        '--',
        node,
        join(REPO, 'test/fixtures/attribution-worker.mjs'),
        data,
      ]);
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('read 11 bytes');
      expect(withoutFallbackNotices(r.stderr)).toBe('');
      const all = decodeOtlpJsonLines(readFileSync(out, 'utf8'));
      const job = all.find((s) => s.name === 'job')!;
      const under = all.filter((s) => s.parentSpanId === job.spanId && s.attributes['file.path'] === data);
      expect(under.map((s) => `${s.name}:${s.attributes['syscall.attribution']}`)).toContain('openat:submitter');
    } finally {
      dir.remove();
    }
  });
});
