import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM build script without type declarations
import { bundleClient } from '../scripts/build-client.mjs';
import { APP_JS } from '../src/ui/assets/app-bundle.generated.js';

describe('ui client: the bundle', () => {
  it('the served /app.js is the bundle of the current client sources (run `pnpm run build` when this fails)', async () => {
    expect(APP_JS).toBe(await bundleClient());
  });

  it('is one self-contained module: no imports left, no HTML parsing of strings', () => {
    expect(APP_JS).not.toMatch(/^\s*import\s/m);
    expect(APP_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(APP_JS).toContain('dataset.ready');
  });
});
