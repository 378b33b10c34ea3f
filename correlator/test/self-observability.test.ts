// The pieces behind /metrics, /healthz and --log-format: the correlator's table sizes and record counts, the
// health decision, listen addresses, log lines, the terminal in JSON mode, export failures by reason.

import { Writable } from 'node:stream';
import { ExportResultCode } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { MAX_REASONS, OtlpHttpExporter, type SpanExporterLike } from '../src/export/http.js';
import { health, STALL_MS } from '../src/cli/health.js';
import { addressUrl, parseListenAddress } from '../src/cli/listen-address.js';
import { logFormatInArgs, logLine } from '../src/cli/log.js';
import { defaultFor, parseCommandLine, type OptionSpec } from '../src/cli/options.js';
import { Terminal } from '../src/cli/terminal.js';
import { CLOCK, collect, EXPORT_PROC, exportSpan, oneProcess, Stream } from './synthetic.js';

function sink(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream: Object.assign(stream, { isTTY, columns: 200 }) as unknown as NodeJS.WriteStream,
    text: () => chunks.join(''),
  };
}

describe('Correlator.tableSizes and record counts', () => {
  it('count what is held now, an fd table shared by CLONE_FILES processes once, and nothing once all exited', () => {
    const fds = [3, 4].map((fd) => ({ fd, cloexec: false, desc: { kind: 'file' as const, target: `/f${fd}` } }));
    const { c } = collect({}, oneProcess(100, 'app', { fds }));
    const s = new Stream();
    s.fork(100, 100, 101, 101, { sharesFiles: true });
    s.fork(100, 100, 100, 102, { isThread: true });
    s.marker(100, 100, '>:t:job::');
    c.pushBatch(s.events.splice(0));
    expect(c.tableSizes()).toMatchObject({ processes: 2, threads: 3, fds: 2, exitedProcesses: 0, openSpans: 1 });
    expect(c.tableSizes().openSpanBytes).toBeGreaterThan(0);

    s.exit(101, 101);
    c.pushBatch(s.events.splice(0));
    expect(c.tableSizes()).toMatchObject({ processes: 1, threads: 2, fds: 2, exitedProcesses: 1, openSpans: 1 });

    s.exit(100, 102, false);
    s.exit(100, 100);
    c.pushBatch(s.events.splice(0));
    expect(c.tableSizes()).toEqual({
      processes: 0,
      threads: 0,
      fds: 0,
      exitedProcesses: 2,
      openSpans: 0,
      openSpanBytes: 0,
    });
    expect(c.stats()).toMatchObject({ markerEvents: 1, processEvents: 5 });
  });
});

describe('health', () => {
  const base = { delivered: 10, consumed: 10, sinceConsumedMs: 0 };

  it('is 200 while tracing, even long idle when nothing waits', () => {
    expect(health({ phase: 'tracing', ...base, sinceConsumedMs: 10 * STALL_MS })).toEqual({
      status: 200,
      body: { status: 'ok', batches: 10, backlog: 0, idleSeconds: 300 },
    });
  });

  it('is 503 with the reason while starting, stopping, after the stream ended, or when the consumer stalls', () => {
    expect(health({ phase: 'starting', ...base }).body.reason).toBe('tracing is starting');
    expect(health({ phase: 'stopping', ...base }).body.reason).toBe('tracing is stopping');
    expect(health({ phase: 'ended', ...base, failure: 'ring gone' })).toMatchObject({
      status: 503,
      body: { status: 'unavailable', reason: "the probe's event stream failed: ring gone" },
    });
    const stalled = health({ phase: 'tracing', delivered: 13, consumed: 10, sinceConsumedMs: STALL_MS + 1000 });
    expect(stalled).toMatchObject({
      status: 503,
      body: { reason: 'the event consumer has taken no batch for 31 s while 3 wait', backlog: 3 },
    });
    // a backlog the consumer is working through is not a stall
    expect(health({ phase: 'tracing', delivered: 13, consumed: 10, sinceConsumedMs: 5 }).status).toBe(200);
  });
});

describe('listen addresses', () => {
  it('reads HOST:PORT, IPv6 in brackets', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('node-1.example:80')).toEqual({ host: 'node-1.example', port: 80 });
    expect(addressUrl('::1', 9464)).toBe('http://[::1]:9464');
    expect(addressUrl('127.0.0.1', 9464)).toBe('http://127.0.0.1:9464');
  });

  it('says what is wrong with anything else', () => {
    expect(parseListenAddress('9464')).toBe('a host and a port joined by a colon, an IPv6 host in brackets');
    expect(parseListenAddress('::1:9464')).toBe('a host and a port joined by a colon, an IPv6 host in brackets');
    expect(parseListenAddress(':9464')).toBe('the host is missing (0.0.0.0 listens on every interface)');
    expect(parseListenAddress('[1.2.3.4]:80')).toBe('1.2.3.4 is not an IPv6 address');
    expect(parseListenAddress('a b:80')).toBe('a b is not a host name or IPv4 address');
    expect(parseListenAddress('127.0.0.1:65536')).toBe('port 65536 is above 65535');
  });
});

describe('log lines', () => {
  const at = new Date('2026-01-02T03:04:05.678Z');

  it('text: the message after `nullspan: `, fields left to the message', () => {
    expect(logLine('text', 'warn', 'lost 3 spans.', { spans: 3 }, at)).toBe('nullspan: lost 3 spans.\n');
  });

  it('json: one object per line with time, level, msg and the fields; hostile text sanitized', () => {
    const line = logLine('json', 'warn', 'exe \x1b[31mred\nnext', { exe: '\u202eevil', n: 2, level: 'x' }, at);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '2026-01-02T03:04:05.678Z',
      level: 'warn',
      msg: 'exe \\x1b[31mred\\nnext',
      exe: '\\u202eevil',
      n: 2,
    });
  });

  it('--log-format is found in raw arguments for errors before parsing', () => {
    expect(logFormatInArgs(['run', '--log-format', 'json', '--bogus'])).toBe('json');
    expect(logFormatInArgs(['run', '--log-format=json'])).toBe('json');
    expect(logFormatInArgs(['run', '--', 'app', '--log-format', 'json'])).toBe('text');
    expect(logFormatInArgs(['run', '--log-format', 'text'])).toBe('text');
  });
});

describe('the terminal with --log-format json', () => {
  it('never draws the status line, and writes exit summaries for log shippers', () => {
    const err = sink(true);
    const term = new Terminal(sink(true).stream, err.stream, 'json');
    term.startStatus(() => ({ events: 10, spans: 2, losses: [] }));
    term.notice('hello', { n: 1 });
    term.stopStatus();
    const quiet = sink(false);
    new Terminal(sink(false).stream, quiet.stream, 'json').interactiveNotice('summary', { spans: 2 });
    expect(err.text()).not.toContain('\r');
    expect(err.text()).not.toContain('events/s');
    expect(JSON.parse(err.text())).toMatchObject({ level: 'info', msg: 'hello', n: 1 });
    expect(JSON.parse(quiet.text())).toMatchObject({ msg: 'summary', spans: 2 });
  });

  it('text mode keeps the status line on a terminal and summaries for terminals only', () => {
    const err = sink(true);
    const term = new Terminal(sink(true).stream, err.stream);
    term.startStatus(() => ({ events: 10, spans: 2, losses: [] }));
    term.stopStatus();
    expect(err.text()).toContain('events/s');
    const quiet = sink(false);
    new Terminal(sink(false).stream, quiet.stream).interactiveNotice('summary');
    expect(quiet.text()).toBe('');
  });
});

describe('export failures by reason', () => {
  it('are counted per reason, at most MAX_REASONS distinct ones (the rest as "other")', async () => {
    let n = 0;
    const failing: SpanExporterLike = {
      export: (_req, done) => done({ code: ExportResultCode.FAILED, error: new Error(`failure ${n++}`) }),
      shutdown: async () => undefined,
    };
    const exp = new OtlpHttpExporter(CLOCK, {
      exporter: failing,
      maxBatchSpans: 1,
      maxInFlight: 1,
      scheduledDelayMs: 0,
      initialBackoffMs: 0,
      maxBackoffMs: 0,
    });
    for (let i = 0; i < 2 * MAX_REASONS; i++) exp.export(exportSpan(i), EXPORT_PROC);
    // each attempt fails with a message of its own; retries go on until there are twice as many as reasons kept
    for (let tries = 0; exp.stats().failedAttempts < 2 * MAX_REASONS && tries < 1000; tries++)
      await new Promise((r) => setTimeout(r, 10));
    await exp.abandon('test over');
    const st = exp.stats();
    const failures = st.failures!;
    expect(Object.keys(failures)).toHaveLength(MAX_REASONS);
    expect(failures['failure 0']).toBe(1);
    expect(failures.other).toBeGreaterThan(0);
    expect(Object.values(failures).reduce((a, b) => a + b, 0)).toBe(st.failedAttempts);
  });
});

describe('--metrics-address and --log-format options', () => {
  it('--metrics-address is off for run and attach unless given, and read as host and port', () => {
    expect(parseCommandLine(['run', '--', 'true'], {}).options.metricsAddress).toBeUndefined();
    expect(parseCommandLine(['attach', '--pid', '1', '--metrics-address', '[::]:0'], {}).options.metricsAddress).toEqual(
      { host: '::', port: 0 },
    );
    expect(() => parseCommandLine(['replay', '--metrics-address', '127.0.0.1:1', 'f'], {})).toThrow(
      '--metrics-address does not apply to `nullspan replay`.',
    );
    expect(parseCommandLine(['run', '--', 'true'], {}).options.logFormat).toBe('text');
    expect(parseCommandLine(['ui', '--log-format', 'json'], {}).options.logFormat).toBe('json');
  });

  it("a command's own default wins over the option's default, for that command only", () => {
    const spec: OptionSpec = {
      name: 'x',
      type: 'address',
      default: '127.0.0.1:1',
      commandDefaults: { attach: '127.0.0.1:2' },
      commands: ['run', 'attach'],
      help: '',
    };
    expect(defaultFor(spec, 'attach')).toBe('127.0.0.1:2');
    expect(defaultFor(spec, 'run')).toBe('127.0.0.1:1');
    expect(defaultFor(spec, undefined)).toBe('127.0.0.1:1');
    expect(defaultFor({ ...spec, default: undefined }, 'run')).toBeUndefined();
  });
});
