/// <reference lib="dom" />
// The web UI in a real browser (Debian's chromium driven by playwright-core).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStore } from '../correlator/src/ui/store.js';
import { startUiServer } from '../correlator/src/ui/server.js';
import {
  CLOCK,
  accountedRequest,
  loopBlocking,
  proc,
  request,
  span,
  syscall,
} from '../correlator/test/ui-synthetic.js';
import { launchChromium, watchedPage } from './helpers/browser.js';
import { dragAround, slowestLitPoint } from './helpers/spectrogram.js';

const ROOT = join(import.meta.dirname, '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const NULLSPAN = join(ROOT, 'correlator', 'dist', 'cli', 'main.js');
const HOSTILE = '<img src=x onerror=alert(1)>';

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** Loads the UI and fails the test on any page error, console error or dialog (an executed alert()). */
async function openUi(url: string): Promise<{ page: Page; problems: string[] }> {
  const { page, problems } = await watchedPage(browser);
  const offsite: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== new URL(url).origin) offsite.push(r.url());
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  expect(offsite).toEqual([]);
  return { page, problems };
}

describe('web UI in chromium', () => {
  it('renders hostile span content as text and drills down from synthetic spans', async () => {
    const store = new SpanStore({ clock: CLOCK });
    // A minute of ordinary traffic with durations spread over three decades, one slow request, one hostile span.
    for (let i = 0; i < 400; i++) {
      const u = ((i * 7919) % 1000) / 1000; // deterministic spread: most requests ~0.3–3 ms, a tail to ~300 ms
      const duration = 300_000 * 10 ** (3 * u ** 3 + u);
      for (const r of request(i * 150e6, duration, 100)) store.add(r, proc(100, 'shop'));
    }
    for (const r of request(30e9, 4.2e9, 100, 'GET /report')) store.add(r, proc(100, 'shop'));
    const hostile = span({
      name: HOSTILE,
      start: 31e9,
      end: 31e9 + 3e6,
      pid: 300,
      tid: 300,
      attributes: { [HOSTILE]: '"><script>alert(2)</script>' },
      syscalls: [
        syscall({
          name: 'openat',
          ts: 31e9 + 1000,
          dur: 5000,
          pid: 300,
          tid: 300,
          path: '/tmp/<b onmouseover=alert(3)>x',
        }),
      ],
    });
    store.add(hostile, proc(300, `evil<svg onload=alert(4)>`, 'evil'));
    // A right-to-left override and a 20,000-character name must not take the page's layout with them.
    const huge = `\u202e${'W'.repeat(20_000)}`;
    store.add(
      span({ name: huge, start: 32e9, end: 32e9 + 1e6, pid: 301, tid: 301, attributes: { [huge]: huge } }),
      proc(301, huge, 'huge'),
    );
    const server = await startUiServer({ store, exported: true });
    try {
      const { page, problems } = await openUi(server.url);
      await page.waitForSelector('#spectrogram[data-visible-cells]');
      expect(Number(await page.locator('#spectrogram').getAttribute('data-visible-cells'))).toBeGreaterThan(20);

      // Spectrogram → the slowest cell → list → detail.
      await dragAround(page, await slowestLitPoint(page));
      await page.waitForSelector('#list-panel:not([hidden]) #span-list tbody tr');
      expect(await page.locator('#span-list tbody tr').first().locator('td').first().textContent()).toBe('GET /report');
      await page.locator('#span-list tbody tr').first().click();
      await page.waitForSelector('#detail-panel:not([hidden]) .wf-row.syscall');
      expect(await page.locator('#detail-title').textContent()).toBe('GET /report');
      const waterfall = await page.locator('#waterfall').innerText();
      expect(waterfall).toContain('/srv/shop/templates/list.html');
      expect(waterfall).toContain('read ×12');
      expect(waterfall).toContain('ENOENT');
      expect(waterfall).toContain('db.query');
      expect(await page.locator('#jaeger-link').getAttribute('href')).toMatch(
        /^http:\/\/localhost:16686\/trace\/[0-9a-f]{32}$/,
      );
      expect(await page.locator('#breakdown').innerText()).toMatch(/recvfrom[\s\S]*outside system calls/);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-synthetic-detail.png'), fullPage: true });

      // The name filter narrows the spectrogram to matching spans (here: the one slow report).
      const allCells = Number(await page.locator('#spectrogram').getAttribute('data-visible-cells'));
      await page.fill('#filter-name', 'REPORT');
      await page.waitForFunction(() => document.getElementById('spectrogram')!.dataset.visibleCells === '1');
      expect(await page.locator('#list-panel').isHidden()).toBe(true);
      await page.fill('#filter-name', '');
      await page.waitForFunction(
        (n) => document.getElementById('spectrogram')!.dataset.visibleCells === String(n),
        allCells,
      );

      // Panning moves the visible window; "Fit" brings back the whole capture.
      const range = await page.locator('#view-range').textContent();
      await page.click('#pan-left');
      expect(await page.locator('#view-range').textContent()).not.toBe(range);
      await page.click('#zoom-fit');
      await expect.poll(() => page.locator('#view-range').textContent()).toBe(range);

      // The hostile span: filter to its process, select everything, open it. Its content must stay text.
      await page.selectOption('#filter-pid', '300');
      await page.waitForFunction(() => document.getElementById('spectrogram')!.dataset.visibleCells === '1');
      await dragAround(page, await slowestLitPoint(page));
      await page.waitForSelector('#span-list tbody tr');
      const row = page.locator('#span-list tbody tr').first();
      expect(await row.locator('td').first().textContent()).toBe(HOSTILE);
      await row.click();
      await page.waitForFunction((name) => document.getElementById('detail-title')!.textContent === name, HOSTILE);
      expect(await page.locator('#waterfall').innerText()).toContain('/tmp/<b onmouseover=alert(3)>x');
      expect(await page.locator('#detail-meta').innerText()).toContain('"><script>alert(2)</script>');
      // No element was created from span content anywhere in the document.
      expect(await page.locator('img, svg, b, script:not([src])').count()).toBe(0);
      expect(await page.locator('#filter-service').innerText()).toContain('evil<svg onload=alert(4)>');
      await page.screenshot({ path: join(ARTIFACTS, 'ui-hostile.png'), fullPage: true });

      await page.selectOption('#filter-pid', '301');
      await page.waitForFunction(() => document.getElementById('spectrogram')!.dataset.visibleCells === '1');
      await dragAround(page, await slowestLitPoint(page));
      await page.waitForSelector('#span-list tbody tr');
      await page.locator('#span-list tbody tr').first().click();
      await page.waitForFunction(
        (n) => document.getElementById('detail-title')!.textContent!.length === n,
        huge.length,
      );
      const link = (await page.locator('#jaeger-link').boundingBox())!;
      expect(link.x + link.width).toBeLessThanOrEqual(1400);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1400);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-huge-name.png') });
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('shows where the time went: on CPU, run queue, blocked by kind, loop busy naming the culprit, per row', async () => {
    const store = new SpanStore({ clock: CLOCK });
    for (const r of accountedRequest(1e9)) store.add(r, proc(100, 'shop'));
    const [waiting, heavy] = loopBlocking(5e9);
    for (const r of [heavy, waiting]) store.add(r, proc(200, 'users'));
    const culprit = `${HOSTILE}\u202e${'W'.repeat(5000)}`;
    const [hostileWait] = loopBlocking(9e9, 300, culprit); // its culprit is not in memory
    hostileWait.name = 'GET /orders';
    store.add(hostileWait, proc(300, 'orders'));
    for (const r of request(13e9, 3e6, 400, 'GET /plain')) store.add(r, proc(400, 'plain'));
    const server = await startUiServer({ store });
    try {
      const { page, problems } = await openUi(server.url);
      const partRow = (part: string) => page.locator(`#time-breakdown > .times-block tr[data-part="${part}"]`);
      const cells = async (part: string) => (await partRow(part).locator('td').allInnerTexts()).map((t) => t.trim());

      // Thread model: the parts of 100 ms, each with its share, before the system-call view.
      await openByName(page, 'report', 'GET /report');
      expect(await cells('onCpu')).toEqual(['on CPU', '20 ms', '20.0%']);
      expect(await cells('runqueue')).toEqual(['run queue (runnable, waiting for a CPU)', '5 ms', '5.0%']);
      expect(await cells('file')).toEqual(['blocked: file I/O', '50 ms', '50.0%']);
      expect(await cells('lock')).toEqual(['blocked: locks (futex)', '20 ms', '20.0%']);
      expect(await cells('pagefault')).toEqual(['blocked: page faults (outside system calls)', '5 ms', '5.0%']);
      expect(await partRow('net').count()).toBe(0); // categories it never waited in are left out
      expect(await partRow('unaccounted').count()).toBe(0);
      expect(await page.locator('#time-breakdown').innerText()).toContain('3 major page faults');
      const segments = await page
        .locator('#time-breakdown > .times-block .stacked-bar div')
        .evaluateAll((divs) => divs.map((d) => (d as HTMLElement).style.width));
      expect(segments).toEqual(['20%', '5%', '50%', '20%', '5%']);
      expect(await page.locator('#time-breakdown > .times-block .stacked-bar div').first().getAttribute('title')).toBe(
        'on CPU: 20 ms',
      );
      expect(await page.locator('#breakdown-bar div').first().getAttribute('title')).toBe('recvfrom: 40 ms');
      // The child span, folded: open it to see its own split.
      const child = page.locator('#time-breakdown details.time-child');
      expect(await child.count()).toBe(1);
      expect(await child.locator('summary').innerText()).toMatch(/db\.query[\s\S]*50 ms[\s\S]*50\.0% of the span/);
      expect(await child.locator('tr[data-part="net"]').isVisible()).toBe(false);
      await child.locator('summary').click();
      expect((await child.locator('tr[data-part="net"] td').allInnerTexts()).map((t) => t.trim())).toEqual([
        'blocked: network',
        '40 ms',
        '80.0%',
      ]);
      expect(await page.locator('#breakdown').innerText()).toMatch(/recvfrom[\s\S]*outside system calls/);

      // Every row with times gets a band under its bar, in colours unlike the bars' and each other's.
      expect(await page.locator('#wf-legend').isVisible()).toBe(true);
      expect(await page.locator('.wf-row.span .wf-band').count()).toBe(2);
      expect(await page.locator('.wf-row.syscall .wf-band').count()).toBe(1);
      const recv = page.locator('.wf-row.syscall', { hasText: 'recvfrom' });
      expect(await recv.innerText()).toContain('slept uninterruptibly (D)');
      expect(await recv.locator('.wf-band').getAttribute('title')).toMatch(
        /^on CPU 1 ms \(2\.5%\) · run queue 1 ms .*blocked 38 ms .*not a timeline/,
      );
      const colours = await page.evaluate(() => {
        const bg = (e: Element) => getComputedStyle(e).backgroundColor;
        const band = [...document.querySelectorAll('.wf-row.span .wf-band div')].slice(0, 3).map(bg);
        return {
          band,
          span: bg(document.querySelector('.wf-row.span .wf-bar')!),
          sys: bg(document.querySelector('.wf-row.syscall .wf-bar')!),
        };
      });
      expect(new Set(colours.band).size).toBe(3);
      expect(colours.band).not.toContain(colours.span);
      expect(colours.band).not.toContain(colours.sys);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-time-breakdown-thread.png'), fullPage: true });
      await child.locator('summary').click();

      // Event loop: 90 ms of the loop running another request, named, one click away; the pool's time inside the wait.
      await openByName(page, 'users', 'GET /users/:id');
      expect(await cells('onCpu')).toEqual(['on CPU (its own code)', '2 ms', '2.0%']);
      expect(await cells('loopBusy')).toEqual(['loop busy (GET /heavy)', '90 ms', '90.0%']);
      expect(await cells('asyncWait')).toEqual(['async wait (its timers, sockets, thread pool)', '8 ms', '8.0%']);
      expect(await cells('worker-blockedNs')).toEqual(['worker threads blocked (within async wait)', '6 ms', '6.0%']);
      expect(await page.locator('.wf-row.span .wf-band div').count()).toBe(4);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-time-breakdown-loop.png'), fullPage: true });
      await partRow('loopBusy').locator('button').click();
      await page.waitForFunction(() => document.getElementById('detail-title')!.textContent === 'GET /heavy');
      expect(await cells('onCpu')).toEqual(['on CPU (its own code)', '100 ms', '100.0%']);

      // A culprit named by hostile text that is not in memory: plain text, no link, no element, layout intact.
      await openByName(page, 'orders', 'GET /orders');
      expect(await cells('loopBusy')).toEqual([`loop busy (${culprit})`, '90 ms', '90.0%']);
      expect(await partRow('loopBusy').locator('button').count()).toBe(0);
      expect(await page.locator('img, svg, script:not([src])').count()).toBe(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1400);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-time-breakdown-hostile.png') });

      // No accounting: one line says why, the system-call view stays.
      await openByName(page, 'plain', 'GET /plain');
      expect(await page.locator('#time-breakdown').innerText()).toMatch(
        /^No time breakdown: .*\.? ?Time in system calls only:$/,
      );
      expect(await page.locator('#time-breakdown .times-block').count()).toBe(0);
      expect(await page.locator('#breakdown').innerText()).toMatch(/outside system calls/);
      expect(await page.locator('.wf-band').count()).toBe(0);
      expect(await page.locator('#wf-legend').isHidden()).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-time-breakdown-none.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('live mode: the spectrogram follows spans as they arrive over server-sent events', async () => {
    const store = new SpanStore({ clock: CLOCK });
    for (const r of request(1e9, 2e6)) store.add(r, proc(100, 'shop'));
    // With an access token: the page URL carries it once, the cookie it leaves serves the API and the stream.
    const server = await startUiServer({ store, live: true, token: 'browser-test-token-0123456789' });
    try {
      expect(server.url).toContain('?token=');
      const { page, problems } = await openUi(server.url);
      expect(page.url()).not.toContain('token'); // swapped for a cookie, gone from the address bar
      expect(await page.locator('#live').isChecked()).toBe(true);
      // the request, not its db.query child: root spans are counted
      await page.waitForFunction(() => document.getElementById('spectrogram')!.dataset.visibleCells === '1');
      const before = await page.locator('#view-range').textContent();
      // Spans arrive 40 s later: the view scrolls to them and the counters follow.
      for (let i = 0; i < 5; i++)
        for (const r of request(41e9 + i * 1e8, 5e6 * (i + 1))) store.add(r, proc(100, 'shop'));
      await page.waitForFunction(() => Number(document.getElementById('spectrogram')!.dataset.visibleCells) > 2);
      await page.waitForFunction(() => /12 spans in memory/.test(document.getElementById('stats')!.textContent ?? ''));
      expect(await page.locator('#view-range').textContent()).not.toBe(before);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-live.png') });
      expect(problems).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('drills down on a real capture: nullspan run --write, then nullspan ui on the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nullspan-ui-'));
    const capture = join(dir, 'slow.nscap');
    const written = join(dir, 'slow-report.txt');
    let ui: ChildProcess | undefined;
    try {
      // 1. Trace a real process through the real probe and correlator, saving the capture.
      const run = await runToExit(process.execPath, [
        NULLSPAN,
        'run',
        '--write',
        capture,
        '--no-otlp',
        '--',
        process.execPath,
        join(ROOT, 'test', 'ui-fixtures', 'slow-writer.mjs'),
        written,
      ]);
      expect(run.code, run.output).toBe(0);
      expect(readFileSync(written, 'utf8')).toContain('part 4');
      expect(statSync(capture).mode & 0o777).toBe(0o600);

      // 2. Serve it with `nullspan ui CAPTURE` and open the printed URL.
      ui = spawn(process.execPath, [NULLSPAN, 'ui', capture, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const url = await printedUrl(ui);
      // The pipeline must have produced the span before the UI can show it: say so plainly if it did not.
      const found = (await (await fetch(new URL('/api/spans?name=slow.report', url))).json()) as { total: number };
      expect(found.total, `spans named slow.report in the capture (nullspan run said: ${run.output})`).toBe(1);
      const { page, problems } = await openUi(url);
      await page.waitForFunction(() => Number(document.getElementById('spectrogram')!.dataset.visibleCells) > 0);

      // 3. The slow span is the highest lit cell: select it, open it, see its system calls on the file.
      await dragAround(page, await slowestLitPoint(page));
      await page.waitForSelector('#list-panel:not([hidden]) #span-list tbody tr');
      const first = page.locator('#span-list tbody tr').first();
      expect(await first.locator('td').first().textContent()).toBe('slow.report');
      await first.click();
      await page.waitForSelector('#detail-panel:not([hidden]) .wf-row.syscall');
      expect(await page.locator('#detail-title').textContent()).toBe('slow.report');
      const syscallRows = await page.locator('.wf-row.syscall').allInnerTexts();
      expect(
        syscallRows.some((r) => /^open/.test(r) && r.includes(written)),
        syscallRows.join('\n'),
      ).toBe(true);
      expect(
        syscallRows.some((r) => /^write/.test(r) && r.includes(written)),
        syscallRows.join('\n'),
      ).toBe(true);
      expect(await page.locator('#detail-meta').innerText()).toContain(written); // the span's `file` arg
      expect(await page.locator('#breakdown').innerText()).toMatch(/outside system calls/);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-real-capture.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      if (ui?.exitCode === null) ui.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('live: nullspan run --ui shows spans of a real traced process as they arrive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nullspan-ui-live-'));
    const written = join(dir, 'live-report.txt');
    const go = join(dir, 'go');
    const run = spawn(
      process.execPath,
      [
        NULLSPAN,
        'run',
        '--ui',
        '--port',
        '0',
        '--no-otlp',
        '--',
        process.execPath,
        join(ROOT, 'test', 'ui-fixtures', 'slow-writer.mjs'),
        written,
        go,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    run.stdout!.on('data', (d) => (output += d));
    run.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
    try {
      const url = await printedUrl(run);
      const { page, problems } = await openUi(url);
      expect(await page.locator('#live').isChecked()).toBe(true);
      expect(await page.locator('#stats').textContent()).toMatch(/^0 spans in memory/);

      // The traced process starts its work only now, with the page already watching.
      writeFileSync(go, '');
      await page.waitForFunction(() => Number(document.getElementById('spectrogram')!.dataset.visibleCells) > 0);
      await page.waitForFunction(() => /^26 spans in memory/.test(document.getElementById('stats')!.textContent ?? ''));
      await page.screenshot({ path: join(ARTIFACTS, 'ui-live-run.png') });

      await dragAround(page, await slowestLitPoint(page));
      await page.waitForSelector('#span-list tbody tr');
      await page.locator('#span-list tbody tr').first().click();
      await page.waitForSelector('#detail-panel:not([hidden]) .wf-row.syscall');
      expect(await page.locator('#detail-title').textContent()).toBe('slow.report');
      expect(await page.locator('#waterfall').innerText()).toContain(written);
      expect(problems).toEqual([]);
    } finally {
      // The command has exited; `run --ui` keeps serving until Ctrl-C, then exits with the command's code.
      run.kill('SIGINT');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      expect(code, output).toBe(0);
    }
  });
});

/** Filters the spectrogram by name, selects its slowest cell and opens the first (slowest) span listed. */
/** Opens the slowest span named `name` through the percentile table (its max lists the span): a drag over the
 * spectrogram could land on the cells drawn before the filter applied. */
async function openByName(page: Page, filter: string, name: string) {
  await page.fill('#filter-name', filter);
  // the name box applies after a pause (the URL then names the filter) and reloads the table: a click before that
  // would open a list the filter's reload then hides
  await page.waitForFunction((f) => new URLSearchParams(location.hash.slice(1)).get('name') === f, filter);
  await page.waitForFunction(
    (f) =>
      document.getElementById('list-panel')!.hidden &&
      [...document.querySelectorAll<HTMLElement>('#percentiles tbody tr')].every((tr) =>
        tr.dataset.name!.toLowerCase().includes(f.toLowerCase()),
      ),
    filter,
  );
  const max = page.locator(`#percentiles tbody tr[data-name="${name}"] button[data-percentile="max"]`);
  await max.waitFor();
  await max.click();
  const row = page.locator('#list-panel:not([hidden]) #span-list tbody tr', { hasText: name }).last();
  await row.waitFor();
  expect(await row.locator('td').first().textContent()).toBe(name);
  // clicked in the page: on a loaded machine the list may still be scrolling into view, which Playwright's
  // wait for a stable element would sit out until its timeout
  await page.evaluate((n) => {
    const rows = [...document.querySelectorAll<HTMLTableRowElement>('#span-list tbody tr')];
    rows
      .filter((r) => r.cells[0]?.textContent === n)
      .at(-1)!
      .click();
  }, name);
  await page.waitForFunction((n) => document.getElementById('detail-title')!.textContent === n, name);
}

function runToExit(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The URL `nullspan ui` prints when it is ready (on stdout or stderr). */
function printedUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (d: Buffer) => {
      output += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(output);
      if (m) resolve(m[0]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`nullspan ui exited (${code}) before printing its URL:\n${output}`)));
  });
}
