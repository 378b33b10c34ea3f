import { describe, expect, it } from 'vitest';
import { createUiApp } from '../src/ui/app.js';
import { BOUNDARIES_NS, bucketOf } from '../src/ui/buckets.js';
import { startUiServer } from '../src/ui/server.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK, accountedRequest, loopBlocking, proc, request, span, syscall } from './ui-synthetic.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const wallMs = (monoNs: number) => Number((BigInt(monoNs) + CLOCK.wallOffsetNs) / 1_000_000n);

function setup(extra: Partial<Parameters<typeof createUiApp>[0]> = {}) {
  const store = new SpanStore({ clock: CLOCK, maxSpans: 1000 });
  for (const t of [0.1, 0.5, 1.0]) for (const r of request(t * 1e9, 2_000_000)) store.add(r, proc(100, 'shop'));
  const slow = request(4.5e9, 2_500_000_000, 100, 'GET /report');
  for (const r of slow) store.add(r, proc(100, 'shop'));
  const hostile = span({
    name: HOSTILE,
    start: 0.3e9,
    end: 0.3e9 + 7e6,
    pid: 300,
    attributes: { [HOSTILE]: '"></script><script>alert(2)</script>' },
  });
  hostile.syscalls = [syscall({ name: 'openat', ts: 0.3e9 + 10, dur: 100, pid: 300, path: '/tmp/<b>bold</b>' })];
  store.add(hostile, proc(300, `evil ${HOSTILE}`, 'evil'));
  const app = createUiApp({ store, ...extra });
  const get = async (path: string, init?: RequestInit) => {
    const res = await app.request(path, init);
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { res, text, json };
  };
  return { store, app, get, slowRoot: slow[1], hostile };
}

describe('UI API', () => {
  it('lists spans by time and duration window and filter, slowest first', async () => {
    const { get } = setup();
    const all = await get('/api/spans?scope=all');
    expect(all.res.status).toBe(200);
    expect(all.json.total).toBe(9);
    expect(all.json.spans[0]).toMatchObject({
      name: 'GET /report',
      service: 'shop',
      pid: 100,
      durationNs: 2_500_000_000,
    });
    expect(all.json.spans[0].startUs).toBe(wallMs(4.5e9) * 1000);

    const window = await get(`/api/spans?from=${wallMs(4e9)}&to=${wallMs(6e9)}&minDuration=1s&scope=all`);
    expect(window.json.spans.map((s: any) => s.name)).toEqual(['GET /report', 'db.query']);
    const between = await get(`/api/spans?minDuration=1ms&maxDuration=5ms&service=shop&scope=all`);
    expect(between.json.total).toBe(6);
    expect((await get('/api/spans?name=report')).json.total).toBe(1);
    expect((await get('/api/spans?pid=300')).json.spans[0].name).toBe(HOSTILE);
    const iso = new Date(wallMs(4e9)).toISOString();
    expect((await get(`/api/spans?from=${encodeURIComponent(iso)}&scope=all`)).json.total).toBe(2);
    const limited = await get('/api/spans?limit=2&order=newest&scope=all');
    expect(limited.json).toMatchObject({ total: 9, returned: 2 });
    expect(limited.json.spans[0].name).toMatch(/GET \/report|db.query/);
  });

  it('returns spectrogram cells on a grid fitted to the data, root spans by default, filtered', async () => {
    const { get } = setup();
    const sp = await get('/api/spectrogram');
    // 4 requests (server roots) and the hostile span (a root too): their db.query children are not counted
    expect(sp.json.total).toBe(5);
    expect(sp.json.cells.reduce((n: number, c: any) => n + c.n, 0)).toBe(5);
    // starts from 0.1 s to 4.5 s: 50 ms columns
    expect(sp.json).toMatchObject({ columnMs: 50, fromMs: Math.floor(wallMs(0.1e9) / 50) * 50 });
    expect(sp.json.columns).toBe((sp.json.toMs - sp.json.fromMs) / 50);
    expect(sp.json.dataRange).toEqual({ firstMs: wallMs(0.1e9), lastMs: wallMs(4.5e9) });
    expect(sp.json.bucketRange).toEqual({ min: bucketOf(2_000_000), max: bucketOf(2_500_000_000) });
    const slowCell = sp.json.cells.find((c: any) => c.b === bucketOf(2_500_000_000));
    expect(slowCell).toEqual({ c: (wallMs(4.5e9) - sp.json.fromMs) / 50, b: bucketOf(2_500_000_000), n: 1 });
    expect((await get('/api/spectrogram?scope=all')).json.total).toBe(9);
    expect((await get('/api/spectrogram?scope=server')).json.total).toBe(4);
    const filtered = await get('/api/spectrogram?service=shop&name=db&scope=all');
    expect(filtered.json.cells.reduce((n: number, c: any) => n + c.n, 0)).toBe(4);
    // a given range and column count
    const from = wallMs(0);
    const given = await get(`/api/spectrogram?from=${from}&to=${from + 10_000}&columns=10`);
    expect(given.json).toMatchObject({ fromMs: from, toMs: from + 10_000, columnMs: 1000, columns: 10, total: 5 });
    expect(given.json.dataRange).toEqual(sp.json.dataRange);
    for (const [query, error] of [
      ['columns=5', /^Parameter 'columns' must be an integer from 10 to 1000\.$/],
      ['columns=1001', /^Parameter 'columns' must be an integer/],
      ['scope=children', /^Parameter 'scope' must be one of 'root', 'server', 'all'\.$/],
    ] as const) {
      const bad = await get(`/api/spectrogram?${query}`);
      expect(bad.res.status).toBe(400);
      expect(bad.json.error).toMatch(error);
    }
    const config = await get('/api/config');
    expect(config.json.buckets).toHaveLength(BOUNDARIES_NS.length - 1);
  });

  it('links to Jaeger only when the spans were exported over OTLP by this nullspan', async () => {
    const notExported = setup();
    expect((await notExported.get('/api/config')).json).toMatchObject({ exported: false, jaegerUrl: null });
    const { slowRoot } = notExported;
    const detail = await notExported.get(`/api/spans/${slowRoot.traceId}/${slowRoot.spanId}`);
    expect(detail.json.jaegerUrl).toBeNull();
    const exported = setup({ exported: true });
    expect((await exported.get('/api/config')).json).toMatchObject({
      exported: true,
      jaegerUrl: 'http://localhost:16686',
    });
  });

  it("returns one span's tree with child spans, system calls, where the time went and the Jaeger link", async () => {
    const { get, slowRoot } = setup({ jaegerUrl: 'https://jaeger.example:8443/jaeger/', exported: true });
    const d = await get(`/api/spans/${slowRoot.traceId}/${slowRoot.spanId}`);
    expect(d.res.status).toBe(200);
    expect(d.json.jaegerUrl).toBe(`https://jaeger.example:8443/jaeger/trace/${slowRoot.traceId}`);
    const [tree, dbQuery, ...rest] = d.json.tree.nodes;
    expect(rest).toEqual([]);
    expect(tree.span.name).toBe('GET /report');
    expect(tree).toMatchObject({ offsetNs: 0, parent: null, depth: 0 });
    expect(tree.syscalls.map((s: any) => s.name)).toEqual(['openat', 'read', 'openat', 'writev']);
    expect(tree.syscalls[0]).toMatchObject({
      path: '/srv/shop/templates/list.html',
      fd: 22,
      offsetNs: 2000,
      durationNs: 15_000,
      errno: null,
    });
    expect(tree.syscalls[1]).toMatchObject({ count: 12, bytes: 49152, extentNs: 380_000 });
    expect(tree.syscalls[2]).toMatchObject({ errno: 'ENOENT', ret: -2 });
    expect(tree.syscalls[3]).toMatchObject({ peer: '127.0.0.1:51234' });
    expect(dbQuery.span.name).toBe('db.query');
    expect(dbQuery).toMatchObject({ offsetNs: 500_000_000, parent: 0, depth: 1 });
    expect(dbQuery.syscalls[0]).toMatchObject({ name: 'sendto', peer: '127.0.0.1:5432', bytes: 120 });
    const b = d.json.breakdown;
    expect(b.durationNs).toBe(2_500_000_000);
    expect(b.bySyscall[0]).toMatchObject({ name: 'recvfrom', ns: 1_000_000_000, calls: 1 });
    expect(b.bySyscall.find((r: any) => r.name === 'openat')).toMatchObject({ ns: 19_000, calls: 2 });
    expect(b.syscalls).toBe(4 + 11 + 2);
    expect(b.inSyscallsNs + b.outsideSyscallsNs).toBe(2_500_000_000);
    expect(b.inSyscallsNs).toBe(15_000 + 60_000 + 4000 + 30_000 + 8000 + 1_000_000_000);
    expect(d.json.parentRetained).toBe(false);
    const child = await get(`/api/spans/${slowRoot.traceId}/${dbQuery.span.spanId}`);
    expect(child.json.parentRetained).toBe(true);
  });

  it("carries each span's and system call's time split, and links a loop-busy culprit when it is retained", async () => {
    const { store, get } = setup();
    const [dbQuery, report] = accountedRequest(10e9);
    for (const r of [dbQuery, report]) store.add(r, proc(100, 'shop'));
    const [waiting, heavy] = loopBlocking(12e9);
    for (const r of [heavy, waiting]) store.add(r, proc(200, 'users'));
    // A culprit named by hostile text and not in memory; a bad value from a broken producer.
    const [orphan] = loopBlocking(14e9, 200, HOSTILE);
    orphan.times!.onCpu = Number.NaN;
    store.add(orphan, proc(200, 'users'));

    const d = await get(`/api/spans/${report.traceId}/${report.spanId}`);
    const [root, child] = d.json.tree.nodes;
    expect(root.span.times).toEqual({
      model: 'thread',
      onCpuNs: 20e6,
      runqueueNs: 5e6,
      blockedNs: { file: 50e6, net: 0, lock: 20e6, sleep: 0, poll: 0, pagefault: 5e6, other: 0 },
      majorFaults: 3,
      loopBusyOtherNs: null,
      loopBusyTop: null,
      asyncWaitNs: null,
      worker: null,
    });
    expect(root.loopBusyTopTraceId).toBeNull();
    expect(child.span.times).toMatchObject({ onCpuNs: 10e6, blockedNs: { net: 40e6 } });
    expect(child.syscalls[0].times).toBeNull();
    expect(child.syscalls[1].times).toEqual({
      onCpuNs: 1e6,
      runqueueNs: 1e6,
      blockedNs: 38e6,
      sleep: 'uninterruptible',
    });

    const a = await get(`/api/spans/${waiting.traceId}/${waiting.spanId}`);
    const node = a.json.tree.nodes[0];
    expect(node.span.times).toMatchObject({
      model: 'event-loop',
      onCpuNs: 2e6,
      loopBusyOtherNs: 90e6,
      loopBusyTop: { name: 'GET /heavy', spanId: heavy.spanId, ns: 90e6 },
      asyncWaitNs: 8e6,
      worker: { onCpuNs: 1e6, runqueueNs: 0, blockedNs: 6e6 },
    });
    expect(node.loopBusyTopTraceId).toBe(heavy.traceId); // another trace, found by span id in the same process

    const o = await get(`/api/spans/${orphan.traceId}/${orphan.spanId}`);
    expect(o.json.tree.nodes[0].span.times).toMatchObject({ onCpuNs: 0, loopBusyTop: { name: HOSTILE } });
    expect(o.json.tree.nodes[0].loopBusyTopTraceId).toBeNull();
    expect(o.res.headers.get('content-type')).toMatch(/^application\/json/); // data, verbatim; the page renders it as text

    // Spans without accounting say so with null; the list carries the times too.
    const plain = (await get('/api/spans?name=db.query&limit=1&order=oldest&scope=all')).json.spans[0];
    expect(plain.times).toBeNull();
    const listed = (await get('/api/spans?name=heavy')).json.spans[0];
    expect(listed.times).toMatchObject({ model: 'event-loop', onCpuNs: 100e6 });
  });

  it('answers invalid parameters with 400 and one sentence, never a stack trace', async () => {
    const { get } = setup();
    const cases: [string, RegExp][] = [
      ['/api/spans?from=yesterday', /^Parameter 'from' must be milliseconds since the Unix epoch/],
      ['/api/spans?from=2000&to=1000', /^Parameter 'to' must not be earlier than 'from'\.$/],
      ['/api/spans?minDuration=fast', /^Parameter 'minDuration' must be a duration/],
      ['/api/spans?minDuration=2s&maxDuration=1s', /^Parameter 'maxDuration' must not be smaller/],
      ['/api/spans?pid=-1', /^Parameter 'pid' must be an integer from 1 to/],
      ['/api/spans?limit=0', /^Parameter 'limit' must be an integer from 1 to 5000\.$/],
      ['/api/spans?limit=1e9', /^Parameter 'limit' must be an integer/],
      ['/api/spans?order=random', /^Parameter 'order' must be 'slowest', 'newest' or 'oldest'\.$/],
      ['/api/spans?pid=1&pid=2', /^Parameter 'pid' is given more than once\.$/],
      ['/api/spans?bogus=1', /^Unknown parameter 'bogus' \(expected /],
      [`/api/spans?name=${'x'.repeat(1001)}`, /^Parameter 'name' is longer than 1000 characters\.$/],
      ['/api/spectrogram?minDuration=1', /^Unknown parameter 'minDuration'/],
      ['/api/spans/NOTHEX/0123456789abcdef', /^'traceId' must be 32 lower-case hexadecimal digits\.$/],
      ['/api/spans/0123456789abcdef0123456789abcdef/xyz', /^'spanId' must be 16 lower-case hexadecimal digits\.$/],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      expect(r.res.status, path).toBe(400);
      expect(Object.keys(r.json), path).toEqual(['error']);
      expect(r.json.error, path).toMatch(message);
      expect(r.json.error.split(/\.\s|\n/).length, path).toBe(1);
      expect(r.text, path).not.toMatch(/\n\s+at |\.ts:\d+/);
    }
    const missing = await get('/api/spans/0123456789abcdef0123456789abcdef/0123456789abcdef');
    expect(missing.res.status).toBe(404);
    expect(missing.json.error).toMatch(/not in memory/);
  });

  it('treats span content as data: hostile names come back verbatim as JSON, the page never embeds them', async () => {
    const { get, hostile } = setup();
    const list = await get('/api/spans?pid=300');
    expect(list.res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(list.res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(list.json.spans[0].name).toBe(HOSTILE);
    expect(list.json.spans[0].service).toBe(`evil ${HOSTILE}`);
    expect(list.json.spans[0].attributes[HOSTILE]).toBe('"></script><script>alert(2)</script>');
    const tree = await get(`/api/spans/${hostile.traceId}/${hostile.spanId}`);
    expect(tree.json.tree.nodes[0].syscalls[0].path).toBe('/tmp/<b>bold</b>');
    const facets = await get('/api/facets');
    expect(facets.json.names.map((n: any) => n.name)).toContain(HOSTILE);

    const page = await get('/');
    expect(page.res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).not.toContain('onerror');
    const csp = page.res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.res.headers.get('x-frame-options')).toBe('DENY');
    // The page's script never hands span data to an HTML parser.
    const js = (await get('/app.js')).text;
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(page.text).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/);
  });

  it('serves only its own in-memory files: no path traversal, no third-party origins', async () => {
    const { get } = setup();
    for (const path of ['/', '/index.html', '/app.js', '/app.css', '/favicon.svg']) {
      expect((await get(path)).res.status, path).toBe(200);
    }
    const attempts = [
      '/../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/app.js/../../../etc/passwd',
      '/assets/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '//etc/passwd',
      '/src/ui/app.ts',
      '/assets/client.ts',
      '/app.js%00.png',
      '/.git/config',
    ];
    for (const path of attempts) {
      const r = await get(path);
      expect(r.res.status, path).toBe(404);
      expect(r.text, path).not.toMatch(/root:|"name"|\[core\]|import /);
    }
    const page = (await get('/')).text;
    const refs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(['/app.css', '/app.js', '/favicon.svg']);
    expect((await get('/app.js')).text).not.toMatch(/https?:\/\/(?!localhost)[a-z]/i);
  });

  it('requires the access token when one is set: bearer header, one-time query that sets a cookie, or the cookie', async () => {
    const token = 'correct-horse-battery-staple';
    const { app } = setup({ token });
    expect((await app.request('/api/stats')).status).toBe(401);
    expect((await app.request('/')).status).toBe(401);
    expect(
      (await app.request('/api/stats', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status,
    ).toBe(401);
    expect((await app.request('/api/stats', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await app.request('/?token=nope')).status).toBe(401);

    const first = await app.request(`/?token=${token}&x=1`);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/?x=1');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^nullspan_token=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await app.request('/api/spans', { headers: { cookie: cookie.split(';')[0] } });
    expect(withCookie.status).toBe(200);
    // With a token the Host check is the token's job: any Host works once authenticated.
    expect(
      (await app.request('http://10.1.2.3:8080/api/stats', { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    expect(() => createUiApp({ store: new SpanStore(), token: 'short' })).toThrow(/at least 16 characters/);
  });

  it('without a token answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    const { app } = setup();
    expect((await app.request('http://127.0.0.1:7000/api/stats')).status).toBe(200);
    expect((await app.request('http://localhost:7000/api/stats')).status).toBe(200);
    expect((await app.request('http://[::1]:7000/api/stats')).status).toBe(200);
    const rebound = await app.request('http://attacker.example:7000/api/spans');
    expect(rebound.status).toBe(403);
    expect(await rebound.json()).toEqual({ error: 'This server only answers requests addressed to localhost.' });
    const { app: allowing } = setup({ allowHosts: ['tracebox'] });
    expect((await allowing.request('http://tracebox:7000/api/stats')).status).toBe(200);
  });

  it('rejects a Jaeger URL that is not http(s)', () => {
    expect(() => createUiApp({ store: new SpanStore(), jaegerUrl: 'javascript:alert(1)' })).toThrow(
      /must start with http/,
    );
    expect(() => createUiApp({ store: new SpanStore(), jaegerUrl: 'not a url' })).toThrow(/not a valid URL/);
  });

  it('streams live updates as server-sent events while spans arrive', async () => {
    const { app, store } = setup();
    const abort = new AbortController();
    const res = await app.request('/api/stream', { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += decoder.decode(value);
      }
    };
    await readUntil(/event: hello\ndata: .*\n\n/);
    for (const r of request(9e9, 1e6)) store.add(r, proc(100, 'shop'));
    await readUntil(/event: spans\ndata: (.*)\n\n/);
    const data = JSON.parse(/event: spans\ndata: (.*)\n\n/.exec(text)![1]);
    expect(data.added).toBe(2);
    expect(data.newestStartUs).toBe(wallMs(9e9) * 1000 + 200); // the db child starts 200 µs in
    expect(data.stats.spans).toBe(11);
    await reader.cancel();
    abort.abort();
  });

  it('starts a real server on loopback, serves the page, and closes even with a live stream open', async () => {
    const { store } = setup();
    const server = await startUiServer({ store, token: 'a-long-enough-token-1234' });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=a-long-enough-token-1234$/);
      expect((await fetch(server.url.replace(/\?.*/, ''))).status).toBe(401);
      const page = await fetch(server.url, { redirect: 'manual' });
      expect(page.status).toBe(303);
      const cookie = page.headers.get('set-cookie')!.split(';')[0];
      const html = await fetch(server.url.replace(/\?.*/, ''), { headers: { cookie } });
      expect(html.status).toBe(200);
      expect(await html.text()).toMatch(/<canvas id="spectrogram"/);
      const stream = await fetch(new URL('/api/stream', server.url), { headers: { cookie } });
      expect(stream.status).toBe(200);
    } finally {
      await server.close();
    }
    const plain = await startUiServer({ store });
    try {
      expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(plain.token).toBeUndefined();
      const stats = (await (await fetch(new URL('/api/stats', plain.url))).json()) as { store: { spans: number } };
      expect(stats.store.spans).toBe(9);
      await expect(startUiServer({ store, port: plain.port })).rejects.toThrow(
        new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${plain.port} for the UI: EADDRINUSE\\.$`),
      );
    } finally {
      await plain.close();
    }
    await expect(startUiServer({ store, port: 70000 })).rejects.toThrow(/port must be an integer/);
    // Refused before binding anything: no test ever listens beyond loopback.
    await expect(startUiServer({ store, host: '0.0.0.0' })).rejects.toThrow(
      /not a loopback address, requires an access token/,
    );
  });
});
