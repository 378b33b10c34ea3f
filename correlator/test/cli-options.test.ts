// The options table drives the parser, --help and the README's options section; these tests hold the three
// together and check how the command line is read.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { helpText, OPTIONS, optionsMarkdown, parseCommandLine } from '../src/cli/options.js';
import { UsageError } from '../src/cli/errors.js';
import { openProbe, probeOptions } from '../src/cli/live.js';
import { DEFAULT_MAX_SPANS, DEFAULT_MAX_SYSCALLS, DEFAULT_MAX_TEXT_BYTES } from '../src/ui/store.js';
// the probe's package entry does not export its defaults yet; the table must still agree with them
import { RING_SIZE_DEFAULT, SNAP_LEN_DEFAULT } from '../../probe/src/options.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

describe('nullspan options table', () => {
  it('--help mentions every option, its alias, default and environment variable', () => {
    const help = helpText('0.0.0').replace(/\s+/g, ' ');
    for (const o of OPTIONS) {
      expect(help).toContain(`--${o.name}`);
      if (o.alias) expect(help).toContain(`-${o.alias}, --${o.name}`);
      if (o.default) expect(help).toContain(`default: ${o.default}`);
      if (o.env) expect(help).toContain(`env: ${o.env}`);
    }
    for (const cmd of ['nullspan run', 'nullspan attach', 'nullspan agent', 'nullspan replay', 'nullspan ui'])
      expect(help).toContain(cmd);
  });

  it('the Markdown table has one row per option', () => {
    const md = optionsMarkdown();
    const rows = md.split('\n').filter((l) => l.startsWith('| `--'));
    expect(rows).toHaveLength(OPTIONS.filter((o) => o.name !== 'markdown').length);
    expect(md).toContain('| `--endpoint URL` | `http://localhost:4318` | `OTEL_EXPORTER_OTLP_ENDPOINT` |');
  });

  it('README.md carries exactly the generated options block', () => {
    const readme = readFileSync(README, 'utf8');
    const m = /<!-- cli-options:start -->\n([\s\S]*?)<!-- cli-options:end -->/.exec(readme);
    expect(
      m,
      'README.md needs the block printed by `node correlator/dist/cli/main.js --help --markdown` between ' +
        '<!-- cli-options:start --> and <!-- cli-options:end --> lines',
    ).not.toBeNull();
    expect(m![1]).toBe(optionsMarkdown());
  });
});

describe('parseCommandLine', () => {
  it('reads run options up to `--` and the command after it', () => {
    const cl = parseCommandLine(
      ['run', '--print', '-o', 'out.jsonl', '--min-duration', '2ms', '--', 'node', 'x.js', '--inspect'],
      {},
    );
    expect(cl.command).toBe('run');
    expect(cl.argv).toEqual(['node', 'x.js', '--inspect']);
    expect(cl.options.print).toBe(true);
    expect(cl.options.otlpFile).toBe('out.jsonl');
    expect(cl.options.minDuration).toBe(2_000_000);
  });

  it('also takes the command at the first non-option argument, like strace', () => {
    const cl = parseCommandLine(['run', '--snaplen', '512', 'ls', '-l'], {});
    expect(cl.argv).toEqual(['ls', '-l']);
    expect(cl.options.snaplen).toBe(512);
  });

  it('applies defaults, environment variables and explicit values in that order of precedence', () => {
    expect(parseCommandLine(['replay', 'f'], {}).options.endpoint).toBe('http://localhost:4318');
    expect(parseCommandLine(['replay', 'f'], {}).options.given.has('endpoint')).toBe(false);
    expect(parseCommandLine(['replay', 'f'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).options.endpoint).toBe(
      'http://c:4318',
    );
    const explicit = parseCommandLine(['replay', '--endpoint', 'http://d:1', 'f'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    });
    expect(explicit.options.endpoint).toBe('http://d:1');
    expect(explicit.options.given.has('endpoint')).toBe(true);
    expect(explicit.file).toBe('f');
  });

  it('parses sizes, durations, lists and repeated pids', () => {
    const cl = parseCommandLine(
      [
        'attach',
        '--pid',
        '10',
        '--pid=20',
        '--ring-size',
        '64M',
        '--syscalls',
        'read,write',
        '--merge-threshold',
        '250us',
      ],
      {},
    );
    expect(cl.options.pid).toEqual([10, 20]);
    expect(cl.options.ringSize).toBe(64 * 1024 * 1024);
    expect(cl.options.syscalls).toEqual(['read', 'write']);
    expect(cl.options.mergeThreshold).toBe(250_000);
    expect(parseCommandLine(['attach', '--syscalls', 'all'], {}).options.syscalls).toBe('all');
    expect(parseCommandLine(['attach'], {}).options.syscalls).toBe('all');
  });

  it.each([
    [['run', '--bogus', '--', 'ls'], /unknown option --bogus/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['run', '--snaplen', 'big', '--', 'ls'], /--snaplen expects a size/],
    [['run', '--min-duration', 'soon', '--', 'ls'], /--min-duration expects a duration/],
    [['run', '--markers', 'some', '--', 'ls'], /--markers expects one of traced, all/],
    [['attach', '--pid', 'x'], /--pid expects a positive integer/],
    [['attach', '--pid', '0'], /--pid expects a positive integer, got "0"/],
    [['run', '--max-open-spans', '0', '--', 'ls'], /--max-open-spans expects a positive integer, got "0"/],
    [['replay', '--max-export-queue-bytes', '0', 'f'], /--max-export-queue-bytes expects a positive size, got "0"/],
    [
      ['run', '--min-duration', '-5ms', '--', 'ls'],
      /--min-duration expects a non-negative duration such as 500us, 2ms or 1s, got "-5ms"/,
    ],
    [['run', '--otlp-file', '-x', '--', 'ls'], /option --otlp-file needs a value \(write --otlp-file=VALUE/],
    [['replay', '--pid', '1', 'f'], /--pid does not apply to `nullspan replay`/],
    [['replay', 'a', 'b'], /takes one file/],
    [['attach', 'extra'], /unexpected argument "extra"/],
    [['run', '--otlp-file'], /needs a value/],
    [['ui', '--port', '70000'], /--port expects an integer from 0 to 65535, got "70000"/],
    [['ui', '--ui-max-spans', '0'], /--ui-max-spans expects a positive integer, got "0"/],
    [['ui', '--ui-max-text-bytes', '0K'], /--ui-max-text-bytes expects a positive size, got "0K"/],
    [['run', '--ui-max-syscalls=-1', '--', 'ls'], /--ui-max-syscalls expects a positive integer, got "-1"/],
  ])('rejects %j with one sentence', (args, message) => {
    let error: unknown;
    try {
      parseCommandLine(args as string[], {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('options the CLI hands on', () => {
  it("--snaplen and --ring-size default to the probe's own defaults", () => {
    const o = parseCommandLine(['attach'], {}).options;
    expect(o.snaplen).toBe(SNAP_LEN_DEFAULT);
    expect(o.ringSize).toBe(RING_SIZE_DEFAULT);
  });

  it("a --ring-size outside the probe's limits is a usage error in CLI terms, from the probe's one check", async () => {
    const mod = await import('@nullspan/probe');
    for (const ring of ['3M', '2K', '2G']) {
      const { options } = parseCommandLine(['attach', '--ring-size', ring], {});
      let error: unknown;
      try {
        openProbe(mod, probeOptions(options, [])).close();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(
        `--ring-size must be a power of two from 4096 to 1073741824 bytes, not ${options.ringSize}.`,
      );
    }
  });

  it("--ui-max-spans / --ui-max-syscalls / --ui-max-text-bytes default to the web UI store's bounds", () => {
    const o = parseCommandLine(['ui'], {}).options;
    expect([o.uiMaxSpans, o.uiMaxSyscalls, o.uiMaxTextBytes]).toEqual([
      DEFAULT_MAX_SPANS,
      DEFAULT_MAX_SYSCALLS,
      DEFAULT_MAX_TEXT_BYTES,
    ]);
    const args = [
      'replay',
      '--ui',
      '--ui-max-spans',
      '100',
      '--ui-max-syscalls',
      '2000',
      '--ui-max-text-bytes',
      '8M',
      'f',
    ];
    const given = parseCommandLine(args, {}).options;
    expect([given.uiMaxSpans, given.uiMaxSyscalls, given.uiMaxTextBytes]).toEqual([100, 2000, 8 << 20]);
  });
});
