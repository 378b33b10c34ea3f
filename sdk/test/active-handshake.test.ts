// The SDK's half of the active-span handshake without a probe: the slot is registered but nothing acknowledges
// it, so the async hook stays off and the slot says "unknown"; NULLSPAN_CONTEXT=1 keeps the hook on regardless,
// NULLSPAN_CONTEXT=0 turns everything off. (With the real probe acknowledging: test/active-handshake.test.ts.)
import { afterEach, describe, expect, it, vi } from 'vitest';

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const original = process.env.NULLSPAN_CONTEXT;

/** A fresh SDK (module state is per instance) started under the given NULLSPAN_CONTEXT. */
async function freshSdk(context: string | undefined) {
  if (context === undefined) delete process.env.NULLSPAN_CONTEXT;
  else process.env.NULLSPAN_CONTEXT = context;
  vi.resetModules();
  const { span } = await import('../src/index.js');
  const active = await import('../src/active.js');
  return { span, ...active };
}

/** What the slot holds in an async continuation of a span (only the hook can publish there). */
async function publishedAfterAwait(sdk: Awaited<ReturnType<typeof freshSdk>>): Promise<[number, number]> {
  return sdk.span.trace('req', async (s) => {
    await tick();
    return [s.id, sdk.publishedActive()];
  });
}

afterEach(() => {
  if (original === undefined) delete process.env.NULLSPAN_CONTEXT;
  else process.env.NULLSPAN_CONTEXT = original;
});

describe('active-span handshake without a probe', () => {
  it('registers the slot but keeps the hook off while no probe acknowledges it', async () => {
    const sdk = await freshSdk(undefined);
    expect(sdk.activeContextState()).toBe('off'); // nothing before the first span
    const [, published] = await publishedAfterAwait(sdk);
    expect(sdk.activeContextState()).toBe('idle');
    expect(published).toBe(-1); // "unknown", not a span id and not 0
    // across several re-registrations (once a second) nothing turns it on
    await sleep(2500);
    expect(sdk.activeContextState()).toBe('idle');
    expect((await publishedAfterAwait(sdk))[1]).toBe(-1);
  });

  it('keeps the hook on with NULLSPAN_CONTEXT=1', async () => {
    const sdk = await freshSdk('1');
    const [id, published] = await publishedAfterAwait(sdk);
    expect(sdk.activeContextState()).toBe('on');
    expect(published).toBe(id);
    await sleep(2500); // no ack ever comes; it stays on
    expect(sdk.activeContextState()).toBe('on');
  });

  it('publishes nothing with NULLSPAN_CONTEXT=0', async () => {
    const sdk = await freshSdk('0');
    const [, published] = await publishedAfterAwait(sdk);
    expect(sdk.activeContextState()).toBe('off');
    expect(published).toBe(0);
  });
});
