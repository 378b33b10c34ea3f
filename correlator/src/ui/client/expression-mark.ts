// Splits a filter expression around the character a parse error points at, so the page can echo the expression
// with that character highlighted. Columns are 1-based code points, as the server counts them (an emoji is one).

export interface MarkedExpression {
  before: string;
  /** the character at the column; empty when the column is past the end (a missing token) */
  at: string;
  after: string;
}

export function markColumn(text: string, column: number): MarkedExpression {
  const chars = Array.from(text);
  const i = Math.min(chars.length, Math.max(0, Math.floor(column) - 1));
  return { before: chars.slice(0, i).join(''), at: chars[i] ?? '', after: chars.slice(i + 1).join('') };
}
