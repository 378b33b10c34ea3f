// Typed args from the SDK (sdk/MARKERS.md, "Typed args"): what is written for each kind of JavaScript value, and
// that a typed value is never cut short by the snap length.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { span } from '../src/index.js';
import { formatMarker, parseMarker } from '../src/grammar.js';
import { capture, type Capture } from './capture.js';

let cap: Capture;
beforeEach(() => {
  cap = capture();
});
afterEach(() => cap.stop());

describe('typed args', () => {
  it('numbers, booleans and bigints are written as _i./_d./_b. and parse back typed', () => {
    span.start('t', undefined, { parent: null }).end({
      int: 200,
      neg: -7,
      negZero: -0,
      max: Number.MAX_SAFE_INTEGER,
      double: 1.5,
      small: 5e-324,
      yes: true,
      no: false,
      big: 42n,
      nan: NaN,
      inf: -Infinity,
      unsafe: 2 ** 60,
      hugeBig: 2n ** 64n,
      str: '200',
      obj: { a: 1 },
      'http.response.status_code': '404',
      _under: 3,
    });
    const text = readFileSync(cap.path, 'utf8');
    expect(text).toContain(
      ':_i.int=200,_i.neg=-7,_i.negZero=0,_i.max=9007199254740991,_d.double=1.5,_d.small=5e-324,_b.yes=true,_b.no=false,_i.big=42,',
    );
    expect(text).toContain(',nan=NaN,inf=-Infinity,unsafe=1152921504606847000,hugeBig=18446744073709551616,str=200,');
    expect(text).toContain(',_i._under=3:'); // the type prefix already marks it reserved: no extra `_`
    const exit = cap.markers()[1];
    expect(exit.args).toEqual([
      ['int', 200],
      ['neg', -7],
      ['negZero', 0],
      ['max', Number.MAX_SAFE_INTEGER],
      ['double', 1.5],
      ['small', 5e-324],
      ['yes', true],
      ['no', false],
      ['big', 42],
      ['nan', 'NaN'],
      ['inf', '-Infinity'],
      ['unsafe', '1152921504606847000'],
      ['hugeBig', '18446744073709551616'],
      ['str', '200'],
      ['obj', '{"a":1}'],
      ['http.response.status_code', 404], // a semantic-convention int key is typed even when written as text
      ['_under', 3],
    ]);
    expect(Object.is(exit.args[2][1], -0)).toBe(false);
  });

  it('a typed arg that does not fit the snap length is left out whole, never cut', () => {
    cap.stop();
    cap = capture({ snapLength: 256 });
    for (let pad = 150; pad < 260; pad++) {
      span.start('t', { pad: 'x'.repeat(pad), n: 1234567890123, d: 0.000123456789, b: false }, { parent: null }).end();
    }
    let cut = 0;
    for (const m of cap.markers().filter((m) => m.dir === '>')) {
      expect(m.bytes).toBeLessThanOrEqual(256);
      const args = new Map(m.args);
      if (m.ext.trunc === '1') cut++;
      for (const [k, v] of [
        ['n', 1234567890123],
        ['d', 0.000123456789],
        ['b', false],
      ] as const) {
        if (args.has(k)) expect(args.get(k)).toBe(v);
        else expect(m.ext.trunc).toBe('1');
      }
    }
    expect(cut).toBeGreaterThan(0);
  });

  it('formatMarker writes typed values and refuses numbers no typed arg can carry', () => {
    const m = {
      dir: '>' as const,
      id: 1,
      tags: ['a'],
      args: [
        ['i', -3],
        ['d', 0.5],
        ['b', true],
        ['s', 'x'],
      ] as [string, number | boolean | string][],
      ext: {},
    };
    const bytes = formatMarker(m);
    expect(new TextDecoder().decode(bytes)).toBe('>:1:a:_i.i=-3,_d.d=0.5,_b.b=true,s=x:');
    const back = parseMarker(bytes);
    expect(back.ok && back.marker).toEqual(m);
    for (const bad of [NaN, Infinity, 2 ** 53]) {
      expect(() => formatMarker({ ...m, args: [['x', bad]] })).toThrow(RangeError);
    }
  });
});
