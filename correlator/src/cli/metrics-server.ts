// The self-observability endpoint (--metrics-address): GET /metrics in the Prometheus text format and GET /healthz,
// nothing else. It serves counts only, never traced data, so it needs no token on any address; connections and
// request times are bounded all the same, since anyone who can reach the address can call it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from './errors.js';
import type { HealthAnswer } from './health.js';
import { addressUrl, type ListenAddress } from './listen-address.js';
import type { SelfMetrics } from './self-metrics.js';

const MAX_CONNECTIONS = 64;
const REQUEST_TIMEOUT_MS = 10_000;

export interface MetricsServer {
  /** the address bound (the real port when 0 was asked for), as HOST:PORT and as a base URL */
  address: string;
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  listen: ListenAddress,
  metrics: SelfMetrics,
  health: () => HealthAnswer,
): Promise<MetricsServer> {
  const server = createServer((req, res) => void answer(req, res, metrics, health));
  server.maxConnections = MAX_CONNECTIONS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE'
        ? 'the address is in use'
        : err.code === 'EADDRNOTAVAIL'
          ? 'no interface has that address'
          : err.code === 'ENOTFOUND'
            ? 'the host name does not resolve'
            : err.message;
    throw new CliError(`cannot serve metrics on ${listen.host}:${listen.port}: ${why}.`);
  });
  // an error after listening (EMFILE on accept...) must not end tracing
  server.on('error', () => undefined);
  const bound = server.address() as AddressInfo;
  const url = addressUrl(bound.address, bound.port);
  return { address: url.slice('http://'.length), url, close: () => closeServer(server) };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: SelfMetrics,
  health: () => HealthAnswer,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics' && path !== '/healthz')
    return send(res, 404, 'text/plain', 'not found: try /metrics or /healthz\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain', 'method not allowed\n');
  }
  if (path === '/healthz') {
    const h = health();
    return send(res, h.status, 'application/json', `${JSON.stringify(h.body)}\n`);
  }
  try {
    send(res, 200, metrics.contentType, await metrics.render());
  } catch (err) {
    send(res, 500, 'text/plain', `metrics failed: ${(err as Error).message}\n`);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
