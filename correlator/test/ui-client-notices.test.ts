import { describe, expect, it } from 'vitest';
import type { StoreStatsJson } from '../src/ui/api-types.js';
import { dropNotice, roomFor } from '../src/ui/client/drop-notice.js';
import { emptySpectrogramText } from '../src/ui/client/empty-states.js';

const OLDEST_MS = Date.UTC(2026, 0, 2, 10, 0, 10, 0);
const NEWEST_MS = Date.UTC(2026, 0, 2, 10, 0, 20, 500);

function stats(over: Partial<StoreStatsJson> = {}): StoreStatsJson {
  return {
    spans: 50_000,
    syscalls: 400_000,
    maxSpans: 50_000,
    maxSyscalls: 1_000_000,
    textBytes: 20 * 1048576,
    maxTextBytes: 128 * 1048576,
    added: 98_794,
    evicted: 48_794,
    oldestStartUs: OLDEST_MS * 1000,
    newestStartUs: NEWEST_MS * 1000,
    ...over,
  };
}

describe('ui client: the dropped-spans notice', () => {
  it('says nothing when nothing was dropped', () => {
    expect(dropNotice(stats({ evicted: 0 }), 'utc')).toBeNull();
  });

  it('says how many, which limit, what is left in memory, and the option that keeps them all', () => {
    const n = dropNotice(stats({ evictedBy: { spans: 48_794, syscalls: 0, textBytes: 0 } }), 'utc')!;
    expect(n.text).toBe(
      '48794 older spans were dropped to stay within the span limit (50000 spans). Memory now holds the 50000 ' +
        'spans that started from 2026-01-02 10:00:10.000 UTC to 10:00:20.500.',
    );
    expect(n.fix).toBe('To keep them, start nullspan again with --ui-max-spans 99000.');
  });

  it('names every limit that dropped spans, with a value scaled to what the dropped spans held', () => {
    const n = dropNotice(
      stats({ spans: 1000, syscalls: 990_000, evicted: 1000, evictedBy: { spans: 0, syscalls: 600, textBytes: 400 } }),
      'utc',
    )!;
    expect(n.text).toContain('the system-call limit (1000000 records) and the text limit (128 MiB)');
    // twice the kept spans' records and text: 1,980,000 records, 40 MiB
    expect(n.fix).toBe('To keep them, start nullspan again with --ui-max-syscalls 2000000 --ui-max-text-bytes 40M.');
  });

  it('without the per-limit counts, names the limits the store sits at', () => {
    expect(dropNotice(stats(), 'utc')!.fix).toBe('To keep them, start nullspan again with --ui-max-spans 99000.');
    const bySyscalls = dropNotice(stats({ spans: 20_000, syscalls: 999_000 }), 'utc')!;
    expect(bySyscalls.text).toContain('the system-call limit');
    expect(bySyscalls.text).not.toContain('the span limit');
  });

  it('suggests round values above what is needed', () => {
    expect(roomFor(7)).toBe(7);
    expect(roomFor(98_794)).toBe(99_000);
    expect(roomFor(100_000)).toBe(100_000);
    expect(roomFor(100_001)).toBe(110_000);
  });
});

describe('ui client: empty states', () => {
  it('an empty store: waiting for markers when live, an empty capture otherwise', () => {
    expect(emptySpectrogramText({ spansInMemory: 0, counted: 0, live: true, mode: '', scope: 'root' })).toMatch(
      /^Waiting for spans — is the traced program writing markers\? See sdk\/README\.md/,
    );
    expect(emptySpectrogramText({ spansInMemory: 0, counted: 0, live: false, mode: '', scope: 'root' })).toBe(
      'This capture has no spans.',
    );
  });

  it('spans in memory but none counted: what to loosen; nothing to say when the spectrogram has cells', () => {
    expect(emptySpectrogramText({ spansInMemory: 12, counted: 0, live: false, mode: '', scope: 'root' })).toMatch(
      /^No spans match what is chosen above \(12 spans in memory\)\. Clear or loosen the filters/,
    );
    expect(emptySpectrogramText({ spansInMemory: 12, counted: 0, live: true, mode: 'fsync', scope: 'root' })).toMatch(
      /^No fsync calls match/,
    );
    expect(emptySpectrogramText({ spansInMemory: 12, counted: 3, live: false, mode: '', scope: 'root' })).toBeNull();
    expect(emptySpectrogramText({ spansInMemory: 12, counted: 0, live: false, mode: '', scope: 'root' })).toMatch(
      /pick another service or process, or count all spans instead of root spans only\.$/,
    );
    expect(emptySpectrogramText({ spansInMemory: 12, counted: 0, live: false, mode: '', scope: 'all' })).toMatch(
      /pick another service or process\.$/,
    );
  });
});
