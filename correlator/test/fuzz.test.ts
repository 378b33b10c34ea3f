// Fuzzing the correlator with what a hostile or broken process can write: random and mutated markers (bit flips,
// truncations, splits across writes, huge tag counts, deep nesting, hostile escapes and ids) mixed with syscalls,
// forks and exits, through the real Correlator and the real OTLP JSON exporter; and mutated capture files through
// replay. Bounded (a few seconds) and seeded: a failure names its seed, and NULLSPAN_FUZZ_SEED=<seed> reruns it
// (NULLSPAN_FUZZ_ROUNDS=<n> explores more seeds).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBatch, syscallNumber, type ProbeEvent } from '@nullspan/probe';
import { afterAll, describe, expect, it } from 'vitest';
import * as layout from '../../probe/src/layout.generated.js';
import { formatMarker, type Marker, type MarkerId } from '../../sdk/src/grammar.js';
import { rng } from '../../sdk/test/rng.js';
import { runCli } from '../../test/helpers/cli.js';
import { decodeOtlpJsonLines, decodeOtlpProtobuf, wellFormed, type OtlpSpan } from '../../test/helpers/otlp.js';
import { createEncoder } from '../bench/lib/encode.mjs';
import { CaptureFormatError, CaptureReader, CaptureWriter } from '../src/capture.js';
import { Correlator, type CorrelatorOptions } from '../src/correlator.js';
import { OtlpFileExporter } from '../src/export/file.js';
import { OtlpProtoEncoder } from '../src/otlp-proto.js';
import type { ProcessInfo, SpanRecord } from '../src/model.js';
import { correlatorForCapture, replayInto } from '../src/replay.js';
import { PLAIN, renderTrace } from '../src/cli/tree-printer.js';
import { TraceAssembler, type TracedSpan } from '../src/cli/trace-assembler.js';
import { SpanStore } from '../src/ui/store.js';
import { spanTreeJson, timeBreakdown, traceJson } from '../src/ui/views.js';
import { CLOCK, SEED, Stream, inet, oneProcess } from './synthetic.js';

const BASE_SEED = Number(process.env.NULLSPAN_FUZZ_SEED ?? 0x5eed_0b11);
const ROUNDS = Number(process.env.NULLSPAN_FUZZ_ROUNDS ?? 6);
const { encodeBatch } = createEncoder(layout, syscallNumber);

const dir = mkdtempSync(join(tmpdir(), 'nullspan-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

// ---- markers --------------------------------------------------------------------------------------------------

const HOSTILE_TEXT = [
  '\\',
  '\\\\',
  ':',
  '.',
  '=',
  ',',
  '>',
  '<',
  '\n',
  '\x1b[2J',
  '\u202e',
  '\ud800',
  '\udfff',
  '\0',
  'é',
  '😀',
  '%',
  '__proto__',
  'constructor',
  '',
];
const EXT_KEYS = ['tid', 'p', 'tp', 'ts', 'k', 'svc', 'st', 'msg', 'trunc', 'x'];
const ARG_NAMES = ['user', 'rows', 'http.method', 'a.b', '_x', '__x', '__proto__', 'constructor', 'x\\y', 'k=v', 'é'];
const KINDS = ['server', 'client', 'producer', 'consumer', 'internal', 'bogus', ''];

function text(r: Rand, max = 12): string {
  let s = '';
  const n = int(r, max);
  for (let i = 0; i < n; i++) {
    const c = r();
    if (c < 0.6) s += String.fromCharCode(97 + int(r, 26));
    else if (c < 0.85) s += pick(r, HOSTILE_TEXT);
    else s += String.fromCharCode(int(r, 0x10000));
  }
  return s;
}

function hex(r: Rand, digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += '0123456789abcdef'[int(r, 16)];
  return s;
}

function markerId(r: Rand, sdkIds: number[]): MarkerId {
  const c = r();
  if (c < 0.3) return 't';
  if (c < 0.4) return 'p';
  if (c < 0.45) return 'pp';
  if (c < 0.7 && sdkIds.length) return pick(r, sdkIds);
  return pick(r, [0, 1, 2, 7, 2 ** 32, 2 ** 41 + int(r, 50), Number.MAX_SAFE_INTEGER]);
}

function extValue(r: Rand, key: string, sdkIds: number[]): string {
  switch (key) {
    case 'tid':
      return r() < 0.8 ? hex(r, 32) : text(r, 40);
    case 'p':
      return r() < 0.7 && sdkIds.length ? String(pick(r, sdkIds)) : text(r);
    case 'tp':
      return r() < 0.6 ? `00-${hex(r, 32)}-${hex(r, 16)}-0${int(r, 2)}` : text(r, 60);
    case 'k':
      return pick(r, KINDS);
    case 'st':
      return pick(r, ['ok', 'error', 'unset', text(r)]);
    default:
      return text(r, 30);
  }
}

/** A marker the SDK's encoder can write: any tags, args and reserved args, hostile text included. */
function validMarker(r: Rand, sdkIds: number[], dir: '>' | '<', tags?: string[]): Uint8Array {
  const m: Marker = { dir, id: markerId(r, sdkIds), tags: tags ?? [], args: [], ext: {} };
  if (!tags) {
    const nTags = r() < 0.03 ? 200 + int(r, 1800) : 1 + int(r, 4); // past the 256-tag cap too
    for (let i = 0; i < nTags; i++)
      m.tags.push(r() < 0.9 ? pick(r, ['req', 'db', 'step', 'a.b', 'x']) : text(r) || 'e');
  }
  const nArgs = r() < 0.005 ? int(r, 2000) : int(r, 4);
  // names mostly from a pool: every new attribute name costs the OTLP encoder a cached head, which is not what
  // this test measures
  for (let i = 0; i < nArgs; i++) m.args.push([r() < 0.9 ? pick(r, ARG_NAMES) : text(r, 8) || 'k', text(r, 16)]);
  // a new service name re-encodes the process's OTLP resource: rare, or export cost dominates the round
  for (const key of EXT_KEYS) if (r() < (key === 'svc' ? 0.005 : 0.12)) m.ext[key] = extValue(r, key, sdkIds);
  return formatMarker(m);
}

/** A valid marker damaged the ways writes get damaged or forged. */
function mutate(r: Rand, bytes: Uint8Array): Uint8Array {
  const b = Uint8Array.from(bytes);
  switch (int(r, 7)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + int(r, 4); i < n && b.length; i++) b[int(r, b.length)] ^= 1 << int(r, 8);
      return b;
    case 1: // truncation
      return b.subarray(0, int(r, b.length + 1));
    case 2: // hostile bytes spliced in
      return concat(
        b.subarray(0, int(r, b.length + 1)),
        new TextEncoder().encode(pick(r, ['\\', ':', '::', '\\:', '=', '\xff', '\n', '>:t:'])),
        b.subarray(int(r, b.length + 1)),
      );
    case 3: // random bytes after a marker start
      return concat(
        new TextEncoder().encode(pick(r, ['>:', '<:', '>:t:', '<:p:x:'])),
        Uint8Array.from({ length: int(r, 64) }, () => int(r, 256)),
      );
    case 4: // a second marker in the same write
      return concat(b, b);
    case 5: // a byte dropped
      if (b.length === 0) return b;
      return concat(b.subarray(0, int(r, b.length)), b.subarray(int(r, b.length) + 1));
    default: // ids and numbers pushed out of range
      return new TextEncoder().encode(
        new TextDecoder().decode(b).replace(/\d+/, pick(r, ['99999999999999999999999', '-1', '1e9', '0x10', ''])),
      );
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- workloads ------------------------------------------------------------------------------------------------

const PIDS = [100, 200];
const THREADS: Record<number, number[]> = { 100: [100, 101, 102], 200: [200, 201] };

/** Events of one fuzz round: processes 100 and 200 (threads 101, 102, 201) writing markers and making calls. */
function workload(r: Rand, events: number): ProbeEvent[][] {
  const s = new Stream();
  const batches: ProbeEvent[][] = [];
  const sdkIds: number[] = [];
  s.fork(100, 100, 100, 101, { isThread: true });
  s.fork(100, 100, 100, 102, { isThread: true });
  s.fork(100, 100, 200);
  s.fork(200, 200, 200, 201, { isThread: true });
  const write = (pid: number, tid: number, bytes: Uint8Array) => {
    const c = r();
    if (c < 0.08 && bytes.length > 1) {
      // split across writes (the correlator joins a thread's writes)
      const cut = 1 + int(r, bytes.length - 1);
      s.marker(pid, tid, bytes.subarray(0, cut));
      if (r() < 0.8) s.marker(pid, tid, bytes.subarray(cut));
    } else if (c < 0.1) {
      // cut at the snap length: the write was longer than what was captured
      s.marker(pid, tid, bytes.subarray(0, int(r, bytes.length + 1)), { len: bytes.length + 1 + int(r, 100) });
    } else s.marker(pid, tid, bytes);
  };
  let flushed = 0;
  while (flushed + s.events.length < events) {
    const pid = pick(r, PIDS);
    const tid = pick(r, THREADS[pid]);
    const c = r();
    if (c < 0.3) {
      if (r() < 0.5) sdkIds.push(2 ** 41 + int(r, 1000));
      const bytes = validMarker(r, sdkIds, r() < 0.55 ? '>' : '<');
      write(pid, tid, r() < 0.3 ? mutate(r, bytes) : bytes);
    } else if (c < 0.33) {
      // deep nesting on one thread, then (mostly) unwound
      const depth = 20 + int(r, 200);
      const tags = ['deep'];
      for (let i = 0; i < depth; i++) write(pid, tid, validMarker(r, sdkIds, '>', tags));
      if (r() < 0.8) for (let i = 0; i < depth; i++) write(pid, tid, validMarker(r, sdkIds, '<', tags));
    } else if (c < 0.93) {
      const ctx = r();
      s.sys(
        pid,
        tid,
        pick(r, [
          'read',
          'write',
          'openat',
          'close',
          'dup',
          'dup2',
          'socket',
          'connect',
          'sendto',
          'epoll_wait',
          'futex',
          'close_range',
        ]),
        {
          args: [int(r, 40), int(r, 40), int(r, 4), 0, 0, 0],
          ret: r() < 0.1 ? -int(r, 120) : int(r, 40),
          path: r() < 0.3 ? text(r, 30) : null,
          addr: r() < 0.1 ? inet('127.0.0.1', int(r, 65536)) : null,
          ctxSource: ctx < 0.5 ? 'none' : ctx < 0.8 ? 'slot' : 'submitter',
          ctxSpan: r() < 0.5 && sdkIds.length ? pick(r, sdkIds) : int(r, 3),
          unfinished: r() < 0.02,
        },
      );
    } else if (c < 0.95) {
      s.exit(pid, tid, tid === pid && r() < 0.3, int(r, 256));
    } else if (c < 0.96) {
      s.exec(pid, pick(r, ['/usr/bin/node', '/bin/sh', text(r, 20)]));
    } else {
      s.events.push({
        kind: 'drops',
        ts: s.ts,
        tid: pid,
        pid,
        cpu: 0,
        syscall: int(r, 3),
        marker: int(r, 3),
        process: 0,
      });
    }
    if (s.events.length >= 64 && r() < 0.1) {
      flushed += s.events.length;
      batches.push(s.events.splice(0));
    }
  }
  batches.push(s.events.splice(0));
  return batches;
}

/** Small bounds, so a round of a few thousand events reaches every one of them. */
function options(r: Rand): Partial<CorrelatorOptions> {
  return {
    maxOpenSpans: 20 + int(r, 300),
    maxSyscallsPerSpan: 5 + int(r, 50),
    maxHeldSyscalls: 50 + int(r, 500),
    outsideRingSize: 8,
    maxOutsideRings: 1 + int(r, 2),
    exportOutsideSpans: r() < 0.5,
    outsideBatchSize: 4 + int(r, 20),
  };
}

interface Internals {
  held: number;
  maxHeld: number;
  pending: { bytes: number; max: number };
}

/** Runs one round; throws (with the seed in the message) when an invariant breaks. */
async function markerRound(seed: number): Promise<void> {
  const r = rng(seed);
  const opts = options(r);
  const c = new Correlator({ clock: CLOCK, idSeed: SEED, hostName: 'fuzz', ...opts });
  c.seed({ version: 1, processes: oneProcess(100, 'node').processes });
  const emitted: { span: SpanRecord; proc: ProcessInfo }[] = [];
  const file = join(dir, `round-${seed}.jsonl`);
  const exporter = new OtlpFileExporter(file, CLOCK);
  c.onSpan((span, proc) => {
    emitted.push({ span, proc });
    exporter.export(span, proc);
  });
  const internals = c as unknown as Internals;
  for (const batch of workload(r, 1500)) {
    c.pushBatch(batch);
    const st = c.stats();
    expect(st.openSpans, 'open spans within maxOpenSpans').toBeLessThanOrEqual(opts.maxOpenSpans!);
    expect(internals.held, 'held syscall records within maxHeldSyscalls').toBeLessThanOrEqual(internals.maxHeld);
    expect(internals.pending.bytes, 'split-marker bytes within their budget').toBeLessThanOrEqual(
      internals.pending.max,
    );
    expect(internals.pending.bytes).toBeGreaterThanOrEqual(0);
  }
  c.close('end of fuzz round');
  await exporter.shutdown();

  const st = c.stats();
  expect(st.openSpans).toBe(0);
  expect(st.syscalls, 'syscalls = in spans + outside + unattributed + unsampled').toBe(
    st.syscallsInSpans + st.syscallsOutsideSpans + st.unattributed + st.syscallsUnsampled,
  );
  const appSpans = emitted.filter((e) => e.span.name !== 'syscalls outside spans');
  expect(appSpans.length, 'every started span emitted once').toBe(st.spansStarted);
  expect(
    st.spansFinished + st.spansClosedByExit + st.spansEvicted + st.spansClosedAtStop,
    'every started span ended one way',
  ).toBe(st.spansStarted);
  for (const { span } of emitted) {
    const held = span.syscalls.length;
    if (span.name !== 'syscalls outside spans')
      expect(held, 'records per span within maxSyscallsPerSpan').toBeLessThanOrEqual(opts.maxSyscallsPerSpan!);
  }

  // every parent is an emitted span of the same trace, or a remote parent
  const ids = new Set(emitted.map((e) => `${e.span.traceId}/${e.span.spanId}`));
  for (const { span } of emitted) {
    if (span.parentSpanId === undefined || span.remoteParent) continue;
    expect(
      ids.has(`${span.traceId}/${span.parentSpanId}`),
      `parent of span ${span.spanId} (${JSON.stringify(span.name.slice(0, 40))})`,
    ).toBe(true);
  }

  // the OTLP JSON output parses, against the schema, and holds every span
  const otlp = decodeOtlpJsonLines(readFileSync(file, 'utf8'));
  const exported = new Set(otlp.map((s) => `${s.traceId}/${s.spanId}`));
  for (const id of ids) expect(exported.has(id), `span ${id} in the OTLP output`).toBe(true);
  rmSync(file);
  // the protobuf encoder (OTLP/HTTP's default) carries the same spans, decoded with the official schema (strings
  // as UTF-8 carries them: a marker's lone surrogates become U+FFFD)
  const proto = decodeOtlpProtobuf(new OtlpProtoEncoder(CLOCK).request(emitted));
  const sorted = (spans: OtlpSpan[]) =>
    spans.map((s) => JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))).sort();
  expect(sorted(proto), 'the protobuf request holds the JSON output’s spans').toEqual(sorted(wellFormed(otlp)));

  // the terminal tree and the web UI's views take whatever the spans say
  const traces: TracedSpan[][] = [];
  const assembler = new TraceAssembler((t) => traces.push(t), 50);
  const store = new SpanStore({ clock: CLOCK, maxSpans: 200, maxSyscalls: 2000, maxTextBytes: 1 << 20 });
  for (const { span, proc } of emitted) {
    assembler.add(span, proc);
    store.add(span, proc);
  }
  assembler.flush();
  for (const t of traces)
    for (const line of renderTrace(t, PLAIN))
      expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  expect(store.stats().spans).toBeLessThanOrEqual(200);
  for (const { span } of emitted.slice(-200)) {
    const tree = store.tree(span.traceId, span.spanId);
    if (tree) JSON.parse(JSON.stringify({ tree: spanTreeJson(tree), breakdown: timeBreakdown(tree) }));
    // the whole trace: every retained span of it once, the requested one at `focus`
    const trace = store.trace(span.traceId, span.spanId);
    if (!trace) continue;
    const answer = traceJson(trace);
    expect(answer.nodes[answer.focus].span.spanId).toBe(span.spanId);
    expect(new Set(answer.nodes.map((n) => n.span.spanId)).size).toBe(answer.nodes.length);
    for (const [i, n] of answer.nodes.entries()) if (n.parent !== null) expect(n.parent).toBeLessThan(i);
  }
}

function withSeed(seed: number, err: unknown): Error {
  const e = err as Error;
  e.message = `fuzz seed ${seed} (rerun: NULLSPAN_FUZZ_SEED=${seed} NULLSPAN_FUZZ_ROUNDS=1): ${e.message}`;
  return e;
}

describe('fuzz: random and mutated markers through the correlator', () => {
  it(`keeps every invariant for ${ROUNDS} seeded rounds`, async () => {
    for (let seed = BASE_SEED; seed < BASE_SEED + ROUNDS; seed++)
      await markerRound(seed).catch((err) => Promise.reject(withSeed(seed, err)));
  }, 120_000);
});

// ---- captures -------------------------------------------------------------------------------------------------

interface CaptureFile {
  path: string;
  bytes: Buffer;
  /** file offset where each batch's block starts, and where the blocks end */
  blockStarts: number[];
  blocksEnd: number;
  batches: ProbeEvent[][];
}

/** The header of every capture the fuzz test writes: the seeded process the workload runs in. */
function captureHeader() {
  return {
    hostName: 'fuzz',
    wallOffsetNs: CLOCK.wallOffsetNs.toString(),
    idSeed: SEED,
    probe: { snapLen: 4096 },
    initialState: oneProcess(100, 'node'),
  };
}

function makeCapture(r: Rand): CaptureFile {
  const path = join(dir, 'base.nscap');
  const w = CaptureWriter.create(path, captureHeader());
  const batches = workload(r, 1500)
    .filter((b) => b.length > 0)
    .map((b) => decodeBatch(encodeBatch(b)));
  const blockStarts: number[] = [];
  for (const b of batches) {
    blockStarts.push(w.bytesWritten);
    w.writeBatch(encodeBatch(b)); // decode(encode(b)) is b: the batches above went through the binary layout once
  }
  const blocksEnd = w.bytesWritten;
  w.end({ spans: 0 });
  return { path, bytes: readFileSync(path), blockStarts, blocksEnd, batches };
}

/** Spans a replay emits before closing (complete ones), from the first `blocks` batches. */
function completedBefore(cap: CaptureFile, blocks: number): Set<string> {
  const c = new Correlator({ clock: CLOCK, idSeed: SEED, hostName: 'fuzz' });
  c.seed(oneProcess(100, 'node'));
  const out = new Set<string>();
  c.onSpan((s) => out.add(JSON.stringify(s)));
  for (let i = 0; i < blocks; i++) c.pushBatch(cap.batches[i]);
  return out;
}

function damage(r: Rand, bytes: Buffer): { bytes: Buffer; at: number } {
  const b = Buffer.from(bytes);
  switch (int(r, 4)) {
    case 0: {
      const at = int(r, b.length);
      b[at] ^= 1 << int(r, 8);
      return { bytes: b, at };
    }
    case 1: {
      const at = int(r, b.length);
      return { bytes: b.subarray(0, at), at };
    }
    case 2: {
      const at = int(r, b.length);
      for (let i = at; i < Math.min(b.length, at + 1 + int(r, 64)); i++) b[i] = int(r, 256);
      return { bytes: b, at };
    }
    default: {
      const at = int(r, b.length);
      return {
        bytes: Buffer.concat([
          b.subarray(0, at),
          Buffer.from(Array.from({ length: 1 + int(r, 32) }, () => int(r, 256))),
          b.subarray(at),
        ]),
        at,
      };
    }
  }
}

/** One sentence that names the file and a byte offset. */
function expectLocatedSentence(message: string, path: string): void {
  expect(message, 'one line').not.toContain('\n');
  expect(message, 'names the file').toContain(path);
  expect(message, 'names a byte offset').toMatch(/offset \d+/);
}

function captureRound(cap: CaptureFile, seed: number): void {
  const r = rng(seed);
  const { bytes, at } = damage(r, cap.bytes);
  if (bytes.equals(cap.bytes)) return;
  const path = join(dir, `damaged-${seed}.nscap`);
  writeFileSync(path, bytes);
  const spans = new Set<string>();
  let error: unknown;
  try {
    const reader = CaptureReader.open(path);
    const c = correlatorForCapture(reader.header);
    c.onSpan((s) => spans.add(JSON.stringify(s)));
    try {
      replayInto(reader, c, decodeBatch);
    } finally {
      reader.close();
    }
  } catch (err) {
    error = err;
  }
  if (error !== undefined) {
    // a damaged block and a garbled record behind a valid checksum both surface as one located sentence
    expect(error instanceof CaptureFormatError, `a capture error, not ${String(error)}`).toBe(true);
    expectLocatedSentence((error as Error).message, path);
  }
  // everything completed in the blocks before the damage was emitted
  const intact = cap.blockStarts.findIndex((_start, i) => (cap.blockStarts[i + 1] ?? cap.blocksEnd) > at);
  const before = completedBefore(cap, intact < 0 ? cap.batches.length : intact);
  for (const s of before) expect(spans.has(s), `span completed before the damage at ${at} was emitted`).toBe(true);
  rmSync(path);
}

describe('fuzz: mutated captures through replay', () => {
  it(`replays ${ROUNDS * 8} damaged copies of a real capture: success, or a located error after everything before it`, () => {
    const cap = makeCapture(rng(BASE_SEED));
    expect(cap.batches.length).toBeGreaterThan(3);
    for (let seed = BASE_SEED; seed < BASE_SEED + ROUNDS * 8; seed++) {
      try {
        captureRound(cap, seed);
      } catch (err) {
        throw withSeed(seed, err);
      }
    }
  }, 120_000);
});

/** A capture whose blocks are intact (valid checksums) but one batch's records are garbled: what a buggy or
 *  hostile writer of capture files produces. */
function garbledCapture(r: Rand, cap: CaptureFile, seed: number): { path: string; block: number; offset: number } {
  const path = join(dir, `garbled-${seed}.nscap`);
  const w = CaptureWriter.create(path, captureHeader());
  const block = 1 + int(r, cap.batches.length - 1);
  let offset = 0;
  cap.batches.forEach((b, i) => {
    const bytes = encodeBatch(b);
    if (i === block) {
      offset = w.bytesWritten;
      for (let k = 0, n = 1 + int(r, 8); k < n; k++) bytes[int(r, Math.min(bytes.length, 256))] = int(r, 256);
    }
    w.writeBatch(bytes);
  });
  w.end({ spans: 0 });
  return { path, block, offset };
}

describe('fuzz: captures with garbled records behind valid checksums, through `nullspan replay`', () => {
  it('exits 0, or 1 with one sentence naming the file and an offset', async () => {
    const cap = makeCapture(rng(BASE_SEED));
    const runs = Array.from({ length: 6 }, (_, i) => {
      const seed = BASE_SEED + i;
      const garbled = garbledCapture(rng(seed), cap, seed);
      return runCli(['replay', '--no-otlp', '--otlp-file', join(dir, `garbled-${seed}.jsonl`), garbled.path]).then(
        (res) => ({ seed, garbled, res }),
      );
    });
    for (const { seed, garbled, res } of await Promise.all(runs)) {
      try {
        if (res.code === 0) continue;
        expect(res.code, res.stderr).toBe(1);
        // notices (counts of malformed markers, ...) may come first; the error is the last line
        const lines = res.stderr.trimEnd().split('\n');
        expect(res.stderr, 'no stack trace').not.toMatch(/^\s+at /m);
        expectLocatedSentence(lines[lines.length - 1], garbled.path);
      } catch (err) {
        throw withSeed(seed, err);
      }
    }
  }, 60_000);
});
