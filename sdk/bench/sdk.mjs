#!/usr/bin/env node
// Cost of one span (start + end) in one process, measured side by side in interleaved rounds:
//   raw     two fs.writeSync calls of exactly the bytes the SDK writes for that span (the issue's baseline)
//   raw_native  the same two writes through the SDK's native write (native/fastwrite.c): the floor for the SDK
//   sdk     @nullspan/sdk span.start() + end() (root span: new trace id, _tid, _svc) and a child span
//   bridge  the OpenTelemetry API on nullspan's TracerProvider
//   otel    @opentelemetry/sdk-trace-base + BatchSpanProcessor + OTLP/HTTP exporter to a loopback receiver running
//           in a child process (so its CPU is not counted here); each round ends with forceFlush, inside the timing
// Spans are made in chunks of 500 with an event-loop turn between chunks, for every variant alike, so the batch
// exporter gets to run as it would in a server; time per span is the wall time of the round (chunks, turns and,
// for the OpenTelemetry SDK, the final forceFlush) and CPU per span is this process's CPU time in the round.
// Prints medians and a BENCH_JSON line.
import { spawn } from 'node:child_process';
import { openSync, readFileSync, rmSync, writeSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { span } from '../dist/index.js';
import { parseMarker } from '../dist/grammar.js';
import { NullspanTracerProvider } from '../dist/otel.js';
import { writeBytes, writePath } from '../dist/fastwrite.js';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

// Short rounds, many of them, variants interleaved in a rotating order: this machine is shared and its speed
// drifts, so each round's ratios compare neighbours in time, and the medians of those ratios are reported.
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 31;
const SPANS = 20_000; // per variant per round
const CHUNK = 500;
const NAME = 'db.query';
const ARGS = { table: 'users' };

// The exact bytes the SDK writes for this span, captured through its own write path.
const dir = mkdtempSync(join(tmpdir(), 'nullspan-bench-'));
span.configure({ target: join(dir, 'm'), serviceName: 'bench' });
span.start(NAME, ARGS).end();
span.configure({ target: '/dev/null' });
const captured = readFileSync(join(dir, 'm'));
rmSync(dir, { recursive: true, force: true });
const first = parseMarker(captured);
const enterBytes = Buffer.from(captured.subarray(0, first.length));
const exitBytes = Buffer.from(captured.subarray(first.length));
console.log(
  `markers: ${enterBytes.toString()} (${enterBytes.length} B) / ${exitBytes.toString()} (${exitBytes.length} B)`,
);

const nullFd = openSync('/dev/null', 'a');

// A loopback OTLP/HTTP receiver in its own process: reads each body, answers 200 with an empty JSON object.
const receiver = spawn(
  process.execPath,
  [
    '-e',
    `
  const http = require('node:http');
  const s = http.createServer((req, res) => { req.on('data', () => {}); req.on('end', () => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{}'); }); });
  s.keepAliveTimeout = 60000;
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((resolve, reject) => {
  receiver.stdout.once('data', (d) => resolve(Number(String(d).trim())));
  receiver.once('exit', (c) => reject(new Error(`receiver exited with ${c}`)));
});

const otelProvider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench' }),
  spanProcessors: [
    // concurrencyLimit: forceFlush at the end of a round sends every queued batch at once; none may be refused
    new BatchSpanProcessor(
      new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, concurrencyLimit: 1000 }),
      {
        maxQueueSize: 2 * SPANS, // nothing dropped: every span is exported and paid for
        maxExportBatchSize: 512,
        scheduledDelayMillis: 200,
      },
    ),
  ],
});
const otelTracer = otelProvider.getTracer('bench');
const bridgeTracer = new NullspanTracerProvider().getTracer('bench');
let exportedOk = true;

const variants = {
  raw: () => {
    writeSync(nullFd, enterBytes, 0, enterBytes.length);
    writeSync(nullFd, exitBytes, 0, exitBytes.length);
  },
  raw_native: () => {
    writeBytes(nullFd, enterBytes, enterBytes.length);
    writeBytes(nullFd, exitBytes, exitBytes.length);
  },
  sdk: () => span.start(NAME, ARGS).end(),
  sdk_child: null, // runs inside an active parent, see below
  otel_bridge: () => bridgeTracer.startSpan(NAME, { attributes: ARGS }).end(),
  otel_sdk: () => otelTracer.startSpan(NAME, { attributes: ARGS }).end(),
};

async function measure(name) {
  const fn = variants[name];
  const parent = name === 'sdk_child' ? span.start('parent', undefined, { parent: null }) : undefined;
  const one = parent ? () => span.start(NAME, ARGS, { parent }).end() : fn;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < SPANS; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) one();
    await turn();
  }
  if (name === 'otel_sdk')
    await otelProvider.forceFlush().catch((e) => {
      if (exportedOk) console.log(`forceFlush failed: ${e?.message ?? e}`);
      exportedOk = false;
    });
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  parent?.end();
  return { ns: wall / SPANS, cpuNs: ((cpu.user + cpu.system) * 1000) / SPANS };
}

const names = Object.keys(variants);
const results = Object.fromEntries(names.map((n) => [n, []]));
for (const n of names) await measure(n); // warm-up: JIT, connections, /dev/null open
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const n of order) results[n].push(await measure(n));
}
await otelProvider.shutdown().catch(() => {});
receiver.kill();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = Object.fromEntries(names.map((n) => [n, median(results[n].map((x) => x.ns))]));
const cpu = Object.fromEntries(names.map((n) => [n, median(results[n].map((x) => x.cpuNs))]));
const ratio = (a, b) => median(results[a].map((x, i) => x.ns / results[b][i].ns));
const cpuRatio = (a, b) => median(results[a].map((x, i) => x.cpuNs / results[b][i].cpuNs));
for (const n of names)
  console.log(`${n.padEnd(12)} ${(med[n] / 1000).toFixed(3)} µs/span   ${(cpu[n] / 1000).toFixed(3)} µs CPU/span`);

const sdkOverRaw = ratio('sdk', 'raw');
const childOverRaw = ratio('sdk_child', 'raw');
// the SDK's own cost: against the same two writes through the same native call it uses
const sdkOverNative = ratio('sdk', 'raw_native');
const otelOverSdk = ratio('otel_sdk', 'sdk');
const otelCpuOverSdk = cpuRatio('otel_sdk', 'sdk');
const us = (ns) => Number((ns / 1000).toFixed(3));
console.log(`write path: ${writePath}; sdk/raw_native ${sdkOverNative.toFixed(2)}x`);
console.log(
  `sdk/raw ${sdkOverRaw.toFixed(2)}x (child span ${childOverRaw.toFixed(2)}x), otel_sdk/sdk ${otelOverSdk.toFixed(1)}x (CPU ${otelCpuOverSdk.toFixed(1)}x), exported ok: ${exportedOk}`,
);
const figures = {
  raw_two_writes_us: us(med.raw),
  raw_native_two_writes_us: us(med.raw_native),
  sdk_us: us(med.sdk),
  sdk_child_us: us(med.sdk_child),
  otel_bridge_us: us(med.otel_bridge),
  otel_sdk_us: us(med.otel_sdk),
  otel_sdk_cpu_us: us(cpu.otel_sdk),
  sdk_cpu_us: us(cpu.sdk),
};
console.log(
  'BENCH_JSON ' +
    JSON.stringify([
      {
        issue: 4,
        workload: 'span start+end, 1 arg: @nullspan/sdk vs two raw fs.writeSync of the same bytes',
        figures: {
          ...figures,
          sdk_over_raw: Number(sdkOverRaw.toFixed(2)),
          sdk_child_over_raw: Number(childOverRaw.toFixed(2)),
          sdk_over_raw_native: Number(sdkOverNative.toFixed(2)),
        },
        result: `sdk ${us(med.sdk)} µs (${writePath} write) vs two fs.writeSync ${us(med.raw)} µs: ${sdkOverRaw.toFixed(2)}x (root span), ${childOverRaw.toFixed(2)}x (child span); vs the same two writes through its native call ${us(med.raw_native)} µs: ${sdkOverNative.toFixed(2)}x; OTel bridge ${us(med.otel_bridge)} µs (medians of ${ROUNDS} interleaved rounds)`,
        target: 'SDK ≤ 1.3× two raw writes',
        met: sdkOverRaw <= 1.3,
      },
      {
        issue: 4,
        workload:
          'span start+end, 1 arg: @nullspan/sdk vs OpenTelemetry SDK (BatchSpanProcessor, OTLP/HTTP to loopback)',
        figures: {
          ...figures,
          otel_sdk_over_sdk: Number(otelOverSdk.toFixed(1)),
          otel_sdk_cpu_over_sdk: Number(otelCpuOverSdk.toFixed(1)),
        },
        result: `OTel SDK ${us(med.otel_sdk)} µs (${us(cpu.otel_sdk)} µs CPU) vs sdk ${us(med.sdk)} µs (${us(cpu.sdk)} µs CPU): ${otelOverSdk.toFixed(1)}x cheaper${exportedOk ? '' : ' (export failed!)'}`,
        target: 'SDK ≥ 5× cheaper than the OpenTelemetry SDK',
        met: otelOverSdk >= 5 && exportedOk,
      },
    ]),
);
