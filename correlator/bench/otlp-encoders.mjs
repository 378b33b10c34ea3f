// OTLP encoders side by side: CPU time and bytes per OTel span for the project's JSON and protobuf encoders
// (otlp-json.ts, otlp-proto.ts) and for OpenTelemetry JS's official serializers (otlp-transformer's
// JsonTraceSerializer and ProtobufTraceSerializer, fed the ReadableSpans of OtlpMapper, which is what using them
// costs). Requests of the Hono bench's shape: a server span and two nested spans per request, with the syscalls
// the correlator nests under them. Rounds interleave the four encoders; each figure is the median over rounds of
// process CPU time (user + system, process.cpuUsage) per OTel span. Plain Node ESM on the built dist/.
//   node correlator/bench/otlp-encoders.mjs
//   NULLSPAN_BENCH_REQUESTS=20000 node ...   (fewer requests per round)
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OtlpJsonEncoder, OtlpMapper, OtlpProtoEncoder } from '../dist/index.js';

const REQUESTS = Number(process.env.NULLSPAN_BENCH_REQUESTS) || 50_000;
/** requests per export request (the HTTP exporter batches up to 2048 OTel spans) */
const BATCH = 200;
const ROUNDS = 7;
const CLOCK = { wallOffsetNs: 1_765_000_000_123_456_789n };
const PROC = {
  pid: 4242,
  ppid: 1,
  exe: 'node',
  exePath: '/usr/local/bin/node',
  cmdline: ['node', 'server.mjs'],
  serviceName: 'hono-service',
};
const OPTS = { hostName: 'bench-host', resourceAttributes: {} };

const hex = (n, width) => n.toString(16).padStart(width, '0');

function syscall(name, ts, o = {}) {
  return {
    name,
    ts,
    dur: 2_000,
    end: ts + 2_000,
    tid: 4242,
    pid: 4242,
    ret: o.ret ?? 0,
    count: 1,
    attribution: 'thread',
    ...(o.fd !== undefined ? { fd: o.fd } : {}),
    ...(o.target ? { target: o.target } : {}),
    ...(o.path ? { path: o.path, target: o.path } : {}),
    ...(o.bytes !== undefined ? { bytes: o.bytes } : {}),
    ...(o.peer
      ? {
          peerAddress: '127.0.0.1',
          peerPort: o.peer,
          localAddress: '127.0.0.1',
          localPort: 3000,
          transport: 'tcp',
          target: `127.0.0.1:3000 <- 127.0.0.1:${o.peer}`,
        }
      : {}),
  };
}

/** The three application spans of request `r`, children first (the order they end in). */
function request(r) {
  const traceId = hex(r + 1, 32);
  const server = hex(3 * r + 1, 16);
  const t = 1_000_000_000 + r * 100_000;
  const peer = 40_000 + (r % 20_000);
  const span = (spanId, parentSpanId, name, kind, start, end, attributes, syscalls) => ({
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind,
    start,
    end,
    pid: 4242,
    tid: 4242,
    attributes,
    status: 'unset',
    syscalls,
  });
  return [
    span(hex(3 * r + 2, 16), server, 'load-item', 'internal', t + 5_000, t + 30_000, { 'item.id': String(r % 1000) }, [
      syscall('openat', t + 6_000, { ret: 21, path: `/srv/data/item-${r % 1000}.json` }),
      syscall('read', t + 9_000, { ret: 2048, fd: 21, bytes: 2048, path: `/srv/data/item-${r % 1000}.json` }),
      syscall('close', t + 12_000, { fd: 21, path: `/srv/data/item-${r % 1000}.json` }),
    ]),
    span(hex(3 * r + 3, 16), server, 'render', 'internal', t + 31_000, t + 40_000, { 'render.bytes': 2048 }, []),
    span(
      server,
      undefined,
      'GET /items/:id',
      'server',
      t,
      t + 50_000,
      {
        'http.request.method': 'GET',
        'url.path': `/items/${r % 1000}`,
        'http.route': '/items/:id',
        'http.response.status_code': 200,
      },
      [
        syscall('read', t + 1_000, { ret: 512, fd: 20, bytes: 512, peer }),
        syscall('writev', t + 45_000, { ret: 2300, fd: 20, bytes: 2300, peer }),
      ],
    ),
  ];
}

const items = [];
for (let r = 0; r < REQUESTS; r++) for (const span of request(r)) items.push({ span, proc: PROC });
const otelSpans = items.reduce((n, x) => n + 1 + x.span.syscalls.length, 0);

const ENCODERS = {
  'project JSON (otlp-json.ts)': () => {
    const enc = new OtlpJsonEncoder(CLOCK, OPTS);
    return (batch) => {
      for (const { span, proc } of batch) enc.add(span, proc);
      return enc.take().reduce((n, p) => n + p.length, 0);
    };
  },
  'project protobuf (otlp-proto.ts)': () => {
    const enc = new OtlpProtoEncoder(CLOCK, OPTS);
    return (batch) => {
      for (const { span, proc } of batch) enc.add(span, proc);
      return enc.take().reduce((n, p) => n + p.length, 0);
    };
  },
  'official JSON (OtlpMapper + JsonTraceSerializer)': () => {
    const mapper = new OtlpMapper(CLOCK, OPTS);
    return (batch) => {
      const readable = [];
      for (const { span, proc } of batch) mapper.map(span, proc, readable);
      return JsonTraceSerializer.serializeRequest(readable).length;
    };
  },
  'official protobuf (OtlpMapper + ProtobufTraceSerializer)': () => {
    const mapper = new OtlpMapper(CLOCK, OPTS);
    return (batch) => {
      const readable = [];
      for (const { span, proc } of batch) mapper.map(span, proc, readable);
      return ProtobufTraceSerializer.serializeRequest(readable).length;
    };
  },
};

/** CPU µs per OTel span and bytes per OTel span of one pass over every request. */
function round(make) {
  const encode = make();
  encode(items.slice(0, BATCH * 3)); // warm the caches a long-lived encoder has
  const before = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < items.length; i += BATCH * 3) bytes += encode(items.slice(i, i + BATCH * 3));
  const cpu = process.cpuUsage(before);
  return { usPerSpan: (cpu.user + cpu.system) / otelSpans, bytesPerSpan: bytes / otelSpans };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const samples = Object.fromEntries(Object.keys(ENCODERS).map((k) => [k, []]));
for (const make of Object.values(ENCODERS)) round(make); // JIT warm-up, not counted
for (let i = 0; i < ROUNDS; i++) for (const [k, make] of Object.entries(ENCODERS)) samples[k].push(round(make));

console.log(
  `${REQUESTS} requests (${otelSpans} OTel spans, ${(otelSpans / REQUESTS).toFixed(0)} per request), batches of ${BATCH} requests; median of ${ROUNDS} interleaved rounds, process CPU time per OTel span`,
);
const figures = {};
for (const [k, s] of Object.entries(samples)) {
  const us = median(s.map((x) => x.usPerSpan));
  const bytes = s[0].bytesPerSpan;
  console.log(`  ${k.padEnd(58)} ${us.toFixed(3)} µs/span  ${bytes.toFixed(1)} bytes/span`);
  const id = k.split(' (')[0].replace(/ /g, '_');
  figures[`${id}_us_per_span`] = Number(us.toFixed(3));
  figures[`${id}_bytes_per_span`] = Number(bytes.toFixed(1));
}
const rows = [
  {
    issue: 12,
    workload: `OTLP encoders, Hono request shape (${(otelSpans / REQUESTS).toFixed(0)} OTel spans per request), CPU time per span, median of ${ROUNDS}`,
    figures,
    result: Object.entries(samples)
      .map(([k, s]) => `${k.split(' (')[0]} ${median(s.map((x) => x.usPerSpan)).toFixed(2)} µs`)
      .join(', '),
  },
];
console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
