// The decoder on hand-made records: socket address forms, and corrupt input explained without losing what came
// before it.
import { describe, expect, it } from 'vitest';
import { BatchDecodeError, decodeBatch } from '../src/index.js';
import { CONSTANTS, OFFSETS, SIZES } from '../src/layout.generated.js';

function syscallRecord(addr: number[]): Uint8Array {
  const size = SIZES.ns_syscall + addr.length;
  const buf = new Uint8Array((size + 7) & ~7);
  const dv = new DataView(buf.buffer);
  dv.setUint32(OFFSETS.ns_hdr_size, size, true);
  dv.setUint16(OFFSETS.ns_hdr_kind, CONSTANTS.NS_KIND_SYSCALL, true);
  dv.setUint32(OFFSETS.ns_hdr_tid, 7, true);
  dv.setUint32(OFFSETS.ns_hdr_pid, 7, true);
  dv.setUint16(OFFSETS.ns_syscall_nr, 42, true);
  dv.setUint32(OFFSETS.ns_syscall_args, 0xffffff9c, true); // AT_FDCWD-like int, zero-extended
  dv.setUint16(OFFSETS.ns_syscall_addr_len, addr.length, true);
  buf.set(addr, SIZES.ns_syscall);
  return buf;
}

function markerRecord(text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  const size = SIZES.ns_marker + data.length;
  const buf = new Uint8Array((size + 7) & ~7);
  const dv = new DataView(buf.buffer);
  dv.setUint32(OFFSETS.ns_hdr_size, size, true);
  dv.setUint16(OFFSETS.ns_hdr_kind, CONSTANTS.NS_KIND_MARKER, true);
  dv.setUint32(OFFSETS.ns_hdr_tid, 7, true);
  dv.setUint32(OFFSETS.ns_hdr_pid, 7, true);
  dv.setUint32(OFFSETS.ns_marker_data_len, data.length, true);
  dv.setUint32(OFFSETS.ns_marker_len, data.length, true);
  buf.set(data, SIZES.ns_marker);
  return buf;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
};

describe('decodeBatch', () => {
  it('decodes scheduler times where the record says they are accounted, each field from its own place', () => {
    const set64 = (dv: DataView, o: number, v: number) => dv.setBigUint64(o, BigInt(v), true);
    const marker = markerRecord('>:1:a::');
    const mdv = new DataView(marker.buffer);
    const t = OFFSETS.ns_marker_times;
    set64(mdv, t + OFFSETS.ns_thread_times_on_cpu, 11);
    set64(mdv, t + OFFSETS.ns_thread_times_runqueue, 12);
    const kinds = { other: 13, file: 14, net: 15, lock: 16, sleep: 17, poll: 18, pagefault: 19 };
    const index = {
      other: CONSTANTS.NS_WAIT_OTHER,
      file: CONSTANTS.NS_WAIT_FILE,
      net: CONSTANTS.NS_WAIT_NET,
      lock: CONSTANTS.NS_WAIT_LOCK,
      sleep: CONSTANTS.NS_WAIT_SLEEP,
      poll: CONSTANTS.NS_WAIT_POLL,
      pagefault: CONSTANTS.NS_WAIT_PAGEFAULT,
    };
    for (const [k, v] of Object.entries(kinds))
      set64(mdv, t + OFFSETS.ns_thread_times_blocked + 8 * index[k as keyof typeof index], v);
    set64(mdv, t + OFFSETS.ns_thread_times_major_faults, 2 ** 40 + 3);
    const call = syscallRecord([]);
    const sdv = new DataView(call.buffer);
    const st = OFFSETS.ns_syscall_times;
    set64(sdv, st + OFFSETS.ns_syscall_times_on_cpu, 21);
    set64(sdv, st + OFFSETS.ns_syscall_times_runqueue, 22);
    set64(sdv, st + OFFSETS.ns_syscall_times_blocked, 23);
    set64(sdv, st + OFFSETS.ns_syscall_times_gap_on_cpu, 24);
    set64(sdv, st + OFFSETS.ns_syscall_times_gap_runqueue, 25);
    set64(sdv, st + OFFSETS.ns_syscall_times_gap_blocked, 26);
    sdv.setUint8(OFFSETS.ns_syscall_sleep, CONSTANTS.NS_SLEPT_UNINTERRUPTIBLE);
    // without their flags the same bytes are not times: not accounted
    const [m0, s0] = decodeBatch(concat(marker, call));
    expect(m0.kind === 'marker' && m0.times).toBeNull();
    expect(s0.kind === 'syscall' && s0.times).toBeNull();
    mdv.setUint32(OFFSETS.ns_marker_flags, CONSTANTS.NS_MARKER_HAS_TIMES, true);
    sdv.setUint16(OFFSETS.ns_syscall_flags, CONSTANTS.NS_SYS_HAS_TIMES, true);
    const [m, s] = decodeBatch(concat(marker, call));
    expect(m.kind === 'marker' && m.times).toEqual({
      onCpu: 11,
      runqueue: 12,
      blocked: kinds,
      majorFaults: 2 ** 40 + 3,
    });
    expect(s.kind === 'syscall' && s.times).toEqual({
      onCpu: 21,
      runqueue: 22,
      blocked: 23,
      sleptInterruptible: false,
      sleptUninterruptible: true,
      gapOnCpu: 24,
      gapRunqueue: 25,
      gapBlocked: 26,
    });
  });

  it('decodes IPv6, IPv4-mapped and abstract unix socket addresses, and negative int arguments', () => {
    const v6 = [10, 0, 0x1f, 0x90, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    const mapped = [10, 0, 0, 80, 0, 0, 0, 0, ...new Array(10).fill(0), 0xff, 0xff, 10, 1, 2, 3, 0, 0, 0, 0];
    const abstract = [1, 0, 0, ...Buffer.from('nullspan')];
    const events = decodeBatch(concat(syscallRecord(v6), syscallRecord(mapped), syscallRecord(abstract)));
    expect(events.map((e) => e.kind === 'syscall' && e.addr)).toEqual([
      { family: 'inet6', address: '2001:db8::1', port: 8080 },
      { family: 'inet6', address: '::ffff:10.1.2.3', port: 80 },
      { family: 'unix', address: '@nullspan', port: 0 },
    ]);
    expect(events[0].kind === 'syscall' && events[0].args[0]).toBe(-100);
  });

  it('hands marker payloads out as views into the batch, not copies', () => {
    const batch = concat(markerRecord('>:1:a::'), markerRecord('<:1:a:n=2:'));
    const events = decodeBatch(batch);
    const texts = events.map((e) => e.kind === 'marker' && new TextDecoder().decode(e.data));
    expect(texts).toEqual(['>:1:a::', '<:1:a:n=2:']);
    for (const e of events) expect(e.kind === 'marker' && e.data.buffer).toBe(batch.buffer);
  });

  it('rejects a corrupt record with a sentence and keeps the events before it', () => {
    const good = syscallRecord([2, 0, 0, 80, 127, 0, 0, 1]);
    const bad = new Uint8Array(32);
    new DataView(bad.buffer).setUint32(0, 4096, true);
    let error: unknown;
    try {
      decodeBatch(concat(good, bad));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatchDecodeError);
    expect((error as Error).message).toBe(
      `The record at byte ${good.length} declares an impossible size of 4096 bytes.`,
    );
    expect((error as BatchDecodeError).decoded).toHaveLength(1);
  });
});
