#!/usr/bin/env node
// What each user-space stage of nullspan costs per record and per span, on a real stream: the Hono bench service
// (examples/hono-service/bench/system.mjs, one server span + two nested spans per request) traced by
// `nullspan run --write` under `wrk -t1 -c16` for RECORD_SECONDS, then that capture replayed in fresh child
// processes, each stage adding one step to the one before:
//   read       the capture's blocks (checksums included; the live path has no such step, it is the baseline)
//   decode     + decodeBatch: records → event objects
//   correlate  + the Correlator: process/fd state, markers → spans, attribution, merging
//   file       + OTLP JSON of every span to a regular file (what --otlp-file writes)
//   http       correlate + OTLP/HTTP JSON to a loopback receiver in this process (the default output) instead
//              of the file; the child yields to its event loop after each batch, as the live session does, so
//              the exporter can send
// CPU is the child's own (process.cpuUsage: every thread, GC helpers included) over the stage's loop, medians of
// ROUNDS rounds with the stages interleaved; main-thread CPU (/proc/<pid>/task/<pid>/schedstat) beside it. A
// stage's own cost is its median minus the median of the stage it adds to. Needs root (the probe) and wrk (setup.sh installs
// it). About a minute. PIPELINE_CAPTURE=FILE replays an existing capture instead of recording one.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordHonoCapture } from './lib/capture.mjs';

const SELF = fileURLToPath(import.meta.url);
const RECORD_SECONDS = Number(process.env.PIPELINE_SECONDS ?? 4);
const ROUNDS = Number(process.env.PIPELINE_ROUNDS ?? 3);
const STAGES = ['read', 'decode', 'correlate', 'file', 'http'];
/** the stage each one adds to */
const BASE = { read: null, decode: 'read', correlate: 'decode', file: 'correlate', http: 'correlate' };

// ------------------------------------------------------------------------------------------------------------
// One stage in a child process: `node pipeline.mjs stage NAME CAPTURE [RECEIVER_PORT]`

async function runStage(stage, capture, port) {
  const { decodeBatch } = await import('@nullspan/probe');
  const { CaptureReader, OtlpFileExporter, OtlpHttpExporter, correlatorForCapture } = await import('../dist/index.js');
  const reader = CaptureReader.open(capture);
  const h = reader.header;
  const clock = { wallOffsetNs: BigInt(h.wallOffsetNs) };
  const level = STAGES.indexOf(stage);
  const c = level >= 2 ? correlatorForCapture(h) : null;
  const outFile = `${capture}.${process.pid}.jsonl`;
  const sink =
    stage === 'file'
      ? new OtlpFileExporter(outFile, clock, { hostName: h.hostName })
      : stage === 'http'
        ? new OtlpHttpExporter(clock, { hostName: h.hostName, endpoint: `http://127.0.0.1:${port}` })
        : null;
  let spans = 0;
  let otelSpans = 0;
  c?.onSpan((span, proc) => {
    spans++;
    otelSpans += 1 + span.syscalls.length;
    sink?.export(span, proc);
  });
  const kinds = {};
  const mainNs = () => Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
  const cpu0 = process.cpuUsage();
  const main0 = mainNs();
  let records = 0;
  let bytes = 0;
  for (const batch of reader.batches()) {
    bytes += batch.length;
    if (level < 1) continue;
    const events = decodeBatch(batch);
    records += events.length;
    if (stage === 'decode') for (const e of events) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
    c?.pushBatch(events);
    if (stage === 'http') await new Promise(setImmediate);
  }
  c?.close('end of capture');
  if (sink) {
    await sink.flush();
    await sink.shutdown();
  }
  const cpu = process.cpuUsage(cpu0);
  const mainMs = (mainNs() - main0) / 1e6;
  reader.close();
  rmSync(outFile, { force: true });
  const st = c?.stats();
  const exp = sink?.stats?.() ?? (stage === 'file' ? null : undefined);
  process.stdout.write(
    `${JSON.stringify({
      stage,
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainMs,
      records,
      bytes,
      spans,
      otelSpans,
      kinds,
      stats: st && {
        markers: st.markers,
        markerWrites: st.markerWrites,
        inSpans: st.syscallsInSpans,
        outside: st.syscallsOutsideSpans,
        unattributed: st.unattributed,
      },
      exportDropped: exp?.dropped,
    })}\n`,
  );
}

// ------------------------------------------------------------------------------------------------------------
// The bench

function stageOnce(stage, capture, port) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, 'stage', stage, capture, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`stage ${stage} exited ${code}`)),
    );
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'nullspan-pipeline-'));
  const receiver = createServer((req, res) => {
    let n = 0;
    req.on('data', (d) => {
      n += d.length;
    });
    req.on('end', () => {
      received += n;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let received = 0;
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const port = receiver.address().port;
  try {
    let capture = process.env.PIPELINE_CAPTURE;
    let requests;
    if (!capture) {
      capture = join(dir, 'hono.nscap');
      requests = await recordHonoCapture(capture, RECORD_SECONDS);
    }
    if (!existsSync(capture)) throw new Error(`no capture at ${capture}`);
    const runs = Object.fromEntries(STAGES.map((s) => [s, []]));
    for (let r = 0; r < ROUNDS; r++) {
      // rotate the order so that no stage always runs first (cold page cache) or last
      const order = STAGES.map((_, i) => STAGES[(i + r) % STAGES.length]);
      for (const s of order) {
        received = 0;
        const res = await stageOnce(s, capture, port);
        if (s === 'http') res.received = received;
        runs[s].push(res);
      }
    }
    const one = runs.decode[0];
    const spans = runs.correlate[0].spans;
    const records = one.records;
    requests ??= spans / 3;
    const rows = [];
    const cpuOf = (s) => (s === null ? 0 : median(runs[s].map((x) => x.cpuMs)));
    const mainOf = (s) => (s === null ? 0 : median(runs[s].map((x) => x.mainMs)));
    console.log(
      `capture: ${records} records, ${(one.bytes / records).toFixed(0)} B/record, ${spans} spans, ${requests} requests`,
    );
    const st = runs.correlate[0].stats;
    const perReq = (n) => (n / requests).toFixed(2);
    console.log(
      `records per request: ${perReq(records)} (markers ${perReq(st.markers)}, their write syscalls ${perReq(st.markerWrites)}, ` +
        `syscalls in spans ${perReq(st.inSpans)}, outside spans ${perReq(st.outside)}, unattributed ${perReq(st.unattributed)})`,
    );
    console.log(
      '| stage | CPU ms (median) | main-thread ms | stage ns/record | stage ns/span | cumulative ns/record | cumulative µs/request |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const s of STAGES) {
      const cpu = cpuOf(s);
      const main = mainOf(s);
      const own = cpu - cpuOf(BASE[s]);
      console.log(
        `| ${s} | ${cpu.toFixed(0)} | ${main.toFixed(0)} (+${(main - mainOf(BASE[s])).toFixed(0)}) | ${((own * 1e6) / records).toFixed(0)} | ${((own * 1e6) / spans).toFixed(0)} | ${((cpu * 1e6) / records).toFixed(0)} | ${((cpu * 1e3) / requests).toFixed(1)} |`,
      );
      rows.push({
        issue: 12,
        workload: `pipeline ${s} (replayed Hono capture)`,
        figures: {
          stage_ns_per_record: (own * 1e6) / records,
          stage_ns_per_span: (own * 1e6) / spans,
          cumulative_ns_per_record: (cpu * 1e6) / records,
          cumulative_us_per_request: (cpu * 1e3) / requests,
        },
        result: `${((cpu * 1e6) / records).toFixed(0)} ns/record`,
      });
    }
    const http = runs.http[0];
    console.log(
      `OTLP/HTTP: ${(http.received / spans).toFixed(0)} bytes per span received, ${http.exportDropped ?? 0} OTel spans dropped by the exporter`,
    );
    console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
  } finally {
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'stage') await runStage(process.argv[3], process.argv[4], Number(process.argv[5]));
else await main();
