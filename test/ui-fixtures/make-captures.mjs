#!/usr/bin/env node
// Real captures for the web UI's end-to-end test and figures benchmark, made the way users make them:
// `nullspan run --no-otlp --write FILE -- <service>` while a load generator drives the service on loopback.
//
//   outlier   5,000 fast `GET /item` requests + 1 slow `GET /report` (+ 1 `GET /hostile`) of
//             test/ui-fixtures/outlier-service.mjs, 4 at a time (a few seconds)
//   load10k   ~10,000 spans over ~20 s: examples/hono-service under a paced mix of routes
//   burst100k ~100,000 spans as fast as this machine makes them: wrk against examples/hono-service `/file`
//
// Captures are cached in NULLSPAN_UI_CAPTURES (default node_modules/.cache/nullspan-ui-captures) under a key made of
// the capture format version of the built correlator and the text of this script and the fixture service, so a
// build that writes another format, or a changed recipe, makes them again. A capture is written under a temporary
// name and renamed once complete, so an interrupted run never leaves a capture that looks finished.
// Every generation is bounded in time (the service is stopped and the run fails past its deadline).
//
// Usage: node test/ui-fixtures/make-captures.mjs [outlier|load10k|burst100k ...]   (prints name → path as JSON)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');
const CLI = join(ROOT, 'correlator', 'dist', 'cli', 'main.js');
const OUTLIER_SERVICE = join(HERE, 'outlier-service.mjs');
const HONO_SERVER = join(ROOT, 'examples', 'hono-service', 'dist', 'server.js');

export const CAPTURE_NAMES = ['outlier', 'load10k', 'burst100k'];

/** The directory the captures of this build and recipe live in. */
export async function captureDir() {
  const { CAPTURE_VERSION } = await import(pathToFileURL(join(ROOT, 'correlator', 'dist', 'capture.js')).href);
  const recipe = createHash('sha256');
  for (const f of [fileURLToPath(import.meta.url), OUTLIER_SERVICE]) recipe.update(readFileSync(f));
  const base = process.env.NULLSPAN_UI_CAPTURES ?? join(ROOT, 'node_modules', '.cache', 'nullspan-ui-captures');
  return join(base, `v${CAPTURE_VERSION}-${recipe.digest('hex').slice(0, 12)}`);
}

/** Paths of the named captures, made first when this build and recipe have not made them yet. */
export async function ensureCaptures(names = CAPTURE_NAMES, log = (line) => process.stderr.write(`${line}\n`)) {
  const dir = await captureDir();
  mkdirSync(dir, { recursive: true });
  const paths = {};
  for (const name of names) {
    const recipe = RECIPES[name];
    if (!recipe) throw new Error(`unknown capture ${name} (known: ${CAPTURE_NAMES.join(', ')})`);
    const path = join(dir, `${name}.nscap`);
    if (!existsSync(path)) {
      const started = Date.now();
      log(`making capture ${name} (${recipe.what}) ...`);
      const partial = `${path}.partial`;
      rmSync(partial, { force: true });
      const made = await recipe.make(partial);
      renameSync(partial, path);
      writeFileSync(`${path}.json`, `${JSON.stringify({ name, ...made, seconds: (Date.now() - started) / 1000 })}\n`);
      log(`capture ${name}: ${JSON.stringify(made)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    paths[name] = path;
  }
  return paths;
}

const RECIPES = {
  outlier: { what: '5,000 fast requests + 1 slow one', make: makeOutlier },
  load10k: { what: '~10k spans over ~20 s', make: makeLoad10k },
  burst100k: { what: '~100k spans as fast as possible', make: makeBurst100k },
};

/** `nullspan run --write` around a service that prints its port; resolves once it listens. */
async function traceService(capture, command, portPattern, deadlineMs) {
  const env = { ...process.env, NO_COLOR: '1', PORT: '0', HOST: '127.0.0.1' };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const child = spawn(process.execPath, [CLI, 'run', '--no-otlp', '--write', capture, '--', ...command], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const deadline = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const port = await new Promise((resolve, reject) => {
    const check = () => {
      const m = portPattern.exec(stdout);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    };
    const timer = setInterval(check, 20);
    done.then(() => {
      clearInterval(timer);
      reject(new Error(`the traced service exited before listening: ${stderr.slice(-2000)}`));
    });
  });
  return {
    port,
    /** waits for nullspan to exit (after the service did, or after SIGINT) and checks the capture is complete */
    async finish(stop) {
      if (stop) child.kill('SIGINT');
      const r = await done;
      clearTimeout(deadline);
      if (r.signal === 'SIGKILL') throw new Error(`capture ${capture} took longer than ${deadlineMs / 1000} s`);
      if (!existsSync(capture)) throw new Error(`nullspan wrote no capture (${r.code}): ${stderr.slice(-2000)}`);
      return stderr;
    },
  };
}

/** Sends `count` GETs over `connections` keep-alive connections; `pathOf(i)` names request i's path; with
 *  `perSecond`, requests are paced to that rate. */
async function drive(port, count, connections, pathOf, perSecond) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const started = Date.now();
  let next = 0;
  let failed = 0;
  const one = (path) =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end();
    });
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if (perSecond) {
        const due = started + (i * 1000) / perSecond;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      await one(pathOf(i));
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  if (failed) throw new Error(`${failed} of ${count} requests failed`);
  return (Date.now() - started) / 1000;
}

async function makeOutlier(capture) {
  const work = join(tmpdir(), `nullspan-ui-outlier-${process.pid}`);
  const svc = await traceService(capture, [process.execPath, OUTLIER_SERVICE, work], /listening (\d+)/, 120_000);
  try {
    const fast = 5000;
    // the slow request and the hostile one in the middle of the fast ones
    const seconds = await drive(svc.port, fast + 2, 4, (i) =>
      i === 2500 ? '/report' : i === 1200 ? '/hostile' : `/item?i=${i}`,
    );
    await drive(svc.port, 1, 1, () => '/quit');
    await svc.finish(false);
    return { requests: { fast, slow: 1, hostile: 1 }, loadSeconds: seconds };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const honoCommand = () => [process.execPath, HONO_SERVER];
const HONO_LISTENING = /on http:\/\/127\.0\.0\.1:(\d+)/;

async function makeLoad10k(capture) {
  const svc = await traceService(capture, honoCommand(), HONO_LISTENING, 120_000);
  // per 20 requests: 15 /hello (1 span), 3 /users/:id (4 spans), 1 /file (2 spans), 1 /fail (1 span) = 30 spans;
  // every 2000th request is /slow instead (3 spans). 6,700 requests at 335/s: ~10k spans over 20 s.
  const route = (i) => {
    if (i % 2000 === 1000) return '/slow';
    const k = i % 20;
    return k < 15 ? '/hello' : k < 18 ? `/users/${i % 97}` : k === 18 ? '/file' : '/fail';
  };
  const requests = 6700;
  const seconds = await drive(svc.port, requests, 8, route, 335);
  await svc.finish(true);
  return { requests, loadSeconds: seconds };
}

async function makeBurst100k(capture) {
  const svc = await traceService(capture, honoCommand(), HONO_LISTENING, 180_000);
  // /file makes 2 spans per request. wrk's threads each stop after their share of 50,000 responses and say so
  // with a file (wrk itself would run on to the end of -d), then wrk is stopped.
  const requests = 50_000;
  const threads = 2;
  const work = mkdtempSync(join(tmpdir(), 'nullspan-ui-wrk-'));
  const script = join(work, 'stop-after.lua');
  writeFileSync(
    script,
    `local threads = 0\nfunction setup(thread) threads = threads + 1; thread:set("id", threads) end\n` +
      `local n = 0\nfunction response()\n  n = n + 1\n  if n == ${requests / threads} then\n` +
      `    io.open("${work}/done-" .. id, "w"):close()\n    wrk.thread:stop()\n  end\nend\n`,
  );
  const started = Date.now();
  try {
    const wrk = spawn(
      'wrk',
      ['-t', String(threads), '-c', '32', '-d', '120s', '-s', script, `http://127.0.0.1:${svc.port}/file`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    wrk.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const exited = new Promise((resolve) => wrk.once('close', resolve));
    const poll = setInterval(() => {
      if (readdirSync(work).filter((f) => f.startsWith('done-')).length === threads) wrk.kill('SIGINT');
    }, 100);
    const code = await exited;
    clearInterval(poll);
    if (code !== 0) throw new Error(`wrk exited with ${code}: ${out}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  await svc.finish(true);
  return { requests, loadSeconds: seconds };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = process.argv.slice(2);
  console.log(JSON.stringify(await ensureCaptures(names.length ? names : CAPTURE_NAMES), null, 2));
}
