// Filter expressions shared by the web UI and the CLI: `service=api dur>50ms syscall.name=fsync path~/var/lib`.
// The grammar is documented in FILTER.md.

import { compileSpan, usesSyscalls } from './compile.js';
import { parseExpression } from './parser.js';
import type { FilterSubject } from './subject.js';

export { FilterSyntaxError } from './errors.js';
export { MAX_DEPTH, MAX_FILTER_LENGTH } from './parser.js';
export { subjectOf, type FilterSubject, type SyscallSubject } from './subject.js';

export interface SpanPredicate {
  /** the expression as given */
  readonly text: string;
  /** it has syscall terms: a holder of spans can skip preparing calls when it does not */
  readonly usesSyscalls: boolean;
  test(s: FilterSubject): boolean;
}

/** Compiles `text`; throws FilterSyntaxError. An empty expression matches every span. */
export function parseFilter(text: string): SpanPredicate {
  const node = parseExpression(text);
  if (node === null) return { text, usesSyscalls: false, test: () => true };
  return { text, usesSyscalls: usesSyscalls(node), test: compileSpan(node) };
}
