/// <reference lib="dom" />
// The spectrogram in Chromium: fitted to the data's time range, a lone slow span clearly visible, wheel zoom about
// the cursor, panning by dragging the time axis, the filter expression's errors, the scope selector.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK, proc, request, span } from '../correlator/test/ui-synthetic.js';
import { SpanStore } from '../correlator/src/ui/store.js';
import { startUiServer } from '../correlator/src/ui/server.js';
import { launchChromium, watchedPage } from './helpers/browser.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const WALL0_MS = Number(CLOCK.wallOffsetNs / 1_000_000n);

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

interface Capture {
  store: SpanStore;
  /** start (ms since the epoch) of every root span: the requests and the background ticks */
  rootStartsMs: number[];
}

/**
 * `requests` fast requests (0.5–3 ms, two spans each) evenly over `spreadNs`, one slow one (900 ms) in the middle
 * and `ticks` internal root spans (a background job: root, not server).
 */
function capture(requests: number, spreadNs: number, ticks = 0, maxSpans?: number): Capture {
  const store = new SpanStore({ clock: CLOCK, maxSpans });
  const rootStartsMs: number[] = [];
  // starts on whole microseconds, as the store keeps them, so the test's window arithmetic is exact
  const stepNs = Math.floor(spreadNs / requests / 1000) * 1000;
  for (let i = 0; i < requests; i++) {
    const start = i * stepNs;
    const duration = 500_000 + ((i * 7919) % 2500) * 1000;
    for (const s of request(start, duration, 100)) store.add(s, proc(100, 'shop'));
    rootStartsMs.push(WALL0_MS + start / 1e6);
  }
  const slowStart = Math.floor(requests / 2) * stepNs + 1000;
  for (const s of request(slowStart, 900e6, 100, 'GET /report')) store.add(s, proc(100, 'shop'));
  rootStartsMs.push(WALL0_MS + slowStart / 1e6);
  for (let i = 0; i < ticks; i++) {
    const start = Math.floor((i * spreadNs) / ticks / 1000) * 1000 + 3000;
    store.add(span({ name: 'cron.tick', start, end: start + 200_000, pid: 200, tid: 200 }), proc(200, 'jobs'));
    rootStartsMs.push(WALL0_MS + start / 1e6);
  }
  return { store, rootStartsMs };
}

async function openUi(url: string): Promise<{ page: Page; problems: string[] }> {
  const { page, problems } = await watchedPage(browser);
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  await page.waitForFunction(() => Number(document.body.dataset.spectrogramDraws) > 0);
  return { page, problems };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.locator('#spectrogram-panel').screenshot({ path: join(ARTIFACTS, `ui-spectrogram-${name}.png`) });
}

interface Drawn {
  fromMs: number;
  toMs: number;
  loadedFromMs: number;
  loadedToMs: number;
  total: number;
  /** plot box in CSS pixels, relative to the canvas */
  plot: { left: number; top: number; width: number; height: number };
}

async function drawn(page: Page): Promise<Drawn> {
  const d = await page.locator('#spectrogram').evaluate((c) => ({ ...(c as HTMLCanvasElement).dataset }));
  const [left, top, width, height] = d.plot!.split(',').map(Number);
  return {
    fromMs: Number(d.fromMs),
    toMs: Number(d.toMs),
    loadedFromMs: Number(d.loadedFromMs),
    loadedToMs: Number(d.loadedToMs),
    total: Number(d.total),
    plot: { left, top, width, height },
  };
}

/** Waits until the answer for the range on screen is drawn (a zoom or pan has loaded). */
async function settled(page: Page): Promise<Drawn> {
  await page.waitForFunction(() => {
    const d = document.getElementById('spectrogram')!.dataset;
    return d.fromMs === d.loadedFromMs && d.toMs === d.loadedToMs;
  });
  return drawn(page);
}

/** Page coordinates of a point of the plot (fractions of its width and height from its top left). */
async function plotPoint(page: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
  const box = (await page.locator('#spectrogram').boundingBox())!;
  const { plot } = await drawn(page);
  return { x: box.x + plot.left + fx * plot.width, y: box.y + plot.top + fy * plot.height };
}

interface Pixels {
  /** leftmost and rightmost lit pixel column, as fractions of the plot width */
  litFrom: number;
  litTo: number;
  /** the highest lit pixel (the slowest cell), CSS px relative to the canvas, and its colour */
  top: { x: number; y: number; rgb: number[] } | null;
  /** the plot's background colour */
  background: number[];
}

/** Reads the plot's pixels: which are lit (a cell, not the background or a grid line). */
async function plotPixels(page: Page): Promise<Pixels> {
  return page.locator('#spectrogram').evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    const [left, top, width, height] = canvas.dataset.plot!.split(',').map(Number);
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    const x0 = Math.ceil(left * scale);
    const y0 = Math.ceil(top * scale);
    const w = Math.floor(width * scale);
    const h = Math.floor(height * scale);
    const data = canvas.getContext('2d')!.getImageData(x0, y0, w, h).data;
    const rgbAt = (x: number, y: number) => Array.from(data.slice((y * w + x) * 4, (y * w + x) * 4 + 3));
    // grid lines are white at 10 % over black: no channel above 40; the ramp's darkest cell has one above 140
    const lit = (x: number, y: number) => Math.max(...rgbAt(x, y)) > 80;
    let litFrom = w;
    let litTo = -1;
    let topPoint: { x: number; y: number; rgb: number[] } | null = null;
    // the background: the darkest pixel (grid lines are lighter)
    let background = rgbAt(0, 0);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (Math.max(...rgbAt(x, y)) < Math.max(...background)) background = rgbAt(x, y);
        if (!lit(x, y)) continue;
        litFrom = Math.min(litFrom, x);
        litTo = Math.max(litTo, x);
        // a few pixels into the cell: its edges are blended with the background
        topPoint ??= { x: (x0 + x + 3) / scale, y: (y0 + y + 3) / scale, rgb: rgbAt(x + 3, y + 3) };
      }
    }
    return { litFrom: litFrom / w, litTo: (litTo + 1) / w, top: topPoint, background };
  });
}

/** WCAG contrast ratio of two sRGB colours. */
function contrast(a: number[], b: number[]): number {
  const luminance = (rgb: number[]) => {
    const [r, g, bl] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

async function draws(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset.spectrogramDraws));
}

async function nextDraw(page: Page, after: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset.spectrogramDraws) > n, after);
}

describe('spectrogram in chromium', () => {
  it('fits 5,000 requests in 1.25 s to the width and shows the one slow request as a bright cell', async () => {
    const { store } = capture(5000, 1.25e9);
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await openUi(server.url);
      const d = await drawn(page);
      // the fitted range covers the 1.25 s of data, not a minute
      expect(d.toMs - d.fromMs).toBeGreaterThanOrEqual(1250);
      expect(d.toMs - d.fromMs).toBeLessThan(1500);
      expect(d.total).toBe(5001);
      const px = await plotPixels(page);
      expect(px.litFrom).toBeLessThan(0.05);
      expect(px.litTo).toBeGreaterThan(0.95);
      // the slowest cell (the lone 900 ms request) clearly stands out from the black plot
      expect(px.top).not.toBeNull();
      expect(contrast(px.top!.rgb, px.background)).toBeGreaterThanOrEqual(5);
      const box = (await page.locator('#spectrogram').boundingBox())!;
      await page.mouse.move(box.x + px.top!.x, box.y + px.top!.y);
      await expect.poll(() => page.locator('#cell-tip').textContent()).toMatch(/^1 span · .* · 631 ms–1 s$/);
      // axis titles and the legend's counts
      expect(await page.locator('#time-axis-title').textContent()).toMatch(/^span start time \(.+\)$/);
      expect(await page.locator('#duration-axis-title').textContent()).toBe('span duration');
      const legend = await page.locator('#legend-ticks span').allTextContents();
      expect(legend[0]).toBe('1');
      expect(Number(legend.at(-1))).toBeGreaterThan(1);
      await shot(page, 'fit-1.25s');
      await page.locator('#tz-toggle').click();
      await expect.poll(() => page.locator('#time-axis-title').textContent()).toBe('span start time (UTC)');
      await shot(page, 'fit-1.25s-utc');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await server.close();
    }
  });

  it('fits 20 s, zooms into 1 s with the wheel, lists only that range, pans by dragging the time axis', async () => {
    const { store, rootStartsMs } = capture(2500, 20e9, 40);
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await openUi(server.url);
      const fit = await drawn(page);
      expect(fit.toMs - fit.fromMs).toBeGreaterThanOrEqual(20_000);
      expect(fit.toMs - fit.fromMs).toBeLessThan(24_000);
      const px = await plotPixels(page);
      expect(px.litFrom).toBeLessThan(0.05);
      expect(px.litTo).toBeGreaterThan(0.95);
      await shot(page, 'fit-20s');

      // wheel over the plot's middle until the range is at most 1 s wide
      const middle = await plotPoint(page, 0.5, 0.5);
      const before = await drawn(page);
      const anchor = before.fromMs + (before.toMs - before.fromMs) / 2;
      await page.mouse.move(middle.x, middle.y);
      for (let i = 0; i < 30 && (await drawn(page)).toMs - (await drawn(page)).fromMs > 1000; i++) {
        await page.mouse.wheel(0, -100);
      }
      const zoomed = await settled(page);
      const width = zoomed.toMs - zoomed.fromMs;
      expect(width).toBeLessThanOrEqual(1000);
      expect(width).toBeGreaterThan(500);
      // zoomed about the cursor: the middle of the data stays in the middle
      expect(Math.abs(zoomed.fromMs + width / 2 - anchor)).toBeLessThan(width * 0.05);
      const inRange = rootStartsMs.filter((t) => t >= zoomed.loadedFromMs && t < zoomed.loadedToMs).length;
      expect(zoomed.total).toBe(inRange);
      await shot(page, 'zoomed-1s');

      // drag over the whole plot: the list holds exactly the spans of that second
      const renders = await page.evaluate(() => Number(document.body.dataset.listRenders ?? 0));
      const a = await plotPoint(page, 0.001, 0.001);
      const b = await plotPoint(page, 0.999, 0.999);
      await page.mouse.move(a.x, a.y);
      await page.mouse.down();
      await page.mouse.move(b.x, b.y, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction((n) => Number(document.body.dataset.listRenders) > n, renders);
      expect(await page.locator('#list-summary').textContent()).toContain(`: ${zoomed.total} spans`);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-spectrogram-zoomed-list.png') });

      // drag the time axis 300 px to the left: the view moves later by 300 px worth of time, same width
      const drawsBefore = await draws(page);
      const axis = await plotPoint(page, 0.6, 1);
      await page.mouse.move(axis.x, axis.y + 8);
      await page.mouse.down();
      await page.mouse.move(axis.x - 300, axis.y + 8, { steps: 6 });
      await page.mouse.up();
      await nextDraw(page, drawsBefore);
      const panned = await settled(page);
      expect(panned.toMs - panned.fromMs).toBe(width);
      const expectedShift = (300 / zoomed.plot.width) * width;
      expect(Math.abs(panned.fromMs - zoomed.fromMs - expectedShift)).toBeLessThanOrEqual(2);
      await shot(page, 'panned');
      // the range is in the URL: a reload draws the same second
      const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
      expect([hash.get('from'), hash.get('to')]).toEqual([String(panned.fromMs), String(panned.toMs)]);
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      const reloaded = await settled(page);
      expect([reloaded.loadedFromMs, reloaded.loadedToMs]).toEqual([panned.fromMs, panned.toMs]);

      // the buttons: zoom out doubles the width, fit returns to the whole capture
      await page.locator('#zoom-out').click();
      expect((await settled(page)).toMs - (await drawn(page)).fromMs).toBe(2 * width);
      await page.locator('#zoom-fit').click();
      await expect
        .poll(async () => (await settled(page)).toMs - (await drawn(page)).fromMs)
        .toBeGreaterThanOrEqual(20_000);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await server.close();
    }
  });

  it('counts root, server or all spans and shows a filter error at its column', async () => {
    const { store } = capture(1000, 5e9, 50);
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await openUi(server.url);
      // root spans: the 1,001 requests and the 50 background ticks, not the requests' db.query children
      expect((await drawn(page)).total).toBe(1051);
      const totalAfter = async (scope: string) => {
        const n = await draws(page);
        await page.locator('#scope').selectOption(scope);
        await nextDraw(page, n);
        return (await drawn(page)).total;
      };
      expect(await totalAfter('server')).toBe(1001);
      expect(await totalAfter('all')).toBe(2052);
      await shot(page, 'scope-all');
      expect(await totalAfter('root')).toBe(1051);

      // a wrong expression: the sentence, the column, the character marked; the counts stay as they were
      await page.locator('#filter-expr').fill('kind=server dur>50');
      await page.locator('#filter-expr').press('Enter');
      await page.waitForSelector('#filter-error:not([hidden])');
      expect(await page.locator('#filter-error .filter-message').textContent()).toBe(
        "'dur' needs a duration with a unit, such as 50ms, 1.5s, 200us or 800ns. (column 17)",
      );
      expect(await page.locator('#filter-error mark').textContent()).toBe('5');
      expect(await page.locator('#filter-error .filter-echo').textContent()).toBe('kind=server dur>50');
      expect(await page.locator('#filter-expr').getAttribute('aria-invalid')).toBe('true');
      expect((await drawn(page)).total).toBe(1051);
      await page.screenshot({
        path: join(ARTIFACTS, 'ui-spectrogram-filter-error.png'),
        clip: { x: 0, y: 0, width: 1400, height: 260 },
      });

      // corrected: only the slow request is left, and the error is gone
      const n = await draws(page);
      await page.locator('#filter-expr').fill('kind=server dur>500ms');
      await page.locator('#filter-expr').press('Enter');
      await nextDraw(page, n);
      expect((await drawn(page)).total).toBe(1);
      expect(await page.locator('#filter-error').isHidden()).toBe(true);
      expect(await page.locator('#filter-expr').getAttribute('aria-invalid')).toBe('false');
      await shot(page, 'filtered');
      // scope and filter are in the URL: a reload counts the same spans, the input shows the expression
      await page.locator('#filter-expr').fill('dur>400ms');
      await page.locator('#filter-expr').press('Enter');
      await page.locator('#scope').selectOption('all'); // the slow request and its 450 ms db.query
      await expect.poll(async () => (await drawn(page)).total).toBe(2);
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      await expect.poll(async () => (await drawn(page)).total).toBe(2);
      expect(await page.locator('#filter-expr').inputValue()).toBe('dur>400ms');
      expect(await page.locator('#scope').inputValue()).toBe('all');
      // the refused request itself is the only complaint
      expect(problems).toEqual([
        'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
      ]);
      await page.close();
    } finally {
      await server.close();
    }
  });

  it('draws 100,000 spans (figure in the log)', async () => {
    const { store } = capture(50_000, 20e9, 0, 110_000);
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await watchedPage(browser);
      const started = Date.now();
      await page.goto(server.url);
      await page.waitForFunction(() => Number(document.body.dataset.spectrogramDraws) > 0, undefined, {
        timeout: 60_000,
      });
      const elapsed = Date.now() - started;
      const inPage = await page.evaluate(() => Math.round(performance.now()));
      console.log(`load → spectrogram drawn, 100,000 spans in memory: ${elapsed} ms (${inPage} ms since navigation)`);
      expect((await drawn(page)).total).toBe(50_001);
      await shot(page, '100k');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await server.close();
    }
  });
});
