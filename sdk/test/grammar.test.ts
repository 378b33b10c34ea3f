import { describe, expect, it } from 'vitest';
import { decodeWtf8, formatMarker, isMarkerStart, parseMarker, type Marker } from '../src/grammar.js';
import { readConformanceVectors } from './vectors.js';
import { rng } from './rng.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('MARKERS.md conformance block', () => {
  const vectors = readConformanceVectors();
  it('has vectors', () => expect(vectors.length).toBeGreaterThan(30));
  for (const v of vectors) {
    it(`parses ${JSON.stringify(v.in)}`, () => {
      const r = parseMarker(utf8(v.in));
      if ('error' in v) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.incomplete).toBe(false);
          if (!r.incomplete) {
            expect(r.error).toMatch(/^[^\n]+$/);
            expect(r.offset).toBeGreaterThanOrEqual(0);
            expect(r.offset).toBeLessThanOrEqual(utf8(v.in).length);
          }
        }
      } else if ('incomplete' in v) {
        expect(r).toEqual({ ok: false, incomplete: true });
      } else {
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.marker).toEqual({ dir: v.dir, id: v.id, tags: v.tags, args: v.args, ext: v.ext });
          // formatting the parse result gives a marker that means the same
          const again = parseMarker(formatMarker(r.marker));
          expect(again.ok && again.marker).toEqual(r.marker);
        }
      }
    });
  }
});

describe('IDs', () => {
  it('accepts the largest safe integers and rejects anything beyond ±(2^53 - 1)', () => {
    const ok = parseMarker(utf8('>:9007199254740991:a::'));
    expect(ok.ok && ok.marker.id).toBe(9007199254740991);
    const neg = parseMarker(utf8('<:-9007199254740991:a::'));
    expect(neg.ok && neg.marker.id).toBe(-9007199254740991);
    for (const s of [
      '>:9007199254740992:a::',
      '>:-9007199254740992:a::',
      '>:99999999999999999999999:a::',
      '>:99999999999999999999',
    ]) {
      const r = parseMarker(utf8(s));
      expect(r.ok === false && !r.incomplete && r.error).toMatch(/out of range/);
    }
  });
  it('formats and reparses every ID form', () => {
    for (const id of [
      0,
      1,
      -1,
      't',
      'p',
      'pp',
      2 ** 40,
      2 ** 52 + 12345,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ] as const) {
      const m: Marker = { dir: '<', id, tags: ['x'], args: [], ext: {} };
      const r = parseMarker(formatMarker(m));
      expect(r.ok && r.marker).toEqual(m);
    }
  });
  it('refuses to format what the grammar cannot express', () => {
    expect(() => formatMarker({ dir: '>', id: 2 ** 53, tags: ['a'], args: [], ext: {} })).toThrow(RangeError);
    expect(() => formatMarker({ dir: '>', id: 1.5, tags: ['a'], args: [], ext: {} })).toThrow(RangeError);
    expect(() => formatMarker({ dir: '>', id: 1, tags: [''], args: [], ext: {} })).toThrow(RangeError);
    expect(() => formatMarker({ dir: '>', id: 1, tags: ['a'], args: [['', 'v']], ext: {} })).toThrow(RangeError);
  });
});

describe('isMarkerStart', () => {
  it('looks at the first byte only', () => {
    expect(isMarkerStart(utf8('>x'))).toBe(true);
    expect(isMarkerStart(utf8('<'))).toBe(true);
    expect(isMarkerStart(utf8(' >:t:a::'))).toBe(false);
    expect(isMarkerStart(new Uint8Array(0))).toBe(false);
  });
});

// ---- property-style round trips with hostile strings (seeded, so a failure reproduces)

const HOSTILE = [
  ':',
  ',',
  '=',
  '.',
  '\\',
  '\n',
  '>',
  '<',
  '_',
  ' ',
  '\r',
  '\0',
  'é',
  '日',
  '😀',
  '\ud800',
  '\udc00',
  '\udbff',
  'a',
  'Z',
  '0',
  '-',
  '\u2028',
  '\uffff',
];

function hostileString(r: () => number, maxLen: number, nonEmpty = false): string {
  const len = Math.floor(r() * maxLen) + (nonEmpty ? 1 : 0);
  let s = '';
  for (let i = 0; i < len; i++) s += HOSTILE[Math.floor(r() * HOSTILE.length)];
  return s;
}

function randomMarker(r: () => number): Marker {
  const ids = ['t', 'p', 'pp', 0, 7, -3, 2 ** 40 + Math.floor(r() * 2 ** 30), Number.MAX_SAFE_INTEGER] as const;
  const tags: string[] = [];
  for (let i = Math.floor(r() * 4); i > 0; i--) tags.push(hostileString(r, 12, true));
  const args: [string, string][] = [];
  for (let i = Math.floor(r() * 5); i > 0; i--) args.push([hostileString(r, 10, true), hostileString(r, 20)]);
  const ext: Record<string, string> = {};
  for (let i = Math.floor(r() * 3); i > 0; i--) {
    let k = hostileString(r, 6, true);
    while (k.startsWith('_')) k = k.slice(1);
    if (k !== '' && k !== '__proto__') ext[k] = hostileString(r, 10);
  }
  return { dir: r() < 0.5 ? '>' : '<', id: ids[Math.floor(r() * ids.length)], tags, args, ext };
}

describe('round trip with hostile strings', () => {
  it('parses back everything it formats, exactly', () => {
    const r = rng(42);
    for (let n = 0; n < 3000; n++) {
      const m = randomMarker(r);
      const bytes = formatMarker(m);
      const p = parseMarker(bytes);
      if (!p.ok) throw new Error(`marker ${JSON.stringify(m)} did not parse: ${JSON.stringify(p)}`);
      expect(p.marker).toEqual(m);
      expect(p.length).toBe(bytes.length);
    }
  });

  it('reports every cut-short prefix as incomplete, never as malformed', () => {
    const r = rng(7);
    for (let n = 0; n < 300; n++) {
      const bytes = formatMarker(randomMarker(r));
      for (let cut = 1; cut < bytes.length; cut++) {
        expect(parseMarker(bytes.subarray(0, cut))).toEqual({ ok: false, incomplete: true });
      }
    }
  });

  it('ignores what follows the final colon', () => {
    const m: Marker = { dir: '>', id: 5, tags: ['a:b'], args: [['k', 'v:\n']], ext: { p: '4' } };
    const bytes = formatMarker(m);
    const withRest = new Uint8Array(bytes.length + 3);
    withRest.set(bytes);
    withRest.set(utf8('>:t'), bytes.length);
    const p = parseMarker(withRest);
    expect(p.ok && p.marker).toEqual(m);
    expect(p.ok && p.length).toBe(bytes.length);
  });

  it('carries huge values', () => {
    const big = `${'x:,='.repeat(50_000)}\ud800`;
    const m: Marker = { dir: '>', id: 't', tags: ['big'], args: [['v', big]], ext: {} };
    const p = parseMarker(formatMarker(m));
    expect(p.ok && p.marker.args[0][1]).toBe(big);
  });

  it('keeps user args that start with an underscore apart from reserved ones', () => {
    const m: Marker = {
      dir: '>',
      id: 1,
      tags: ['a'],
      args: [
        ['_p', 'mine'],
        ['__x', 'y'],
        ['_', 'z'],
      ],
      ext: { p: '9', tid: 'abc' },
    };
    const text = new TextDecoder().decode(formatMarker(m));
    expect(text).toBe('>:1:a:_p=9,_tid=abc,__p=mine,___x=y,__=z:');
    expect(parseMarker(utf8(text))).toMatchObject({ ok: true, marker: m });
  });
});

describe('hostile bytes', () => {
  it('never throws on random bytes', () => {
    const r = rng(99);
    const alphabet = utf8('><:.,=\\\nabt0-9_');
    for (let n = 0; n < 20000; n++) {
      const len = Math.floor(r() * 40);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++)
        b[i] = r() < 0.9 ? alphabet[Math.floor(r() * alphabet.length)] : Math.floor(r() * 256);
      if (len > 0 && r() < 0.8) b[0] = r() < 0.5 ? 0x3e : 0x3c;
      const p = parseMarker(b);
      expect(typeof p.ok).toBe('boolean');
    }
  });
  it('decodes invalid UTF-8 to U+FFFD and WTF-8 surrogates to lone code units', () => {
    expect(decodeWtf8(Uint8Array.from([0x61, 0xff, 0x62]), 0, 3)).toBe('a\ufffdb');
    expect(decodeWtf8(Uint8Array.from([0xed, 0xa0, 0x80]), 0, 3)).toBe('\ud800');
    expect(decodeWtf8(Uint8Array.from([0xe6, 0x97]), 0, 2)).toBe('\ufffd\ufffd');
    expect(decodeWtf8(Uint8Array.from([0xc0, 0x80]), 0, 2)).toBe('\ufffd\ufffd'); // overlong
    expect(decodeWtf8(utf8('😀日é'), 0, utf8('😀日é').length)).toBe('😀日é');
  });
});
