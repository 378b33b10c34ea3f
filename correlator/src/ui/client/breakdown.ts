// The detail pane's "Where the time went": the span's time split (scheduler accounting) with its direct children
// folded below, and the system-call breakdown (time per call name vs. outside calls).

import type { SpanNodeJson, SpanTreeJson, TimeBreakdownJson } from '../api-types.js';
import { byId, el } from './dom.js';
import { fmtDuration, fmtShare } from './format.js';
import { guarded } from './notices.js';
import { type TimePart, timeParts } from './time-parts.js';

const MAX_CHILD_BREAKDOWNS = 200;
/** Colours of the system-call breakdown; the last one is "other system calls". */
const PALETTE = ['#4ea1ff', '#e39b3b', '#b267e6', '#3fc1a5', '#e8d21d', '#ff7aa8', '#8fbf4a', '#c9a27e'];

/** Opens a span by trace and span id (the detail pane's openSpan, passed in to keep the imports one-way). */
export type OpenSpan = (traceId: string, spanId: string) => Promise<void>;

export interface BarSegment {
  label: string;
  ns: number;
  color: string;
}

export function swatchCell(label: string | Node, color: string): HTMLTableCellElement {
  const td = el('td');
  const sw = el('span', 'swatch');
  sw.style.background = color;
  td.append(sw, typeof label === 'string' ? document.createTextNode(label) : label);
  return td;
}

/** Segments proportional to each row's ns, scaled to the larger of the total and the rows' sum. */
export function fillStackedBar(bar: HTMLElement, rows: readonly BarSegment[], total: number): void {
  const scale = Math.max(
    total,
    rows.reduce((n, r) => n + r.ns, 0),
    1,
  );
  for (const r of rows) {
    const seg = el('div');
    seg.style.width = `${(100 * r.ns) / scale}%`;
    seg.style.background = r.color;
    seg.title = `${r.label}: ${fmtDuration(r.ns)}`;
    bar.append(seg);
  }
}

/** "loop busy (NAME)": the name is the culprit span's (hostile text), a button opening it when it is in memory. */
function loopBusyLabel(top: NonNullable<TimePart['top']>, traceId: string | null, open: OpenSpan): HTMLSpanElement {
  const label = el('span', '', 'loop busy (');
  const name = traceId ? el('button', 'linkish culprit', top.name) : el('span', 'culprit', top.name);
  name.title = `${top.name} · span ${top.spanId}, held the loop ${fmtDuration(top.ns)}${traceId ? '' : ' · not in memory'}`;
  if (traceId)
    name.addEventListener(
      'click',
      guarded(() => open(traceId, top.spanId)),
    );
  label.append(name, document.createTextNode(')'));
  return label;
}

/** One span's breakdown: a stacked bar and a Kind / Time / Share table, for the span and for each child. */
function timesBlock(node: SpanNodeJson, open: OpenSpan): HTMLDivElement {
  const t = node.span.times;
  const block = el('div', 'times-block');
  if (!t) return block;
  const total = node.span.durationNs;
  const parts = timeParts(t, total);
  const bar = el('div', 'stacked-bar');
  fillStackedBar(bar, parts, total);
  const table = el('table', 'times-table');
  const head = el('tr');
  head.append(el('th', '', 'Kind'), el('th', 'num', 'Time'), el('th', 'num', 'Share'));
  table.createTHead().append(head);
  const tbody = table.createTBody();
  const addRow = (key: string, label: string | Node, color: string, ns: number, className?: string) => {
    const tr = el('tr', className ?? '');
    tr.dataset.part = key;
    tr.append(swatchCell(label, color), el('td', 'num', fmtDuration(ns)), el('td', 'num', fmtShare(ns, total)));
    tbody.append(tr);
  };
  for (const p of parts) {
    addRow(p.key, p.top ? loopBusyLabel(p.top, node.loopBusyTopTraceId, open) : p.label, p.color, p.ns);
  }
  if (t.worker) {
    // Pool threads run in parallel with the loop: their time is inside "async wait", not another slice of the bar.
    const worker = t.worker;
    for (const [key, text] of [
      ['onCpuNs', 'on CPU'],
      ['runqueueNs', 'run queue'],
      ['blockedNs', 'blocked'],
    ] as const) {
      addRow(`worker-${key}`, `worker threads ${text} (within async wait)`, 'transparent', worker[key], 'sub');
    }
  }
  const note = el('tr');
  const model =
    t.model === 'event-loop'
      ? 'Event loop: its own code and synchronous calls, time the loop ran other spans, and waiting for its asynchronous work.'
      : 'One thread, one span at a time: on CPU, waiting for a CPU, or off CPU by what it waited for.';
  const td = el('td', 'muted', `${model} ${t.majorFaults} major page fault${t.majorFaults === 1 ? '' : 's'}.`);
  td.colSpan = 3;
  note.append(td);
  tbody.append(note);
  block.append(bar, table);
  return block;
}

export function renderTimeBreakdown(tree: SpanTreeJson, open: OpenSpan): void {
  const box = byId('time-breakdown');
  box.replaceChildren();
  const root = tree.nodes[tree.focus];
  if (!root.span.times) {
    box.append(
      el(
        'p',
        'muted no-times',
        "No time breakdown: the kernel did not account for this span's thread " +
          '(tracing without scheduler accounting, or a capture recorded before it existed). Time in system calls only:',
      ),
    );
    return;
  }
  box.append(timesBlock(root, open));
  const children = tree.nodes.filter((n) => n.parent === tree.focus);
  if (!children.length) return;
  box.append(el('h4', '', 'Child spans'));
  const list = el('div', 'time-children');
  for (const child of children.slice(0, MAX_CHILD_BREAKDOWNS)) {
    const item = el('details', 'time-child');
    const summary = el('summary');
    const mini = el('div', 'stacked-bar mini');
    if (child.span.times) {
      fillStackedBar(mini, timeParts(child.span.times, child.span.durationNs), child.span.durationNs);
    }
    summary.append(
      el('span', 'name', child.span.name),
      mini,
      el('span', 'num', fmtDuration(child.span.durationNs)),
      el('span', 'num muted', `${fmtShare(child.span.durationNs, root.span.durationNs)} of the span`),
    );
    summary.title = child.span.name;
    item.append(
      summary,
      child.span.times ? timesBlock(child, open) : el('p', 'muted', 'No time breakdown for this span.'),
    );
    list.append(item);
  }
  if (children.length > MAX_CHILD_BREAKDOWNS) {
    list.append(el('p', 'muted', `${children.length - MAX_CHILD_BREAKDOWNS} more child spans not shown`));
  }
  box.append(list);
}

/** Time in system calls per call name (the largest kinds, the rest summed) and the time outside any call. */
export function renderBreakdown(b: TimeBreakdownJson): void {
  const bar = byId('breakdown-bar');
  const tbody = byId<HTMLTableElement>('breakdown').tBodies[0];
  bar.replaceChildren();
  tbody.replaceChildren();
  const total = Math.max(1, b.durationNs);
  const rows: (BarSegment & { calls: number | null })[] = b.bySyscall
    .slice(0, PALETTE.length - 1)
    .map((r, i) => ({ label: r.name, ns: r.ns, calls: r.calls, color: PALETTE[i] }));
  const rest = b.bySyscall.slice(PALETTE.length - 1);
  if (rest.length) {
    rows.push({
      label: `other system calls (${rest.length} kinds)`,
      ns: rest.reduce((n, r) => n + r.ns, 0),
      calls: rest.reduce((n, r) => n + r.calls, 0),
      color: PALETTE[PALETTE.length - 1],
    });
  }
  rows.push({ label: 'outside system calls', ns: b.outsideSyscallsNs, calls: null, color: '#3a404d' });
  fillStackedBar(bar, rows, total);
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.append(
      swatchCell(r.label, r.color),
      el('td', 'num', fmtDuration(r.ns)),
      el('td', 'num', fmtShare(r.ns, total)),
      el('td', 'num', r.calls === null ? '' : r.calls),
    );
    tbody.append(tr);
  }
  const note = document.createElement('tr');
  const td = el(
    'td',
    'muted',
    `${b.spans} span(s), ${b.syscalls} system call(s); ${fmtDuration(b.inSyscallsNs)} of wall time inside system calls`,
  );
  td.colSpan = 4;
  note.append(td);
  tbody.append(note);
}
