// The fields a filter term can name, the operators each takes and how a term's value is read and compared. A
// term becomes a test on a span or on one of its system calls; parser.ts decides where in the expression it sits.

import type { ArgValue } from '../model.js';
import type { FilterSubject, SyscallSubject } from './subject.js';

export const OPERATORS = ['!=', '!~', '<=', '>=', '=', '~', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

export type SpanTest = (s: FilterSubject) => boolean;
export type CallTest = (c: SyscallSubject) => boolean;

/** A compiled term: a test on the span, or on one system call of it. */
export type TermTest = { level: 'span'; test: SpanTest } | { level: 'call'; test: CallTest };

/** A value that does not fit its field; the parser turns it into a FilterSyntaxError at the value's column. */
export class ValueError extends Error {}
/** An operator the field does not take; reported at the operator's column. */
export class OperatorError extends Error {}

const TEXT_OPS: readonly Operator[] = ['=', '!=', '~', '!~'];
const CHOICE_OPS: readonly Operator[] = ['=', '!='];
const ORDER_OPS: readonly Operator[] = ['=', '!=', '<', '<=', '>', '>='];

const KINDS = ['server', 'client', 'internal', 'producer', 'consumer'] as const;
const STATUSES = ['ok', 'error', 'unset'] as const;
const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

interface FieldSpec {
  ops: readonly Operator[];
  compile(op: Operator, value: string): TermTest;
}

function span(test: SpanTest): TermTest {
  return { level: 'span', test };
}

function call(test: CallTest): TermTest {
  return { level: 'call', test };
}

/** Fields by name; `attr.KEY` is handled apart (its key is free text). */
const FIELDS: Record<string, FieldSpec> = {
  name: { ops: TEXT_OPS, compile: (op, v) => textField(op, v, (t) => span((s) => t(s.name))) },
  service: { ops: TEXT_OPS, compile: (op, v) => textField(op, v, (t) => span((s) => t(s.service))) },
  kind: { ops: CHOICE_OPS, compile: (op, v) => choiceField(op, v, 'kind', KINDS, (t) => span((s) => t(s.kind))) },
  status: {
    ops: CHOICE_OPS,
    compile: (op, v) => choiceField(op, v, 'status', STATUSES, (t) => span((s) => t(s.status))),
  },
  dur: { ops: ORDER_OPS, compile: (op, v) => numberField(op, duration(v, 'dur'), (t) => span((s) => t(s.durationNs))) },
  pid: { ops: ORDER_OPS, compile: (op, v) => numberField(op, wholeNumber(v, 'pid'), (t) => span((s) => t(s.pid))) },
  'syscall.name': { ops: TEXT_OPS, compile: (op, v) => textField(op, v, (t) => call((c) => t(c.name))) },
  'syscall.dur': {
    ops: ORDER_OPS,
    compile: (op, v) => numberField(op, duration(v, 'syscall.dur'), (t) => call((c) => t(c.durationNs))),
  },
  // the call's path, or its target (socket tuple, pipe) when it has no path
  path: { ops: TEXT_OPS, compile: (op, v) => textField(op, v, (t) => call((c) => t(c.path) || t(c.target))) },
  peer: { ops: TEXT_OPS, compile: (op, v) => textField(op, v, (t) => call((c) => t(c.peer))) },
  // errno names are upper case; any case is accepted
  errno: { ops: TEXT_OPS, compile: (op, v) => textField(op, v.toUpperCase(), (t) => call((c) => t(c.errno))) },
};

export const FIELD_NAMES = [...Object.keys(FIELDS), 'attr.KEY'];
export const ATTRIBUTE_PREFIX = 'attr.';

/** The field's spec, or undefined for a name no field has. */
export function fieldSpec(name: string): FieldSpec | undefined {
  if (name.startsWith(ATTRIBUTE_PREFIX) && name.length > ATTRIBUTE_PREFIX.length) {
    const key = name.slice(ATTRIBUTE_PREFIX.length);
    return { ops: ORDER_OPS.concat('~', '!~'), compile: (op, v) => attributeTerm(key, op, v) };
  }
  return Object.hasOwn(FIELDS, name) ? FIELDS[name] : undefined;
}

/** `!=` and `!~` are exactly `not` of `=` and `~`: a value that is absent matches them. */
function negated(op: Operator): boolean {
  return op === '!=' || op === '!~';
}

/** `=` is exact and case-sensitive, `~` a case-insensitive substring; an absent value matches neither. */
function textField(op: Operator, value: string, make: (t: (x: string | undefined) => boolean) => TermTest): TermTest {
  const needle = value.toLowerCase();
  const positive =
    op === '=' || op === '!='
      ? (x: string | undefined) => x === value
      : (x: string | undefined) => x?.toLowerCase().includes(needle) === true;
  const term = make(positive);
  return negated(op) ? negate(term) : term;
}

/** Negates the whole term (for `path`, which looks at two values, `!=` means neither is equal). */
function negate(term: TermTest): TermTest {
  if (term.level === 'span') {
    const t = term.test;
    return span((s) => !t(s));
  }
  const t = term.test;
  return call((c) => !t(c));
}

function choiceField(
  op: Operator,
  value: string,
  field: string,
  choices: readonly string[],
  make: (t: (x: string) => boolean) => TermTest,
): TermTest {
  const v = value.toLowerCase();
  if (!choices.includes(v)) throw new ValueError(`'${field}' is one of ${listText(choices)}.`);
  return make(op === '=' ? (x) => x === v : (x) => x !== v);
}

function numberField(op: Operator, value: number, make: (t: (x: number) => boolean) => TermTest): TermTest {
  return make(compare(op, value));
}

function compare(op: Operator, value: number): (x: number) => boolean {
  switch (op) {
    case '=':
      return (x) => x === value;
    case '!=':
      return (x) => x !== value;
    case '<':
      return (x) => x < value;
    case '<=':
      return (x) => x <= value;
    case '>':
      return (x) => x > value;
    case '>=':
      return (x) => x >= value;
    default:
      throw new OperatorError(`'${op}' does not compare numbers.`);
  }
}

/**
 * An attribute: numbers compare numerically when both sides are numbers (typed marker args are numbers; a text
 * value that is a decimal number counts as one), anything else compares as text. `<`, `<=`, `>`, `>=` need a
 * number and match only numeric values.
 */
function attributeTerm(key: string, op: Operator, value: string): TermTest {
  const wanted = numeric(value);
  const get = (s: FilterSubject) => s.attribute(key);
  if (op === '~' || op === '!~') return textField(op, value, (t) => span((s) => t(textOf(get(s)))));
  if (op === '=' || op === '!=') {
    const equal = (x: ArgValue | undefined) =>
      x !== undefined && (typeof x === 'number' && wanted !== undefined ? x === wanted : String(x) === value);
    return span(op === '=' ? (s) => equal(get(s)) : (s) => !equal(get(s)));
  }
  if (wanted === undefined) throw new ValueError(`'${op}' compares numbers; give a number such as 200 or 1.5.`);
  const order = compare(op, wanted);
  return span((s) => {
    const x = get(s);
    const n = typeof x === 'number' ? x : typeof x === 'string' ? numeric(x) : undefined;
    return n !== undefined && order(n);
  });
}

function textOf(x: ArgValue | undefined): string | undefined {
  return x === undefined ? undefined : String(x);
}

function numeric(text: string): number | undefined {
  return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? Number(text) : undefined;
}

/** A duration needs its unit: a bare 50 could mean ns (the API) or ms (the command line). */
function duration(value: string, field: string): number {
  const m = /^(\d{1,15}(?:\.\d{1,9})?)(ns|us|µs|ms|s)$/.exec(value);
  if (!m) throw new ValueError(`'${field}' needs a duration with a unit, such as 50ms, 1.5s, 200us or 800ns.`);
  return Number(m[1]) * DURATION_UNITS[m[2]];
}

function wholeNumber(value: string, field: string): number {
  if (!/^\d{1,10}$/.test(value)) throw new ValueError(`'${field}' needs a whole number such as 4242.`);
  return Number(value);
}

export function listText(items: readonly string[]): string {
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
