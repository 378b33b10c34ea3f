/** Runs the example service: `PORT=3000 node dist/server.js` (binds 127.0.0.1; HOST to change it). */
import { serve } from '@hono/node-server';
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? '127.0.0.1';
const app = createApp({ upstream: () => `http://${hostname}:${port}` });
serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(
    `example service on http://${info.address}:${info.port} (routes: /hello /file /users/:id /proxy /slow /fail)`,
  );
});
