// The percentile table of the current selection (or of everything the filter matches), one row per service and
// span name, computed by the server with the --summary builder. In syscall mode the selection's durations are the
// calls', so the table then takes only its time window.

import type { PercentileKey, PercentileRowJson } from '../api-types.js';
import { fetchAroundPercentile, fetchPercentiles, type Params } from './api.js';
import { byId, el } from './dom.js';
import { fmtDuration } from './format.js';
import { fillSpanList } from './list.js';
import { guarded } from './notices.js';
import { filterParams, state } from './state.js';
import { urlState } from './url-state.js';

const PERCENTILE_COLUMNS: readonly [PercentileKey, string][] = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
];

/** The selection as query parameters: its window, and its duration range unless in syscall mode. */
export function selectionWindow(): Params {
  const s = urlState.sel;
  if (!s) return {};
  const buckets = state.config.buckets;
  const w: Params = { from: s.fromMs, to: s.toMs };
  if (!urlState.mode) {
    w.minDuration = buckets[s.b0].lowNs;
    w.maxDuration = buckets[s.b1].highNs;
  }
  return w;
}

export async function loadPercentiles(): Promise<void> {
  const params = { ...filterParams(), ...selectionWindow() };
  const t = await fetchPercentiles(params);
  byId('percentile-scope').textContent =
    `${urlState.sel ? 'spans in the selection' : 'all spans in memory'}` +
    `${urlState.sel && urlState.mode ? ' (its time window)' : ''} · ${t.spans}${t.spans === 1 ? ' span' : ' spans'}` +
    ` · within ±${t.relativeAccuracy * 100} % of the exact value at each rank`;
  const tbody = byId<HTMLTableElement>('percentiles').tBodies[0];
  tbody.replaceChildren();
  for (const row of t.rows) tbody.append(percentileRow(row, params));
  if (t.overflow) {
    const tr = percentileRow(t.overflow, null);
    tr.className = 'overflow';
    tr.cells[0].textContent = '(other)';
    tr.cells[1].textContent = `${t.overflow.count} spans of names past the ${t.maxRows}-row bound`;
    tbody.append(tr);
  }
}

function percentileRow(row: PercentileRowJson, params: Params | null): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.service = row.service;
  tr.dataset.name = row.name;
  tr.append(
    el('td', '', row.service),
    el('td', 'name', row.name),
    el('td', 'num', row.count),
    el('td', row.errors ? 'num status-error' : 'num', row.errors),
  );
  tr.title = row.name;
  for (const [key, label] of PERCENTILE_COLUMNS) {
    const ns = key === 'max' ? row.maxNs : row.percentilesNs[key];
    const td = el('td', 'num');
    if (params) {
      const b = el('button', 'pct', fmtDuration(ns));
      b.type = 'button';
      b.dataset.percentile = key;
      b.title = `List the ${row.name} spans ranked around the ${label}`;
      b.addEventListener(
        'click',
        guarded(() => loadAround(row, key, label, params, b)),
      );
      td.append(b);
    } else td.textContent = fmtDuration(ns);
    tr.append(td);
  }
  // where the slowest 1 % spent their time: the call group with the most time, as --summary lists them
  const top = row.slowest.syscalls[0];
  const where = el(
    'td',
    'where',
    top ? `${top.name} ×${top.calls}${top.target ? ` ${top.target}` : ''} · ${fmtDuration(top.totalNs)}` : '',
  );
  where.title = row.slowest.syscalls
    .map((g) => `${g.name} ×${g.calls} ${g.target} ${fmtDuration(g.totalNs)}`)
    .join('\n');
  tr.append(where);
  return tr;
}

async function loadAround(
  row: PercentileRowJson,
  key: PercentileKey,
  label: string,
  params: Params,
  button: HTMLButtonElement,
): Promise<void> {
  const r = await fetchAroundPercentile({ ...params, service: row.service, span: row.name, percentile: key });
  for (const b of document.querySelectorAll('#percentiles button.pct.open')) b.classList.remove('open');
  button.classList.add('open');
  // the server lists up to 10 spans on each side of the rank
  const lo = Math.max(0, r.rank - 10);
  byId('list-summary').textContent =
    `${row.name} (${row.service}) around its ${label}: ranks ${lo + 1}–${lo + r.spans.length} of ${r.total}` +
    ` by duration, shortest first (the ${label} is rank ${r.rank + 1}, in bold)`;
  fillSpanList(r.spans);
  const at = byId<HTMLTableElement>('span-list').tBodies[0].rows[r.rank - lo];
  if (at) at.classList.add('rank');
  byId('list-panel').hidden = false;
  byId('list-panel').scrollIntoView({ block: 'nearest' });
}
