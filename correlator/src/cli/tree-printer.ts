// Renders one trace as an indented tree for the terminal: each span with its duration, attributes and status,
// and, interleaved with its child spans in time order, the system calls made inside it (path or peer, bytes,
// result or errno, merged counts). Pure text in, text out: the CLI decides where it goes and whether to color.

import type { ArgValue, ProcessInfo, SpanRecord, SyscallRecord } from '../model.js';
import { sanitize } from './terminal-text.js';
import { timeSummary } from './time-summary.js';
import { traceRoots, type TracedSpan } from './trace-assembler.js';

export interface Palette {
  span(s: string): string;
  dur(s: string): string;
  dim(s: string): string;
  err(s: string): string;
  head(s: string): string;
}

const ansi = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
export const COLORS: Palette = {
  span: ansi(1, 22),
  dur: ansi(33, 39),
  dim: ansi(2, 22),
  err: ansi(31, 39),
  head: ansi(36, 39),
};
const same = (s: string) => s;
export const PLAIN: Palette = { span: same, dur: same, dim: same, err: same, head: same };

/** Whether output to `stream` should be colored: a terminal, and NO_COLOR (https://no-color.org) not set. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

export function formatDuration(ns: number): string {
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 3 : 2)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

const MAX_ATTR_TEXT = 120;

function attrText(attrs: Record<string, ArgValue>): string {
  const parts = Object.entries(attrs).map(([k, v]) => `${sanitize(k)}=${sanitize(String(v))}`);
  const text = parts.join(' ');
  return text.length > MAX_ATTR_TEXT ? `${text.slice(0, MAX_ATTR_TEXT - 1)}…` : text;
}

function syscallLine(sc: SyscallRecord, p: Palette): string {
  const parts = [sc.count > 1 ? `${sc.name} ×${sc.count}` : sc.name];
  const target = sc.target ?? sc.path ?? (sc.peerAddress ? `${sc.peerAddress}:${sc.peerPort ?? 0}` : undefined);
  if (target) parts.push(sanitize(target));
  else if (sc.fd !== undefined) parts.push(`fd ${sc.fd}`);
  if (sc.bytes !== undefined) parts.push(formatBytes(sc.bytes));
  if (sc.errno || sc.ret < 0) parts.push(p.err(sc.errno ?? `error ${-sc.ret}`));
  else if (sc.bytes === undefined) parts.push(`= ${sc.ret}`);
  if (sc.unfinished) parts.push(p.err('unfinished'));
  // the direct rules (thread, the published active span) go unsaid; indirect ones (worker submitter, fd, unsure) are shown
  if (sc.attribution !== 'thread' && sc.attribution !== 'context') parts.push(p.dim(`[${sc.attribution}]`));
  parts.push(p.dur(formatDuration(sc.dur)));
  return p.dim('· ') + parts.join('  ');
}

function spanLine(span: SpanRecord, p: Palette): string {
  const parts = [p.span(sanitize(span.name)), p.dur(formatDuration(span.end - span.start))];
  if (span.kind !== 'internal') parts.push(p.dim(span.kind));
  const attrs = attrText(span.attributes);
  if (attrs) parts.push(attrs);
  if (span.status === 'error')
    parts.push(p.err(`error${span.statusMessage ? `: ${sanitize(span.statusMessage)}` : ''}`));
  if (span.incomplete) parts.push(p.err(`(incomplete: ${sanitize(span.incomplete)})`));
  return parts.join('  ');
}

function processLabel(proc: ProcessInfo): string {
  return `${sanitize(proc.serviceName)} (pid ${proc.pid}${proc.exe && proc.exe !== proc.serviceName ? ` ${sanitize(proc.exe)}` : ''})`;
}

/** Indentation stops growing here: deeper levels are drawn at this depth and say their depth in the line, so a
 *  tree nested 100,000 deep costs lines proportional to its spans, not bytes quadratic in its depth. */
export const MAX_INDENT_DEPTH = 32;

/** One pending step of the walk: a span to draw, or a system call line under the span at `depth`. */
type Step =
  | { node: TracedSpan; depth: number; parentPid: number; sc?: undefined }
  | { sc: SyscallRecord; depth: number };

/** The lines of one trace: a header, then each top-level span as a tree. */
export function renderTrace(trace: TracedSpan[], p: Palette): string[] {
  const children = new Map<string, TracedSpan[]>();
  for (const t of trace) {
    if (t.span.parentSpanId === undefined) continue;
    const list = children.get(t.span.parentSpanId) ?? [];
    list.push(t);
    children.set(t.span.parentSpanId, list);
  }
  const roots = traceRoots(trace);
  const lines: string[] = [];
  const first = roots[0] ?? trace[0];
  lines.push(p.head(`trace ${trace[0].span.traceId}  ${processLabel(first.proc)}`));

  // An explicit stack, not recursion: parent ids come from marker text, so the depth is the traced process's choice.
  const visited = new Set<TracedSpan>();
  const stack: Step[] = [];
  const walk = (top: TracedSpan) => {
    stack.push({ node: top, depth: 0, parentPid: top.span.pid });
    while (stack.length) {
      const step = stack.pop()!;
      if (step.sc) {
        lines.push(`${indentOf(step.depth)}  ${syscallLine(step.sc, p)}`);
        continue;
      }
      const { node, depth, parentPid } = step;
      if (visited.has(node)) continue;
      visited.add(node);
      const pidNote = node.span.pid !== parentPid ? p.dim(`  [${processLabel(node.proc)}]`) : '';
      const depthNote = depth > MAX_INDENT_DEPTH ? p.dim(`[depth ${depth}] `) : '';
      lines.push(indentOf(depth) + depthNote + spanLine(node.span, p) + pidNote);
      const times = node.span.times;
      if (times !== undefined) lines.push(`${indentOf(depth)}  ${p.dim(`time: ${timeSummary(times)}`)}`);
      type Item = { start: number; span?: TracedSpan; sc?: SyscallRecord };
      const items: Item[] = [];
      for (const c of children.get(node.span.spanId) ?? []) items.push({ start: c.span.start, span: c });
      for (const sc of node.span.syscalls) items.push({ start: sc.ts, sc });
      items.sort((a, b) => a.start - b.start);
      // pushed last-first so they come off the stack in time order
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i];
        if (item.span) stack.push({ node: item.span, depth: depth + 1, parentPid: node.span.pid });
        else if (item.sc) stack.push({ sc: item.sc, depth });
      }
    }
  };
  for (const root of roots) walk(root);
  // Parent ids come from marker text; whatever a cycle kept out of the tree is still shown.
  for (const t of trace) walk(t);
  return lines;
}

function indentOf(depth: number): string {
  return '  '.repeat(Math.min(depth, MAX_INDENT_DEPTH) + 1);
}
