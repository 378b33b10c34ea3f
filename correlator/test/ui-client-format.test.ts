import { afterEach, describe, expect, it } from 'vitest';
import { argsText, fmtBytes, fmtDateTime, fmtDuration, fmtShare, plural, trim3 } from '../src/ui/client/format.js';

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

  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('an instant in full names its zone: UTC, or the local offset at that instant', () => {
    const ms = Date.UTC(2026, 0, 2, 23, 4, 5, 6);
    expect(fmtDateTime(ms, 'utc')).toBe('2026-01-02 23:04:05.006 UTC');
    process.env.TZ = 'Asia/Kolkata';
    expect(fmtDateTime(ms, 'local')).toBe('2026-01-03 04:34:05.006 UTC+05:30');
    process.env.TZ = 'America/New_York';
    expect(fmtDateTime(ms, 'local')).toBe('2026-01-02 18:04:05.006 UTC-05:00');
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
