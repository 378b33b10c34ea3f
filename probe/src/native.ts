// Loads the node-gyp-built addon (probe/build/Release), the same path from src/ (tests) and dist/ (users).
import { createRequire } from 'node:module';
import { ProbeError } from './errors.js';
import type { NativeOptions } from './options.js';

export interface NativeProbe {
  addPid(pid: number): void;
  removePid(pid: number): void;
  excludePid(pid: number): void;
  attachLibuv(path: string, pid: number): string | null;
  stats(): unknown;
  /** enum ns_fallback bits: in use, and of those the kernel lacks */
  fallbacks(): { inUse: number; missing: number };
  ack(): void;
  stop(): void;
}

export type NativeProbeClass = new (
  opts: NativeOptions,
  /** control: byte offsets of the batch's slot and exit records (undefined when it has none) */
  onBatch: (buf: ArrayBuffer, count: number, control: Uint32Array | undefined) => void,
  onEnd: () => void,
) => NativeProbe;

/** Where node-gyp puts the addon, relative to this module (src/ and dist/ alike). */
const ADDON_PATH = '../build/Release/nullspan_probe.node';

let cached: NativeProbeClass | undefined;

/**
 * Loads the addon (`addonPath` relative to this module; tests point it elsewhere). A missing or unloadable addon
 * is a ProbeError with code 'ADDON_NOT_BUILT', so a caller such as the CLI can word it for its users.
 */
export function loadNative(addonPath: string = ADDON_PATH): NativeProbeClass {
  if (cached && addonPath === ADDON_PATH) return cached;
  const require = createRequire(import.meta.url);
  let loaded: NativeProbeClass;
  try {
    loaded = (require(addonPath) as { NativeProbe: NativeProbeClass }).NativeProbe;
  } catch (e) {
    throw new ProbeError(
      `The probe's native addon is not built (${(e as Error).message.split('\n')[0]}): run \`bash setup.sh\` (or \`pnpm build\`).`,
      'ADDON_NOT_BUILT',
    );
  }
  if (addonPath === ADDON_PATH) cached = loaded;
  return loaded;
}
