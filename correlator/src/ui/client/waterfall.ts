// The waterfall of an open span: each span followed by its system calls and child spans in time order, a bar per
// row on the span's time scale, and a thin band with each row's time split.

import type { SleepKind, SpanNodeJson, SpanTreeJson, SyscallJson } from '../api-types.js';
import { fillStackedBar } from './breakdown.js';
import { byId, countRender, el } from './dom.js';
import { fmtBytes, fmtDuration, fmtShare } from './format.js';
import { SLEEP_LABELS, spanBandParts, syscallBandParts, TIME_COLORS, type TimePart } from './time-parts.js';

const MAX_WATERFALL_ROWS = 2500;
// Indentation stops growing here (deeper spans say their depth), as in the terminal tree.
const MAX_INDENT_DEPTH = 32;
const BAND_NOTE = 'totals over the span, drawn as proportions (not a timeline)';

type WaterfallRow =
  | { kind: 'span'; depth: number; node: SpanNodeJson }
  | { kind: 'syscall'; depth: number; sys: SyscallJson }
  | { kind: 'omitted'; depth: number; count: number };

type Step = { row: WaterfallRow } | { index: number };

// The response is flat (nodes in depth-first order with parent indexes); the walk uses an explicit stack because
// the depth is whatever the traced process made it.
function waterfallRows(nodes: readonly SpanNodeJson[]): WaterfallRow[] {
  const children: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    if (n.parent !== null && children[n.parent]) children[n.parent].push(i);
  });
  const rows: WaterfallRow[] = [];
  const stack: Step[] = nodes.length ? [{ index: 0 }] : [];
  while (stack.length) {
    const step = stack.pop()!;
    if ('row' in step) {
      rows.push(step.row);
      continue;
    }
    const node = nodes[step.index];
    rows.push({ kind: 'span', depth: node.depth, node });
    const items: { offset: number; step: Step }[] = [
      ...node.syscalls.map((s) => ({
        offset: s.offsetNs,
        step: { row: { kind: 'syscall', depth: node.depth + 1, sys: s } } as Step,
      })),
      ...children[step.index].map((i) => ({ offset: nodes[i].offsetNs, step: { index: i } as Step })),
    ];
    items.sort((a, b) => a.offset - b.offset);
    if (node.omittedSyscalls > 0) {
      stack.push({ row: { kind: 'omitted', depth: node.depth + 1, count: node.omittedSyscalls } });
    }
    for (let i = items.length - 1; i >= 0; i--) stack.push(items[i].step);
  }
  return rows;
}

function syscallInfo(s: SyscallJson): { text: string; className?: string }[] {
  const parts: { text: string; className?: string }[] = [];
  const where = s.target || s.path || s.peer;
  if (where) parts.push({ text: where, className: 'path' });
  if (s.fd !== null && !where) parts.push({ text: `fd ${s.fd}` });
  if (s.bytes !== null) parts.push({ text: fmtBytes(s.bytes) });
  // Calls that return addresses read better in hex.
  const address = s.ret > 0xffff && (s.name === 'mmap' || s.name === 'mremap' || s.name === 'brk');
  parts.push({ text: s.errno ? `→ ${s.errno}` : `= ${address ? `0x${s.ret.toString(16)}` : s.ret}` });
  parts.push({ text: `tid ${s.tid}` });
  if (s.attribution !== 'thread') parts.push({ text: `via ${s.attribution}` });
  if (s.unfinished) parts.push({ text: 'unfinished' });
  if (s.times && s.times.sleep !== 'none') parts.push({ text: SLEEP_LABELS[s.times.sleep] });
  return parts;
}

function indent(row: HTMLElement, depth: number): void {
  row.style.paddingLeft = `${Math.min(depth, MAX_INDENT_DEPTH) * 14}px`;
}

export function renderWaterfall(tree: SpanTreeJson): void {
  const wf = byId('waterfall');
  wf.replaceChildren();
  const rows = waterfallRows(tree.nodes);
  let total = tree.nodes[0].span.durationNs;
  for (const r of rows) {
    if (r.kind === 'span') total = Math.max(total, r.node.offsetNs + r.node.span.durationNs);
    if (r.kind === 'syscall') total = Math.max(total, r.sys.offsetNs + Math.max(r.sys.extentNs, r.sys.durationNs));
  }
  total = Math.max(1, total);

  const head = el('div', 'wf-row head');
  const axis = el('div', 'wf-axis');
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const tick = el('span', '', fmtDuration(total * f));
    tick.style.left = `${f * 100}%`;
    axis.append(tick);
  }
  head.append(el('div', '', 'Span / system call'), axis, el('div', 'wf-dur', 'Duration'));
  wf.append(head);

  const pct = (ns: number) => Math.max(0, Math.min(100, (100 * ns) / total));
  for (const r of rows.slice(0, MAX_WATERFALL_ROWS)) {
    if (r.kind === 'omitted') {
      const more = el('div', 'wf-more', `${r.count} more system calls of this span not shown`);
      indent(more, r.depth);
      wf.append(more);
      continue;
    }
    const row = el('div', `wf-row ${r.kind}`);
    row.setAttribute('role', 'row');
    const label = el('div', 'wf-label');
    indent(label, r.depth);
    let offset: number;
    let width: number;
    let dur: number;
    let band: { parts: TimePart[]; sleep?: SleepKind } | null = null;
    if (r.kind === 'span') {
      const s = r.node.span;
      label.append(el('span', 'wf-name', s.name));
      const info =
        `${s.service} [${s.pid}] tid ${s.tid}${s.status === 'error' ? ' · error' : ''}` +
        `${r.depth > MAX_INDENT_DEPTH ? ` · depth ${r.depth}` : ''}`;
      label.append(el('span', 'wf-info', info));
      offset = r.node.offsetNs;
      width = s.durationNs;
      dur = s.durationNs;
      label.title = s.name;
      row.dataset.spanId = s.spanId;
      if (s.times) band = { parts: spanBandParts(s.times) };
    } else {
      const s = r.sys;
      if (s.errno) row.classList.add('failed');
      const name = s.name + (s.count > 1 ? ` ×${s.count}` : '');
      label.append(el('span', 'wf-name', name));
      const info = el('span', 'wf-info');
      const parts = syscallInfo(s);
      parts.forEach((p, i) => {
        if (i) info.append(document.createTextNode(' · '));
        info.append(el('span', p.className ?? '', p.text));
      });
      label.append(info);
      offset = s.offsetNs;
      width = Math.max(s.extentNs, s.durationNs);
      dur = s.durationNs;
      label.title = `${name}: ${parts.map((p) => p.text).join(' · ')}`;
      if (s.times) band = { parts: syscallBandParts(s.times), sleep: s.times.sleep };
    }
    const track = el('div', 'wf-track');
    const bar = el('div', 'wf-bar');
    bar.style.left = `${pct(offset)}%`;
    bar.style.width = `${Math.min(100 - pct(offset), pct(width))}%`;
    bar.title = `${fmtDuration(dur)} at +${fmtDuration(offset)}`;
    track.append(bar);
    if (band) appendTimesBand(track, bar, band.parts, band.sleep);
    row.append(label, track, el('div', 'wf-dur', fmtDuration(dur)));
    wf.append(row);
  }
  if (rows.length > MAX_WATERFALL_ROWS) {
    wf.append(el('div', 'wf-more', `${rows.length - MAX_WATERFALL_ROWS} more rows not shown`));
  }
  renderBandLegend(rows.some((r) => (r.kind === 'span' ? r.node.span.times : r.kind === 'syscall' && r.sys.times)));
  countRender('waterfallRenders');
}

function appendTimesBand(track: HTMLElement, bar: HTMLElement, parts: TimePart[], sleep: SleepKind | undefined): void {
  track.classList.add('with-band');
  const band = el('div', 'wf-band');
  band.style.left = bar.style.left;
  band.style.width = bar.style.width;
  const total = parts.reduce((n, p) => n + p.ns, 0);
  fillStackedBar(band, parts, total);
  band.title =
    parts.map((p) => `${p.label} ${fmtDuration(p.ns)} (${fmtShare(p.ns, total)})`).join(' · ') +
    (sleep && sleep !== 'none' ? ` · ${SLEEP_LABELS[sleep]}` : '') +
    ` — ${BAND_NOTE}`;
  for (const seg of band.children) (seg as HTMLElement).title = band.title;
  track.append(band);
}

function renderBandLegend(any: boolean): void {
  const legend = byId('wf-legend');
  legend.replaceChildren();
  legend.hidden = !any;
  if (!any) return;
  for (const [key, text] of [
    ['onCpu', 'on CPU'],
    ['runqueue', 'run queue'],
    ['blocked', 'blocked / waiting'],
    ['loopBusy', 'loop busy with other spans'],
  ] as const) {
    const sw = el('span', 'swatch');
    sw.style.background = TIME_COLORS[key];
    legend.append(sw, el('span', 'legend-item', text));
  }
  legend.append(el('span', 'muted', `Thin band under each bar: its time split, ${BAND_NOTE}.`));
}
