// When JavaScript cannot keep up, the kernel drops and counts instead of slowing the traced process, memory
// stays bounded, and the drop counts arrive in the stream itself.
import { describe, expect, it } from 'vitest';
import { decodeBatch, Probe, type DropsEvent } from '../src/index.js';
import { compileFixture, exited } from './helpers.js';

describe('a flood into a tiny ring buffer', () => {
  it('drops and counts per CPU and kind while the flooder runs to completion; memory stays bounded', async () => {
    const flood = compileFixture('flood');
    const writes = 300_000;
    const probe = Probe.open({ ringSize: 16384 });
    const rssBefore = process.memoryUsage().rss;
    // Nobody reads batches while the flood runs: the bounded queue fills, then the ring, then the kernel drops.
    const child = probe.spawn(flood, [String(writes)], { stdio: 'ignore' });
    const { code } = await exited(child);
    expect(code).toBe(0);
    const during = probe.stats();
    expect(during.drops.syscall).toBeGreaterThan(0);
    expect(during.queueFull).toBeGreaterThan(0);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 << 20); // 8 batches of <= 1 MiB + a 16 KiB ring

    let delivered = 0;
    const dropsInStream = { syscall: 0, marker: 0, process: 0 };
    const perCpuInStream = new Map<number, number>();
    const closing = probe.close();
    for await (const batch of probe.batches()) {
      for (const e of decodeBatch(batch.bytes)) {
        if (e.kind === 'syscall' && e.pid === child.pid) delivered++;
        if (e.kind === 'drops') {
          const d = e as DropsEvent;
          dropsInStream.syscall += d.syscall;
          dropsInStream.marker += d.marker;
          dropsInStream.process += d.process;
          perCpuInStream.set(d.cpu, (perCpuInStream.get(d.cpu) ?? 0) + d.syscall + d.marker + d.process);
        }
      }
    }
    await closing;
    const stats = probe.stats();
    // every drop the kernel counted is reported in the stream, on the CPU where it happened
    expect(dropsInStream).toEqual({
      syscall: stats.drops.syscall,
      marker: stats.drops.marker,
      process: stats.drops.process,
    });
    stats.drops.perCpu.forEach((n, cpu) => {
      expect(perCpuInStream.get(cpu) ?? 0).toBe(n);
    });
    // nothing vanished without being counted: the flooder's writes were either delivered or dropped
    expect(delivered + stats.drops.syscall).toBeGreaterThanOrEqual(writes);
    expect(delivered).toBeLessThan(writes);
  });
});
