// One replay of a capture in this process, timed: what the correlator (and whatever `onSpan` adds to each finished
// span) costs in CPU per event. `finish` runs inside the timed part, after the last span (e.g. a summary's result).
import { decodeBatch } from '@nullspan/probe';
import { CaptureReader, correlatorForCapture } from '../../dist/index.js';

export function timedReplay(path, onSpan, finish = () => undefined) {
  const reader = CaptureReader.open(path);
  const c = correlatorForCapture(reader.header);
  let spans = 0;
  c.onSpan((span, proc) => {
    spans++;
    onSpan(span, proc);
  });
  let events = 0;
  const cpu0 = process.cpuUsage();
  for (const bytes of reader.batches()) {
    const evs = decodeBatch(bytes);
    events += evs.length;
    c.pushBatch(evs);
  }
  c.close('end of capture');
  const finished = finish();
  const cpu = process.cpuUsage(cpu0);
  reader.close();
  return { events, spans, cpuSecs: (cpu.user + cpu.system) / 1e6, finished };
}
