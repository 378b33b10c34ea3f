// The sentences an empty panel shows instead of a blank grid: what is missing and what to do. Pure, unit-tested.

export interface SpectrogramCounts {
  /** spans the UI holds */
  spansInMemory: number;
  /** spans (or calls) the spectrogram counts under the current filters */
  counted: number;
  /** spans are still arriving (live session) rather than read from a capture */
  live: boolean;
  /** '' for spans, else the syscall counted */
  mode: string;
  /** which spans are counted: with 'all', widening the scope is no advice */
  scope: 'root' | 'server' | 'all';
}

/** The sentence over an empty spectrogram, or null when it has something to show. */
export function emptySpectrogramText(c: SpectrogramCounts): string | null {
  if (c.spansInMemory === 0) {
    return c.live
      ? 'Waiting for spans — is the traced program writing markers? See sdk/README.md for how a program marks its spans.'
      : 'This capture has no spans.';
  }
  if (c.counted > 0) return null;
  const what = c.mode ? `${c.mode} calls` : 'spans';
  const scope = c.scope === 'all' ? '' : `, or count all spans instead of ${c.scope} spans only`;
  return (
    `No ${what} match what is chosen above (${c.spansInMemory} spans in memory). Clear or loosen the filters, ` +
    `pick another service or process${scope}.`
  );
}
