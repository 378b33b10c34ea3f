/**
 * Where markers go: one pre-opened file descriptor (normally /dev/null) and one reused buffer. Every marker is one
 * write() of buffer[0, n) (fastwrite.ts). Any failure — no /dev/null, something that is not the null device, a
 * closed fd, EBADF, EPIPE, ... — disables the sink for good and is said once on the debug channel: the application
 * never sees an exception from here.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import { errnoName, writeBytes, writePath } from './fastwrite.js';

/** `NODE_DEBUG=nullspan` prints what the SDK says about itself (enabling, disabling). */
const debug = debuglog('nullspan');
/** Published once when the sink gives up: `{ reason: string }`. */
export const disabledChannel = channel('nullspan:disabled');

/** The null character device is 1:3 on Linux. */
const NULL_DEVICE_RDEV = (1 << 8) | 3;

/** Whether fd is the null character device (a regular file at /dev/null, as in some containers, is not). */
export function isNullDevice(fd: number): boolean {
  const st = fstatSync(fd);
  return st.isCharacterDevice() && st.rdev === NULL_DEVICE_RDEV;
}

export const DEFAULT_SNAP_LENGTH = 4096;
export const MIN_SNAP_LENGTH = 256;
export const MAX_SNAP_LENGTH = 65536;

export interface SinkOptions {
  /**
   * Where to write markers: a path (opened for appending; only `/dev/null` is checked to be the null device), or
   * an already open fd the SDK will not close. Default: $NULLSPAN_TARGET (handy to look at an app's markers
   * without a probe), else `/dev/null`.
   */
  target?: string | number;
  /** Longest marker in bytes; longer args are cut and flagged `_trunc=1`. Default 4096 (the probe's snap length). */
  snapLength?: number;
  /** false: write nothing (spans and ids still work, so context propagation still works). Default: on unless NULLSPAN_DISABLED=1. */
  enabled?: boolean;
}

export class MarkerSink {
  /** The marker being built; sized snapLength. Encoders write here, then call flush(n). */
  buf: Uint8Array;
  snapLength: number;
  /** Nothing is written when false (disabled by option or by a failure). */
  active: boolean;
  /**
   * Markers go to /dev/null, where only a probe reads them: they are written while a probe acknowledges the
   * active-span slot (active.ts), unless NULLSPAN_MARKERS=always asks for every marker (for readers of null-device
   * writes that do not acknowledge, such as sysdig).
   */
  readonly onlyForProbe: boolean;
  private fd = -1;
  private ownsFd = false;
  private opened = false;
  private target: string | number;
  private failed = false;

  constructor(options: SinkOptions = {}) {
    this.target = options.target ?? (process.env.NULLSPAN_TARGET || '/dev/null');
    this.snapLength = clampSnapLength(options.snapLength);
    this.buf = new Uint8Array(this.snapLength); // not a Buffer: its slice() would be a view, not a copy
    this.active = options.enabled ?? process.env.NULLSPAN_DISABLED !== '1';
    this.onlyForProbe = this.target === '/dev/null' && process.env.NULLSPAN_MARKERS !== 'always';
  }

  /** Writes buf[0, n) as one write(); never throws. */
  flush(n: number): void {
    this.flushOther(this.buf, n);
  }

  /** Writes bytes[0, n) as one write() (also a marker built while another is being built); never throws. */
  flushOther(bytes: Uint8Array, n: number): void {
    if (!this.opened && !this.open()) return;
    const r = writeBytes(this.fd, bytes, n);
    if (r < 0) this.disable(`writing a marker failed (${errnoName(r)}); markers are off for this process`);
  }

  private open(): boolean {
    if (this.failed) return false;
    this.opened = true;
    if (typeof this.target === 'number') {
      this.fd = this.target;
      debug('writing markers to fd %d (%s write)', this.fd, writePath);
      return true;
    }
    try {
      this.fd = openSync(this.target, 'a');
      this.ownsFd = true;
      if (this.target === '/dev/null' && !isNullDevice(this.fd)) {
        // A regular file at /dev/null would grow forever with markers.
        this.disable('/dev/null is not the null character device; markers are off for this process');
        return false;
      }
      debug('writing markers to %s (fd %d, %s write)', this.target, this.fd, writePath);
      return true;
    } catch (e) {
      this.disable(`cannot open ${this.target} (${describe(e)}); markers are off for this process`);
      return false;
    }
  }

  private disable(reason: string): void {
    this.active = false;
    if (this.failed) return;
    this.failed = true;
    this.closeOwned();
    debug('%s', reason);
    try {
      if (disabledChannel.hasSubscribers) disabledChannel.publish({ reason });
    } catch {
      // a throwing subscriber must not reach the application either
    }
  }

  /** Closes the fd if the sink opened it (configure() replacing the sink). */
  close(): void {
    this.active = false;
    this.closeOwned();
  }

  private closeOwned(): void {
    if (this.ownsFd && this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed under us: nothing to release
      }
    }
    this.fd = -1;
    this.ownsFd = false;
  }
}

function clampSnapLength(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n)) return DEFAULT_SNAP_LENGTH;
  return Math.max(MIN_SNAP_LENGTH, Math.min(MAX_SNAP_LENGTH, Math.floor(n)));
}

function describe(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : String((e as Error)?.message ?? e);
}
