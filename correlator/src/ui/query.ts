// Parsing and validation of the API's query parameters. Every problem becomes a BadRequest with one sentence
// that names the parameter; the app turns it into a 400.

import { FilterSyntaxError, parseFilter as parseExpression } from '../filter/index.js';
import { type SpanScope, SPAN_SCOPES } from './filter-subject.js';
import { DEFAULT_COLUMNS, MAX_COLUMNS, MIN_COLUMNS } from './spectrogram-grid.js';
import type { SpanFilter, WindowQuery } from './store.js';

export class BadRequest extends Error {
  /** the 1-based column in the `filter` expression the message is about */
  constructor(
    message: string,
    readonly column?: number,
  ) {
    super(message);
  }
}

type Params = Record<string, string[]>;

const MAX_TEXT = 1000;
export const MAX_LIMIT = 5000;

/** Rejects parameters the endpoint does not know and parameters given twice, then returns single values. */
export function singleValues(params: Params, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(params)) {
    if (!allowed.includes(name)) {
      throw new BadRequest(
        allowed.length === 0
          ? `Unknown parameter '${printable(name)}'; this endpoint takes no parameters.`
          : `Unknown parameter '${printable(name)}' (expected ${allowed.map((a) => `'${a}'`).join(', ')}).`,
      );
    }
    if (values.length !== 1) throw new BadRequest(`Parameter '${name}' is given more than once.`);
    out[name] = values[0];
  }
  return out;
}

export const FILTER_PARAMS = ['name', 'service', 'pid', 'filter', 'scope'] as const;
const SCOPES: readonly SpanScope[] = ['root', 'server', 'all'];
export const WINDOW_PARAMS = ['from', 'to'] as const;
export const SPANS_PARAMS = [
  ...FILTER_PARAMS,
  ...WINDOW_PARAMS,
  'minDuration',
  'maxDuration',
  'order',
  'limit',
  'syscall',
];
export const SPECTROGRAM_PARAMS = [...FILTER_PARAMS, ...WINDOW_PARAMS, 'syscall', 'columns'];
export const PERCENTILES_PARAMS = [...FILTER_PARAMS, ...WINDOW_PARAMS, 'minDuration', 'maxDuration'];
export const AROUND_PARAMS = [...PERCENTILES_PARAMS, 'span', 'percentile'];

/** A syscall name (`fsync`, `clock_nanosleep`): the spectrogram and span list then show calls, not spans. */
export function parseSyscall(p: Record<string, string>): string | undefined {
  if (p.syscall === undefined || p.syscall === '') return undefined;
  if (!/^[a-z0-9_]{1,40}$/.test(p.syscall))
    throw new BadRequest(`Parameter 'syscall' must be a system call name such as fsync or clock_nanosleep.`);
  return p.syscall;
}

/** The spectrogram's target column count. */
export function parseColumns(p: Record<string, string>): number {
  return p.columns === undefined || p.columns === ''
    ? DEFAULT_COLUMNS
    : integer(p.columns, 'columns', MIN_COLUMNS, MAX_COLUMNS);
}

/** Which spans count (`root`, `server`, `all`); `fallback` when the parameter is absent. */
export function parseScope(p: Record<string, string>, fallback: SpanScope): SpanScope {
  return p.scope === undefined || p.scope === '' ? fallback : parseChoice(p, 'scope', SPAN_SCOPES);
}

/** One of `keys`, for parameters that pick from a fixed list. */
export function parseChoice<T extends string>(p: Record<string, string>, name: string, keys: readonly T[]): T {
  const v = p[name];
  if (v === undefined || !(keys as readonly string[]).includes(v))
    throw new BadRequest(`Parameter '${name}' must be one of ${keys.map((k) => `'${k}'`).join(', ')}.`);
  return v as T;
}

/** A required text parameter (e.g. an exact span name). */
export function requiredText(p: Record<string, string>, name: string): string {
  if (p[name] === undefined || p[name] === '') throw new BadRequest(`Parameter '${name}' is required.`);
  return text(p[name], name);
}

/** `scope` is `root` unless given; with `syscall`, `all`: every call of that name, whichever span made it. */
export function parseFilter(p: Record<string, string>): SpanFilter {
  const filter: SpanFilter = {};
  if (p.name !== undefined && p.name !== '') filter.name = text(p.name, 'name');
  if (p.service !== undefined && p.service !== '') filter.service = text(p.service, 'service');
  if (p.pid !== undefined && p.pid !== '') filter.pid = integer(p.pid, 'pid', 1, 2 ** 31 - 1);
  filter.scope = p.scope === undefined || p.scope === '' ? (parseSyscall(p) ? 'all' : 'root') : scope(p.scope);
  if (p.filter !== undefined && p.filter.trim() !== '') filter.where = expression(p.filter);
  return filter;
}

function scope(value: string): SpanScope {
  if (!(SCOPES as readonly string[]).includes(value))
    throw new BadRequest(`Parameter 'scope' must be one of ${SCOPES.map((s) => `'${s}'`).join(', ')}.`);
  return value as SpanScope;
}

/** The `filter` expression; a syntax error keeps its sentence and column. */
function expression(value: string): NonNullable<SpanFilter['where']> {
  try {
    return parseExpression(value);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new BadRequest(err.message, err.column);
    throw err;
  }
}

export function parseWindow(p: Record<string, string>): { fromUs?: number; toUs?: number } {
  const fromUs = p.from !== undefined && p.from !== '' ? wallTimeUs(p.from, 'from') : undefined;
  const toUs = p.to !== undefined && p.to !== '' ? wallTimeUs(p.to, 'to') : undefined;
  if (fromUs !== undefined && toUs !== undefined && toUs < fromUs) {
    throw new BadRequest(`Parameter 'to' must not be earlier than 'from'.`);
  }
  return { fromUs, toUs };
}

export function parseSpansQuery(p: Record<string, string>): WindowQuery {
  const q: WindowQuery = { ...parseFilter(p), ...parseWindow(p) };
  if (p.minDuration !== undefined && p.minDuration !== '') q.minDurationNs = duration(p.minDuration, 'minDuration');
  if (p.maxDuration !== undefined && p.maxDuration !== '') q.maxDurationNs = duration(p.maxDuration, 'maxDuration');
  if (q.minDurationNs !== undefined && q.maxDurationNs !== undefined && q.maxDurationNs < q.minDurationNs) {
    throw new BadRequest(`Parameter 'maxDuration' must not be smaller than 'minDuration'.`);
  }
  if (p.order !== undefined) {
    if (p.order !== 'slowest' && p.order !== 'newest' && p.order !== 'oldest') {
      throw new BadRequest(`Parameter 'order' must be 'slowest', 'newest' or 'oldest'.`);
    }
    q.order = p.order;
  }
  q.limit = p.limit !== undefined ? integer(p.limit, 'limit', 1, MAX_LIMIT) : 200;
  return q;
}

export function hexId(value: string, name: string, digits: number): string {
  if (!new RegExp(`^[0-9a-f]{${digits}}$`).test(value)) {
    throw new BadRequest(`'${name}' must be ${digits} lower-case hexadecimal digits.`);
  }
  return value;
}

function text(value: string, name: string): string {
  if (value.length > MAX_TEXT) throw new BadRequest(`Parameter '${name}' is longer than ${MAX_TEXT} characters.`);
  return value;
}

function integer(value: string, name: string, min: number, max: number): number {
  if (!/^\d{1,16}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new BadRequest(`Parameter '${name}' must be an integer from ${min} to ${max}.`);
  }
  return Number(value);
}

/** Wall-clock time: milliseconds since the Unix epoch (fractions allowed) or an ISO 8601 date-time. */
function wallTimeUs(value: string, name: string): number {
  if (/^\d{1,16}(\.\d{1,6})?$/.test(value)) return Math.round(Number(value) * 1000);
  if (/^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms * 1000;
  }
  throw new BadRequest(
    `Parameter '${name}' must be milliseconds since the Unix epoch or an ISO 8601 time such as 2026-01-31T12:00:00Z.`,
  );
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

/** Duration: nanoseconds, or a number with a unit (ns, us, µs, ms, s). */
function duration(value: string, name: string): number {
  const m = /^(\d{1,15}(?:\.\d{1,9})?)(ns|us|µs|ms|s)?$/.exec(value);
  if (!m) {
    throw new BadRequest(`Parameter '${name}' must be a duration such as 1500000, 1500us, 1.5ms or 2s.`);
  }
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ns']);
}

/** Parameter names are echoed in errors; keep them short and free of control characters. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
