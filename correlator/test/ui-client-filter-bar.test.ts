// The filter input's error echo: the expression split around the column the server's 400 answer names.
import { describe, expect, it } from 'vitest';
import { markColumn } from '../src/ui/client/expression-mark.js';

describe('markColumn', () => {
  it('marks the character at a 1-based column', () => {
    expect(markColumn('dur>fast', 5)).toEqual({ before: 'dur>', at: 'f', after: 'ast' });
    expect(markColumn('x', 1)).toEqual({ before: '', at: 'x', after: '' });
  });

  it('counts a character outside the BMP as one column', () => {
    expect(markColumn('name=😀 kind=bogus', 8)).toEqual({ before: 'name=😀 ', at: 'k', after: 'ind=bogus' });
  });

  it('marks nothing past the end (a token is missing) and clamps nonsense columns', () => {
    expect(markColumn('service=', 9)).toEqual({ before: 'service=', at: '', after: '' });
    expect(markColumn('abc', 99)).toEqual({ before: 'abc', at: '', after: '' });
    expect(markColumn('abc', 0)).toEqual({ before: '', at: 'a', after: 'bc' });
  });
});
