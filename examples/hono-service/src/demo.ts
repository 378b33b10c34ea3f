/**
 * The quick-start job: starts the example service on 127.0.0.1 (ephemeral port), sends it a few requests,
 * prints one line per request and exits 0. `nullspan` traces this process to show spans with their syscalls.
 * DEMO_ROUNDS=n repeats the request list n times (default 1).
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

const rounds = Math.max(1, Math.min(1000, Number(process.env.DEMO_ROUNDS ?? 1) || 1));
const paths = ['/hello', '/file', '/users/42', '/proxy', '/slow', '/fail'];

let base = '';
const app = createApp({ upstream: () => base });
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`example service listening on ${base}`);

let failures = 0;
for (let r = 0; r < rounds; r++) {
  for (const path of paths) {
    const t0 = performance.now();
    try {
      const res = await fetch(base + path, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      console.log(`GET ${path} -> ${res.status} in ${(performance.now() - t0).toFixed(1)} ms`);
      if (res.status >= 500 && path !== '/fail') failures++;
    } catch (e) {
      failures++;
      console.log(`GET ${path} -> failed: ${(e as Error).message}`);
    }
  }
}

await new Promise((r) => server.close(r));
process.exit(failures === 0 ? 0 : 1);
