// The HTTP statuses an endpoint answered an exporter's requests with.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** Statuses of the responses to the exporter's requests (POSTs to its URL). The OTel exporter reports a retryable
 * status (429, 503) that it gave up on without the status itself; the loss notice needs it. Watched through
 * node:http's diagnostics channel, which leaves the exporter's own agent (and its OTEL_* TLS settings) alone. */
export class ResponseStatuses {
  /** status of the most recent response */
  private last: number | undefined;
  private readonly target: URL;
  private readonly onResponse = (message: unknown): void => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (
      request.method === 'POST' &&
      request.protocol === this.target.protocol &&
      request.path === this.target.pathname + this.target.search &&
      request.getHeader('host') === this.target.host
    ) {
      this.last = response.statusCode;
    }
  };

  constructor(url: string) {
    this.target = new URL(url);
    subscribe('http.client.response.finish', this.onResponse);
  }

  /** The endpoint's latest answer, when it was a refusal. */
  get lastRefusal(): number | undefined {
    return this.last !== undefined && this.last >= 300 ? this.last : undefined;
  }

  close(): void {
    unsubscribe('http.client.response.finish', this.onResponse);
  }
}
