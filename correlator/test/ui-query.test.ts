// The web UI API's parameter errors are sentences that say what the endpoint takes.
import { describe, expect, it } from 'vitest';
import { BadRequest, singleValues } from '../src/ui/query.js';

describe('unknown query parameters', () => {
  it('an endpoint without parameters says it takes none (not "expected" followed by nothing)', () => {
    expect(() => singleValues({ x: ['1'] }, [])).toThrow(
      new BadRequest("Unknown parameter 'x'; this endpoint takes no parameters."),
    );
  });

  it('an endpoint with parameters lists them', () => {
    expect(() => singleValues({ x: ['1'] }, ['from', 'to'])).toThrow("Unknown parameter 'x' (expected 'from', 'to').");
  });
});
