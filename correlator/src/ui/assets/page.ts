// The page's HTML. Static: every piece of span data is inserted later by the client (../client/) with textContent.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nullspan</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<header>
  <h1>nullspan</h1>
  <form id="filters" autocomplete="off">
    <label>Span name <input id="filter-name" type="search" list="span-names" placeholder="any" maxlength="200"></label>
    <datalist id="span-names"></datalist>
    <label>Service <select id="filter-service"><option value="">any</option></select></label>
    <label>Process <select id="filter-pid"><option value="">any</option></select></label>
    <label class="live"><input id="live" type="checkbox"> Live</label>
  </form>
  <button id="tz-toggle" type="button"></button>
  <div id="stats" aria-live="polite"></div>
  <form id="filter-bar" autocomplete="off">
    <label>Count <select id="scope">
      <option value="root">root spans (requests)</option>
      <option value="server">server spans</option>
      <option value="all">all spans</option>
    </select></label>
    <label class="filter-label">Filter <input id="filter-expr" type="search" spellcheck="false" maxlength="4096"
      placeholder="e.g. service=api dur&gt;50ms syscall.name=fsync path~/var/lib — Enter applies"></label>
    <details id="filter-help"><summary>syntax</summary>
      <p><code>FIELD OP VALUE</code> terms, no spaces around the operator; spaces (or <code>and</code>) mean all must match,
        <code>or</code>, <code>not</code> and parentheses combine.</p>
      <p>Fields: <code>name</code> <code>service</code> <code>kind</code> <code>status</code> <code>dur</code> <code>pid</code>
        <code>attr.KEY</code>; one system call of the span: <code>syscall.name</code> <code>syscall.dur</code> <code>path</code>
        <code>peer</code> <code>errno</code>.</p>
      <p>Operators: <code>=</code> <code>!=</code> exact, <code>~</code> <code>!~</code> substring (any case),
        <code>&lt;</code> <code>&lt;=</code> <code>&gt;</code> <code>&gt;=</code> numbers and durations (with a unit: <code>50ms</code>).</p>
      <p>Examples: <code>status=error</code>, <code>name~checkout dur&gt;200ms</code>,
        <code>syscall.name=fsync syscall.dur&gt;10ms</code>, <code>errno=ENOENT</code>. Reference: correlator/src/filter/FILTER.md.</p>
    </details>
    <p id="filter-error" role="alert" hidden></p>
  </form>
</header>
<main>
  <p id="drop-notice" role="status" hidden><span id="drop-text"></span> <strong id="drop-fix"></strong></p>
  <section id="spectrogram-panel">
    <div class="panel-head">
      <h2>Latency spectrogram</h2>
      <label>of <select id="spectro-mode"><option value="">spans</option></select></label>
      <span id="view-range" class="muted"></span>
      <span class="spacer"></span>
      <span class="view-buttons">
        <button id="zoom-in" type="button" title="Zoom in (or the mouse wheel over the plot)">+</button>
        <button id="zoom-out" type="button" title="Zoom out">&minus;</button>
        <button id="zoom-fit" type="button" title="Fit the time range to the data">Fit</button>
        <button id="pan-left" type="button" title="Earlier (or drag the time axis)">&#9664;</button>
        <button id="pan-right" type="button" title="Later (or drag the time axis)">&#9654;</button>
        <button id="pan-latest" type="button" title="Keep the zoom and follow the newest spans" hidden>Latest</button>
      </span>
    </div>
    <div id="spectrogram-frame">
      <div id="duration-axis-title" class="axis-title"></div>
      <div id="spectrogram-wrap">
        <canvas id="spectrogram" aria-label="Span count per time column and duration bucket"></canvas>
        <div id="selection" hidden></div>
        <div id="cell-tip" hidden></div>
        <div id="spectro-empty" class="empty" hidden></div>
      </div>
    </div>
    <div id="time-axis-title" class="axis-title"></div>
    <div class="legend"><span id="legend-unit" class="muted"></span>
      <span class="legend-scale"><canvas id="legend" width="200" height="10"></canvas><span id="legend-ticks"></span></span>
      <span class="spacer"></span><span class="muted">Drag over the cells to list their spans · wheel to zoom · drag the time axis to pan.</span></div>
  </section>
  <section id="percentile-panel">
    <div class="panel-head"><h2>Percentiles</h2><span id="percentile-scope" class="muted"></span>
      <span class="spacer"></span><span class="muted">Click a percentile to list the spans ranked around it.</span></div>
    <div class="table-wrap">
      <table id="percentiles">
        <thead><tr><th>Service</th><th>Span</th><th class="num">Count</th><th class="num">Errors</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">p99.9</th><th class="num">Max</th><th>Slowest 1 %: most time in</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>
  <section id="list-panel" hidden>
    <div class="panel-head"><h2>Spans in the selection</h2><span id="list-summary" class="muted"></span></div>
    <div class="table-wrap">
      <table id="span-list">
        <thead><tr><th>Name</th><th>Service</th><th>Start</th><th class="num">Duration</th><th>Status</th><th>Args</th></tr></thead>
        <tbody></tbody>
      </table>
      <p id="list-empty" class="empty" hidden></p>
    </div>
  </section>
  <section id="detail-panel" hidden>
    <div class="panel-head">
      <h2 id="detail-title"></h2>
      <span class="spacer"></span>
      <button id="detail-parent" type="button" hidden>Parent span</button>
      <a id="jaeger-link" target="_blank" rel="noopener noreferrer">Open trace in Jaeger</a>
    </div>
    <dl id="detail-meta"></dl>
    <h3>Where the time went</h3>
    <div id="time-breakdown"></div>
    <h4>System calls</h4>
    <div id="breakdown-bar"></div>
    <table id="breakdown"><thead><tr><th>Kind</th><th class="num">Time</th><th class="num">Share</th><th class="num">Calls</th></tr></thead><tbody></tbody></table>
    <h3>Waterfall</h3>
    <div id="wf-tools" class="wf-tools">
      <label title="Calls faster than this (per call) get no row; their span's row counts them. Failed calls always show.">Hide calls under <input id="wf-hide" type="number" min="0" step="1" value="1"> µs</label>
      <input id="wf-find" type="search" placeholder="Find in trace: name, path, peer, errno, arg" aria-label="Find in trace">
      <button id="wf-find-prev" type="button" title="Previous match (Shift+Enter)">↑</button>
      <button id="wf-find-next" type="button" title="Next match (Enter)">↓</button>
      <span id="wf-find-count" class="muted" aria-live="polite"></span>
      <span class="spacer"></span>
      <span class="wf-key critical" title="From the end of each root span backwards: the child span or system call that finished last, then inside it the same, then the one that finished last before it started. What the trace's end waited for.">critical path</span>
      <span class="wf-key error">error</span>
      <span class="wf-key focus">opened span</span>
    </div>
    <div id="wf-legend" class="legend" hidden></div>
    <div id="waterfall" role="table"></div>
  </section>
  <p id="error" role="alert" hidden></p>
</main>
</body>
</html>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" fill="#000"/><rect x="2" y="9" width="3" height="5" fill="#1a9c3a"/><rect x="6" y="5" width="3" height="9" fill="#e8d21d"/><rect x="10" y="2" width="3" height="12" fill="#d7301f"/></svg>
`;
