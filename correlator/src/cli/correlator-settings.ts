// The options that change which spans the correlator produces. A live run records them in its capture, and a
// replay uses the recorded ones unless the user gives the flag again: `nullspan replay FILE` reproduces the live
// output without repeating the live run's flags.

import type { CorrelatorOptions } from '../correlator.js';
import type { CliOptions } from './options.js';
import { parseFilter } from '../filter/index.js';
import { parseTailSampling, tailSamplingSetting } from './tail-sampling.js';

export interface CorrelatorSettings {
  mergeEnabled: boolean;
  mergeSlowNs: number;
  maxOpenSpans: number;
  maxOpenSpanBytes: number;
  exportOutsideSpans: boolean;
  /** tail-sampling policies (tail-sampling.ts syntax), `none` for every trace */
  tailSampling: string;
  /** --filter expression (../filter/FILTER.md), empty for every trace */
  filter: string;
}

/** Which command-line options set each setting. */
const FLAGS: Record<keyof CorrelatorSettings, string | string[]> = {
  mergeEnabled: 'no-merge',
  mergeSlowNs: 'merge-threshold',
  maxOpenSpans: 'max-open-spans',
  maxOpenSpanBytes: 'max-open-span-bytes',
  exportOutsideSpans: 'outside-spans',
  tailSampling: ['tail-sampling', 'min-duration'],
  filter: 'filter',
};

export function settingsFromOptions(o: CliOptions): CorrelatorSettings {
  return {
    mergeEnabled: !o.noMerge,
    mergeSlowNs: o.mergeThreshold,
    maxOpenSpans: o.maxOpenSpans,
    maxOpenSpanBytes: o.maxOpenSpanBytes,
    exportOutsideSpans: o.outsideSpans,
    tailSampling: tailSamplingSetting(o.tailSampling, o.minDuration),
    filter: o.filter ?? '',
  };
}

/** The recorded settings (capture header), with every flag the user gave on this command line winning. */
export function settingsForReplay(o: CliOptions, recorded: unknown): CorrelatorSettings {
  const fromFlags = settingsFromOptions(o);
  if (!recorded || typeof recorded !== 'object') return fromFlags;
  const rec = recorded as Partial<Record<keyof CorrelatorSettings, unknown>>;
  const out = { ...fromFlags } as Record<keyof CorrelatorSettings, unknown>;
  for (const key of Object.keys(FLAGS) as (keyof CorrelatorSettings)[]) {
    if ([FLAGS[key]].flat().some((flag) => o.given.has(flag))) continue;
    // a hostile or damaged header can only choose among values of the right type
    if (typeof rec[key] === typeof fromFlags[key]) out[key] = rec[key];
  }
  if (!parses(parseTailSampling, out.tailSampling)) out.tailSampling = fromFlags.tailSampling;
  if (!parses(parseFilter, out.filter)) out.filter = fromFlags.filter;
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

/** Whether a recorded value is text `parse` accepts. */
function parses(parse: (text: string) => unknown, text: unknown): boolean {
  try {
    parse(text as string);
    return true;
  } catch {
    return false;
  }
}
