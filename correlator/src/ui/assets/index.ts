// The allow-list of files the UI serves: URL path → in-memory body. Nothing else is served, nothing is read
// from disk at request time.

import { APP_JS } from './app-bundle.generated.js';
import { FAVICON_SVG, PAGE_HTML } from './page.js';
import { PAGE_CSS } from './style.js';

export interface StaticFile {
  type: string;
  body: string;
}

const html: StaticFile = { type: 'text/html; charset=utf-8', body: PAGE_HTML };

export const STATIC_FILES: Readonly<Record<string, StaticFile>> = {
  '/': html,
  '/index.html': html,
  '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  '/app.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/favicon.svg': { type: 'image/svg+xml', body: FAVICON_SVG },
};
