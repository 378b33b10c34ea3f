// Shared by the probe tests: compile a C fixture, and run a probe while collecting every decoded event.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { release } from 'node:os';
import { decodeBatch, FALLBACKS, fallbackNotices, Probe, type ProbeEvent, type ProbeOptions } from '../src/index.js';

export function compileFixture(name: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'nullspan-probe-')), name);
  execFileSync('cc', ['-O1', '-o', out, new URL(`./fixtures/${name}.c`, import.meta.url).pathname]);
  return out;
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** An open probe whose batches are decoded into `events` as they arrive; `finish()` closes it and waits for
 * the last batch. */
export function collectingProbe(opts: ProbeOptions = {}) {
  const probe = Probe.open(opts);
  const events: ProbeEvent[] = [];
  let count = 0;
  const done = (async () => {
    for await (const batch of probe.batches()) {
      count += batch.count;
      events.push(...decodeBatch(batch.bytes));
    }
  })();
  return {
    probe,
    events,
    records: () => count,
    async finish() {
      await probe.close();
      await done;
      return events;
    },
  };
}

/** Every notice naming a kernel feature the probe does without, missing on `kernel` or forced, whichever it is. */
export function possibleFallbackNotices(kernel = release()): Set<string> {
  const fallbacks = FALLBACKS.flatMap(({ name }) => [
    { name, forced: false },
    { name, forced: true },
  ]);
  return new Set(fallbackNotices({ kernel, fallbacks }));
}

/** The probe's notices other than the ones naming a kernel feature it does without (present on older kernels). */
export function otherNotices(probe: Probe): string[] {
  const fallbacks = new Set(fallbackNotices(probe.features));
  return probe.notices.filter((n) => !fallbacks.has(n));
}
