// End to end: typed marker args (sdk/MARKERS.md, "Typed args") from a real node process using the SDK, and from a
// hand-written marker, traced by `nullspan run` on the real kernel, arrive in the OTLP JSON file as intValue,
// doubleValue and boolValue (the file is also decoded with the official schema).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOtlpJsonLines } from './helpers/otlp.js';
import { REPO, runCli, tempDir } from './helpers/cli.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

interface JsonSpan {
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

describe('typed args end to end', () => {
  it('numbers and booleans from the SDK and typed markers are typed OTLP values', async () => {
    const file = join(tmp.dir, 'typed.jsonl');
    const run = await runCli([
      'run',
      '--no-otlp',
      '--otlp-file',
      file,
      '--',
      process.execPath,
      join(REPO, 'test/fixtures/typed-args.mjs'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(decodeOtlpJsonLines(text).map((s) => s.name)).toEqual(expect.arrayContaining(['typed.job', 'plain.job']));
    const spans: JsonSpan[] = text
      .trim()
      .split('\n')
      .flatMap((line) =>
        JSON.parse(line).resourceSpans.flatMap((rs: { scopeSpans: { spans: JsonSpan[] }[] }) =>
          rs.scopeSpans.flatMap((ss) => ss.spans),
        ),
      );
    const valuesOf = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return Object.fromEntries(found[0].attributes.map((a) => [a.key, a.value]));
    };
    expect(valuesOf('typed.job')).toMatchObject({
      attempt: { intValue: 3 },
      ratio: { doubleValue: 0.25 },
      cached: { boolValue: true },
      big: { intValue: 2 ** 40 },
      label: { stringValue: '200' },
      'http.response.status_code': { intValue: 201 },
      done: { boolValue: false },
    });
    expect(valuesOf('plain.job')).toMatchObject({
      'server.port': { intValue: 8080 },
      load: { doubleValue: 1.5 },
      ok: { boolValue: true },
      bad: { stringValue: 'x' },
    });
  });
});
