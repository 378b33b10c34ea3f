/// <reference lib="dom" />
// The web UI's navigation in Chromium: the view in the URL (reload and Back land on the same view and span), the
// keyboard in the span list, one switchable time zone, the Jaeger link only for exported spans, the notice when
// spans were dropped for memory, and the empty states.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStore } from '../correlator/src/ui/store.js';
import { startUiServer } from '../correlator/src/ui/server.js';
import { CLOCK, proc, request } from '../correlator/test/ui-synthetic.js';
import { launchChromium, watchedPage } from './helpers/browser.js';
import { dragAround, slowestLitPoint } from './helpers/spectrogram.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
/** A zone whose offset is not a whole hour, so local and UTC clock texts differ in their minutes too. */
const BROWSER_ZONE = 'Asia/Kolkata';
const ZONE_OFFSET_MS = 5.5 * 3600_000;
const WALL_OFFSET_MS = Number(CLOCK.wallOffsetNs / 1_000_000n);

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A minute of requests (durations over three decades) and three slow reports, the slowest at 30 s. */
function busyStore(maxSpans?: number): SpanStore {
  const store = new SpanStore({ clock: CLOCK, maxSpans });
  for (let i = 0; i < 400; i++) {
    const u = ((i * 7919) % 1000) / 1000;
    for (const r of request(i * 150e6, 300_000 * 10 ** (3 * u ** 3 + u), 100)) store.add(r, proc(100, 'shop'));
  }
  for (const [at, duration] of [
    [30e9, 4.2e9],
    [30.5e9, 4.0e9],
    [31e9, 3.9e9],
  ]) {
    for (const r of request(at, duration, 100, 'GET /report')) store.add(r, proc(100, 'shop'));
  }
  return store;
}

async function openUi(url: string): Promise<{ page: Page; problems: string[] }> {
  const watched = await watchedPage(browser, { timezoneId: BROWSER_ZONE });
  await watched.page.goto(url);
  await watched.page.waitForSelector('body[data-ready="1"]');
  return watched;
}

const hashOf = (page: Page) => new URLSearchParams(new URL(page.url()).hash.slice(1));
const counter = (page: Page, name: string) => page.evaluate((n) => Number(document.body.dataset[n] ?? 0), name);

/** `HH:MM:SS.mmm` of a wall-clock instant, shifted by the zone's offset. */
function clockText(ms: number, offsetMs: number): string {
  return new Date(ms + offsetMs).toISOString().slice(11, 23);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `ui-nav-${name}.png`) });
}

describe('web UI navigation in chromium', () => {
  it('keeps selection, open span and time zone in the URL: reload and Back land on the same view', async () => {
    const server = await startUiServer({ store: busyStore() });
    try {
      const { page, problems } = await openUi(server.url);
      expect(await counter(page, 'spectrogramDraws')).toBeGreaterThan(0);
      expect(new URL(page.url()).hash).toBe(''); // the default view needs no fragment
      await shot(page, '1-first-screen');

      // A selection: a history entry and a list, its rows slowest first.
      const listRenders = await counter(page, 'listRenders');
      // across neighbouring columns (the reports are 0.5 s apart, a column may be narrower) and down across the
      // next bucket too: the 3.9 s report (and more rows for the keyboard)
      const slowest = await slowestLitPoint(page);
      await page.mouse.move(slowest.x - 40, slowest.y - 6);
      await page.mouse.down();
      await page.mouse.move(slowest.x + 40, slowest.y + 30, { steps: 4 });
      await page.mouse.up();
      await page.waitForSelector('#list-panel:not([hidden]) #span-list tbody tr');
      expect(await counter(page, 'listRenders')).toBe(listRenders + 1);
      expect(hashOf(page).get('sel')).toMatch(/^\d+~\d+~\d+~\d+$/);
      const rows = page.locator('#span-list tbody tr');
      expect(await rows.count()).toBeGreaterThanOrEqual(2);
      const names = await rows.locator('td:first-child').allTextContents();
      expect(names.slice(0, 2)).toEqual(['GET /report', 'GET /report']);
      const spanIds = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.spanId!));

      // The keyboard: ↓ and ↑ move the focus between rows, Enter opens the focused one.
      await rows.first().focus();
      const focused = () => page.evaluate(() => (document.activeElement as HTMLElement).dataset.spanId ?? null);
      await page.keyboard.press('ArrowDown');
      expect(await focused()).toBe(spanIds[1]);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowUp');
      expect(await focused()).toBe(spanIds[1]);
      await page.evaluate(() => window.scrollTo(0, 0));
      const waterfalls = await counter(page, 'waterfallRenders');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#detail-panel:not([hidden]) .wf-row.span');
      expect(await counter(page, 'waterfallRenders')).toBe(waterfalls + 1);
      expect(hashOf(page).get('span')).toBe(spanIds[1]);
      const openRow = page.locator('#span-list tbody tr.open');
      expect(await openRow.count()).toBe(1);
      expect(await openRow.getAttribute('data-span-id')).toBe(spanIds[1]);
      expect(await openRow.getAttribute('aria-current')).toBe('true');
      // Opening the detail did not scroll the spectrogram out of view, and the detail's title shows.
      const view = await page.evaluate(() => ({
        canvasBottom: document.getElementById('spectrogram')!.getBoundingClientRect().bottom,
        detailTop: document.getElementById('detail-panel')!.getBoundingClientRect().top,
        height: window.innerHeight,
      }));
      expect(view.canvasBottom).toBeGreaterThan(0);
      expect(view.detailTop).toBeLessThan(view.height);
      // This session did not export its spans: Jaeger never received them, so there is no link.
      expect(await page.locator('#jaeger-link').isHidden()).toBe(true);
      await shot(page, '2-keyboard-opened');

      // One time zone everywhere: local (the browser's Asia/Kolkata) first, then UTC from the header's switch.
      const reportStartMs = WALL_OFFSET_MS + 30_500; // the second-slowest report starts at 30.5 s
      const startCell = page.locator(`#span-list tbody tr[data-span-id="${spanIds[1]}"] td:nth-child(3)`);
      expect(await startCell.textContent()).toBe(clockText(reportStartMs, ZONE_OFFSET_MS));
      expect(await page.locator('#tz-toggle').textContent()).toMatch(/^Times: Asia\/(Kolkata|Calcutta), UTC\+05:30$/);
      expect(await page.locator('#detail-meta').textContent()).toContain(
        `${clockText(reportStartMs, ZONE_OFFSET_MS)} UTC+05:30`,
      );
      await page.click('#tz-toggle');
      expect(await page.locator('#tz-toggle').textContent()).toBe('Times: UTC');
      expect(hashOf(page).get('tz')).toBe('utc');
      expect(await startCell.textContent()).toBe(clockText(reportStartMs, 0));
      expect(await page.locator('#detail-meta').textContent()).toContain(`${clockText(reportStartMs, 0)} UTC`);
      await shot(page, '3-utc');

      // Reload: the same selection, list, open span and zone.
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      await page.waitForSelector('#detail-panel:not([hidden]) .wf-row.span');
      expect(await page.locator('#detail-meta').textContent()).toContain(spanIds[1]);
      expect(await page.locator('#span-list tbody tr.open').getAttribute('data-span-id')).toBe(spanIds[1]);
      expect(await page.locator('#tz-toggle').textContent()).toBe('Times: UTC');
      expect(await startCell.textContent()).toBe(clockText(reportStartMs, 0));
      expect(await page.locator('#selection').isVisible()).toBe(true);
      await shot(page, '4-reloaded');

      // Back: local time again; Back again: the span closes, the selection stays.
      await page.goBack();
      await page.waitForFunction(() => document.getElementById('tz-toggle')!.textContent !== 'Times: UTC');
      expect(await startCell.textContent()).toBe(clockText(reportStartMs, ZONE_OFFSET_MS));
      await page.goBack();
      await page.waitForSelector('#detail-panel', { state: 'hidden' });
      expect(await page.locator('#span-list tbody tr.open').count()).toBe(0);
      expect(await page.locator('#span-list tbody tr').count()).toBe(spanIds.length);
      await shot(page, '5-back');

      // Clicking a row (rather than Enter) does not jump the page either (clicked in the page: Playwright's click
      // would scroll the row into view first).
      await page.evaluate(() => {
        window.scrollTo(0, 0);
        document.querySelector<HTMLElement>('#span-list tbody tr')!.click();
      });
      await page.waitForSelector('#detail-panel:not([hidden])');
      expect(
        await page.evaluate(() => document.getElementById('spectrogram')!.getBoundingClientRect().bottom),
      ).toBeGreaterThan(0);

      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('opens deep links: filters from the URL; a hostile or stale link is dropped or explained, never run', async () => {
    const server = await startUiServer({ store: busyStore() });
    try {
      // A deep link in a new page: filters in the header, the spectrogram narrowed to the matching spans.
      const link = await openUi(`${server.url}#name=report&service=shop`);
      expect(await link.page.inputValue('#filter-name')).toBe('report');
      expect(await link.page.inputValue('#filter-service')).toBe('shop');
      // fitted to the second the three reports span: each in a cell of its own
      await link.page.waitForFunction(() => document.getElementById('spectrogram')!.dataset.visibleCells === '3');
      await shot(link.page, '6-deep-link-filter');

      // A hostile or stale link: bad values are dropped, a span not in memory says so, nothing breaks.
      const hostile = await openUi(
        `${server.url}#name=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&trace=${'ab'.repeat(16)}&span=${'cd'.repeat(8)}` +
          '&sel=9~1~2~3&scope=%3Cb%3E&tz=%3Cscript%3E',
      );
      await hostile.page.waitForSelector('#error:not([hidden])');
      expect(await hostile.page.locator('#error').textContent()).toMatch(/not in memory/);
      expect(await hostile.page.inputValue('#filter-name')).toBe('<img src=x onerror=alert(1)>');
      expect(await hostile.page.locator('img, b, script:not([src])').count()).toBe(0);
      expect(await hostile.page.locator('#tz-toggle').textContent()).toMatch(/^Times: Asia/);
      await shot(hostile.page, '7-hostile-link');

      expect(link.problems).toEqual([]);
      // the missing span's 404 is the only error the browser logs for that page
      expect(hostile.problems.filter((p) => !p.includes('404'))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('says when older spans were dropped for memory, with the fix; empty states say what to do', async () => {
    const server = await startUiServer({ store: busyStore(100) });
    const empty = await startUiServer({ store: new SpanStore({ clock: CLOCK }) });
    const waiting = await startUiServer({ store: new SpanStore({ clock: CLOCK }), live: true });
    try {
      const { page, problems } = await openUi(server.url);
      const notice = page.locator('#drop-notice');
      expect(await notice.isVisible()).toBe(true);
      // 806 spans added, 100 kept: 706 dropped by the span limit; the newest kept are the reports at 30–31 s
      expect(await page.locator('#drop-text').textContent()).toMatch(
        /^706 older spans were dropped to stay within the span limit \(100 spans\)\. Memory now holds the 100 spans that started from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC\+05:30 to \d\d:\d\d:\d\d\.\d{3}\.$/,
      );
      expect(await page.locator('#drop-fix').textContent()).toBe(
        'To keep them, start nullspan again with --ui-max-spans 810.',
      );
      await shot(page, '8-drop-notice');

      // A filter matching nothing: the spectrogram says so instead of a black grid.
      expect(await page.locator('#spectro-empty').isHidden()).toBe(true);
      await page.fill('#filter-name', 'no-such-span');
      await page.waitForSelector('#spectro-empty:not([hidden])');
      expect(await page.locator('#spectro-empty').textContent()).toMatch(
        /^No spans match what is chosen above \(100 spans in memory\)\. Clear or loosen the filters/,
      );
      await shot(page, '9-filter-matches-nothing');

      // An empty selection: a sentence instead of a blank table.
      await page.fill('#filter-name', '');
      await page.waitForSelector('#spectro-empty', { state: 'hidden' });
      const box = (await page.locator('#spectrogram').boundingBox())!;
      await dragAround(page, { x: box.x + 90, y: box.y + 20 }); // top left: 100 s spans long before any data
      await page.waitForSelector('#list-empty:not([hidden])');
      expect(await page.locator('#list-empty').textContent()).toMatch(
        /^No spans in this selection\. Drag over lit cells/,
      );
      expect(await page.locator('#span-list tbody tr').count()).toBe(0);
      await shot(page, '10-empty-selection');
      expect(problems).toEqual([]);

      const capture = await openUi(empty.url);
      expect(await capture.page.locator('#spectro-empty').textContent()).toBe('This capture has no spans.');
      expect(await capture.page.locator('#drop-notice').isHidden()).toBe(true);
      await shot(capture.page, '11-empty-capture');
      const live = await openUi(waiting.url);
      expect(await live.page.locator('#spectro-empty').textContent()).toMatch(
        /^Waiting for spans — is the traced program writing markers\? See sdk\/README\.md/,
      );
      await shot(live.page, '12-waiting-live');
      expect([...capture.problems, ...live.problems]).toEqual([]);
    } finally {
      await Promise.all([server.close(), empty.close(), waiting.close()]);
    }
  });
});
