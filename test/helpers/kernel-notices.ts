// The notices a kernel lacking a BPF feature (or a forced fallback) adds to the CLI's stderr, so that end-to-end
// tests expecting "nothing on stderr" hold on every supported kernel and still catch any other line.
import { logLine } from '../../correlator/src/cli/log.js';
import { possibleFallbackNotices } from '../../probe/test/helpers.js';

/** Each line of the CLI's text stderr that names a kernel feature the probe does without. */
export function fallbackNoticeLines(): Set<string> {
  return new Set([...possibleFallbackNotices()].map((n) => logLine('text', 'info', n)));
}

/** `stderr` without the kernel-feature notice lines (exact lines only; every other byte is kept). */
export function withoutFallbackNotices(stderr: string): string {
  const lines = fallbackNoticeLines();
  return stderr
    .split(/(?<=\n)/)
    .filter((line) => !lines.has(line))
    .join('');
}
