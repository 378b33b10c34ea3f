// Text that reaches a terminal from traced processes (marker names and attributes, paths, executables in probe
// notices) is hostile: it must never move the cursor, recolor the terminal or reorder what is shown.

/** Escapes C0/C1 control characters (ESC sequences included) and bidirectional overrides/isolates/marks. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
