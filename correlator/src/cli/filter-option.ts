// `--filter EXPR` on the command line: the expression compiled once, or a usage error that says where it is wrong
// with the expression and a caret under the column (the grammar: ../filter/FILTER.md).

import { FilterSyntaxError, parseFilter, type SpanPredicate } from '../filter/index.js';
import { UsageError } from './errors.js';

/** Characters of the expression shown around the column when it is too long for one line. */
const SHOWN_BEFORE = 50;
const SHOWN_AFTER = 30;

/** The predicate of `text`, or undefined when it selects everything (empty). */
export function filterOption(text: string): SpanPredicate | undefined {
  try {
    const predicate = parseFilter(text);
    return text.trim() === '' ? undefined : predicate;
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err;
    const usage = new UsageError(`--filter: ${err.message.replace(/\.$/, '')} (at column ${err.column}).`);
    usage.detail = caretLines(text, err.column);
    usage.fields = { column: err.column };
    throw usage;
  }
}

/** The expression (a window of it when long) and a caret under `column`, safe to write to a terminal. */
export function caretLines(text: string, column: number): string[] {
  // one printable character per character, so the caret stays under its column
  // eslint-disable-next-line no-control-regex
  const chars = Array.from(text, (c) =>
    /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(c) ? '?' : c,
  );
  const at = Math.min(column - 1, chars.length);
  const from = Math.max(0, at - SHOWN_BEFORE);
  const to = Math.min(chars.length, at + SHOWN_AFTER);
  const head = from > 0 ? '…' : '';
  const line = head + chars.slice(from, to).join('') + (to < chars.length ? '…' : '');
  return [line, `${' '.repeat(head.length + at - from)}^`];
}
