// What /healthz answers: healthy while the probe is attached and the event consumer keeps up with the batches
// the probe has delivered. The event consumer runs on the same event loop as the health server: a blocked loop
// goes unanswered, which probes (Kubernetes, systemd watchdogs) already count as a failure.

/** A consumer that holds delivered batches and has taken none for this long is stalled. */
export const STALL_MS = 30_000;

export type Phase = 'starting' | 'tracing' | 'stopping' | 'ended';

export interface HealthInput {
  phase: Phase;
  /** why the probe's event stream ended, when it failed */
  failure?: string;
  /** batches the probe delivered / the consumer took */
  delivered: number;
  consumed: number;
  /** ms since the consumer last took a batch (or since tracing started) */
  sinceConsumedMs: number;
}

export interface HealthAnswer {
  status: 200 | 503;
  body: { status: 'ok' | 'unavailable'; reason?: string; batches: number; backlog: number; idleSeconds: number };
}

export function health(h: HealthInput): HealthAnswer {
  const backlog = Math.max(0, h.delivered - h.consumed);
  const figures = { batches: h.consumed, backlog, idleSeconds: Math.floor(h.sinceConsumedMs / 1000) };
  const unavailable = (reason: string): HealthAnswer => ({
    status: 503,
    body: { status: 'unavailable', reason, ...figures },
  });
  switch (h.phase) {
    case 'starting':
      return unavailable('tracing is starting');
    case 'stopping':
      return unavailable('tracing is stopping');
    case 'ended':
      return unavailable(h.failure ? `the probe's event stream failed: ${h.failure}` : "the probe's event stream ended");
    case 'tracing':
      if (backlog > 0 && h.sinceConsumedMs > STALL_MS)
        return unavailable(
          `the event consumer has taken no batch for ${figures.idleSeconds} s while ${backlog} wait`,
        );
      return { status: 200, body: { status: 'ok', ...figures } };
  }
}

/** The consumer's side of health: LiveTrace reports its phase and each batch it takes. */
export class ConsumerHealth {
  phase: Phase = 'starting';
  failure?: string;
  consumed = 0;
  private lastConsumedAt = Date.now();

  constructor(private readonly delivered: () => number) {}

  tracing(): void {
    this.phase = 'tracing';
    this.lastConsumedAt = Date.now();
  }

  /** One batch taken (once per batch, not per record). */
  took(): void {
    this.consumed++;
    this.lastConsumedAt = Date.now();
  }

  ended(failure?: string): void {
    if (this.phase !== 'stopping') this.phase = 'ended';
    this.failure = failure;
  }

  check(now = Date.now()): HealthAnswer {
    return health({
      phase: this.phase,
      failure: this.failure,
      delivered: this.delivered(),
      consumed: this.consumed,
      sinceConsumedMs: now - this.lastConsumedAt,
    });
  }
}
