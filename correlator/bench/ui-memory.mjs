#!/usr/bin/env node
// What the web UI's span store costs in memory per 100,000 spans kept, and how long its default spectrogram takes
// over them: the Hono bench service (one server span + two nested spans per request) traced by `nullspan run
// --write` under wrk for UI_MEMORY_SECONDS (default 4), then that capture replayed in a fresh child process
// started with --expose-gc into a SpanStore until it holds UI_MEMORY_SPANS spans (default 100,000; the capture is
// replayed again with other trace ids when it holds fewer). RSS and V8 heap are read after full collections
// before and after the fill: the difference is the store's (the ui process adds its own baseline; e2e's UI
// benchmark measures that process whole). The spectrogram figure is the median of 30 calls (root spans, the
// range fitted, 120 columns), then the same with a name filter (each span looked at as an object).
// Needs root (the probe) and wrk. UI_MEMORY_CAPTURE=FILE uses an existing capture instead of recording one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordHonoCapture } from './lib/capture.mjs';

const SELF = fileURLToPath(import.meta.url);
const SPANS = Number(process.env.UI_MEMORY_SPANS ?? 100_000);
const TARGET_MB = 200;

async function fill(capture) {
  const { decodeBatch } = await import('@nullspan/probe');
  const { CaptureReader, correlatorForCapture } = await import('../dist/index.js');
  const { SpanStore } = await import('../dist/ui/index.js');
  const collect = () => {
    for (let i = 0; i < 4; i++) global.gc();
  };
  const replay = (onSpan) => {
    const reader = CaptureReader.open(capture);
    const c = correlatorForCapture(reader.header);
    c.onSpan(onSpan);
    for (const bytes of reader.batches()) c.pushBatch(decodeBatch(bytes));
    c.close('end of capture');
    reader.close();
    return { wallOffsetNs: BigInt(reader.header.wallOffsetNs) };
  };
  replay(() => undefined); // the code paths warm, their garbage gone before the first reading
  collect();
  const before = process.memoryUsage();
  const store = new SpanStore({ maxSpans: SPANS });
  let round = 0;
  let syscalls = 0;
  while (store.stats().added < SPANS) {
    const clock = replay((span, proc) => {
      if (store.stats().added >= SPANS) return;
      // another trace id per round: a replayed capture must not look like the same spans again
      // (replace builds a flat string, as the correlator's ids are; a sliced one would hold its parent)
      if (round > 0) span.traceId = span.traceId.replace(/^./, round.toString(16));
      syscalls += span.syscalls.length;
      store.add(span, proc);
    });
    store.setClock(clock);
    round++;
    collect();
  }
  collect();
  const after = process.memoryUsage();
  const time = (q) => {
    const ms = [];
    for (let i = 0; i < 30; i++) {
      const t0 = process.hrtime.bigint();
      store.spectrogram(q);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return ms.sort((a, b) => a - b)[15];
  };
  const sp = store.spectrogram({ scope: 'root' });
  process.stdout.write(
    `${JSON.stringify({
      spans: store.size,
      syscalls,
      rounds: round,
      rssMB: (after.rss - before.rss) / 2 ** 20,
      heapMB: (after.heapUsed - before.heapUsed) / 2 ** 20,
      processRssMB: after.rss / 2 ** 20,
      spectrogramMs: time({ scope: 'root' }),
      filteredSpectrogramMs: time({ scope: 'all', name: 'bench' }),
      columns: sp.columns,
      columnMs: sp.columnMs,
    })}\n`,
  );
}

async function main() {
  let capture = process.env.UI_MEMORY_CAPTURE;
  const dir = mkdtempSync(join(tmpdir(), 'nullspan-ui-memory-'));
  try {
    if (!capture) {
      capture = join(dir, 'hono.nscap');
      const served = await recordHonoCapture(capture, Number(process.env.UI_MEMORY_SECONDS ?? 4));
      console.log(`recorded ${served} requests`);
    }
    if (!existsSync(capture)) throw new Error(`no capture at ${capture}`);
    const child = spawnSync(process.execPath, ['--expose-gc', SELF, 'fill', capture], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`the fill process failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1));
    const per = 100_000 / r.spans;
    const rss = r.rssMB * per;
    const heap = r.heapMB * per;
    console.log(
      `store: ${r.spans} spans (${r.syscalls} syscall records, ${r.rounds} replays): RSS +${r.rssMB.toFixed(1)} MB, ` +
        `heap +${r.heapMB.toFixed(1)} MB, process RSS ${r.processRssMB.toFixed(0)} MB; spectrogram ` +
        `${r.spectrogramMs.toFixed(2)} ms (${r.columns} columns of ${r.columnMs} ms), with a name filter ` +
        `${r.filteredSpectrogramMs.toFixed(2)} ms`,
    );
    const rows = [
      {
        issue: 16,
        workload: `ui span store, ${r.spans} spans of the Hono bench service`,
        figures: { rss_mb_per_100k: rss, heap_mb_per_100k: heap, process_rss_mb: r.processRssMB },
        result: `${rss.toFixed(0)} MB RSS per 100k spans kept`,
        target: `≤ ${TARGET_MB} MB`,
        met: rss <= TARGET_MB,
      },
      {
        issue: 16,
        workload: `ui spectrogram over ${r.spans} spans (root spans, fitted)`,
        figures: { ms: r.spectrogramMs, name_filter_ms: r.filteredSpectrogramMs },
        result: `${r.spectrogramMs.toFixed(2)} ms`,
        target: '≤ 10 ms',
        met: r.spectrogramMs <= 10,
      },
    ];
    console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'fill') await fill(process.argv[3]);
else await main();
