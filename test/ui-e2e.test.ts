/// <reference lib="dom" />
// The web UI end to end, as a new user meets it: real captures made by `nullspan run --write`
// (test/ui-fixtures/make-captures.mjs), served by `nullspan ui CAPTURE`, driven by Debian's chromium at 1400×900.
// Screenshots of every step go to test-artifacts/ui-e2e-*.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript shared with the UI benchmark
import { ensureCaptures } from './ui-fixtures/make-captures.mjs';
// @ts-expect-error plain JavaScript shared with the UI benchmark
import { plotBox } from './ui-fixtures/plot-box.mjs';
import { launchChromium, watchedPage } from './helpers/browser.js';
import { REPO, startCli, waitForOutput, type RunningCli } from './helpers/cli.js';

const ARTIFACTS = join(REPO, 'test-artifacts');
const HOSTILE = '<img src=x onerror=alert(1)>';
const URL_RE = /web UI at (http:\/\/127\.0\.0\.1:\d+\/)/;
type Counter = 'spectrogramDraws' | 'listRenders' | 'waterfallRenders';

let browser: Browser;
let captures: { outlier: string; burst100k: string };
const servers: RunningCli[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // made once per build's capture format and kept in the cache: ~10 s and ~40 s on this machine
  captures = await ensureCaptures(['outlier', 'burst100k']);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) s.child.kill('SIGINT');
  await Promise.all(servers.map((s) => s.done));
});

/** `nullspan ui CAPTURE` (every span kept); its address once it serves them. */
async function serve(capture: string): Promise<string> {
  const ui = startCli(['ui', '--port', '0', '--ui-max-spans', '200000', capture]);
  servers.push(ui);
  await waitForOutput(ui, (_, err) => /serving \d+ spans/.test(err) && URL_RE.test(err));
  return URL_RE.exec(ui.stderr())![1];
}

const count = (page: Page, counter: Counter) => page.evaluate((c) => Number(document.body.dataset[c] ?? 0), counter);

/** Runs `action` and waits until the page has finished `counter` once more after it. */
async function andWait(page: Page, counter: Counter, action: () => Promise<unknown>): Promise<void> {
  const before = await count(page, counter);
  await action();
  await page.waitForFunction(
    ([c, n]) => Number(document.body.dataset[c as Counter] ?? 0) > Number(n),
    [counter, before],
  );
}

async function shot(page: Page, step: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `ui-e2e-${step}.png`), fullPage: true });
}

async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const w = await watchedPage(browser);
  await w.page.goto(url);
  await w.page.waitForSelector('body[data-ready="1"]');
  return w;
}

/** WCAG relative luminance of an sRGB colour, for contrast ratios. */
function luminance([r, g, b]: number[]): number {
  const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
const contrast = (a: number[], b: number[]) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

/**
 * The highest lit cell of the plot (the slowest spans), found in the canvas's pixels: the first block of at
 * least 3×3 pixels of one colour other than the plot's background (its most common colour) from the top.
 * Returns the centre of the cell in page pixels, its colour and the background's.
 */
async function slowestLitCell(page: Page) {
  const box = (await page.evaluate(plotBox)) as { left: number; top: number; width: number; height: number } | null;
  expect(box, 'the spectrogram plot').not.toBeNull();
  const found = await page.evaluate((b) => {
    const canvas = document.getElementById('spectrogram') as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const scale = canvas.width / r.width;
    const [x0, y0] = [Math.ceil((b.left - r.left) * scale), Math.ceil((b.top - r.top) * scale)];
    const [w, h] = [Math.floor(b.width * scale), Math.floor(b.height * scale)];
    const { data } = canvas.getContext('2d')!.getImageData(x0, y0, w, h);
    const at = (x: number, y: number) =>
      (data[(y * w + x) * 4] << 16) | (data[(y * w + x) * 4 + 1] << 8) | data[(y * w + x) * 4 + 2];
    const freq = new Map<number, number>();
    for (let i = 0; i < w * h; i++)
      freq.set(at(i % w, Math.floor(i / w)), (freq.get(at(i % w, Math.floor(i / w))) ?? 0) + 1);
    const background = [...freq].sort((p, q) => q[1] - p[1])[0][0];
    const rgb = (c: number) => [c >> 16, (c >> 8) & 255, c & 255];
    for (let y = 0; y + 2 < h; y++) {
      for (let x = 0; x + 2 < w; x++) {
        const c = at(x, y);
        if (c === background) continue;
        const block = [at(x + 1, y), at(x + 2, y), at(x, y + 1), at(x, y + 2), at(x + 1, y + 1), at(x + 2, y + 2)];
        if (block.every((k) => k === c)) {
          // the cell's extent to the right and down from its top-left pixel: drag around its centre
          let [x1, y1] = [x, y];
          while (x1 + 1 < w && at(x1 + 1, y) === c) x1++;
          while (y1 + 1 < h && at(x, y1 + 1) === c) y1++;
          return {
            x: b.left + (x + x1 + 1) / 2 / scale,
            y: b.top + (y + y1 + 1) / 2 / scale,
            colour: rgb(c),
            background: rgb(background),
          };
        }
      }
    }
    return null;
  }, box!);
  expect(found, 'a lit cell on the spectrogram').not.toBeNull();
  return found!;
}

/** Drags a small rectangle around a point of the spectrogram and waits for the list it selects. */
async function dragAround(page: Page, p: { x: number; y: number }): Promise<void> {
  await andWait(page, 'listRenders', async () => {
    await page.mouse.move(p.x - 2, p.y - 2);
    await page.mouse.down();
    await page.mouse.move(p.x + 1, p.y + 1, { steps: 3 });
    await page.mouse.move(p.x + 2, p.y + 2, { steps: 3 });
    await page.mouse.up();
  });
}

/** The range, column width and span count the spectrogram drew last. */
async function range(page: Page) {
  const d = await page.locator('#spectrogram').evaluate((c) => ({ ...(c as HTMLCanvasElement).dataset }));
  return { fromMs: Number(d.fromMs), toMs: Number(d.toMs), columnMs: Number(d.columnMs), total: Number(d.total) };
}

/** Types a filter expression and applies it (Enter). */
async function applyFilter(page: Page, expression: string): Promise<void> {
  await page.fill('#filter-expr', expression);
  await page.press('#filter-expr', 'Enter');
}

const listedNames = (page: Page) =>
  page
    .locator('#span-list tbody tr')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLTableRowElement).cells[0].textContent));

describe('web UI end to end on real captures', () => {
  it('finds the one slow request among 5,000 fast ones from the first screen and opens it', async () => {
    const url = await serve(captures.outlier);
    const { page, problems } = await open(url);
    try {
      expect(await count(page, 'spectrogramDraws')).toBeGreaterThan(0);
      await shot(page, '1-first-screen');

      // The outlier is a lit cell clearly visible on the background, at the top: the slowest request.
      const cell = await slowestLitCell(page);
      expect(contrast(cell.colour, cell.background)).toBeGreaterThanOrEqual(3);
      await dragAround(page, cell);
      await shot(page, '2-outlier-selected');
      expect(await listedNames(page)).toEqual(['GET /report']);

      // Zoom into a 1 s range about the outlier with the wheel: the range narrows around it, the columns get finer.
      const before = await range(page);
      await page.mouse.move(cell.x, cell.y);
      for (let turns = 0; (await range(page)).toMs - (await range(page)).fromMs > 1000; turns++) {
        expect(turns, 'wheel turns to reach a 1 s range').toBeLessThan(40);
        await andWait(page, 'spectrogramDraws', () => page.mouse.wheel(0, -240).then(() => undefined));
        await page.mouse.move(cell.x, cell.y);
      }
      const zoomed = await range(page);
      expect(zoomed.toMs - zoomed.fromMs).toBeGreaterThan(200);
      expect(zoomed.columnMs).toBeLessThan(before.columnMs);
      await shot(page, '3-zoomed-1s');
      const again = await slowestLitCell(page);
      await dragAround(page, again);
      expect(await listedNames(page)).toEqual(['GET /report']);

      // A filter expression: only the slow request matches; a wrong one says where it is wrong and keeps the view.
      await applyFilter(page, 'dur>>100ms');
      await page.waitForSelector('#filter-error:not([hidden])');
      expect(await page.locator('#filter-error').textContent()).toMatch(/needs a duration.*\(column 5\)/);
      await shot(page, '4-filter-error');
      await andWait(page, 'spectrogramDraws', () => applyFilter(page, 'service=outlier-shop dur>100ms'));
      expect(await page.locator('#filter-error').isHidden()).toBe(true);
      expect((await range(page)).total).toBe(1);
      await shot(page, '5-filtered');

      // Its trace: the waterfall with the system calls that made it slow, the file it wrote, the failed lookups.
      await dragAround(page, await slowestLitCell(page));
      expect(await listedNames(page)).toEqual(['GET /report']);
      await andWait(page, 'waterfallRenders', () => page.locator('#span-list tbody tr').first().click());
      expect(await page.locator('#detail-title').textContent()).toBe('GET /report');
      const waterfall = await page.locator('#waterfall').textContent();
      expect(waterfall).toContain('lock.wait');
      expect(waterfall).toContain('futex');
      expect(waterfall).toContain('ENOENT');
      await shot(page, '6-span-open');

      // The run of tiny lookups is one folded row with its count; it unfolds into its calls and folds back.
      const rows = () => page.locator('#waterfall .wf-row:not(.head)').count();
      const folded = await rows();
      const fold = page.locator('#waterfall .wf-row.fold').first();
      expect(await fold.locator('.wf-name').textContent()).toMatch(/×\d+|\d+ short calls/);
      await andWait(page, 'waterfallRenders', () => fold.locator('.wf-toggle').click());
      expect(await rows()).toBeGreaterThan(folded);
      await shot(page, '7-run-unfolded');
      const unfoldedToggle = page.locator('#waterfall .wf-row.fold .wf-toggle[aria-expanded="true"]').first();
      await andWait(page, 'waterfallRenders', () => unfoldedToggle.click());
      expect(await rows()).toBe(folded);

      // Find in trace: the file the slow request wrote, its row current and scrolled into view.
      await andWait(page, 'waterfallRenders', () => page.fill('#wf-find', 'ledger-2026.wal'));
      const found = /^1 of (\d+)$/.exec((await page.locator('#wf-find-count').textContent()) ?? '');
      expect(found, 'find-in-trace counts its matches').not.toBeNull();
      // the span whose argument names the file matches too; Enter steps on to the system calls on it
      const match = page.locator('#waterfall .wf-row.current');
      for (let i = 1; !(await match.evaluate((r) => r.classList.contains('syscall'))); i++) {
        expect(i, 'a system call among the matches').toBeLessThan(Number(found![1]));
        await andWait(page, 'waterfallRenders', () => page.press('#wf-find', 'Enter'));
      }
      expect(await match.textContent()).toContain('ledger-2026.wal');
      const seen = await match.evaluate((row) => {
        const r = row.getBoundingClientRect();
        const wf = document.getElementById('waterfall')!.getBoundingClientRect();
        return r.top >= wf.top && r.bottom <= wf.bottom && r.top >= 0 && r.bottom <= window.innerHeight;
      });
      expect(seen, 'the match is scrolled into view').toBe(true);
      await shot(page, '8-find-in-trace');

      // Reload: the address carries the view, so the page lands on the same range, filter, selection and span.
      const view = await range(page);
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      await page.waitForFunction(() => Number(document.body.dataset.waterfallRenders ?? 0) > 0);
      expect(await page.locator('#detail-title').textContent()).toBe('GET /report');
      expect(await page.inputValue('#filter-expr')).toBe('service=outlier-shop dur>100ms');
      expect(await range(page)).toMatchObject({ fromMs: view.fromMs, toMs: view.toMs, total: 1 });
      expect(await listedNames(page)).toEqual(['GET /report']);
      await shot(page, '9-reloaded');
      // the refused filter's 400 answer is the one resource error Chromium logs
      expect(problems).toEqual([
        'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
      ]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('keeps span names from the traced process as text', async () => {
    const url = await serve(captures.outlier);
    const { page, problems } = await open(url);
    try {
      // the hostile request's own span is a root span: in the percentile table, its name as text
      await page.waitForSelector('#percentiles tbody tr');
      const names = await page
        .locator('#percentiles tbody tr')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLTableRowElement).cells[1].textContent));
      expect(names).toContain(HOSTILE);
      await andWait(page, 'spectrogramDraws', () => applyFilter(page, 'name~onerror'));
      expect((await range(page)).total).toBe(1);
      const cell = await slowestLitCell(page);
      await dragAround(page, cell);
      expect(await listedNames(page)).toEqual([HOSTILE]);
      await andWait(page, 'waterfallRenders', () => page.locator('#span-list tbody tr').first().click());
      expect(await page.locator('#detail-title').textContent()).toBe(HOSTILE);
      expect(await page.locator('#waterfall').textContent()).toContain(HOSTILE);
      expect(await page.locator('img, svg, script:not([src])').count()).toBe(0);
      await shot(page, 'hostile');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('loads a 100k-span capture; the spectrogram, the list and the waterfall answer', async () => {
    const url = await serve(captures.burst100k);
    const stats = await (await fetch(new URL('api/stats', url))).json();
    expect(stats.store.spans).toBeGreaterThanOrEqual(99_000);
    const { page, problems } = await open(url);
    try {
      expect(await count(page, 'spectrogramDraws')).toBeGreaterThan(0);
      await shot(page, '100k-first-screen');
      await dragAround(page, await slowestLitCell(page));
      expect((await listedNames(page)).length).toBeGreaterThan(0);
      await andWait(page, 'waterfallRenders', () => page.locator('#span-list tbody tr').first().click());
      await shot(page, '100k-span-open');
      // the request, its file.read child and the calls that read the file (folded or not)
      const rows = await page.locator('#waterfall').textContent();
      expect(rows).toContain('file.read');
      expect(rows).toContain('openat');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);
});
