#!/usr/bin/env node
// The web UI's figures on real captures of the example service (test/ui-fixtures/make-captures.mjs: ~10k spans
// over 20 s, ~100k spans in a burst), each served by `nullspan ui --ui-max-spans 200000 CAPTURE` and driven by
// headless Chromium at 1400×900:
//   load        navigation start → the spectrogram's first draw showing cells (`ready`: → body data-ready)
//   drag        pointer released after dragging over the busiest columns (every latency) → span list rendered
//   click       click on the list's first row → waterfall rendered
//   RSS         the ui process's VmRSS after the page loads, per 100k spans kept
// Each figure is the median of BENCH_UI_REPS (5) page loads, each in a fresh browser context (nothing cached).
// Times are taken inside the page against the same points for every build: events' own timestamps
// (performance.timeOrigin-relative) and a MutationObserver that sees the page's test hooks (body data-ready,
// data-spectrogram-draws / data-list-renders / data-waterfall-renders counters); a build without the counters is
// seen through its DOM instead (list rows replaced, waterfall rows replaced).
//   UI_BENCH_BASE_TREE=<another built checkout> node examples/hono-service/bench/ui.mjs
// measures that build too, interleaved with this one rep by rep, and prints both. Last stdout line: BENCH_JSON.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCaptures } from '../../../test/ui-fixtures/make-captures.mjs';
import { plotBox } from '../../../test/ui-fixtures/plot-box.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const { chromium } = createRequire(join(root, 'test', 'package.json'))('playwright-core');
const REPS = Number(process.env.BENCH_UI_REPS) || 5;
const BASE = process.env.UI_BENCH_BASE_TREE;
const BUILDS = BASE ? { base: BASE, this: root } : { this: root };
const CAPTURES = { '10k': 'load10k', '100k': 'burst100k' };
const TARGET = { loadMs: 600, dragMs: 200, clickMs: 110, rssMbPer100k: 200 };

/** `nullspan ui` of one build on one capture; resolves once it serves the spans. */
async function serve(tree, capture) {
  const child = spawn(
    process.execPath,
    [join(tree, 'correlator/dist/cli/main.js'), 'ui', '--port', '0', '--ui-max-spans', '200000', capture],
    { cwd: tree, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /web UI at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
      if (m && /serving \d+ spans/.test(stderr)) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 20);
    child.once('close', () => {
      clearInterval(timer);
      reject(new Error(`nullspan ui exited: ${stderr}`));
    });
  });
  const stats = await (await fetch(new URL('api/stats', url))).json();
  return { child, url, kept: stats.store.spans };
}

const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** Runs in the page before its own script: records when each hook or DOM change first happens after an event. */
function installProbe() {
  const probe = { ready: null, draws: [], lists: [], waterfalls: [], pointerUp: null, click: null };
  const counted = () => document.body.hasAttribute('data-spectrogram-draws');
  // a draw before the data arrived (an empty plot) is not the spectrogram drawn
  const drewCells = () => Number(document.getElementById('spectrogram')?.dataset.visibleCells) > 0;
  window.__uiBench = probe;
  addEventListener('pointerup', (e) => (probe.pointerUp = e.timeStamp), true);
  addEventListener('click', (e) => (probe.click = e.timeStamp), true);
  const seen = (list) => list.push(performance.now());
  new MutationObserver((records) => {
    for (const r of records) {
      const t = r.target;
      if (r.type === 'attributes' && t === document.body) {
        if (r.attributeName === 'data-ready' && t.dataset.ready === '1') probe.ready ??= performance.now();
        else if (r.attributeName === 'data-spectrogram-draws' && drewCells()) seen(probe.draws);
        else if (r.attributeName === 'data-list-renders') seen(probe.lists);
        else if (r.attributeName === 'data-waterfall-renders') seen(probe.waterfalls);
      } else if (r.type === 'attributes' && t.id === 'spectrogram' && !counted() && drewCells()) {
        // a build without the counters: its draw ends by setting the canvas's data-visible-cells
        seen(probe.draws);
      } else if (r.type === 'childList' && document.body && !counted()) {
        // a build without the counters: its renders replace the rows of these containers
        if (t instanceof Element && t.closest('#span-list tbody')) seen(probe.lists);
        if (t instanceof Element && t.id === 'waterfall') seen(probe.waterfalls);
      }
    }
  }).observe(document, {
    attributeFilter: [
      'data-ready',
      'data-visible-cells',
      'data-spectrogram-draws',
      'data-list-renders',
      'data-waterfall-renders',
    ],
    childList: true,
    subtree: true,
  });
}

/**
 * The pixel rectangle (page coordinates) over the picked time range and every latency of the spectrogram. The plot's
 * box comes from the page (plot-box.mjs); its time range from the canvas's data-from-ms/data-to-ms when the page
 * publishes them, else from the answer's fitted range, else (today's client) from its fixed geometry.
 */
async function dragRect(page, pick) {
  const box = await page.evaluate(plotBox);
  const drawn = await page.evaluate(() => {
    const d = document.getElementById('spectrogram').dataset;
    return d.fromMs === undefined ? null : { fromMs: Number(d.fromMs), toMs: Number(d.toMs) };
  });
  let range = drawn ?? (pick.fitted ? { fromMs: pick.rangeFromMs, toMs: pick.rangeToMs } : null);
  if (!range) {
    // today's client: at least 30 columns of 8 px or more, the data left-aligned one column in
    const colMs = pick.columnMs;
    const dataColumns = Math.round((pick.lastColumnMs - pick.firstColumnMs) / colMs) + 1;
    const columns = Math.min(Math.floor(box.width / 8), Math.max(30, dataColumns + 2));
    const end = dataColumns + 2 <= columns ? pick.firstColumnMs + (columns - 2) * colMs : pick.lastColumnMs;
    range = { fromMs: end - (columns - 1) * colMs, toMs: end + colMs };
  }
  const x = (ms) =>
    Math.min(
      box.left + box.width - 1,
      Math.max(box.left + 1, box.left + ((ms - range.fromMs) / (range.toMs - range.fromMs)) * box.width),
    );
  return { x0: x(pick.fromMs) + 1, x1: x(pick.toMs) - 1, y0: box.top + 2, y1: box.top + box.height - 2 };
}

/** From the spectrogram answer the page starts with: the busiest column and one on each side. */
async function busiestColumns(url) {
  const a = await (await fetch(new URL('api/spectrogram', url))).json();
  // today's answer: cells {t: column start ms, b, n} in fixed 2 s columns; the new one: {c: column, b, n} + range
  const columnMs = a.columnMs ?? 2000;
  const startOf = (cell) => (cell.t !== undefined ? cell.t : a.fromMs + cell.c * columnMs);
  const perColumn = new Map();
  for (const cell of a.cells) perColumn.set(startOf(cell), (perColumn.get(startOf(cell)) ?? 0) + cell.n);
  const busiest = [...perColumn].sort((x, y) => y[1] - x[1])[0][0];
  const fromMs = busiest - columnMs;
  const toMs = busiest + 2 * columnMs;
  return {
    fromMs,
    toMs,
    columnMs,
    fitted: a.fromMs !== undefined,
    rangeFromMs: a.fromMs,
    rangeToMs: a.toMs,
    firstColumnMs: a.firstColumnMs,
    lastColumnMs: a.lastColumnMs,
  };
}

async function once(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(installProbe);
    await page.goto(url);
    const hasCounters = await page.waitForFunction(() => {
      const p = window.__uiBench;
      return (
        p.ready !== null && p.draws.length > 0 && { counted: document.body.hasAttribute('data-spectrogram-draws') }
      );
    });
    const { counted } = await hasCounters.jsonValue();
    const { loadMs, readyMs } = await page.evaluate(() => {
      const p = window.__uiBench;
      return { loadMs: p.draws[0], readyMs: p.ready };
    });

    const rect = await dragRect(page, await busiestColumns(url));
    const listsBefore = await page.evaluate(() => window.__uiBench.lists.length);
    await page.mouse.move(rect.x0, rect.y0);
    await page.mouse.down();
    await page.mouse.move((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2, { steps: 3 });
    await page.mouse.move(rect.x1, rect.y1, { steps: 3 });
    await page.mouse.up();
    await page.waitForFunction((n) => window.__uiBench.lists.length > n, listsBefore);
    await page.waitForSelector('#span-list tbody tr');
    const dragMs = await page.evaluate(() => {
      const p = window.__uiBench;
      return p.lists.find((t) => t >= p.pointerUp) - p.pointerUp;
    });

    const waterfallsBefore = await page.evaluate(() => window.__uiBench.waterfalls.length);
    await page.locator('#span-list tbody tr').first().click();
    await page.waitForFunction((n) => window.__uiBench.waterfalls.length > n, waterfallsBefore);
    const clickMs = await page.evaluate(() => {
      const p = window.__uiBench;
      return p.waterfalls.find((t) => t >= p.click) - p.click;
    });
    return { loadMs, readyMs, dragMs, clickMs, counted };
  } finally {
    await context.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const captures = await ensureCaptures(Object.values(CAPTURES));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const rows = [];
  try {
    for (const [size, name] of Object.entries(CAPTURES)) {
      const servers = {};
      for (const [build, tree] of Object.entries(BUILDS)) servers[build] = await serve(tree, captures[name]);
      const results = Object.fromEntries(Object.keys(BUILDS).map((b) => [b, []]));
      const rss = {};
      try {
        for (let rep = 0; rep < REPS; rep++) {
          for (const build of Object.keys(BUILDS)) {
            results[build].push(await once(browser, servers[build].url));
            rss[build] = Math.max(rss[build] ?? 0, rssMb(servers[build].child.pid));
          }
        }
      } finally {
        for (const s of Object.values(servers)) s.child.kill('SIGINT');
      }
      for (const build of Object.keys(BUILDS)) {
        const r = results[build];
        const figures = {
          spans_kept: servers[build].kept,
          load_ms: Math.round(median(r.map((x) => x.loadMs))),
          ready_ms: Math.round(median(r.map((x) => x.readyMs))),
          drag_list_ms: Math.round(median(r.map((x) => x.dragMs))),
          click_waterfall_ms: Math.round(median(r.map((x) => x.clickMs))),
          rss_mb: Math.round(rss[build]),
        };
        // per 100k spans only where there are about that many: a small store's RSS is mostly the runtime
        if (size === '100k') figures.rss_mb_per_100k = Math.round((rss[build] * 100_000) / servers[build].kept);
        console.log(`${size} spans, ${build} build (${r[0].counted ? 'test hooks' : 'DOM changes'}):`, figures);
        const met =
          figures.load_ms <= TARGET.loadMs &&
          figures.drag_list_ms <= TARGET.dragMs &&
          figures.click_waterfall_ms <= TARGET.clickMs &&
          (size !== '100k' || figures.rss_mb_per_100k <= TARGET.rssMbPer100k);
        rows.push({
          issue: 16,
          workload: `web UI on a real capture (${size} spans of the example service), ${build} build, Chromium 1400x900, median of ${REPS}`,
          figures,
          result: `load ${figures.load_ms} ms (page ready ${figures.ready_ms} ms), drag→list ${figures.drag_list_ms} ms, click→waterfall ${figures.click_waterfall_ms} ms, RSS ${figures.rss_mb} MB${size === '100k' ? ` (${figures.rss_mb_per_100k} MB per 100k spans)` : ''}`,
          target: `load ≤ ${TARGET.loadMs} ms, drag→list ≤ ${TARGET.dragMs} ms, click→waterfall ≤ ${TARGET.clickMs} ms${size === '100k' ? `, ≤ ${TARGET.rssMbPer100k} MB per 100k spans` : ''}`,
          met,
        });
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
}

await main();
