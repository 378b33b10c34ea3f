// Text that reaches a terminal from traced processes (marker names and attributes, paths, executables in probe
// notices) is hostile: it must never move the cursor, recolor the terminal or reorder what is shown.

/** Characters of one text shown at most: escaping can quadruple a string, and a line longer than this is
 *  unreadable anyway; the rest is summarized by its length. */
export const MAX_SHOWN_CHARS = 16_384;

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Escapes C0/C1 control characters (ESC sequences included) and bidirectional overrides/isolates/marks; text
 *  beyond MAX_SHOWN_CHARS is replaced by a count. */
export function sanitize(text: string): string {
  const shown = text.length > MAX_SHOWN_CHARS ? text.slice(0, MAX_SHOWN_CHARS) : text;
  const escaped = shown.replace(UNSAFE, escapeChar);
  return shown === text ? escaped : `${escaped}… (${text.length - MAX_SHOWN_CHARS} more characters)`;
}

function escapeChar(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  const code = c.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}
