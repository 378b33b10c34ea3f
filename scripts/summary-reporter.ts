import type { Reporter, TestModule } from 'vitest/node';

// Ends every `pnpm test` with one plain line, `N passed, N failed, N skipped`, that any CI log reader understands
// (vitest's own summary is colored and multi-part). Tests marked it.fails count as passed when they fail as
// expected, as vitest counts them.
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // a file that failed to load has no tests but must not read as green
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
