// Traced by the UI's browser tests: a few quick spans, then one deliberately slow span that writes a named file
// in small pieces with pauses, so it stands out on the spectrogram and its system calls carry the file's path.
// Usage: node slow-writer.mjs OUTPUT_FILE [GO_FILE]
// With GO_FILE, waits until that file exists before starting and spaces the quick spans out, so a page opened in
// live mode watches them arrive.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { span } from '@nullspan/sdk';

const [output, goFile] = process.argv.slice(2);
if (!output) {
  console.error('usage: node slow-writer.mjs OUTPUT_FILE [GO_FILE]');
  process.exit(2);
}

if (goFile) {
  for (let waited = 0; !existsSync(goFile); waited += 50) {
    if (waited > 120_000) throw new Error(`${goFile} did not appear within 2 minutes`);
    await sleep(50);
  }
}

for (let i = 0; i < 20; i++) {
  span.trace('quick.lookup', { i }, () => readFileSync('/etc/hostname'));
  if (goFile) await sleep(100);
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
