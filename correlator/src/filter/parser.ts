// Filter expressions → a tree of terms joined by and/or/not. A hand-written scanner over the text: every error
// knows its position. Nesting (parentheses, `not`) is bounded, so the recursion is bounded too.

import { columnAt, FilterSyntaxError, quoted } from './errors.js';
import {
  ATTRIBUTE_PREFIX,
  fieldSpec,
  FIELD_NAMES,
  listText,
  OperatorError,
  OPERATORS,
  type Operator,
  type TermTest,
  ValueError,
} from './fields.js';

export type FilterNode =
  | { kind: 'term'; term: TermTest }
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode };

/** Longest expression accepted, in string characters. */
export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting of parentheses and `not`. */
export const MAX_DEPTH = 32;

const EXAMPLE = 'service=api dur>50ms';

/** The tree of `text`, or null for an expression with no terms (every span matches). */
export function parseExpression(text: string): FilterNode | null {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new FilterSyntaxError(
      `The filter is longer than ${MAX_FILTER_LENGTH} characters.`,
      columnAt(text, MAX_FILTER_LENGTH),
    );
  }
  const parser = new Parser(text);
  parser.skipSpace();
  if (parser.atEnd()) return null;
  const node = parser.orExpression(0);
  parser.skipSpace();
  if (!parser.atEnd()) throw parser.error(`Unmatched ')': no '(' before it.`);
  return node;
}

const SPACE = /\s/;
/** Characters that end a field name or a bare value. */
const FIELD_END = /[\s()"=!~<>]/;
const VALUE_END = /[\s()]/;

class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.i >= this.text.length;
  }

  skipSpace(): void {
    while (this.i < this.text.length && SPACE.test(this.text[this.i])) this.i++;
  }

  error(message: string, at = this.i): FilterSyntaxError {
    return new FilterSyntaxError(message, columnAt(this.text, at));
  }

  /** `a or b or c`: and-groups separated by `or`. */
  orExpression(depth: number): FilterNode {
    const items = [this.andExpression(depth)];
    while (this.keyword('or')) {
      const at = this.i;
      this.i += 2;
      this.skipSpace();
      if (this.atEnd() || this.text[this.i] === ')' || this.keyword('or'))
        throw this.error(`'or' needs a term on its right, such as ${EXAMPLE}.`, at);
      items.push(this.andExpression(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  /** `a b and c`: terms side by side (or joined by `and`) all have to match. */
  private andExpression(depth: number): FilterNode {
    const items: FilterNode[] = [];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.text[this.i] === ')' || this.keyword('or')) break;
      if (this.keyword('and')) {
        const at = this.i;
        this.i += 3;
        this.skipSpace();
        if (
          items.length === 0 ||
          this.atEnd() ||
          this.text[this.i] === ')' ||
          this.keyword('or') ||
          this.keyword('and')
        )
          throw this.error(`'and' needs a term on each side, such as ${EXAMPLE}.`, at);
        continue;
      }
      items.push(this.unary(depth));
    }
    if (items.length === 0) {
      if (this.keyword('or')) throw this.error(`'or' needs a term on its left, such as ${EXAMPLE}.`);
      throw this.error(
        this.atEnd() ? `Expected a term such as ${EXAMPLE} here.` : `Expected a term such as ${EXAMPLE} before ')'.`,
      );
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  /** `not X`, `( ... )` or a term. */
  private unary(depth: number): FilterNode {
    if (depth >= MAX_DEPTH) throw this.error(`Parentheses and 'not' nest deeper than ${MAX_DEPTH} levels.`);
    if (this.keyword('not')) {
      this.i += 3;
      this.skipSpace();
      if (this.atEnd() || this.text[this.i] === ')' || this.keyword('or') || this.keyword('and'))
        throw this.error(`'not' needs a term after it, such as not status=error.`);
      return { kind: 'not', item: this.unary(depth + 1) };
    }
    if (this.text[this.i] === '(') {
      const open = this.i++;
      const inner = this.orExpression(depth + 1);
      if (this.text[this.i] !== ')') throw this.error(`The '(' here has no matching ')'.`, open);
      this.i++;
      return inner;
    }
    return { kind: 'term', term: this.term() };
  }

  /** `field op value`. */
  private term(): TermTest {
    const fieldAt = this.i;
    while (this.i < this.text.length && !FIELD_END.test(this.text[this.i])) this.i++;
    const field = this.text.slice(fieldAt, this.i);
    if (field === '') {
      throw this.error(
        this.text[this.i] === '"'
          ? `Expected a field before the quoted value, such as name="GET /users/:id".`
          : `Expected a field such as name, service or dur before ${quoted(this.text[this.i])}.`,
      );
    }
    const spec = fieldSpec(field);
    if (!spec) {
      const hint = field.includes('.') ? `; an attribute is written ${ATTRIBUTE_PREFIX}KEY, such as attr.${field}` : '';
      throw this.error(`Unknown field ${quoted(field)}${hint}; the fields are ${listText(FIELD_NAMES)}.`, fieldAt);
    }
    const opAt = this.i;
    const op = OPERATORS.find((o) => this.text.startsWith(o, this.i));
    if (!op) {
      throw this.error(
        `Expected an operator (${OPERATORS.join(' ')}) after ${quoted(field)}, such as ${field}=VALUE.`,
        opAt,
      );
    }
    if (!spec.ops.includes(op)) throw this.error(`${quoted(field)} takes ${listText(spec.ops)}, not '${op}'.`, opAt);
    this.i += op.length;
    const valueAt = this.i;
    const value = this.value(op);
    try {
      return spec.compile(op as Operator, value);
    } catch (err) {
      if (err instanceof ValueError) throw this.error(err.message, valueAt);
      if (err instanceof OperatorError) throw this.error(err.message, opAt);
      throw err;
    }
  }

  /** A bare value (up to a space or parenthesis) or a double-quoted one with `\"` and `\\` escapes. */
  private value(op: string): string {
    const at = this.i;
    if (this.text[this.i] !== '"') {
      while (this.i < this.text.length && !VALUE_END.test(this.text[this.i])) {
        if (this.text[this.i] === '"')
          throw this.error(`A quote can only start a value; quote the whole value, such as name="a b".`);
        this.i++;
      }
      if (this.i === at) throw this.error(`Expected a value after '${op}' (write "" for an empty one).`);
      return this.text.slice(at, this.i);
    }
    let out = '';
    for (this.i++; ; this.i++) {
      if (this.atEnd()) throw this.error(`The quoted value starting here has no closing '"'.`, at);
      const c = this.text[this.i];
      if (c === '"') break;
      if (c === '\\') {
        const next = this.text[this.i + 1];
        if (next !== '"' && next !== '\\')
          throw this.error(`Only \\" and \\\\ are escapes in a quoted value; write \\\\ for a backslash.`);
        out += next;
        this.i++;
      } else out += c;
    }
    this.i++;
    if (!this.atEnd() && !VALUE_END.test(this.text[this.i]))
      throw this.error(`Expected a space or ')' after the quoted value.`);
    return out;
  }

  /** Whether `word` (any case) starts here as a whole word. */
  private keyword(word: string): boolean {
    if (this.text.slice(this.i, this.i + word.length).toLowerCase() !== word) return false;
    const after = this.text[this.i + word.length];
    return after === undefined || SPACE.test(after) || after === '(' || after === ')';
  }
}
