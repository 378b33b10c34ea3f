// The one error a filter expression can raise: a sentence for people and the column it is about, so the UI can
// point into its input and the CLI can draw a caret under the expression.

export class FilterSyntaxError extends Error {
  /**
   * @param message one sentence
   * @param column 1-based, in characters (code points) of the expression
   */
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

/** The 1-based character column of a string index: characters outside the BMP are one column, not two. */
export function columnAt(text: string, index: number): number {
  let column = 1;
  for (let i = 0; i < index && i < text.length; i++) {
    const code = text.charCodeAt(i);
    // the high half of a surrogate pair starts a character; its low half does not
    if (code < 0xdc00 || code > 0xdfff || i === 0 || !isHighSurrogate(text.charCodeAt(i - 1))) column++;
  }
  return column;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A piece of the user's expression echoed in a message: short and without control characters. */
export function quoted(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return `'${clean.length > 40 ? `${clean.slice(0, 40)}…` : clean}'`;
}
