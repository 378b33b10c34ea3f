// The options that change which spans the correlator produces. A live run records them in its capture, and a
// replay uses the recorded ones unless the user gives the flag again: `nullspan replay FILE` reproduces the live
// output without repeating the live run's flags.

import type { CorrelatorOptions } from '../correlator.js';
import type { CliOptions } from './options.js';

export interface CorrelatorSettings {
  mergeEnabled: boolean;
  mergeSlowNs: number;
  maxOpenSpans: number;
  maxOpenSpanBytes: number;
  exportOutsideSpans: boolean;
}

/** Which command-line option sets each setting. */
const FLAG: Record<keyof CorrelatorSettings, string> = {
  mergeEnabled: 'no-merge',
  mergeSlowNs: 'merge-threshold',
  maxOpenSpans: 'max-open-spans',
  maxOpenSpanBytes: 'max-open-span-bytes',
  exportOutsideSpans: 'outside-spans',
};

export function settingsFromOptions(o: CliOptions): CorrelatorSettings {
  return {
    mergeEnabled: !o.noMerge,
    mergeSlowNs: o.mergeThreshold,
    maxOpenSpans: o.maxOpenSpans,
    maxOpenSpanBytes: o.maxOpenSpanBytes,
    exportOutsideSpans: o.outsideSpans,
  };
}

/** The recorded settings (capture header), with every flag the user gave on this command line winning. */
export function settingsForReplay(o: CliOptions, recorded: unknown): CorrelatorSettings {
  const fromFlags = settingsFromOptions(o);
  if (!recorded || typeof recorded !== 'object') return fromFlags;
  const rec = recorded as Partial<Record<keyof CorrelatorSettings, unknown>>;
  const out = { ...fromFlags } as Record<keyof CorrelatorSettings, unknown>;
  for (const key of Object.keys(FLAG) as (keyof CorrelatorSettings)[]) {
    if (o.given.has(FLAG[key])) continue;
    // a hostile or damaged header can only choose among values of the right type
    if (typeof rec[key] === typeof fromFlags[key]) out[key] = rec[key];
  }
  return out as unknown as CorrelatorSettings;
}

export function correlatorOptions(
  s: CorrelatorSettings,
): Pick<CorrelatorOptions, 'merge' | 'maxOpenSpans' | 'maxOpenSpanBytes' | 'exportOutsideSpans'> {
  return {
    merge: { enabled: s.mergeEnabled, slowNs: s.mergeSlowNs },
    maxOpenSpans: s.maxOpenSpans,
    maxOpenSpanBytes: s.maxOpenSpanBytes,
    exportOutsideSpans: s.exportOutsideSpans,
  };
}
