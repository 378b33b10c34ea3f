// What the page shows, kept in the address bar's fragment so a reload or a shared link lands on the same view:
// the spectrogram's range, scope, filter and mode, the header filters, the selection, the open span and the time
// zone. The fragment (not the query) because it never reaches the server, which strips its own `?token=`.
//
//   #from=MS&to=MS&scope=server&filter=EXPR&mode=fsync&name=…&service=…&pid=N&sel=FROM~TO~B0~B1
//    &trace=HEX32&span=HEX16&tz=utc
//
// Keys at their default are left out. A link may come from anyone: every value is checked and a bad one is
// dropped (as if absent), never passed on. The parse and format functions are pure and unit-tested; `urlState` is
// the page's one copy, which the spectrogram (range) and the other panels change and then `saveUrlState`.

import type { TimeZoneMode } from './time-zone.js';

export type Scope = 'root' | 'server' | 'all';
export const SCOPES: readonly Scope[] = ['root', 'server', 'all'];

/** A rectangle of spectrogram cells: a time window [fromMs, toMs) and the duration buckets b0..b1 (inclusive). */
export interface Selection {
  fromMs: number;
  toMs: number;
  b0: number;
  b1: number;
}

export interface SpanRef {
  traceId: string;
  spanId: string;
}

export interface UrlState {
  /** the spectrogram's time range (ms since the epoch); null: fitted to the data */
  from: number | null;
  to: number | null;
  scope: Scope;
  /** filter expression ('' = none) */
  filter: string;
  /** '' for span latency, else the syscall whose calls the spectrogram and the selection show */
  mode: string;
  /** the header's span-name substring, service and process */
  name: string;
  service: string;
  pid: string;
  sel: Selection | null;
  span: SpanRef | null;
  tz: TimeZoneMode;
}

export function defaultUrlState(): UrlState {
  return {
    from: null,
    to: null,
    scope: 'root',
    filter: '',
    mode: '',
    name: '',
    service: '',
    pid: '',
    sel: null,
    span: null,
    tz: 'local',
  };
}

/** Bounds on what a link can carry: the inputs' own limits. */
const MAX_FILTER_CHARS = 2000;
const MAX_NAME_CHARS = 200;
const MAX_SERVICE_CHARS = 1000;
/** the year 5138: later is not a timestamp of this capture but a typo */
const MAX_EPOCH_MS = 1e14;
const MAX_BUCKET = 10_000;

function epochMs(text: string | null): number | null {
  if (text === null || !/^\d{1,15}$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_EPOCH_MS ? n : null;
}

function bounded(text: string | null, max: number): string {
  return text !== null && text.length <= max ? text : '';
}

function parseSelection(text: string | null): Selection | null {
  const parts = text?.split('~') ?? [];
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,15}$/.test(p))) return null;
  const [fromMs, toMs, b0, b1] = parts.map(Number);
  if (fromMs >= toMs || toMs > MAX_EPOCH_MS || b0 > b1 || b1 > MAX_BUCKET) return null;
  return { fromMs, toMs, b0, b1 };
}

/** The state a fragment (`#…`, with or without the `#`) describes; bad or missing values take their default. */
export function parseUrlState(hash: string): UrlState {
  const p = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const s = defaultUrlState();
  const from = epochMs(p.get('from'));
  const to = epochMs(p.get('to'));
  if (from !== null && to !== null && from < to) {
    s.from = from;
    s.to = to;
  }
  const scope = p.get('scope');
  if (SCOPES.includes(scope as Scope)) s.scope = scope as Scope;
  s.filter = bounded(p.get('filter'), MAX_FILTER_CHARS);
  const mode = p.get('mode');
  if (mode !== null && /^[a-z0-9_]{1,64}$/.test(mode)) s.mode = mode;
  s.name = bounded(p.get('name'), MAX_NAME_CHARS);
  s.service = bounded(p.get('service'), MAX_SERVICE_CHARS);
  const pid = p.get('pid');
  if (pid !== null && /^\d{1,10}$/.test(pid)) s.pid = pid;
  s.sel = parseSelection(p.get('sel'));
  const traceId = p.get('trace');
  const spanId = p.get('span');
  if (traceId && spanId && /^[0-9a-f]{32}$/.test(traceId) && /^[0-9a-f]{16}$/.test(spanId)) {
    s.span = { traceId, spanId };
  }
  if (p.get('tz') === 'utc') s.tz = 'utc';
  return s;
}

/** The fragment for a state: `#k=v&…` with the keys that differ from the default, or '' when none do. */
export function formatUrlState(s: UrlState): string {
  const p = new URLSearchParams();
  if (s.from !== null && s.to !== null) {
    p.set('from', String(Math.round(s.from)));
    p.set('to', String(Math.round(s.to)));
  }
  if (s.scope !== 'root') p.set('scope', s.scope);
  if (s.filter) p.set('filter', s.filter);
  if (s.mode) p.set('mode', s.mode);
  if (s.name) p.set('name', s.name);
  if (s.service) p.set('service', s.service);
  if (s.pid) p.set('pid', s.pid);
  if (s.sel) p.set('sel', [s.sel.fromMs, s.sel.toMs, s.sel.b0, s.sel.b1].map((n) => Math.round(n)).join('~'));
  if (s.span) {
    p.set('trace', s.span.traceId);
    p.set('span', s.span.spanId);
  }
  if (s.tz !== 'local') p.set('tz', s.tz);
  const text = p.toString();
  return text ? `#${text}` : '';
}

/** The page's state, read from the address bar by `readUrlState` and written back by `saveUrlState`. */
export const urlState: UrlState = defaultUrlState();

/** Replaces `urlState` with what the address bar says (on load, and on back/forward). */
export function readUrlState(): void {
  Object.assign(urlState, parseUrlState(location.hash));
}

/**
 * Writes `urlState` to the address bar. `push` adds a history entry (a selection, an opened span: steps worth going
 * back to); `replace` rewrites the current one (panning, zooming, typing), so Back is not flooded.
 */
export function saveUrlState(how: 'push' | 'replace'): void {
  const hash = formatUrlState(urlState);
  const url = `${location.pathname}${location.search}${hash}`;
  if (`${location.pathname}${location.search}${location.hash}` === url) return;
  if (how === 'push') history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}
