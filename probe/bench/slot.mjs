// What the active-span slot (sdk/MARKERS.md "Active span") costs on the syscall path. A traced node child makes 300,000 cheap syscalls
// (fstat) with and without a registered slot (one 8-byte user read per syscall at entry), rounds interleaved;
// also the same child untraced, for scale. Run as root after `pnpm --filter @nullspan/probe build`.
// Last stdout line: BENCH_JSON [...].
import { spawn } from 'node:child_process';
import { Probe } from '../dist/index.js';

const ROUNDS = 9;
const CALLS = 300_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const CHILD = `
const fs = require('node:fs');
const fd = fs.openSync('/dev/null', 'w');
if (process.argv[1] === 'slot') {
  const slot = Buffer.allocUnsafeSlow(16);
  slot.set([0x23, 0x00, 0x6e, 0x73, 0x73, 0x6c, 0x74, 0x31]);
  new Uint32Array(slot.buffer, slot.byteOffset + 8, 2)[0] = 12345;
  fs.writeSync(fd, slot, 0, 16);
}
for (let i = 0; i < 20000; i++) fs.fstatSync(fd);
const t = process.hrtime.bigint();
for (let i = 0; i < ${CALLS}; i++) fs.fstatSync(fd);
console.log(Number(process.hrtime.bigint() - t) / ${CALLS});
`;

function run(probe, mode) {
  return new Promise((resolve, reject) => {
    const args = ['-e', CHILD, mode];
    const c = probe
      ? probe.spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`child exited with ${code}`))));
  });
}

const probe = Probe.open({ libuv: false });
let events = 0;
const done = (async () => {
  for await (const b of probe.batches()) events += b.count;
})();
const rows = { untraced: [], traced: [], slot: [] };
for (let r = 0; r < ROUNDS; r++) {
  const order = ['untraced', 'traced', 'slot'];
  for (let i = 0; i < order.length; i++) {
    const m = order[(i + r) % order.length];
    rows[m].push(await run(m === 'untraced' ? null : probe, m === 'slot' ? 'slot' : 'plain'));
  }
  console.log(
    `round ${r + 1}: untraced ${rows.untraced.at(-1).toFixed(0)} ns, traced ${rows.traced.at(-1).toFixed(0)} ns, traced + slot ${rows.slot.at(-1).toFixed(0)} ns per fstat`,
  );
}
await probe.close();
await done;
const f = (x) => Number(x.toFixed(1));
const slotCost = median(rows.slot.map((x, i) => x - rows.traced[i]));
const figures = {
  untraced_ns: f(median(rows.untraced)),
  traced_ns: f(median(rows.traced)),
  traced_slot_ns: f(median(rows.slot)),
  slot_read_cost_ns: f(slotCost),
  events,
};
const result = `ns per traced fstat: untraced ${figures.untraced_ns}, traced ${figures.traced_ns}, traced with a registered slot ${figures.traced_slot_ns} (slot read ${figures.slot_read_cost_ns >= 0 ? '+' : ''}${figures.slot_read_cost_ns} ns per syscall, median of per-round differences; threads without a slot pay nothing)`;
console.log(result);
console.log(
  'BENCH_JSON ' +
    JSON.stringify([
      {
        issue: 7,
        workload: `node child, ${CALLS} fstat calls, traced by nullspan with and without an active-span slot, ${ROUNDS} interleaved rounds`,
        figures,
        result,
        target: 'the slot read does not slow the syscall path noticeably (< 10% per traced syscall)',
        met: slotCost < 0.1 * figures.traced_ns,
      },
    ]),
);
