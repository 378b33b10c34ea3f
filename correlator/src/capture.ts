// Capture files (`nullspan run --write FILE`): the raw probe batches, verbatim, plus everything needed to replay
// them into exactly the same spans — initial process/fd state, clock offset, host name, id seed. Format
// (little-endian; documented in correlator/CAPTURE.md):
//
//   magic "NULLSPAN" | u16 version=2 | u16 flags=0 | u32 header length | header JSON (UTF-8) | u32 CRC32(header)
//   block*: u8 type ('B' batch | 'E' end) | 3 zero bytes | u32 payload length | u32 CRC32(payload) | payload
//
// 'B' payloads are probe batches exactly as the probe delivered them (decoded with decodeBatch at replay);
// the optional 'E' block (JSON) closes the file with the run's statistics. Files are created mode 0600.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { crc32 } from 'node:zlib';
import { openPrivateFile } from './private-file.js';
import type { InitialState } from './state/snapshot.js';

export const CAPTURE_MAGIC = 'NULLSPAN';
export const CAPTURE_VERSION = 3; // 3: scheduler times in syscall (168-byte) and marker (120-byte) records
const PREAMBLE = 16; // magic + version + flags + header length
const BLOCK_HEADER = 12;
const TYPE_BATCH = 0x42; // 'B'
const TYPE_END = 0x45; // 'E'
/** no single probe batch comes near this: a larger length field means a corrupt file */
const MAX_BLOCK = 256 * 1024 * 1024;
const MAX_HEADER = 1024 * 1024 * 1024;

export interface CaptureHeader {
  format: 'nullspan-capture';
  version: number;
  createdAt: string;
  hostName: string;
  /** Clock.wallOffsetNs as a decimal string (JSON has no 64-bit integers) */
  wallOffsetNs: string;
  /** seeds generated trace/span ids, so replay reproduces them */
  idSeed: string;
  /** the probe's options for the run (syscall selection, snap length, ...) */
  probe: Record<string, unknown>;
  initialState: InitialState;
  /** anything else the writer wants to keep (CLI arguments, versions, ...) */
  meta?: Record<string, unknown>;
}

export type CaptureHeaderInput = Omit<CaptureHeader, 'format' | 'version' | 'createdAt'> & { createdAt?: string };

export interface CaptureTrailer {
  endedAt: string;
  batches: number;
  [key: string]: unknown;
}

/** A capture file is unreadable from `offset` on; everything before it was valid. */
export class CaptureFormatError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number,
    problem: string,
  ) {
    super(`${path}: ${problem} at byte offset ${offset}`);
    this.name = 'CaptureFormatError';
  }
}

/** The capture file could not be written (disk full, a file that refuses writes such as /proc/version). */
export class CaptureWriteError extends Error {
  constructor(
    readonly path: string,
    cause: NodeJS.ErrnoException,
  ) {
    const known = typeof cause.errno === 'number' ? getSystemErrorMap().get(cause.errno) : undefined;
    super(`cannot write the capture ${path}: ${known ? `${known[1]} (${known[0]})` : cause.message}`);
    this.name = 'CaptureWriteError';
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

export class CaptureWriter {
  private fd: number | null;
  private batches = 0;
  bytesWritten = 0;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Creates (or truncates) `path` with mode 0600 (openPrivateFile: an existing file's mode is forced to 0600, a
   * symbolic link is refused, so a planted link cannot redirect the write).
   */
  static create(path: string, input: CaptureHeaderInput): CaptureWriter {
    const fd = openPrivateFile(path);
    try {
      const w = new CaptureWriter(path, fd);
      const header: CaptureHeader = {
        format: 'nullspan-capture',
        version: CAPTURE_VERSION,
        createdAt: input.createdAt ?? new Date().toISOString(),
        hostName: input.hostName,
        wallOffsetNs: input.wallOffsetNs,
        idSeed: input.idSeed,
        probe: input.probe,
        initialState: input.initialState,
        ...(input.meta ? { meta: input.meta } : {}),
      };
      const json = Buffer.from(JSON.stringify(header), 'utf8');
      const pre = Buffer.alloc(PREAMBLE);
      pre.write(CAPTURE_MAGIC, 0, 'latin1');
      pre.writeUInt16LE(CAPTURE_VERSION, 8);
      pre.writeUInt16LE(0, 10);
      pre.writeUInt32LE(json.length, 12);
      const crc = Buffer.alloc(4);
      crc.writeUInt32LE(crc32(json), 0);
      w.write(pre);
      w.write(json);
      w.write(crc);
      return w;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  private write(b: Uint8Array): void {
    if (this.fd === null) throw new Error(`capture ${this.path} is already closed`);
    try {
      writeAll(this.fd, b);
    } catch (err) {
      throw new CaptureWriteError(this.path, err as NodeJS.ErrnoException);
    }
    this.bytesWritten += b.length;
  }

  private block(type: number, payload: Uint8Array): void {
    const h = Buffer.alloc(BLOCK_HEADER);
    h[0] = type;
    h.writeUInt32LE(payload.length, 4);
    h.writeUInt32LE(crc32(payload), 8);
    this.write(h);
    this.write(payload);
  }

  /** One probe batch, verbatim. */
  writeBatch(bytes: Uint8Array): void {
    this.block(TYPE_BATCH, bytes);
    this.batches++;
  }

  /** Writes the end block (statistics of the run) and closes the file. */
  end(extra: Record<string, unknown> = {}): void {
    const trailer: CaptureTrailer = { ...extra, endedAt: new Date().toISOString(), batches: this.batches };
    this.block(TYPE_END, Buffer.from(JSON.stringify(trailer), 'utf8'));
    this.close();
  }

  /** Closes without an end block (the reader accepts that: the run may have been killed). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class CaptureReader {
  readonly header: CaptureHeader;
  /** set once the end block was read */
  trailer: CaptureTrailer | undefined;
  private fd: number | null;
  private pos: number;

  private constructor(
    readonly path: string,
    fd: number,
    header: CaptureHeader,
    pos: number,
  ) {
    this.fd = fd;
    this.header = header;
    this.pos = pos;
  }

  /** Opens a capture and reads its header; throws CaptureFormatError (with the offset) if it is not valid. */
  static open(path: string): CaptureReader {
    const fd = openSync(path, 'r');
    try {
      const pre = readExactly(fd, 0, PREAMBLE);
      if (pre.length < 8 || pre.subarray(0, 8).toString('latin1') !== CAPTURE_MAGIC) {
        throw new CaptureFormatError(path, 0, 'not a nullspan capture file (bad magic)');
      }
      if (pre.length < PREAMBLE) throw new CaptureFormatError(path, pre.length, 'file truncated inside the preamble');
      const version = pre.readUInt16LE(8);
      if (version !== CAPTURE_VERSION) {
        throw new CaptureFormatError(
          path,
          8,
          `unsupported capture version ${version} (this nullspan reads version ${CAPTURE_VERSION})`,
        );
      }
      const len = pre.readUInt32LE(12);
      if (len > MAX_HEADER) throw new CaptureFormatError(path, 12, `implausible header length ${len}`);
      const json = readExactly(fd, PREAMBLE, len);
      if (json.length < len)
        throw new CaptureFormatError(path, PREAMBLE + json.length, 'file truncated inside the header');
      const crc = readExactly(fd, PREAMBLE + len, 4);
      if (crc.length < 4)
        throw new CaptureFormatError(path, PREAMBLE + len + crc.length, 'file truncated inside the header checksum');
      if (crc.readUInt32LE(0) !== crc32(json)) throw new CaptureFormatError(path, PREAMBLE, 'header checksum mismatch');
      let header: CaptureHeader;
      try {
        header = JSON.parse(json.toString('utf8')) as CaptureHeader;
      } catch {
        throw new CaptureFormatError(path, PREAMBLE, 'header is not valid JSON');
      }
      if (
        header?.format !== 'nullspan-capture' ||
        typeof header.wallOffsetNs !== 'string' ||
        typeof header.idSeed !== 'string' ||
        !header.initialState
      ) {
        throw new CaptureFormatError(path, PREAMBLE, 'header lacks required fields');
      }
      return new CaptureReader(path, fd, header, PREAMBLE + len + 4);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Byte offset of the next block. */
  get offset(): number {
    return this.pos;
  }

  /** File offset of the payload batches() yielded last (where its first record starts). */
  batchOffset = 0;

  /**
   * Yields each probe batch in order. At a truncated or corrupt block it throws CaptureFormatError naming the
   * block's offset — after everything before it was yielded.
   */
  *batches(): Generator<Uint8Array> {
    while (this.fd !== null) {
      const at = this.pos;
      const h = readExactly(this.fd, at, BLOCK_HEADER);
      if (h.length === 0) return; // clean end of file (no end block: the run was cut short)
      if (h.length < BLOCK_HEADER) throw new CaptureFormatError(this.path, at, 'file truncated inside a block header');
      const type = h[0];
      const len = h.readUInt32LE(4);
      if ((type !== TYPE_BATCH && type !== TYPE_END) || h[1] !== 0 || h[2] !== 0 || h[3] !== 0) {
        throw new CaptureFormatError(this.path, at, `corrupt block header (type byte 0x${type.toString(16)})`);
      }
      if (len > MAX_BLOCK) throw new CaptureFormatError(this.path, at, `corrupt block header (length ${len})`);
      const payload = readExactly(this.fd, at + BLOCK_HEADER, len);
      if (payload.length < len) {
        throw new CaptureFormatError(
          this.path,
          at,
          `file truncated inside a block (${payload.length} of ${len} bytes)`,
        );
      }
      if (crc32(payload) !== h.readUInt32LE(8)) throw new CaptureFormatError(this.path, at, 'block checksum mismatch');
      this.pos = at + BLOCK_HEADER + len;
      if (type === TYPE_END) {
        try {
          this.trailer = JSON.parse(payload.toString('utf8')) as CaptureTrailer;
        } catch {
          throw new CaptureFormatError(this.path, at, 'end block is not valid JSON');
        }
        const rest = readExactly(this.fd, this.pos, 1);
        if (rest.length > 0) throw new CaptureFormatError(this.path, this.pos, 'data after the end block');
        return;
      }
      this.batchOffset = at + BLOCK_HEADER;
      yield payload;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads up to `len` bytes at `pos` (fewer only at end of file). */
function readExactly(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}
