/**
 * The examples write markers that parse and pair up: the shell script observed with strace (writes that really go
 * to /dev/null), the Hono demo through NULLSPAN_TARGET (the SDK's own write path, into a file).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMarker, type Marker } from '../src/grammar.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nullspan-examples-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bytes of strace's -xx quoted string: "\x3e\x3a..." */
function unquote(s: string): Buffer {
  return Buffer.from(s.replace(/\\x/g, ''), 'hex');
}

describe('examples/shell/markers.sh', () => {
  it('writes well-formed, paired markers to /dev/null', () => {
    const out = join(dir, 'strace.txt');
    const r = spawnSync(
      'strace',
      [
        '-f',
        '-qq',
        '-y',
        '-xx',
        '-s',
        '4096',
        '-e',
        'trace=write',
        '-o',
        out,
        'sh',
        join(root, 'examples/shell/markers.sh'),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^done: 200 lines/m);
    const markers: Marker[] = [];
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      // with -xx strace prints the fd's path and the data as \x escapes
      const m = /write\(\d+<((?:\\x[0-9a-f]{2})+)>, "((?:\\x[0-9a-f]{2})*)"/.exec(line);
      if (!m || !unquote(m[1]).toString().startsWith('/dev/null')) continue;
      const p = parseMarker(unquote(m[2]));
      if (!p.ok) throw new Error(`malformed marker from the script: ${unquote(m[2]).toString()}: ${JSON.stringify(p)}`);
      markers.push(p.marker);
    }
    expect(markers).toHaveLength(14);
    const open: string[] = [];
    for (const m of markers) {
      const key = `${m.id}:${m.tags.join('.')}`;
      if (m.dir === '>') open.push(key);
      else expect(open.pop()).toBe(key);
    }
    expect(open).toEqual([]);
    const report = markers.find((m) => m.dir === '>' && m.tags.join('.') === 'job.report')!;
    expect(report.args).toEqual([
      ['title', 'size, lines: and bytes'],
      ['ratio', '1=1'],
    ]);
    expect(markers.filter((m) => m.id === 'pp')).toHaveLength(2);
  });
});

describe('examples/hono-service demo', () => {
  it('serves its requests, exits 0, and its markers form one trace per request with nested spans', () => {
    const demo = join(root, 'examples/hono-service/dist/demo.js');
    if (!existsSync(demo))
      execFileSync('npx', ['tsc', '-p', join(root, 'examples/hono-service/tsconfig.json')], { stdio: 'inherit' });
    const target = join(dir, 'demo.markers');
    const r = spawnSync(process.execPath, [demo], {
      encoding: 'utf8',
      env: { ...process.env, NULLSPAN_TARGET: target },
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^GET \/hello -> 200 /),
      expect.stringMatching(/^GET \/file -> 200 /),
      expect.stringMatching(/^GET \/users\/42 -> 200 /),
      expect.stringMatching(/^GET \/proxy -> 200 /),
      expect.stringMatching(/^GET \/slow -> 200 /),
      expect.stringMatching(/^GET \/fail -> 500 /),
    ]);
    const data = readFileSync(target);
    const markers: Marker[] = [];
    for (let at = 0; at < data.length; ) {
      const p = parseMarker(data.subarray(at));
      if (!p.ok) throw new Error(`malformed marker at ${at}`);
      markers.push(p.marker);
      at += p.length;
    }
    const enters = markers.filter((m) => m.dir === '>');
    const exits = new Map(markers.filter((m) => m.dir === '<').map((m) => [m.id, m]));
    expect(exits.size).toBe(enters.length);
    const byId = new Map(enters.map((m) => [m.id, m]));
    const name = (m: Marker) => m.tags.join('.');
    const servers = enters.filter((m) => m.ext.k === 'server');
    expect(servers.map(name)).toEqual([
      'GET /hello',
      'GET /file',
      'GET /users/:id',
      'GET /proxy',
      'GET /hello',
      'GET /slow',
      'GET /fail',
    ]);
    for (const s of servers) expect(s.ext.svc).toBe('hono-example');
    // the db span has two children, and it is the child of the /users/:id request
    const db = enters.find((m) => name(m) === 'db.query')!;
    expect(name(byId.get(Number(db.ext.p))!)).toBe('GET /users/:id');
    expect(enters.filter((m) => m.ext.p === String(db.id)).map(name)).toEqual(['db.connect', 'db.fetch']);
    // /proxy -> client span -> the /hello request it made carries the client span as remote parent
    const client = enters.find((m) => m.ext.k === 'client')!;
    expect(name(byId.get(Number(client.ext.p))!)).toBe('GET /proxy');
    const proxied = servers[4];
    const proxyTrace = byId.get(Number(client.ext.p))!.ext.tid;
    expect(proxied.ext.tp).toBe(`00-${proxyTrace}-${client.id.toString(16).padStart(16, '0')}-01`);
    expect(exits.get(servers[6].id)!.ext).toMatchObject({ st: 'error', msg: 'this route always fails' });
  });
});
