// Is anything listening at the OTLP/HTTP endpoint? Export there is best effort: nullspan says once that nothing
// listens instead of logging every failed retry, and does not wait out retries at exit when nobody will answer.

import { connect } from 'node:net';
import { LOSS } from '../export/http.js';

export interface EndpointCheck {
  url: string;
  reachable: boolean;
  /** why not: ECONNREFUSED, ETIMEDOUT, ... */
  problem?: string;
}

const CONNECT_TIMEOUT_MS = 1000;

/** Opens (and closes) a TCP connection to the host and port of `url` (the exporter's traces URL). */
export async function probeEndpoint(url: string): Promise<EndpointCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, reachable: false, problem: 'not a valid URL' };
  }
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reachable: boolean, problem?: string) => {
      socket.destroy();
      resolve({ url, reachable, ...(problem ? { problem } : {}) });
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false, 'ETIMEDOUT'));
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
  });
}

export function describeEndpoint(check: EndpointCheck, otlpFile: string | undefined): string {
  const where = otlpFile ? `the traces are written to ${otlpFile}` : 'add --otlp-file FILE to keep the traces';
  return `nothing listens at ${check.url} (${check.problem ?? 'unreachable'}); ${where} (--no-otlp turns the endpoint off).`;
}

/** Why spans still queued for an endpoint that does not answer are lost, in the words of the loss notice. */
export function unreachableReason(check: EndpointCheck): string {
  if (check.problem === 'ECONNREFUSED') return LOSS.connectionRefused;
  if (check.problem === 'ETIMEDOUT') return LOSS.timeout;
  return check.problem ?? 'unreachable';
}
