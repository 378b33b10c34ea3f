import { describe, expect, it } from 'vitest';
import { JsonWriter, ascii } from '../src/jsonwriter.js';

/** Deterministic pseudo-random strings: ASCII, escapes, non-ASCII, lone surrogates; many repeats and collisions. */
function strings(count: number): string[] {
  let x = 12345;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const alphabet = ['a', 'b', '/', '.', '"', '\\', '\n', 'é', '日', '\ud800', '\u2028', '0', '-', '>', ' '];
  const pool: string[] = [];
  for (let i = 0; i < 300; i++) {
    const len = Math.floor(rnd() * 40);
    let s = '';
    for (let k = 0; k < len; k++)
      s +=
        rnd() < 0.8 ? String.fromCharCode(97 + Math.floor(rnd() * 26)) : alphabet[Math.floor(rnd() * alphabet.length)];
    pool.push(s);
  }
  return Array.from({ length: count }, () => pool[Math.floor(rnd() * pool.length)]);
}

describe('JsonWriter', () => {
  it('writes string literals exactly as JSON.stringify + UTF-8, through the literal cache and without it', () => {
    const w = new JsonWriter(64);
    const all = strings(5000);
    let expected = '';
    for (const s of all) {
      w.cachedStr(s);
      w.raw(ascii(','));
      w.str(s);
      expected += `${JSON.stringify(s)},${JSON.stringify(s)}`;
    }
    expect(Buffer.from(w.bytes()).toString('utf8')).toBe(expected);
  });

  it('writes integers, zero-padded digits and hex words', () => {
    const w = new JsonWriter(8);
    const nums = [0, 7, 10, 99, 100, 2147483647, 2147483648, -1, -104, 2 ** 53 - 1, 1.5, -0];
    for (const n of nums) {
      w.num(n);
      w.raw(ascii(' '));
    }
    w.padded(42, 9);
    w.hex32(0xdeadbeef);
    w.hex32(1);
    expect(Buffer.from(w.bytes()).toString()).toBe(
      `${nums.map((n) => JSON.stringify(n)).join(' ')} 000000042deadbeef00000001`,
    );
  });
});
