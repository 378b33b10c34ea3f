/// <reference lib="dom" />
// The waterfall in a real browser: a trace with the noise real ones have (sub-µs bookkeeping calls, futex runs, a
// 37 ms rmdir deep down, an error span, a span named by markup), opened at a span in the middle of it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUiServer } from '../correlator/src/ui/server.js';
import { SpanStore } from '../correlator/src/ui/store.js';
import { CLOCK, noisyTrace, proc, wideTrace } from '../correlator/test/ui-synthetic.js';
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

const renders = (page: Page) => page.evaluate(() => Number(document.body.dataset.waterfallRenders ?? '0'));

async function waitRenders(page: Page, after: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset.waterfallRenders ?? '0') > n, after);
}

/** Opens the slowest span of that name from the percentile table (its "max" lists it), and waits for the waterfall. */
async function openByName(page: Page, name: string): Promise<number> {
  await page.locator(`#percentiles tr[data-name="${name}"] button[data-percentile="max"]`).click();
  const row = page.locator('#span-list tbody tr', { hasText: name }).first();
  await row.waitFor();
  const before = await renders(page);
  const t0 = performance.now();
  await row.click();
  await waitRenders(page, before);
  return performance.now() - t0;
}

/** The waterfall rows' label texts, first line only (name), in order. */
const rowNames = (page: Page) =>
  page.locator('#waterfall .wf-row:not(.head) .wf-name').evaluateAll((els) => els.map((e) => e.textContent ?? ''));

/** Whether the row is inside the waterfall's visible area (the box scrolls). */
async function visibleInWaterfall(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const box = document.getElementById('waterfall')!.getBoundingClientRect();
    const row = document.querySelector(sel);
    if (!row) return false;
    const r = row.getBoundingClientRect();
    return r.top >= box.top && r.bottom <= box.bottom;
  }, selector);
}

describe('waterfall in chromium', () => {
  it('shows the whole trace around the opened span, folds noise, hides tiny calls, finds paths, marks the critical path', async () => {
    const store = new SpanStore({ clock: CLOCK });
    const spans = noisyTrace(1e9, HOSTILE);
    for (const s of spans) store.add(s, proc(s.pid, s.pid === 100 ? 'gateway' : 'jobs'));
    const worker = spans.find((s) => s.name === 'POST /jobs/cleanup')!;
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await watchedPage(browser);
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="1"]');
      await openByName(page, 'POST /jobs/cleanup');
      await page.locator('#waterfall').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, 'ui-waterfall-1-opened.png') });

      // The whole trace: the gateway's spans above (another process), the siblings below; the opened span marked.
      const names = await rowNames(page);
      expect(names.slice(0, 3)).toEqual(['GET /api/cleanup', 'http.client POST /jobs/cleanup', 'POST /jobs/cleanup']);
      for (const sibling of ['fs.remove', 'cache.prefetch', 'audit.write', HOSTILE]) expect(names).toContain(sibling);
      const focus = page.locator('#waterfall .wf-row.focus');
      expect(await focus.count()).toBe(1);
      expect(await focus.getAttribute('data-span-id')).toBe(worker.spanId);

      // Defaults: calls under 1 µs hidden and counted on their span; runs folded; the 37 ms rmdir in view at once.
      expect(await focus.locator('.wf-info').textContent()).toMatch(/18 short calls hidden \(7\.2 µs\)/);
      expect(names).toContain('futex ×8');
      expect(names).not.toContain('getpid');
      expect(
        await visibleInWaterfall(
          page,
          '#waterfall .wf-row.syscall.critical:has(.path[title*="/var/lib/app/cache/tmp-"])',
        ),
      ).toBe(true);

      // The critical path: what the end waited for. Not the prefetch that ran beside fs.remove and ended first.
      const isCritical = (name: string) =>
        page
          .locator('#waterfall .wf-row', { hasText: name })
          .first()
          .evaluate((r) => r.classList.contains('critical'));
      for (const name of ['GET /api/cleanup', 'POST /jobs/cleanup', 'fs.remove', 'rmdir', 'audit.write'])
        expect(await isCritical(name), name).toBe(true);
      expect(await isCritical('cache.prefetch')).toBe(false);
      expect(await isCritical('pread64')).toBe(false);

      // Errors red everywhere: the failed span's bar and name, the failed call.
      const red = 'rgb(255, 95, 86)';
      const audit = page.locator('#waterfall .wf-row.span', { hasText: 'audit.write' });
      expect(await audit.evaluate((r) => getComputedStyle(r.querySelector('.wf-bar')!).backgroundColor)).toBe(red);
      expect(await audit.evaluate((r) => getComputedStyle(r.querySelector('.wf-name')!).color)).toBe(red);
      const eacces = page.locator('#waterfall .wf-row.syscall', { hasText: 'EACCES' });
      expect(await eacces.locator('.wf-info').textContent()).toContain('failed: EACCES');
      expect(await eacces.evaluate((r) => getComputedStyle(r.querySelector('.wf-bar')!).backgroundColor)).toBe(red);

      // Merged runs read as words; attribution says what it means, with the reason in the tooltip; long values
      // carry their full text in a tooltip.
      const merged = page.locator('#waterfall .wf-row.syscall', { hasText: 'read ×32' });
      expect(await merged.locator('.wf-info').textContent()).toMatch(
        /32 B in all · last returned 1 · tid 200 · async context/,
      );
      expect(await merged.locator('.attribution').getAttribute('title')).toMatch(
        /SDK had published this span as the active one/,
      );
      const rmdirPath = page.locator('#waterfall .wf-row.syscall .path', { hasText: '/var/lib/app/cache/tmp-' });
      expect(await rmdirPath.getAttribute('title')).toBe(
        '/var/lib/app/cache/tmp-0123456789abcdef0123456789abcdef0123456789abcdef',
      );

      // Hide-under off: the 18 bookkeeping calls come back as one folded row; unfold it, fold it again.
      let before = await renders(page);
      await page.fill('#wf-hide', '0');
      await waitRenders(page, before);
      const fold = page.locator('#waterfall .wf-row.fold', { hasText: '18 short calls' });
      expect(await fold.locator('.wf-name').textContent()).toBe('18 short calls: getpid, capget, getuid, getgid…');
      expect(await fold.locator('.wf-info').textContent()).toBe('7.2 µs total');
      await page.screenshot({ path: join(ARTIFACTS, 'ui-waterfall-2-hide-off.png') });
      before = await renders(page);
      await fold.locator('.wf-toggle').click();
      await waitRenders(page, before);
      expect((await rowNames(page)).filter((n) => n === 'getpid')).toHaveLength(3);
      expect(await fold.locator('.wf-toggle').getAttribute('aria-expanded')).toBe('true');
      await page.screenshot({ path: join(ARTIFACTS, 'ui-waterfall-3-unfolded.png') });
      before = await renders(page);
      await fold.locator('.wf-toggle').click();
      await waitRenders(page, before);
      expect(await rowNames(page)).not.toContain('getpid');

      // Collapse the worker's span: its calls and children go, the gateway's rows stay.
      before = await renders(page);
      await focus.locator('.wf-toggle').click();
      await waitRenders(page, before);
      expect(await rowNames(page)).toEqual([
        'GET /api/cleanup',
        'http.client POST /jobs/cleanup',
        'POST /jobs/cleanup',
      ]);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-waterfall-4-collapsed.png') });

      // Find a path: the collapsed span opens, the match is drawn on its own row, highlighted and scrolled to.
      before = await renders(page);
      await page.fill('#wf-find', 'segment-39');
      await waitRenders(page, before);
      expect(await page.locator('#wf-find-count').textContent()).toBe('1 of 1');
      const current = page.locator('#waterfall .wf-row.match.current');
      expect(await current.locator('.path').textContent()).toBe('/var/log/app/segment-39.log');
      expect(await visibleInWaterfall(page, '#waterfall .wf-row.match.current')).toBe(true);
      // The head (time axis) stays on top while the rows scroll under it.
      const stuck = await page.evaluate(() => {
        const wf = document.getElementById('waterfall')!;
        return {
          scrolled: wf.scrollTop,
          head: wf.querySelector('.wf-row.head')!.getBoundingClientRect().top - wf.getBoundingClientRect().top,
        };
      });
      expect(stuck.scrolled).toBeGreaterThan(0);
      expect(Math.abs(stuck.head)).toBeLessThan(2);
      const showTools = () =>
        page.evaluate(() =>
          window.scrollTo(0, document.getElementById('wf-tools')!.getBoundingClientRect().top + window.scrollY - 8),
        );
      await showTools();
      await page.screenshot({ path: join(ARTIFACTS, 'ui-waterfall-5-found.png') });

      // A match inside a fold is drawn on its own row; Enter walks the matches.
      before = await renders(page);
      await page.fill('#wf-hide', '1');
      await waitRenders(page, before);
      before = await renders(page);
      await page.fill('#wf-find', 'getuid');
      await waitRenders(page, before);
      expect(await page.locator('#wf-find-count').textContent()).toBe('1 of 3');
      expect(await current.locator('.wf-name').textContent()).toBe('getuid');
      before = await renders(page);
      await page.press('#wf-find', 'Enter');
      await waitRenders(page, before);
      expect(await page.locator('#wf-find-count').textContent()).toBe('2 of 3');
      await showTools();
      await page.screenshot({ path: join(ARTIFACTS, 'ui-waterfall-6-find-next.png') });

      // Hostile text stayed text: no element made from it, no script ran.
      expect(await page.locator('#waterfall').textContent()).toContain(HOSTILE);
      expect(await page.locator('img, svg').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('opens a span of a 10,000-span trace (click → waterfall drawn, logged)', async () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 20_000 });
    for (const s of wideTrace(1e9, 10_000)) store.add(s, proc(100, 'wide'));
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await watchedPage(browser);
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="1"]');
      const ms = await openByName(page, 'GET /wide');
      const answer = await page.evaluate(() => {
        const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        const e = entries.filter((r) => r.name.includes('/api/spans/')).pop()!;
        return { ms: e.responseEnd - e.startTime, bytes: e.encodedBodySize };
      });
      console.log(
        `click → waterfall drawn, 10,000-span trace: ${ms.toFixed(0)} ms (the answer, ${(answer.bytes / 1e6).toFixed(1)} MB: ${answer.ms.toFixed(0)} ms of it)`,
      );
      const rows = await page.locator('#waterfall .wf-row:not(.head)').count();
      expect(rows).toBeGreaterThan(2000);
      expect(await page.locator('#waterfall .wf-more').last().textContent()).toMatch(/more rows not shown/);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-waterfall-7-wide.png') });
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
