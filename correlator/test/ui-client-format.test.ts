import { describe, expect, it } from 'vitest';
import {
  argsText,
  fmtBytes,
  fmtClock,
  fmtDuration,
  fmtIso,
  fmtShare,
  fmtStart,
  plural,
  trim3,
} from '../src/ui/client/format.js';

describe('ui client: formatting', () => {
  it('durations pick the largest unit that keeps the value ≥ 1, three significant digits', () => {
    expect(fmtDuration(null)).toBe('');
    expect(fmtDuration(undefined)).toBe('');
    expect(fmtDuration(0)).toBe('0 ns');
    expect(fmtDuration(999.4)).toBe('999 ns');
    expect(fmtDuration(1000)).toBe('1 µs');
    expect(fmtDuration(4_200)).toBe('4.2 µs');
    expect(fmtDuration(1_234_567)).toBe('1.23 ms');
    expect(fmtDuration(37_000_000)).toBe('37 ms');
    expect(fmtDuration(1.5e9)).toBe('1.5 s');
    expect(fmtDuration(12_345e9)).toBe('12345 s');
  });

  it('three significant digits without trailing zeros; 1000 and above as integers', () => {
    expect(trim3(10)).toBe('10');
    expect(trim3(123.456)).toBe('123');
    expect(trim3(0.00123456)).toBe('0.00123');
    expect(trim3(999.9)).toBe('1000');
    expect(trim3(1234.6)).toBe('1235');
  });

  it('sizes in B, KiB, MiB', () => {
    expect(fmtBytes(0)).toBe('0 B');
    expect(fmtBytes(1023)).toBe('1023 B');
    expect(fmtBytes(1024)).toBe('1 KiB');
    expect(fmtBytes(1536)).toBe('1.5 KiB');
    expect(fmtBytes(5 * 1048576)).toBe('5 MiB');
  });

  it('clock times of day, local, with optional milliseconds; starts in µs; ISO in UTC', () => {
    const ms = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();
    expect(fmtClock(ms)).toBe('03:04:05');
    expect(fmtClock(ms, true)).toBe('03:04:05.006');
    expect(fmtStart(ms * 1000 + 999)).toBe('03:04:05.006');
    expect(fmtIso(Date.UTC(2026, 0, 2, 3, 4, 5, 6) * 1000)).toBe('2026-01-02T03:04:05.006Z');
  });

  it('shares: one decimal, tiny non-zero shares never read as zero, a zero total does not divide by zero', () => {
    expect(fmtShare(1, 4)).toBe('25.0%');
    expect(fmtShare(0, 4)).toBe('0.0%');
    expect(fmtShare(1, 10_000)).toBe('<0.1%');
    expect(fmtShare(0.5, 0)).toBe('50.0%');
  });

  it('attributes and counts', () => {
    expect(argsText({ path: '/a', n: 3, ok: true })).toBe('path=/a, n=3, ok=true');
    expect(argsText({})).toBe('');
    expect(plural(1, 'span')).toBe('1 span');
    expect(plural(2, 'span')).toBe('2 spans');
    expect(plural(0, 'query', 'queries')).toBe('0 queries');
  });
});
