// --summary: every finished span (before tail sampling, so the percentiles are those of all traffic) goes into
// a summary builder; at exit the summary is written to stdout after the last --print tree, or to --summary-file.

import { closeSync, writeSync } from 'node:fs';
import type { ProcessInfo, SpanRecord } from '../model.js';
import { openPrivateFile } from '../private-file.js';
import { SummaryBuilder } from '../summary/builder.js';
import { summaryJson, summaryText } from '../summary/render.js';
import type { CliOptions } from './options.js';
import type { Terminal } from './terminal.js';

export class SummaryOutput {
  private readonly builder = new SummaryBuilder();

  private constructor(
    private readonly format: 'text' | 'json',
    private readonly file: string | undefined,
  ) {}

  /** The output the options ask for, if any. */
  static fromOptions(o: CliOptions): SummaryOutput | undefined {
    if (!o.summary && o.summaryFile === undefined) return undefined;
    return new SummaryOutput(o.summaryFormat, o.summaryFile);
  }

  add(span: SpanRecord, proc: ProcessInfo): void {
    this.builder.add(span, proc);
  }

  write(term: Terminal): void {
    const summary = this.builder.result();
    const text = this.format === 'json' ? summaryJson(summary) : summaryText(summary);
    if (this.file === undefined) {
      term.out(text);
      return;
    }
    try {
      const fd = openPrivateFile(this.file);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      term.warn(`could not write the summary to ${this.file}: ${(err as Error).message}`);
    }
  }
}
