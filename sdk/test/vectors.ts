/**
 * The conformance vectors of sdk/MARKERS.md (its ```jsonl block), for the SDK's and the correlator's tests.
 * Import by relative path: `import { readConformanceVectors } from '../../sdk/test/vectors.js'`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MARKERS_MD = fileURLToPath(new URL('../MARKERS.md', import.meta.url));

export type ConformanceVector =
  | {
      in: string;
      dir: '>' | '<';
      id: number | 't' | 'p' | 'pp';
      tags: string[];
      args: [string, string | number | boolean][];
      ext: Record<string, string>;
    }
  | { in: string; error: true }
  | { in: string; incomplete: true };

export function readConformanceVectors(path: string = MARKERS_MD): ConformanceVector[] {
  const text = readFileSync(path, 'utf8');
  const m = /```jsonl\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error(`${path} has no \`\`\`jsonl conformance block`);
  return m[1]
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as ConformanceVector;
      } catch (e) {
        throw new Error(`${path}: conformance line ${i + 1} is not JSON: ${(e as Error).message}`);
      }
    });
}
