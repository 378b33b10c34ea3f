import { defineConfig } from 'vitest/config';

// One `pnpm test` runs every package's unit tests and the end-to-end tests in test/.
// Cross-package imports resolve to TypeScript sources through the "source" export condition,
// so tests never run against a stale dist/.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['sdk/test/**/*.test.ts', 'probe/test/**/*.test.ts', 'correlator/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests attach real BPF programs; running files one at a time keeps them from seeing each other's processes
    // and keeps timing-sensitive kernel tests off a saturated 2-core machine.
    fileParallelism: false,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
