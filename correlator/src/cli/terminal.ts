// What nullspan writes to the terminal besides its results: a live status line on stderr (only when stderr is a
// terminal and notices are text) and one-line notices (log.ts). Output that goes to stdout while the status line is shown first erases it, so
// the two never garble each other when both are the same terminal.

import { lossText, type LossCounts } from './losses.js';
import { logLine, type LogFields, type LogFormat, type LogLevel } from './log.js';

export interface StatusFigures {
  events: number;
  /** selected syscalls the kernel left unrecorded because no output uses them (live only) */
  skipped?: number;
  spans: number;
  losses: LossCounts;
  /** tail sampling's kept and dropped traces, when it is on */
  tailSampling?: string;
}

export class Terminal {
  /** the reader of stdout went away (`nullspan run --print ... | head`): stop printing, keep tracing */
  private stdoutClosed = false;
  private statusShown = false;
  private timer?: NodeJS.Timeout;
  private last?: { at: number; events: number };
  private lastText = '';

  constructor(
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
    private readonly logFormat: LogFormat = 'text',
  ) {
    // EPIPE and friends arrive as 'error' events; unhandled, they would end nullspan with a stack trace and
    // lose the outputs that do not depend on the terminal (the OTLP file, the endpoint, the capture).
    stdout.on('error', () => {
      this.stdoutClosed = true;
    });
    stderr.on('error', () => undefined);
  }

  /** Starts refreshing the status line from `figures` twice a second, when stderr is a terminal. */
  startStatus(figures: () => StatusFigures): void {
    // JSON lines are read by programs: a line redrawn in place would only garble them
    if (!this.stderr.isTTY || this.logFormat === 'json') return;
    const refresh = () => {
      const f = figures();
      const now = Date.now();
      const rate = this.last && now > this.last.at ? ((f.events - this.last.events) * 1000) / (now - this.last.at) : 0;
      this.last = { at: now, events: f.events };
      const skipped = f.skipped ? `  ${f.skipped} skipped` : '';
      this.lastText = `nullspan: ${formatRate(rate)} events/s  ${f.events} events${skipped}  ${f.spans} spans  ${lossText(f.losses)}${f.tailSampling ? `  ${f.tailSampling}` : ''}`;
      this.drawStatus();
    };
    this.timer = setInterval(refresh, 500);
    this.timer.unref();
    refresh(); // drawn at once: the line is only drawn while the timer is set
  }

  stopStatus(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.eraseStatus();
    this.lastText = '';
  }

  /** Writes results (the span tree) to stdout. */
  out(text: string): void {
    if (this.stdoutClosed) return;
    this.eraseStatus();
    this.stdout.write(text);
    this.drawStatus();
  }

  /** A one-line notice on stderr. Notices quote traced processes (executable paths), so they are sanitized. */
  notice(text: string, fields?: LogFields, level: LogLevel = 'info'): void {
    this.eraseStatus();
    this.stderr.write(logLine(this.logFormat, level, text, fields));
    this.drawStatus();
  }

  /** Something was lost or could not be done: a notice at level warn. */
  warn(text: string, fields?: LogFields): void {
    this.notice(text, fields, 'warn');
  }

  /** A notice only an interactive user needs (a summary at exit); scripts reading text from stderr do not get
   * it, log shippers reading JSON lines do. */
  interactiveNotice(text: string, fields?: LogFields): void {
    if (this.stderr.isTTY || this.logFormat === 'json') this.notice(text, fields);
  }

  private drawStatus(): void {
    if (!this.lastText || !this.timer) return;
    const width = this.stderr.columns || 100;
    this.stderr.write(`\r\x1b[K${this.lastText.slice(0, width - 1)}`);
    this.statusShown = true;
  }

  private eraseStatus(): void {
    if (!this.statusShown) return;
    this.stderr.write('\r\x1b[K');
    this.statusShown = false;
  }
}

function formatRate(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(1)}M`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)}k`;
  return `${Math.round(rate)}`;
}
