// One line per notice on stderr, as text for people or as JSON for log shippers (journald, Kubernetes): the
// one place that decides how a notice is written.

import { sanitize } from './terminal-text.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogLevel = 'info' | 'warn' | 'error';
/** Figures a notice is about, for JSON lines; keys are chosen by nullspan's code, values may come from traced
 * processes (sanitized like the message). */
export type LogFields = Record<string, string | number | boolean>;

/** The line for one notice, newline included. Text lines carry the message only (it already states the figures). */
export function logLine(format: LogFormat, level: LogLevel, msg: string, fields: LogFields = {}, at = new Date()): string {
  if (format === 'text') return `nullspan: ${sanitize(msg)}\n`;
  const record: Record<string, string | number | boolean> = { time: at.toISOString(), level, msg: sanitize(msg) };
  for (const [key, value] of Object.entries(fields)) {
    if (!(key in record)) record[key] = typeof value === 'string' ? sanitize(value) : value;
  }
  return `${JSON.stringify(record)}\n`;
}

/** `--log-format` as written in raw arguments, for a failure before the command line could be parsed. */
export function logFormatInArgs(args: readonly string[]): LogFormat {
  for (let i = 0; i < args.length && args[i] !== '--'; i++) {
    const value = args[i] === '--log-format' ? args[i + 1] : /^--log-format=(.*)$/.exec(args[i])?.[1];
    if (value === 'json') return 'json';
  }
  return 'text';
}
