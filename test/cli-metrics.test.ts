// End to end: `nullspan run --metrics-address 127.0.0.1:0` serves /metrics (Prometheus text format) and /healthz
// while it traces a real program that exports to a real OTLP receiver: the figures move as the program works,
// /healthz answers 503 while tracing stops, and --log-format json writes one parseable object per notice.

import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { parseExposition, type Exposition } from './helpers/prometheus.js';
import { REPO, runCli, startCli, tempDir, waitForOutput, type RunningCli } from './helpers/cli.js';
import { withoutFallbackNotices } from './helpers/kernel-notices.js';

const SCRIPT = join(REPO, 'test/fixtures/nested-markers.sh');
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const tmp = tempDir();
const receivers: OtlpReceiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
  tmp.remove();
});

/** A shell command that waits for `file` to exist (the test's go-ahead). */
function waitFor(file: string): string {
  return `while [ ! -e ${file} ]; do sleep 0.05; done`;
}

/** Where the CLI says it serves metrics: the `metricsAddress` field of its JSON notice. */
async function metricsAddress(cli: RunningCli): Promise<string> {
  await waitForOutput(cli, (_, err) => err.includes('"metricsAddress"'));
  const line = cli
    .stderr()
    .split('\n')
    .find((l) => l.includes('"metricsAddress"'))!;
  return (JSON.parse(line) as { metricsAddress: string }).metricsAddress;
}

async function scrape(address: string): Promise<Exposition> {
  const res = await fetch(`http://${address}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** Polls `probe` (every 100 ms, at most `timeoutMs`) until it returns a value. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('nullspan run --metrics-address', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    receivers.push(receiver);
  });

  it('serves metrics that follow a traced program, /healthz, and JSON log lines', async () => {
    const go = join(tmp.dir, 'go');
    const done = join(tmp.dir, 'done');
    const script = `${waitFor(go)}; sh ${SCRIPT} ${join(tmp.dir, 'out.txt')}; ${waitFor(done)}`;
    const cli = startCli([
      'run',
      '--metrics-address',
      '127.0.0.1:0',
      '--endpoint',
      receiver.url,
      '--log-format',
      'json',
      '--',
      'sh',
      '-c',
      script,
    ]);
    const address = await metricsAddress(cli);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(address).not.toBe('127.0.0.1:0');

    const before = await scrape(address);
    const healthz = await fetch(`http://${address}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toMatchObject({ status: 'ok', backlog: 0 });
    expect((await fetch(`http://${address}/other`)).status).toBe(404);
    expect((await fetch(`http://${address}/metrics`, { method: 'POST' })).status).toBe(405);

    writeFileSync(go, '');
    // the script's 2 spans (and their system calls) reach the receiver, and /metrics counts what it got
    const after = await until('the spans exported to the receiver to be counted', async () => {
      const m = await scrape(address);
      const sent = receiver.spans().length;
      return sent > 0 && m.value('nullspan_export_spans_total', { exporter: 'otlp_http' }) === sent ? m : undefined;
    });
    expect(after.value('nullspan_spans_total')).toBe(2);
    expect(after.value('nullspan_traces_total')).toBe(1);
    expect(after.value('nullspan_records_total', { kind: 'marker' })).toBe(4);
    expect(after.value('nullspan_markers_total', { result: 'ok' })).toBe(4);
    expect(after.value('nullspan_records_total', { kind: 'syscall' })).toBeGreaterThan(
      before.value('nullspan_records_total', { kind: 'syscall' })!,
    );
    expect(after.value('nullspan_syscalls_total', { attribution: 'span' })).toBeGreaterThan(0);
    expect(after.value('nullspan_probe_records_total')).toBeGreaterThan(before.value('nullspan_probe_records_total')!);
    expect(after.value('nullspan_open_spans')).toBe(0);
    expect(after.value('nullspan_traced_processes')).toBeGreaterThanOrEqual(1);
    expect(after.value('nullspan_traced_threads')).toBeGreaterThanOrEqual(1);
    expect(after.value('nullspan_export_queue_spans', { exporter: 'otlp_http' })).toBe(0);
    expect(after.value('nullspan_kernel_drops_total', { kind: 'syscall' })).toBe(0);
    expect(after.value('process_resident_memory_bytes')).toBeGreaterThan(0);

    // every family has HELP and TYPE; counters are named *_total and never went down
    for (const s of after.samples) {
      const family = [...after.type.keys()].find((f) => s.name === f || s.name.startsWith(`${f}_`))!;
      expect(family, s.name).toBeDefined();
      expect(after.help.get(family), family).toBeTruthy();
    }
    for (const [family, type] of after.type) {
      if (!family.startsWith('nullspan_')) continue;
      expect(type === 'counter').toBe(family.endsWith('_total'));
    }
    for (const s of before.samples.filter((x) => before.type.get(x.name) === 'counter'))
      expect(after.value(s.name, s.labels), s.name).toBeGreaterThanOrEqual(s.value);

    writeFileSync(done, '');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const rec of records) {
      expect(rec.time).toMatch(RFC3339);
      expect(['info', 'warn', 'error']).toContain(rec.level);
      expect(typeof rec.msg).toBe('string');
    }
    // the exit summary, which text mode keeps for terminals, is a log record with its figures as fields
    expect(records).toContainEqual(expect.objectContaining({ level: 'info', traces: 1, spans: 2 }));
  });

  it('/healthz answers 503 while tracing stops and the outputs drain', async () => {
    const stuck = await startOtlpReceiver(0, 'never');
    receivers.push(stuck);
    const done = join(tmp.dir, 'never-done');
    const cli = startCli([
      'run',
      '--metrics-address',
      '127.0.0.1:0',
      '--endpoint',
      stuck.url,
      '--log-format',
      'json',
      '--',
      'sh',
      '-c',
      `sh ${SCRIPT} ${join(tmp.dir, 'out2.txt')}; ${waitFor(done)}`,
    ]);
    const address = await metricsAddress(cli);
    await until('a healthy /healthz', async () =>
      (await fetch(`http://${address}/healthz`)).status === 200 ? true : undefined,
    );
    await until('the spans to be queued for the endpoint', async () => {
      const m = await scrape(address);
      return (m.value('nullspan_spans_total') ?? 0) >= 2 ? true : undefined;
    });
    cli.child.kill('SIGTERM');
    // the endpoint never answers: shutdown waits for it (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s) while /healthz says why
    const body = await until('/healthz to answer 503', async () => {
      const res = await fetch(`http://${address}/healthz`).catch(() => undefined);
      return res?.status === 503 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    expect(body).toMatchObject({ status: 'unavailable', reason: 'tracing is stopping' });
    writeFileSync(done, '');
    const r = await cli.done;
    expect(r.signal).toBeNull();
    // and nothing serves the address once nullspan has exited
    await expect(fetch(`http://${address}/healthz`)).rejects.toThrow();
  });
});

describe('--log-format json on signals', () => {
  it('a second SIGTERM, which exits at once, is a JSON warn line too', async () => {
    const done = join(tmp.dir, 'signal-done');
    const program = `process.on('SIGTERM', () => console.log('got TERM')); console.log('ready');
      setInterval(() => require('node:fs').existsSync(${JSON.stringify(done)}) && process.exit(0), 50);`;
    const cli = startCli(['run', '--no-otlp', '--log-format', 'json', '--', process.execPath, '-e', program]);
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    try {
      await waitForOutput(cli, (out) => out.includes('ready'));
      cli.child.kill('SIGTERM');
      await waitForOutput(cli, (out) => out.includes('got TERM')); // handled by nullspan and passed on
      cli.child.kill('SIGTERM');
      expect(await exited).toBe(143);
    } finally {
      // the traced program outlives nullspan's immediate exit and holds its stdout open
      writeFileSync(done, '');
    }
    const records = (await cli.done).stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'SIGTERM again: exiting without waiting for the outputs.',
        signal: 'SIGTERM',
      }),
    );
  });
});

describe('--metrics-address and --log-format on the command line', () => {
  it('a malformed address is one sentence and exit code 2', async () => {
    const r = await runCli(['run', '--metrics-address', 'localhost', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'nullspan: --metrics-address expects HOST:PORT such as 127.0.0.1:9464 (a host and a port joined by a colon, ' +
        'an IPv6 host in brackets), got "localhost".\n',
    );
  });

  it('an address in use is one sentence and exit code 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const r = await runCli(['run', '--metrics-address', `127.0.0.1:${port}`, '--', 'true']);
      expect(r.code).toBe(1);
      expect(withoutFallbackNotices(r.stderr)).toBe(
        `nullspan: cannot serve metrics on 127.0.0.1:${port}: the address is in use.\n`,
      );
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('an unknown log format is one sentence; with --log-format json errors are JSON lines too', async () => {
    const text = await runCli(['run', '--log-format', 'xml', '--', 'true']);
    expect(text.code).toBe(2);
    expect(text.stderr).toBe('nullspan: --log-format expects one of text, json, got "xml".\n');

    const json = await runCli(['run', '--log-format', 'json', '--metrics-address', ':9464', '--', 'true']);
    expect(json.code).toBe(2);
    const lines = json.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'error', exitCode: 2 });
    expect(rec.time).toMatch(RFC3339);
    expect(rec.msg).toMatch(
      /^--metrics-address expects HOST:PORT .*the host is missing \(0\.0\.0\.0 listens on every interface\).*":9464"\.$/,
    );
  });
});
