// Records a capture of the Hono bench service (examples/hono-service/bench/system.mjs, one server span + two nested
// spans per request) under `wrk -t1 -c16` for `seconds`, with `nullspan run --write`. Needs root (the probe) and
// wrk (setup.sh installs it). Returns the requests the service served.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

export async function recordHonoCapture(capture, seconds) {
  const ns = spawn(
    process.execPath,
    [
      join(ROOT, 'correlator', 'dist', 'cli', 'main.js'),
      'run',
      '--write',
      capture,
      '--no-otlp',
      '--',
      process.execPath,
      join(ROOT, 'examples', 'hono-service', 'bench', 'system.mjs'),
      'serve',
      'sdk',
      'hono',
      '0',
      '0',
      '/dev/null',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const port = await new Promise((resolve, reject) => {
    ns.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    ns.once('exit', (code) => reject(new Error(`nullspan run exited with ${code} before the service listened`)));
  });
  const exited = new Promise((r) => ns.once('exit', r));
  const wrk = spawnSync('wrk', ['-t1', '-c16', `-d${seconds}s`, `http://127.0.0.1:${port}/bench`], {
    encoding: 'utf8',
  });
  ns.kill('SIGTERM'); // nullspan passes it on to the service, then completes the capture
  await exited;
  if (wrk.status !== 0) throw new Error(`wrk failed: ${wrk.stderr || wrk.error}`);
  return Number(/SERVED (\d+)/.exec(out)?.[1] ?? NaN);
}
