// The page's stylesheet (served as /app.css; the CSP allows no inline styles).

export const PAGE_CSS = `
:root { --bg: #0f1115; --panel: #171a21; --line: #2a2f3a; --text: #e6e8ec; --muted: #8b93a3; --accent: #4ea1ff;
  --span: #4ea1ff; --sys: #e39b3b; --err: #ff5f56; --crit: #ffffff; font: 13px/1.4 system-ui, sans-serif; color-scheme: dark; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { font-size: 18px; margin: 0; letter-spacing: 0.5px; }
h2 { font-size: 14px; margin: 0; }
h3 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); font-weight: 600; }
form#filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; }
label { color: var(--muted); }
input, select, button { background: #0b0d11; color: var(--text); border: 1px solid var(--line); border-radius: 4px; padding: 3px 6px; font: inherit; }
button { cursor: pointer; }
button:hover { border-color: var(--accent); }
#stats { margin-left: auto; color: var(--muted); font-variant-numeric: tabular-nums; }
main { padding: 12px 16px; display: flex; flex-direction: column; gap: 12px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.panel-head { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; }
.spacer { flex: 1; }
.muted { color: var(--muted); }
#spectrogram-panel .panel-head { flex-wrap: wrap; row-gap: 4px; }
#spectrogram-panel .panel-head h2, #spectrogram-panel .panel-head label { white-space: nowrap; }
#view-range { order: 1; flex-basis: 100%; font-variant-numeric: tabular-nums; }
#spectrogram-frame { display: flex; align-items: stretch; }
#spectrogram-wrap { position: relative; height: 360px; user-select: none; flex: 1; min-width: 0; }
#spectrogram { width: 100%; height: 100%; display: block; cursor: crosshair; touch-action: none; }
#spectrogram.over-axis { cursor: ew-resize; }
.axis-title { color: var(--muted); font-size: 12px; text-align: center; }
#duration-axis-title { writing-mode: vertical-rl; transform: rotate(180deg); padding-bottom: 34px; }
#time-axis-title { padding-left: 58px; }
.view-buttons { display: flex; gap: 4px; }
.view-buttons button { min-width: 28px; }
.legend-scale { position: relative; display: inline-block; height: 26px; padding-top: 2px; }
#legend { display: block; }
#legend-ticks { position: relative; display: block; height: 14px; font-size: 11px; color: var(--muted); font-variant-numeric: tabular-nums; }
#legend-ticks span { position: absolute; top: 0; transform: translateX(-50%); white-space: nowrap; }
#legend-ticks span:first-child { transform: none; }
#legend-ticks span:last-child { transform: translateX(-100%); }
#legend-ticks span:only-child { transform: translateX(-100%); }
form#filter-bar { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; flex-basis: 100%; }
form#filter-bar .filter-label { flex: 1; display: flex; align-items: center; gap: 6px; min-width: 320px; }
#filter-expr { flex: 1; font-family: ui-monospace, monospace; }
#filter-expr[aria-invalid="true"] { border-color: var(--err); }
#filter-help { color: var(--muted); max-width: 100%; }
#filter-help summary { cursor: pointer; }
#filter-help p { margin: 4px 0; white-space: normal; }
#filter-error { flex-basis: 100%; margin: 0; color: var(--err); display: flex; flex-direction: column; gap: 2px; }
#filter-error[hidden] { display: none; }
.filter-echo { color: var(--text); white-space: pre; overflow: hidden; text-overflow: ellipsis; unicode-bidi: isolate; }
.filter-echo mark { background: var(--err); color: #000; border-radius: 2px; white-space: pre; }
#selection { position: absolute; border: 1px solid #fff; background: rgba(255, 255, 255, 0.12); pointer-events: none; }
#cell-tip { position: absolute; pointer-events: none; background: #000; border: 1px solid var(--line); padding: 3px 6px; border-radius: 4px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.legend { display: flex; align-items: center; gap: 6px; margin-top: 6px; }
.table-wrap { max-height: 320px; overflow: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--panel); }
td.args { max-width: 420px; overflow: hidden; text-overflow: ellipsis; color: var(--muted); }
td { max-width: 360px; overflow: hidden; text-overflow: ellipsis; }
select { max-width: 280px; }
#breakdown td.muted { max-width: none; white-space: normal; }
dl#detail-meta dd { max-height: 6em; overflow: auto; }
/* Span text is hostile: keep bidi overrides and huge strings inside their own box. */
td, dd, option, .wf-name, .wf-info span, #detail-title, #cell-tip { unicode-bidi: isolate; }
#detail-title { overflow-wrap: anywhere; max-height: 4.2em; overflow: hidden; min-width: 0; }
#jaeger-link, #detail-parent { flex: none; }
.num { text-align: right; }
#span-list tbody tr { cursor: pointer; }
#span-list tbody tr:hover, #span-list tbody tr:focus, #span-list tbody tr.open { background: #222838; outline: none; }
#span-list tbody tr:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
#span-list tbody tr.open td:first-child { box-shadow: inset 3px 0 0 var(--accent); }
.empty { color: var(--muted); font-size: 14px; margin: 10px 0; }
#spectro-empty { position: absolute; inset: 8px 12px 34px 58px; display: flex; align-items: center; justify-content: center; text-align: center; padding: 0 40px; pointer-events: none; }
.empty[hidden], #spectro-empty[hidden] { display: none; }
#drop-notice { margin: 0; padding: 8px 12px; border: 1px solid var(--sys); border-radius: 6px; background: #2b2112; }
#drop-notice strong { color: #ffcf7a; font-weight: 600; }
#tz-toggle { white-space: nowrap; }
.status-error { color: var(--err); }
dl#detail-meta { display: grid; grid-template-columns: fit-content(240px) minmax(0, 1fr) fit-content(240px) minmax(0, 1fr); gap: 2px 12px; margin: 0; }
dl#detail-meta dt { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; unicode-bidi: isolate; }
dl#detail-meta dd { margin: 0; overflow-wrap: anywhere; }
#breakdown-bar { display: flex; height: 14px; border-radius: 3px; overflow: hidden; background: #0b0d11; margin-bottom: 6px; }
#breakdown-bar div { height: 100%; min-width: 1px; }
#breakdown { width: auto; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
h4 { font-size: 12px; margin: 10px 0 4px; color: var(--muted); font-weight: 600; }
.stacked-bar { display: flex; height: 14px; border-radius: 3px; overflow: hidden; background: #0b0d11; margin-bottom: 6px; }
.stacked-bar div { height: 100%; min-width: 1px; }
.stacked-bar.mini { height: 8px; width: 220px; margin: 0; flex: none; }
.times-table { width: auto; }
.times-table tr.sub td:first-child { padding-left: 26px; color: var(--muted); }
.times-table td.muted { max-width: none; white-space: normal; }
.linkish { background: none; border: none; padding: 0; color: var(--accent); text-decoration: underline; }
.culprit { display: inline-block; max-width: 320px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; unicode-bidi: isolate; }
.time-child summary { display: flex; align-items: center; gap: 10px; cursor: pointer; padding: 2px 0; }
.time-child summary .name { max-width: 360px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; unicode-bidi: isolate; }
.time-child .times-block { margin: 4px 0 8px 22px; }
.no-times { margin: 0 0 6px; }
.wf-track.with-band { height: 18px; }
.wf-track.with-band .wf-bar { bottom: 6px; }
.wf-band { position: absolute; bottom: 0; height: 4px; display: flex; min-width: 2px; overflow: hidden; }
.wf-band div { height: 100%; }
#wf-legend { margin: 0 0 6px; flex-wrap: wrap; }
#wf-legend .legend-item { margin-right: 10px; }
#waterfall { position: relative; font-variant-numeric: tabular-nums; max-height: max(640px, 70vh); overflow: auto; border-top: 1px solid var(--line); }
.wf-row { display: grid; grid-template-columns: minmax(360px, 44%) minmax(200px, 1fr) 72px 64px; gap: 8px; align-items: center; padding: 2px 0; border-bottom: 1px solid #1f232c; }
.wf-row.head { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--panel); z-index: 1; }
.wf-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wf-name { margin-right: 8px; }
.wf-row.span .wf-name { font-weight: 600; }
.wf-row.syscall .wf-name { color: #f0c48a; }
.wf-axis { position: relative; height: 14px; font-size: 11px; }
.wf-axis span { position: absolute; top: 0; transform: translateX(-50%); white-space: nowrap; }
.wf-axis span:first-child { transform: none; }
.wf-axis span:last-child { transform: translateX(-100%); }
.wf-row.syscall.failed .wf-name { color: var(--err); }
.wf-info { color: var(--muted); }
.wf-info .path { color: var(--text); }
.wf-track { position: relative; height: 12px; background: #0b0d11; border-radius: 2px; }
.wf-bar { position: absolute; top: 1px; bottom: 1px; min-width: 2px; border-radius: 2px; }
.wf-row.span .wf-bar { background: var(--span); }
.wf-row.syscall .wf-bar { background: var(--sys); }
.wf-row.syscall.failed .wf-bar { background: var(--err); }
.wf-row.failed .wf-name, .wf-info .errno { color: var(--err); }
.wf-row.span.failed .wf-bar { background: var(--err); }
.wf-row.fold .wf-name { color: #c9a27e; font-style: italic; }
.wf-row.fold .wf-bar { background: repeating-linear-gradient(90deg, var(--sys) 0 3px, transparent 3px 5px); }
.wf-row.fold.failed .wf-bar { background: repeating-linear-gradient(90deg, var(--err) 0 3px, transparent 3px 5px); }
.wf-row.critical > .wf-label { box-shadow: inset 3px 0 0 var(--crit); }
.wf-row.focus { background: #1d2a40; }
.wf-row.match { background: #33301c; }
.wf-row.match.current { outline: 1px solid #e8d21d; outline-offset: -1px; }
.wf-toggle, .wf-toggle-space { display: inline-block; width: 16px; margin-right: 2px; text-align: center; }
.wf-toggle { background: none; border: none; padding: 0; color: var(--muted); cursor: pointer; font-size: 11px; }
.wf-toggle:hover { color: var(--text); }
.wf-info .attribution { text-decoration: underline dotted; cursor: help; }
.wf-self { color: var(--muted); }
.wf-tools { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; margin: 0 0 6px; }
.wf-tools #wf-hide { width: 64px; }
.wf-tools #wf-find { width: 300px; }
.wf-key { color: var(--muted); }
.wf-key::before { content: ''; display: inline-block; width: 14px; height: 8px; margin-right: 4px; vertical-align: middle; border-radius: 2px; }
.wf-key.critical::before { width: 3px; background: var(--crit); }
.wf-key.error::before { background: var(--err); }
.wf-key.focus::before { background: #1d2a40; outline: 1px solid var(--line); }
.wf-dur { text-align: right; }
.wf-more { padding: 6px 0; color: var(--muted); }
#error { color: var(--err); margin: 0; }
#percentiles button.pct { background: none; border: none; padding: 0; color: var(--accent); font: inherit; font-variant-numeric: tabular-nums; }
#percentiles button.pct:hover, #percentiles button.pct.open { text-decoration: underline; }
#span-list tr.rank td { font-weight: 700; }
#percentiles tr.overflow td { color: var(--muted); font-style: italic; }
a { color: var(--accent); }
`;
