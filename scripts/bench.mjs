#!/usr/bin/env node
// `pnpm bench`: runs every benchmark program of the workspace (<pkg>/bench/*.mjs, examples/*/bench/*.mjs), one at
// a time so they don't disturb each other, and prints one table of what they measured. Each program prints its
// rows as the last stdout line: `BENCH_JSON [{issue, workload, figures, result, target, met}, ...]`.
// The table is also written as JSON to bench-results/ (git-ignored). Benchmarks are programs, never tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const only = process.argv.slice(2); // optional substrings to pick benchmarks: `pnpm bench storm`

function benchFiles() {
  const dirs = ['sdk', 'probe', 'correlator', ...readdirSync(join(root, 'examples')).map((d) => join('examples', d))];
  const files = [];
  for (const d of dirs) {
    const bench = join(root, d, 'bench');
    if (!existsSync(bench)) continue;
    for (const f of readdirSync(bench).sort()) if (f.endsWith('.mjs')) files.push(join(bench, f));
  }
  return files.filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
}

const rows = [];
const failures = [];
for (const file of benchFiles()) {
  const name = relative(root, file);
  process.stderr.write(`\n== ${name}\n`);
  const r = spawnSync(process.execPath, [file], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  const lines = (r.stdout ?? '').trimEnd().split('\n');
  for (const l of lines) if (!l.startsWith('BENCH_JSON ')) process.stderr.write(`${l}\n`);
  const last = lines.findLast((l) => l.startsWith('BENCH_JSON '));
  if (r.status !== 0 || !last) {
    failures.push(`${name}: ${r.status !== 0 ? `exited with ${r.status ?? r.signal}` : 'printed no BENCH_JSON line'}`);
    continue;
  }
  for (const row of JSON.parse(last.slice('BENCH_JSON '.length))) rows.push({ bench: name, ...row });
}

const fmt = (v) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v));
console.log('\n| issue | workload | figures | result | target | met |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const figures = Object.entries(r.figures ?? {})
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(', ');
  console.log(
    `| ${r.issue ?? ''} | ${r.workload} | ${figures} | ${r.result ?? ''} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`,
  );
}
for (const f of failures) console.log(`benchmark failed: ${f}`);

mkdirSync(join(root, 'bench-results'), { recursive: true });
const out = join(root, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, failures }, null, 2));
console.log(`\nwritten: ${relative(root, out)}`);
process.exit(failures.length ? 1 : 0);
