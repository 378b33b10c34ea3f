import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBatch, syscallNumber, type ProbeEvent } from '@nullspan/probe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as layout from '../../probe/src/layout.generated.js';
import { createEncoder } from '../bench/lib/encode.mjs';
import { CaptureFormatError, CaptureReader, CaptureWriter, type CaptureHeaderInput } from '../src/capture.js';
import { Correlator } from '../src/correlator.js';
import { correlatorForCapture, replayInto } from '../src/replay.js';
import type { SpanRecord } from '../src/model.js';
import { CLOCK, Stream, inet, oneProcess } from './synthetic.js';

const { encodeBatch } = createEncoder(layout, syscallNumber);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nullspan-capture-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function header(seed = 'fedcba9876543210fedcba9876543210'): CaptureHeaderInput {
  return {
    hostName: 'h1',
    wallOffsetNs: CLOCK.wallOffsetNs.toString(),
    idSeed: seed,
    probe: { snapLen: 256 },
    initialState: oneProcess(10, 'svc', {
      fds: [{ fd: 5, cloexec: false, desc: { kind: 'file', target: '/seeded', path: '/seeded' } }],
    }),
  };
}

/** A workload touching every correlator path: generated ids, fds, merging, threads, forks, exits, close. */
function workload(): ProbeEvent[][] {
  const s = new Stream();
  const batches: ProbeEvent[][] = [];
  for (let i = 0; i < 30; i++) {
    s.marker(10, 10, `>:t:req:i=${i}:`);
    s.sys(10, 10, 'openat', { args: [-100, 0, 0], path: `f${i}`, ret: 6 });
    for (let k = 0; k < 5; k++) s.sys(10, 10, 'read', { args: [6], ret: 100 });
    s.sys(10, 10, 'read', { args: [5], ret: -2 });
    s.sys(10, 10, 'socket', { args: [2, 1, 0], ret: 7 });
    s.sys(10, 10, 'connect', { args: [7], addr: inet('127.0.0.1', 8000 + i), ret: -115 });
    s.marker(10, 10, '>:t:req.db::');
    s.sys(10, 10, 'sendto', { args: [7], ret: 50 });
    s.marker(10, 10, '<:t:req.db::');
    s.sys(10, 10, 'close', { args: [7] });
    s.sys(10, 10, 'close', { args: [6] });
    s.marker(10, 10, '<:t:req::');
    if (i % 10 === 0) {
      s.fork(10, 10, 100 + i);
      s.marker(100 + i, 100 + i, '>:p:child::');
      s.exit(100 + i, 100 + i);
    }
    if (i % 7 === 6) batches.push(s.events.splice(0));
  }
  s.marker(10, 10, '>:t:left-open::');
  batches.push(s.events.splice(0));
  return batches;
}

function liveRun(path: string): SpanRecord[] {
  const h = header();
  const live = new Correlator({ clock: CLOCK, hostName: h.hostName, idSeed: h.idSeed });
  live.seed(h.initialState);
  const spans: SpanRecord[] = [];
  live.onSpan((s) => spans.push(s));
  const w = CaptureWriter.create(path, h);
  for (const evs of workload()) {
    const bytes = encodeBatch(evs);
    w.writeBatch(bytes); // verbatim, as the CLI does
    live.pushBatch(decodeBatch(bytes));
  }
  live.close('end of capture');
  w.end({ spans: spans.length });
  return spans;
}

describe('capture files', () => {
  it('replay through a fresh Correlator reproduces the live spans exactly', () => {
    const path = join(dir, 'roundtrip.nscap');
    const live = liveRun(path);
    expect(live.length).toBeGreaterThan(60);
    expect(live.some((s) => s.incomplete)).toBe(true);
    const reader = CaptureReader.open(path);
    expect(reader.header).toMatchObject({
      format: 'nullspan-capture',
      version: 3,
      hostName: 'h1',
      probe: { snapLen: 256 },
    });
    const c = correlatorForCapture(reader.header);
    const replayed: SpanRecord[] = [];
    c.onSpan((s) => replayed.push(s));
    replayInto(reader, c, decodeBatch);
    expect(reader.trailer).toMatchObject({ spans: live.length, batches: 5 });
    reader.close();
    expect(JSON.stringify(replayed)).toBe(JSON.stringify(live));
    // the seeded fd shows in the replay too
    expect(replayed.find((s) => s.name === 'req')!.syscalls.find((r) => r.fd === 5)?.path).toBe('/seeded');
  });

  it('is created with mode 0600, also over an existing file; a symlink is refused', () => {
    const fresh = join(dir, 'fresh.nscap');
    CaptureWriter.create(fresh, header()).close();
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    const existing = join(dir, 'existing.nscap');
    writeFileSync(existing, 'old contents');
    chmodSync(existing, 0o644);
    CaptureWriter.create(existing, header()).close();
    expect(statSync(existing).mode & 0o777).toBe(0o600);
    expect(readFileSync(existing).subarray(0, 8).toString()).toBe('NULLSPAN');
    const link = join(dir, 'link.nscap');
    symlinkSync(join(dir, 'target-of-link'), link);
    expect(() => CaptureWriter.create(link, header())).toThrow(
      `${link} is a symbolic link; nullspan does not write through links (one planted there could redirect the write), so give the path of a regular file.`,
    );
  });

  it('a truncated file yields every whole block, then names the offset of the cut block', () => {
    const path = join(dir, 'truncated.nscap');
    const w = CaptureWriter.create(path, header());
    const blocks = [new Uint8Array([1, 2, 3]), new Uint8Array(100).fill(7), new Uint8Array([9, 9])];
    const offsets: number[] = [];
    for (const b of blocks) {
      offsets.push(w.bytesWritten);
      w.writeBatch(b);
    }
    w.close(); // no end block: a killed run
    const full = [...CaptureReader.open(path).batches()];
    expect(full.map((b) => [...b])).toEqual(blocks.map((b) => [...b]));
    truncateSync(path, offsets[1] + 12 + 50); // inside the second block's payload
    const r = CaptureReader.open(path);
    const got: Uint8Array[] = [];
    let error: unknown;
    try {
      for (const b of r.batches()) got.push(b);
    } catch (e) {
      error = e;
    }
    expect(got.map((b) => [...b])).toEqual([[1, 2, 3]]);
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as CaptureFormatError).offset).toBe(offsets[1]);
    expect((error as Error).message).toContain(`at byte offset ${offsets[1]}`);
    expect((error as Error).message).toMatch(/truncated inside a block/);
  });

  it('a corrupt block fails its checksum with its offset; a bad header fails at open', () => {
    const path = join(dir, 'corrupt.nscap');
    const w = CaptureWriter.create(path, header());
    w.writeBatch(new Uint8Array([1, 2, 3]));
    const second = w.bytesWritten;
    w.writeBatch(new Uint8Array([4, 5, 6]));
    w.end();
    const bytes = readFileSync(path);
    bytes[second + 12 + 1] ^= 0xff;
    writeFileSync(path, bytes);
    const r = CaptureReader.open(path);
    const it = r.batches();
    expect([...(it.next().value as Uint8Array)]).toEqual([1, 2, 3]);
    expect(() => it.next()).toThrow(new RegExp(`block checksum mismatch at byte offset ${second}$`));

    writeFileSync(join(dir, 'notcap'), 'hello world, not a capture');
    expect(() => CaptureReader.open(join(dir, 'notcap'))).toThrow(
      /not a nullspan capture file \(bad magic\) at byte offset 0/,
    );
    const hdr = readFileSync(path);
    hdr[20] ^= 0xff; // inside the header JSON
    writeFileSync(join(dir, 'badheader'), hdr);
    expect(() => CaptureReader.open(join(dir, 'badheader'))).toThrow(/header checksum mismatch at byte offset 16/);
    const v2 = readFileSync(path);
    v2[8] = 99;
    writeFileSync(join(dir, 'v2'), v2);
    expect(() => CaptureReader.open(join(dir, 'v2'))).toThrow(/unsupported capture version 99/);
    // records of version 2 lack the scheduler times: refused in one sentence, not misread
    v2[8] = 2;
    writeFileSync(join(dir, 'v2'), v2);
    expect(() => CaptureReader.open(join(dir, 'v2'))).toThrow(
      /unsupported capture version 2 \(this nullspan reads version 3\) at byte offset 8/,
    );
  });

  it('replay of a damaged capture emits what came before, then reports the offset', () => {
    const path = join(dir, 'damaged-replay.nscap');
    liveRun(path);
    const size = statSync(path).size;
    truncateSync(path, size - 40); // cuts into the end block
    const reader = CaptureReader.open(path);
    const c = correlatorForCapture(reader.header);
    const spans: SpanRecord[] = [];
    c.onSpan((s) => spans.push(s));
    expect(() => replayInto(reader, c, decodeBatch)).toThrow(CaptureFormatError);
    expect(spans.length).toBeGreaterThan(60); // every batch was fed, open spans closed
  });
});
