/**
 * The example service: a Hono app instrumented with @nullspan/sdk. Every request gets a server span from the
 * middleware; the routes add child spans around work that makes system calls the probe sees inside them.
 */
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { span } from '@nullspan/sdk';
import { nullspan } from '@nullspan/sdk/hono';
import { tracedFetch } from '@nullspan/sdk/http';

export interface AppOptions {
  /** base URL of the upstream the /proxy route calls (the demo points it at this same service) */
  upstream: () => string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** a file that ships with the example, so /file reads something real */
const packageJson = fileURLToPath(new URL('../package.json', import.meta.url));

/** A "database" query: connect, run, fetch rows; each step a child span with real file system calls inside. */
async function queryUser(id: string): Promise<{ id: string; name: string; bytes: number }> {
  return span.trace(
    'db.query',
    { 'db.system': 'files', 'db.statement': 'SELECT * FROM users WHERE id = ?', id },
    async (q) => {
      await span.trace('db.connect', async () => {
        await stat(tmpdir());
      });
      const rows = await span.trace('db.fetch', { table: 'users' }, async () => {
        const text = await readFile(packageJson, 'utf8');
        await sleep(2);
        return text.length;
      });
      q.setArgs({ rows: 1 });
      return { id, name: `user-${id}`, bytes: rows };
    },
  );
}

export function createApp(options: AppOptions): Hono {
  // service.name for the traces: OTEL_SERVICE_NAME wins when set
  if (!process.env.OTEL_SERVICE_NAME) span.configure({ serviceName: 'hono-example' });
  const app = new Hono();
  app.use(nullspan());
  app.onError((err, c) => c.json({ error: err.message }, 500)); // the middleware still marks the span failed

  app.get('/hello', (c) => c.text('hello\n'));

  app.get('/file', async (c) => {
    const text = await span.trace('file.read', { path: packageJson }, () => readFile(packageJson, 'utf8'));
    return c.json({ path: packageJson, bytes: text.length });
  });

  app.get('/users/:id', async (c) => c.json(await queryUser(c.req.param('id'))));

  app.get('/proxy', async (c) => {
    const res = await tracedFetch(`${options.upstream()}/hello`);
    return c.json({ upstream: res.status, body: (await res.text()).trim() });
  });

  // Deliberately slow: write a file, fsync it, and wait a little.
  app.get('/slow', async (c) => {
    const dir = await mkdtemp(join(tmpdir(), 'nullspan-example-'));
    try {
      await span.trace('file.write+fsync', { dir }, async () => {
        const fh = await open(join(dir, 'data.bin'), 'w');
        try {
          await fh.write(Buffer.alloc(256 * 1024, 7));
          await fh.sync();
        } finally {
          await fh.close();
        }
      });
      await span.trace('sleep', { ms: 50 }, () => sleep(50));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return c.json({ slow: true });
  });

  app.get('/fail', () => {
    throw new Error('this route always fails');
  });

  return app;
}
