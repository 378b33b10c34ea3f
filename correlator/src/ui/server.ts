// Starts the UI on a real socket: loopback by default; any other address requires an access token.

import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createUiApp, type UiAppOptions } from './app.js';
import { isLoopbackHost } from './security.js';

export interface UiServerOptions extends Omit<UiAppOptions, 'signal'> {
  /** address to listen on (default 127.0.0.1) */
  host?: string;
  /** port (default 0: any free port; the URL says which) */
  port?: number;
}

export interface UiServer {
  /** where to open the UI; carries `?token=` when a token is in use */
  url: string;
  host: string;
  port: number;
  /** the token in use, if any */
  token?: string;
  close(): Promise<void>;
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`The UI port must be an integer from 0 to 65535, not ${port}.`);
  }
  const token = options.token;
  if (token === undefined && !isLoopbackHost(host)) {
    throw new Error(`Serving the UI on ${host}, which is not a loopback address, requires an access token (--token).`);
  }
  const shutdown = new AbortController();
  const app = createUiApp({ ...options, token, signal: shutdown.signal });

  const { server, address } = await new Promise<{ server: Server; address: AddressInfo }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, (info) =>
      resolve({ server: s as Server, address: info }),
    );
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`Cannot listen on ${host}:${port} for the UI: ${err.code ?? err.message}.`)),
    );
  });

  const urlHost = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : host;
  const url = `http://${urlHost}:${address.port}/${token !== undefined ? `?token=${encodeURIComponent(token)}` : ''}`;
  return {
    url,
    host,
    port: address.port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        // Open live streams and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
