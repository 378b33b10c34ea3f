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
  <div id="stats" aria-live="polite"></div>
</header>
<main>
  <section id="spectrogram-panel">
    <div class="panel-head">
      <h2>Latency spectrogram</h2>
      <label>of <select id="spectro-mode"><option value="">spans</option></select></label>
      <span id="view-range" class="muted"></span>
      <span class="spacer"></span>
      <button id="pan-left" type="button" title="Earlier">&#9664;</button>
      <button id="pan-right" type="button" title="Later">&#9654;</button>
      <button id="pan-latest" type="button" title="Follow the newest spans">Latest</button>
    </div>
    <div id="spectrogram-wrap">
      <canvas id="spectrogram" aria-label="Span count per time column and duration bucket"></canvas>
      <div id="selection" hidden></div>
      <div id="cell-tip" hidden></div>
    </div>
    <div class="legend"><span class="muted">fewer</span><canvas id="legend" width="160" height="10"></canvas><span class="muted">more spans</span>
      <span class="spacer"></span><span class="muted">Drag a rectangle over the cells to list the spans in it.</span></div>
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
