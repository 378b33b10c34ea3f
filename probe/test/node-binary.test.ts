// The one rule for "is this a node binary" (libuv uprobes go on it), shared by Probe.spawn, Probe.addPid and the
// CLI's exec watcher.
import { describe, expect, it } from 'vitest';
import { isNodeBinary } from '../src/index.js';

describe('isNodeBinary', () => {
  it('takes absolute paths to executables named node*', () => {
    for (const p of ['/usr/bin/node', '/usr/local/bin/nodejs', '/opt/node-v20/bin/node20', '/node'])
      expect(isNodeBinary(p), p).toBe(true);
  });

  it("refuses relative paths (resolved on nullspan's side they would name another file) and other names", () => {
    for (const p of ['node', './node', 'bin/node', '/usr/bin/deno', '/usr/lib/node/python3', '/usr/bin/xnode', '']) {
      expect(isNodeBinary(p), p).toBe(false);
    }
  });
});
