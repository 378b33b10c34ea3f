#!/usr/bin/env node
// `nullspan`: parses the command line, runs the command, and turns any failure into one sentence on stderr and a
// non-zero exit code (set NULLSPAN_DEBUG=1 to also see the stack).

import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { describeError, UsageError } from './errors.js';
import { logFormatInArgs, logLine, processLogFormat, setProcessLogFormat } from './log.js';
import { assertDistinctFiles, assertReadableFile, assertWritableFile, type NamedFile } from './output-paths.js';
import { helpText, optionsMarkdown, parseCommandLine, type ParsedCommandLine } from './options.js';
import { otlpProtocolProblem } from '../export/protocol.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

async function dispatch(cl: ParsedCommandLine): Promise<number> {
  switch (cl.command) {
    case 'run':
      return (await import('./run.js')).runCommand(cl.argv, cl.options);
    case 'attach':
      return (await import('./attach.js')).attachCommand(cl.options);
    case 'agent':
      return (await import('./agent.js')).agentCommand(cl.options);
    case 'replay':
      if (!cl.file) throw new UsageError('`nullspan replay` needs the capture FILE to read.');
      return (await import('./replay.js')).replayCommand(cl.file, cl.options);
    case 'ui':
      return (await import('./ui.js')).uiCommand(cl.file, cl.options);
    default:
      throw new UsageError(
        'missing command: use `nullspan run -- COMMAND`, `attach --pid PID`, `agent`, `replay FILE` or `ui`; see `nullspan --help`.',
      );
  }
}

/** `pnpm nullspan ...` runs in the workspace root; relative paths the user typed are meant from where they were. */
function restoreInvocationDirectory(): void {
  const initCwd = process.env.INIT_CWD;
  if (process.env.npm_lifecycle_event !== 'nullspan' || !initCwd || initCwd === process.cwd()) return;
  try {
    if (statSync(initCwd).isDirectory()) process.chdir(initCwd);
  } catch {
    // stay where we are
  }
}

/** Every file the command line names: the outputs, and the capture replay and ui read. */
function namedFiles(cl: ParsedCommandLine): NamedFile[] {
  const files: NamedFile[] = [];
  if (cl.file) files.push({ role: 'the capture', path: cl.file, writes: false });
  if (cl.options.write) files.push({ role: '--write', path: cl.options.write, writes: true });
  if (cl.options.otlpFile) files.push({ role: '--otlp-file', path: cl.options.otlpFile, writes: true });
  if (cl.options.summaryFile) files.push({ role: '--summary-file', path: cl.options.summaryFile, writes: true });
  if (cl.options.otlpMetricsFile)
    files.push({ role: '--otlp-metrics-file', path: cl.options.otlpMetricsFile, writes: true });
  return files;
}

export async function main(args: string[]): Promise<number> {
  // until the command line is parsed (a failure to parse it is logged too), as far as the raw arguments tell
  setProcessLogFormat(logFormatInArgs(args));
  const cl = parseCommandLine(args);
  setProcessLogFormat(cl.options.logFormat);
  if (cl.options.help) {
    process.stdout.write(cl.options.markdown ? optionsMarkdown() : helpText(version));
    return 0;
  }
  if (cl.options.version) {
    process.stdout.write(`nullspan ${version}\n`);
    return 0;
  }
  restoreInvocationDirectory();
  if (cl.file) assertReadableFile(cl.file, 'the capture');
  assertDistinctFiles(namedFiles(cl));
  if (cl.options.otlpFile) assertWritableFile(cl.options.otlpFile, '--otlp-file');
  if (cl.options.write) assertWritableFile(cl.options.write, '--write');
  if (cl.options.summaryFile) assertWritableFile(cl.options.summaryFile, '--summary-file');
  if (cl.options.otlpMetricsFile) assertWritableFile(cl.options.otlpMetricsFile, '--otlp-metrics-file');
  // before any command starts: the exporter is built once it runs (`ui` exports nothing)
  const protocolProblem =
    cl.command === 'ui' || cl.options.noOtlp
      ? undefined
      : (otlpProtocolProblem() ?? (cl.options.noMetrics ? undefined : otlpProtocolProblem(process.env, 'METRICS')));
  if (protocolProblem) throw new UsageError(protocolProblem);
  return dispatch(cl);
}

// Exit explicitly once the command is done: every output has been flushed by then, and a lingering handle
// (a keep-alive socket, a retry timer of an endpoint that never answered) must not keep nullspan running. What
// stdout/stderr still queue is written first: a pipe whose reader is slower than nullspan (`| less`, `| wc`) takes
// 64 KiB at a time, and process.exit would drop the rest.
const args = process.argv.slice(2);
main(args).then(
  (code) => exitAfterOutput(code),
  (err: unknown) => {
    const { message, exitCode, detail = [], fields } = describeError(err);
    process.stderr.write(logLine(processLogFormat(), 'error', message, { ...fields, exitCode }));
    if (processLogFormat() === 'text') for (const line of detail) process.stderr.write(`  ${line}\n`);
    if (process.env.NULLSPAN_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    exitAfterOutput(exitCode);
  },
);

function exitAfterOutput(code: number): void {
  void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit(code));
}

/** Resolves once everything written to `stream` so far has reached the kernel (or the reader is gone). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}
