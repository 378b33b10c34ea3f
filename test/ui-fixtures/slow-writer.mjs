// Traced by the UI's browser test: a few quick spans, then one deliberately slow span that writes a named file
// in small pieces with pauses, so it stands out on the spectrogram and its system calls carry the file's path.
// Usage: node slow-writer.mjs OUTPUT_FILE
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { span } from '@nullspan/sdk';

const output = process.argv[2];
if (!output) {
  console.error('usage: node slow-writer.mjs OUTPUT_FILE');
  process.exit(2);
}

for (let i = 0; i < 20; i++) {
  span.trace('quick.lookup', { i }, () => readFileSync('/etc/hostname'));
}

await span.trace('slow.report', { file: output }, async () => {
  const fd = openSync(output, 'w', 0o600);
  for (let part = 0; part < 5; part++) {
    writeSync(fd, `part ${part}\n`.repeat(100));
    await sleep(80);
  }
  closeSync(fd);
});

for (let i = 0; i < 5; i++) {
  span.trace('quick.lookup', { i: 20 + i }, () => readFileSync('/etc/hostname'));
}
