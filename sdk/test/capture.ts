/**
 * Points the SDK at a temporary file instead of /dev/null (same open + one writeSync per marker as in
 * production) and reads back what was written, split into markers with the grammar's parser.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configure } from '../src/span.js';
import { parseMarker, type Marker } from '../src/grammar.js';

export interface Capture {
  path: string;
  /** every marker written so far, in order, with its raw byte length */
  markers(): (Marker & { bytes: number })[];
  stop(): void;
}

export function capture(options: { snapLength?: number; serviceName?: string } = {}): Capture {
  const dir = mkdtempSync(join(tmpdir(), 'nullspan-sdk-'));
  const path = join(dir, 'markers');
  configure({ target: path, snapLength: options.snapLength, serviceName: options.serviceName, enabled: true });
  return {
    path,
    markers() {
      let data: Buffer;
      try {
        data = readFileSync(path);
      } catch {
        return [];
      }
      const out: (Marker & { bytes: number })[] = [];
      let at = 0;
      while (at < data.length) {
        const r = parseMarker(data.subarray(at));
        if (!r.ok)
          throw new Error(
            `bytes at ${at} of ${path} do not parse: ${JSON.stringify(r)} ${JSON.stringify(data.subarray(at, at + 80).toString())}`,
          );
        out.push({ ...r.marker, bytes: r.length });
        at += r.length;
      }
      return out;
    },
    stop() {
      configure({ target: '/dev/null', enabled: true, snapLength: undefined, serviceName: undefined });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
