/// <reference lib="dom" />
// The percentile table and the syscall-latency spectrogram in a real browser (Debian's chromium driven by
// playwright-core), over synthetic spans of known durations. Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStore } from '../correlator/src/ui/store.js';
import { startUiServer } from '../correlator/src/ui/server.js';
import { CLOCK, proc, span, syscall } from '../correlator/test/ui-synthetic.js';
import { launchChromium, watchedPage } from './helpers/browser.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const HOSTILE = '<img src=x onerror=alert(1)>';

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** 200 spans `GET /a` of 1 … 200 ms (span i: i ms, one fsync of i/4 ms), 20 s of them; 10 `db.query` spans with
 *  fdatasync; one span of another service with a hostile name. */
function store(): { store: SpanStore; byMs: Map<number, string> } {
  const s = new SpanStore({ clock: CLOCK });
  const byMs = new Map<number, string>();
  for (let i = 1; i <= 200; i++) {
    const start = i * 1e8;
    // out of order, so ranks are not arrival order
    const ms = ((i * 37) % 200) + 1;
    const sp = span({ name: 'GET /a', start, end: start + ms * 1e6, status: ms % 40 === 0 ? 'error' : 'unset' });
    sp.syscalls = [syscall({ name: 'fsync', ts: start + 1000, dur: ms * 2.5e5, path: '/var/lib/app/wal' })];
    s.add(sp, proc(100, 'shop'));
    byMs.set(ms, sp.spanId);
  }
  for (let i = 0; i < 10; i++) {
    const sp = span({ name: 'db.query', start: i * 2e9, end: i * 2e9 + 4e6 });
    sp.syscalls = [syscall({ name: 'fdatasync', ts: i * 2e9 + 1000, dur: 3e6 })];
    s.add(sp, proc(100, 'shop'));
  }
  s.add(span({ name: HOSTILE, start: 5e9, end: 5e9 + 7e6, pid: 300, tid: 300 }), proc(300, 'evil'));
  return { store: s, byMs };
}

describe('web UI latency views in chromium', () => {
  it('shows the percentile table, lists the spans around a clicked percentile, and draws syscall latency', async () => {
    const { store: s, byMs } = store();
    const server = await startUiServer({ store: s });
    const { page, problems } = await watchedPage(browser);
    try {
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="1"]');
      await page.waitForSelector('#percentiles tbody tr');
      const rowTexts = await page
        .locator('#percentiles tbody tr')
        .evaluateAll((rows) => rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent)));
      // rows by service then name; the hostile name stays text
      expect(rowTexts.map((r) => r.slice(0, 4))).toEqual([
        ['evil', HOSTILE, '1', '0'],
        ['shop', 'GET /a', '200', '5'],
        ['shop', 'db.query', '10', '0'],
      ]);
      expect(rowTexts[1][8]).toBe('200 ms');
      // the slowest 1 % of GET /a: the 200 ms and 199 ms spans, their fsyncs of 50 and 49.75 ms
      expect(rowTexts[1][9]).toBe('fsync ×2 /var/lib/app/wal · 99.8 ms');
      expect(rowTexts[2][9]).toBe('fdatasync ×1 · 3 ms');
      expect(await page.locator('#percentile-scope').textContent()).toContain('all spans in memory · 211 spans');

      // p99 of GET /a: rank floor(0.99 · 199) = #197, the 198 ms span, with ten on each side (up to the end)
      await page.locator('#percentiles tbody tr[data-name="GET /a"] button[data-percentile="p99"]').click();
      await page.waitForSelector('#list-panel:not([hidden]) #span-list tbody tr.rank');
      const listed = await page
        .locator('#span-list tbody tr')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.spanId));
      expect(listed).toEqual(Array.from({ length: 13 }, (_, k) => byMs.get(188 + k)));
      expect(await page.locator('#span-list tbody tr.rank').getAttribute('data-span-id')).toBe(byMs.get(198));
      expect(await page.locator('#list-summary').textContent()).toBe(
        'GET /a (shop) around its p99: ranks 188–200 of 200 by duration, shortest first (the p99 is rank 198, in bold)',
      );
      await page.screenshot({ path: join(ARTIFACTS, 'ui-percentiles.png'), fullPage: true });

      // A selection narrows the table to its spans.
      await page.fill('#filter-name', 'GET');
      await page.waitForFunction(() => document.querySelectorAll('#percentiles tbody tr').length === 1);

      // Syscall latency: every fsync, whichever span made it.
      await page.fill('#filter-name', '');
      await page.waitForFunction(() => document.querySelectorAll('#percentiles tbody tr').length === 3);
      const options = await page.locator('#spectro-mode option').allTextContents();
      expect(options).toEqual(['spans', 'fsync calls (200)', 'fdatasync calls (10)']);
      const spanCells = await page.locator('#spectrogram').getAttribute('data-visible-cells');
      await page.selectOption('#spectro-mode', 'fdatasync');
      // ten calls of 3 ms, one per 2 s column
      await page.waitForFunction(() => document.getElementById('spectrogram')!.dataset.visibleCells === '10');
      await page.selectOption('#spectro-mode', 'fsync');
      await page.waitForFunction(
        (n) =>
          document.getElementById('spectrogram')!.dataset.visibleCells !== n &&
          document.getElementById('spectrogram')!.dataset.visibleCells !== '10',
        spanCells,
      );
      // select the whole plot: every fsync call, spans listed by their slowest call
      const box = (await page.locator('#spectrogram').boundingBox())!;
      const [left, top, width, height] = (await page.locator('#spectrogram').getAttribute('data-plot'))!
        .split(',')
        .map(Number);
      await page.mouse.move(box.x + left + 1, box.y + top + 1);
      await page.mouse.down();
      await page.mouse.move(box.x + left + width - 1, box.y + top + height - 1, { steps: 6 });
      await page.mouse.up();
      await page.waitForSelector('#list-panel:not([hidden]) #span-list tbody tr');
      expect(await page.locator('#list-summary').textContent()).toMatch(
        /200 spans.*\(200 fsync calls in these durations; spans by their slowest call\)$/,
      );
      expect(await page.locator('#span-list tbody tr').first().getAttribute('data-span-id')).toBe(byMs.get(200));
      expect(await page.locator('#span-list tbody tr').first().locator('td').nth(3).textContent()).toBe(
        '200 ms · fsync 50 ms',
      );
      expect(await page.locator('#percentile-scope').textContent()).toContain(
        'spans in the selection (its time window)',
      );
      await page.screenshot({ path: join(ARTIFACTS, 'ui-syscall-spectrogram.png'), fullPage: true });

      expect(await page.locator('img, svg, script:not([src])').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await server.close();
    }
  }, 60_000);
});
