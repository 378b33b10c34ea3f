/// <reference lib="dom" />
// The web UI's first screen in Chromium does not wait for the header's menus: the spectrogram is drawn while the
// answers for the facets, the stats and the syscall list are still held back, the menus fill in when they come,
// and the empty-capture sentence appears whichever of spectrogram and stats answers last.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStore } from '../correlator/src/ui/store.js';
import { startUiServer } from '../correlator/src/ui/server.js';
import { CLOCK, proc, request } from '../correlator/test/ui-synthetic.js';
import { launchChromium, watchedPage } from './helpers/browser.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `ui-load-order-${name}.png`) });
}

/** Holds back the answers of the API paths given until `release` is called. */
async function holdBack(page: Page, paths: string[]): Promise<{ release: () => void }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const path of paths)
    await page.route(`**${path}`, async (route) => {
      await released;
      await route.continue();
    });
  return { release };
}

const spectrogramDrawn = (page: Page) =>
  page.waitForFunction(() => Number(document.body.dataset.spectrogramDraws ?? 0) > 0, undefined, { timeout: 20_000 });

describe('web UI first screen in chromium', () => {
  it('draws the spectrogram before the menus answer, then fills the menus', async () => {
    const store = new SpanStore({ clock: CLOCK });
    for (let i = 0; i < 50; i++) for (const r of request(i * 100e6, 1e6 + i * 1e4)) store.add(r, proc(100, 'shop'));
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await watchedPage(browser);
      const menus = await holdBack(page, ['/api/facets', '/api/stats', '/api/syscalls']);
      await page.goto(server.url);
      await spectrogramDrawn(page);
      await shot(page, '1-spectrogram-before-menus');
      expect(Number(await page.locator('#spectrogram').getAttribute('data-visible-cells'))).toBeGreaterThan(0);
      expect(await page.locator('#spectro-mode option').count()).toBe(1);
      expect(await page.locator('body[data-ready="1"]').count()).toBe(0);
      menus.release();
      await page.waitForSelector('body[data-ready="1"]');
      await shot(page, '2-menus-filled');
      expect(await page.locator('#spectro-mode option').allTextContents()).toContain('read calls (600)');
      expect(await page.locator('#filter-service option').allTextContents()).toContain('shop (100)');
      expect(await page.locator('#stats').textContent()).toMatch(/^100 spans in memory/);
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('names the browser time zone only after the first draw (Intl loads ICU data on first use)', async () => {
    const store = new SpanStore({ clock: CLOCK });
    for (let i = 0; i < 20; i++) for (const r of request(i * 100e6, 1e6)) store.add(r, proc(100, 'shop'));
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await watchedPage(browser, { timezoneId: 'Asia/Kolkata' });
      await page.addInitScript(() => {
        const w = window as unknown as { intlCalls: number; intlCallsAtFirstCells?: number };
        w.intlCalls = 0;
        const Original = Intl.DateTimeFormat;
        Intl.DateTimeFormat = new Proxy(Original, {
          apply: (target, self, args) => {
            w.intlCalls++;
            return Reflect.apply(target, self, args);
          },
          construct: (target, args) => {
            w.intlCalls++;
            return Reflect.construct(target, args);
          },
        });
        new MutationObserver(() => {
          const cells = Number(document.getElementById('spectrogram')?.dataset.visibleCells ?? 0);
          if (cells > 0 && w.intlCallsAtFirstCells === undefined) w.intlCallsAtFirstCells = w.intlCalls;
        }).observe(document, { attributes: true, subtree: true });
      });
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="1"]');
      await shot(page, '5-zone-named');
      expect(
        await page.evaluate(() => (window as unknown as { intlCallsAtFirstCells?: number }).intlCallsAtFirstCells),
      ).toBe(0);
      // Chromium's ICU may use the zone's older name
      expect(await page.locator('#tz-toggle').textContent()).toMatch(/^Times: Asia\/(Kolkata|Calcutta), UTC\+05:30$/);
      expect(await page.locator('#time-axis-title').textContent()).toMatch(/\(Asia\/(Kolkata|Calcutta), UTC\+05:30\)$/);
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('says the capture has no spans when the stats answer after the spectrogram', async () => {
    const server = await startUiServer({ store: new SpanStore({ clock: CLOCK }) });
    try {
      const { page, problems } = await watchedPage(browser);
      const stats = await holdBack(page, ['/api/stats']);
      await page.goto(server.url);
      await spectrogramDrawn(page);
      await shot(page, '3-empty-before-stats');
      stats.release();
      await page.waitForSelector('body[data-ready="1"]');
      await page.waitForSelector('#spectro-empty:not([hidden])', { timeout: 20_000 });
      await shot(page, '4-empty-after-stats');
      expect(await page.locator('#spectro-empty').textContent()).toBe('This capture has no spans.');
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
