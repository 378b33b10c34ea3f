// An internal error while answering a request: the client gets a generic 500 (never a stack trace), and the error
// goes to the log the embedding CLI chose (its text or JSON notices), not straight to the console.
import { describe, expect, it, vi } from 'vitest';
import { createUiApp } from '../src/ui/app.js';
import { SpanStore } from '../src/ui/store.js';
import { CLOCK } from './ui-synthetic.js';

describe('UI internal errors', () => {
  it('answer 500 with a generic message and report the error through onError', async () => {
    const store = new SpanStore({ clock: CLOCK, maxSpans: 10 });
    store.stats = () => {
      throw new Error('store broke at /secret/path');
    };
    const seen: Error[] = [];
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const app = createUiApp({ store, onError: (err) => seen.push(err) });
      const res = await app.request('/api/stats');
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ error: 'Internal error while answering the request.' });
      expect(body).not.toContain('/secret/path');
      expect(seen.map((e) => e.message)).toEqual(['store broke at /secret/path']);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
  });
});
