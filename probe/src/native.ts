// Loads the node-gyp-built addon (probe/build/Release), the same path from src/ (tests) and dist/ (users).
import { createRequire } from 'node:module';
import { ProbeError } from './errors.js';
import type { NativeOptions } from './options.js';

export interface NativeProbe {
  addPid(pid: number): void;
  removePid(pid: number): void;
  attachLibuv(path: string): string | null;
  stats(): unknown;
  ack(): void;
  stop(): void;
}

export type NativeProbeClass = new (
  opts: NativeOptions,
  onBatch: (buf: ArrayBuffer, count: number) => void,
  onEnd: () => void,
) => NativeProbe;

let cached: NativeProbeClass | undefined;

export function loadNative(): NativeProbeClass {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = (require('../build/Release/nullspan_probe.node') as { NativeProbe: NativeProbeClass }).NativeProbe;
  } catch (e) {
    throw new ProbeError(
      `The probe's native addon could not be loaded (${(e as Error).message.split('\n')[0]}); build it with \`pnpm --filter @nullspan/probe build\`.`,
    );
  }
  return cached;
}
