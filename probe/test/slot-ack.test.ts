// The probe's half of the active-span handshake (sdk/MARKERS.md "Active span"): a 24-byte slot registration is
// reported as a slot event with the slot's address, and the live probe writes a nonzero ack word into the
// registering process; a 16-byte registration (no ack word) and a buffer whose reserved bytes are not zero are never
// written to.
import { mkdtempSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SlotEvent, SyscallEvent } from '../src/index.js';
import { collectingProbe, exited } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nullspan-slotack-'));

/** Registers three slots the way the SDK does (the last one stays the thread's), waits for the ack, prints words. */
const CHILD = `
import fs from 'node:fs';
const fd = fs.openSync('/dev/null', 'a');
function slot() {
  const b = Buffer.allocUnsafeSlow(24);
  b.fill(0);
  b.set([0x23, 0x00, 0x6e, 0x73, 0x73, 0x6c, 0x74, 0x31]);
  return { b, words: new Uint32Array(b.buffer, b.byteOffset, 6) };
}
const short = slot();                 // an old-style 16-byte registration: no ack word
fs.writeSync(fd, short.b, 0, 16);
const odd = slot();                   // reserved bytes not zero: not a slot the probe may write
odd.words[5] = 7;
fs.writeSync(fd, odd.b, 0, 24);
const good = slot();
fs.writeSync(fd, good.b, 0, 24);
const deadline = Date.now() + 10000;
while (good.words[4] === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 200)); // any late write to the others would show by now
console.log(JSON.stringify({ good: [...good.words], short: [...short.words], odd: [...odd.words] }));
`;

describe('active-span slot handshake (probe side)', () => {
  it('reports a slot registration with its address and acknowledges it in the process', async () => {
    writeFileSync(join(dir, 'child.mjs'), CHILD);
    const c = collectingProbe();
    const child = c.probe.spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    expect((await exited(child)).code).toBe(0);
    const acks = c.probe.stats().slotAcks;
    const pid = child.pid!;
    // the probe (still open) closes its /proc/<pid>/mem once the process's exit record arrives
    const memOpen = () =>
      readdirSync('/proc/self/fd').some((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === `/proc/${pid}/mem`;
        } catch {
          return false; // the directory's own fd, gone by now
        }
      });
    for (let i = 0; i < 50 && memOpen(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(memOpen()).toBe(false);
    const events = await c.finish();

    const words = JSON.parse(out) as { good: number[]; short: number[]; odd: number[] };
    expect(words.good[4]).toBe(process.pid); // the ack word holds the acknowledging probe's pid
    expect(words.good[5]).toBe(0);
    expect(words.short[4]).toBe(0);
    expect(words.odd[4]).toBe(0);
    expect(acks).toMatchObject({ acked: 1, rejected: 1, failed: 0 });

    // one slot event per 24-byte registration, each at the id bytes of the buffer its write() passed
    const slots = events.filter((e): e is SlotEvent => e.kind === 'slot' && e.pid === pid);
    const writes = events.filter(
      (e): e is SyscallEvent => e.kind === 'syscall' && e.pid === pid && e.name === 'write' && e.args[2] === 24,
    );
    expect(slots).toHaveLength(2);
    expect(writes).toHaveLength(2);
    slots.forEach((s, i) => {
      expect(s.tid).toBe(pid);
      expect(s.addr).toBe(writes[i].args[1] + 8);
      expect(s.ts).toBe(writes[i].ts);
    });
  });

  it("in markers: 'all' mode, acknowledges a writer that registers right before its first marker", async () => {
    // the SDK's order: register the slot on the first span start, then write the span's marker
    const script = CHILD.replace('const deadline', "fs.writeSync(fd, '>:t:first::');\nconst deadline");
    writeFileSync(join(dir, 'discovered.mjs'), script);
    const c = collectingProbe({ markers: 'all' });
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(dir, 'discovered.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    expect((await exited(child)).code).toBe(0);
    const events = await c.finish();
    expect(JSON.parse(out).good[4]).toBe(process.pid);
    expect(events.filter((e) => e.kind === 'slot' && e.pid === child.pid)).toHaveLength(2);
  });

  it('acknowledges nothing in untraced processes', async () => {
    writeFileSync(join(dir, 'child.mjs'), CHILD.replace('Date.now() + 10000', 'Date.now() + 1500'));
    const c = collectingProbe();
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(dir, 'child.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    expect((await exited(child)).code).toBe(0);
    const acks = c.probe.stats().slotAcks;
    const events = await c.finish();
    expect(JSON.parse(out).good[4]).toBe(0);
    expect(acks).toEqual({ acked: 0, rejected: 0, failed: 0, declined: 0, denied: 0 });
    expect(events.some((e) => e.kind === 'slot' && e.pid === child.pid)).toBe(false);
  });

  it('acknowledges nothing in a traced process its owner declines (ProbeOptions.acknowledge)', async () => {
    writeFileSync(join(dir, 'child.mjs'), CHILD.replace('Date.now() + 10000', 'Date.now() + 1500'));
    const declined = new Set<number>();
    const c = collectingProbe({ acknowledge: (pid) => !declined.has(pid) });
    const child = c.probe.spawn(process.execPath, [join(dir, 'child.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      beforeRelease: (pid) => declined.add(pid),
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    expect((await exited(child)).code).toBe(0);
    const acks = c.probe.stats().slotAcks;
    const events = await c.finish();
    expect(JSON.parse(out).good[4]).toBe(0);
    expect(events.filter((e) => e.kind === 'slot' && e.pid === child.pid)).toHaveLength(2);
    expect(acks).toMatchObject({ acked: 0, declined: 2 });
  });
});
