// The native addon takes the record layout's constants from bpf/nullspan.h, the one source the BPF program and
// (through layout.generated.ts) the TypeScript decoder use: a number of that header written out again in
// probe/native silently disagrees the day the header changes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIZES } from '../src/layout.generated.js';

const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

/** NS_* values of bpf/nullspan.h (#defines and enum members) large enough to be recognisable as that constant,
 *  and the header record's size. */
function headerValues(): Map<number, string> {
  const header = read('bpf/nullspan.h');
  const values = new Map<number, string>();
  for (const m of header.matchAll(/^\s*#define\s+(NS_\w+)\s+(0x[0-9a-f]+|\d+)\b/gim)) values.set(Number(m[2]), m[1]);
  for (const m of header.matchAll(/^\s*(NS_\w+)\s*=\s*(\d+),/gm)) values.set(Number(m[2]), m[1]);
  values.set(SIZES.ns_hdr, 'sizeof(struct ns_hdr)');
  for (const v of [...values.keys()]) if (v < 16) values.delete(v);
  return values;
}

/** Code lines of a C/C++ file without comments and string literals. */
function codeLines(text: string): string[] {
  const noBlock = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  return noBlock.split('\n').map((l) => l.replace(/\/\/.*$/, '').replace(/"(?:[^"\\]|\\.)*"/g, '""'));
}

describe('probe/native and bpf/nullspan.h', () => {
  it("restate none of the header's constants as literals", () => {
    const values = headerValues();
    expect(values.get(512)).toBe('NS_NR_MAX');
    const found: string[] = [];
    for (const file of ['probe/native/addon.cc', 'probe/native/core.h', 'probe/native/core.c']) {
      codeLines(read(file)).forEach((line, i) => {
        // error-message buffers are sized for sentences, not records; a #define names a constant of the file's own
        if (/\bchar \w+\[\d+\]/.test(line) || /^\s*#define\s/.test(line)) return;
        for (const m of line.matchAll(/(?<![\w.])(\d+)(?![\w.])/g)) {
          const name = values.get(Number(m[1]));
          if (name !== undefined) found.push(`${file}:${i + 1}: ${m[1]} (${name}): ${line.trim()}`);
        }
      });
    }
    expect(found).toEqual([]);
  });

  it('size the syscall selection and the drop counters by the header', () => {
    expect(read('probe/native/core.h')).toMatch(/syscall_mask\[NS_NR_MAX \/ 64\]/);
    const addon = codeLines(read('probe/native/addon.cc')).join('\n');
    expect(addon).not.toMatch(/\* 3\b|\[3\]|< 3\b/);
  });
});
