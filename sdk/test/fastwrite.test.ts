// The marker write path: the native module (built by `native/build.sh` at install) and the fs.writeSync fallback
// must write the same bytes and fail the same way (a negative errno, never a throw).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errnoName, writeBytes, writePath } from '../src/fastwrite.js';
import { parseMarker } from '../src/grammar.js';

const dir = mkdtempSync(join(tmpdir(), 'nullspan-fw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('native write', () => {
  it('is what this build uses (setup builds it; NULLSPAN_NATIVE=0 is for comparing)', () => {
    expect(writePath).toBe('native');
  });

  it('writes exactly the first n bytes and returns n', () => {
    const path = join(dir, 'n');
    const fd = openSync(path, 'a');
    const bytes = new TextEncoder().encode('>:1:a::<:1:a::');
    expect(writeBytes(fd, bytes, 7)).toBe(7);
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe('>:1:a::');
  });

  it('returns -errno instead of throwing: closed fd, length past the buffer, not a Uint8Array', () => {
    const fd = openSync(join(dir, 'c'), 'a');
    closeSync(fd);
    const r = writeBytes(fd, new Uint8Array(4), 4);
    expect(r).toBe(-constants.errno.EBADF);
    expect(errnoName(r)).toBe('EBADF');
    const ok = openSync('/dev/null', 'a');
    expect(writeBytes(ok, new Uint8Array(4), 5)).toBe(-constants.errno.EINVAL);
    expect(writeBytes(ok, new Uint16Array(4) as unknown as Uint8Array, 2)).toBe(-constants.errno.EINVAL);
    closeSync(ok);
  });
});

describe('both write paths', () => {
  // a child process per path (the choice is made once, at load); each writes the same spans to a file
  const script = `
    import { span } from '@nullspan/sdk';
    import { writePath } from '${new URL('../src/fastwrite.ts', import.meta.url).pathname.replace('/src/fastwrite.ts', '/dist/fastwrite.js')}';
    span.configure({ serviceName: 'svc,=:' });
    span.trace('db.query', { sql: 'select 1, 2', 'ü': '\\n' }, (s) => { span.start('leaf').end({ rows: 3 }); s.setError('bad:thing'); });
    console.log(writePath);
  `;
  const run = (native: string) => {
    const target = join(dir, `m-${native}`);
    const path = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, NULLSPAN_NATIVE: native, NULLSPAN_TARGET: target },
      encoding: 'utf8',
    }).trim();
    return { path, markers: splitMarkers(readFileSync(target)) };
  };

  it('write the same markers (ids aside)', () => {
    const native = run('1');
    const fs = run('0');
    expect(native.path).toBe('native');
    expect(fs.path).toBe('fs');
    expect(native.markers).toHaveLength(4);
    expect(fs.markers).toEqual(native.markers);
  });
});

/** The markers in a file, with the per-process ids and trace ids replaced by their position. */
function splitMarkers(bytes: Uint8Array): unknown[] {
  const out: unknown[] = [];
  const ids = new Map<string, number>();
  const norm = (id: string) => {
    if (!ids.has(id)) ids.set(id, ids.size);
    return ids.get(id);
  };
  for (let off = 0; off < bytes.length; ) {
    const m = parseMarker(bytes.subarray(off));
    if (!m.ok) throw new Error(`unparsable marker at ${off}`);
    const ext = Object.fromEntries(
      Object.entries(m.marker.ext).map(([k, v]) => [k, k === 'tid' || k === 'p' ? `#${norm(v)}` : v]),
    );
    out.push({ dir: m.marker.dir, id: norm(String(m.marker.id)), tags: m.marker.tags, args: m.marker.args, ext });
    off += m.length;
  }
  return out;
}
