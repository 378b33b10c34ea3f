// The retained spans in arrival order, with the values every scan tests kept in parallel typed arrays: a window,
// scope or spectrogram scan reads four flat arrays instead of chasing one object per span (100,000 spans scan in
// well under a millisecond), and the entries array doubles as the eviction FIFO (oldest at `head`).

/** Bits of `flags`. */
export const ROOT = 1; // no parent in its process: no parent span id, or a remote parent from trace context
export const SERVER = 2; // kind server
export const ERROR = 4; // status error

const INITIAL_CAPACITY = 1024;

export class SpanColumns<E> {
  /** span start, wall clock, µs since the epoch */
  startUs = new Float64Array(INITIAL_CAPACITY);
  durationNs = new Float64Array(INITIAL_CAPACITY);
  bucket = new Uint8Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  entries: (E | undefined)[] = new Array(INITIAL_CAPACITY);
  /** retained rows are [head, tail) */
  head = 0;
  tail = 0;

  get size(): number {
    return this.tail - this.head;
  }

  push(entry: E, startUs: number, durationNs: number, bucket: number, flags: number): void {
    if (this.tail === this.entries.length) this.makeRoom();
    const i = this.tail++;
    this.entries[i] = entry;
    this.startUs[i] = startUs;
    this.durationNs[i] = durationNs;
    this.bucket[i] = bucket;
    this.flags[i] = flags;
  }

  /** Removes and returns the oldest entry. */
  shift(): E {
    const entry = this.entries[this.head]!;
    this.entries[this.head++] = undefined;
    return entry;
  }

  /** Slides the retained rows to the front when at least half is free, else doubles the capacity. */
  private makeRoom(): void {
    const n = this.size;
    const capacity = this.entries.length;
    if (this.head * 2 >= capacity) {
      this.startUs.copyWithin(0, this.head, this.tail);
      this.durationNs.copyWithin(0, this.head, this.tail);
      this.bucket.copyWithin(0, this.head, this.tail);
      this.flags.copyWithin(0, this.head, this.tail);
      this.entries.copyWithin(0, this.head, this.tail);
      this.entries.fill(undefined, n);
    } else {
      const grown = capacity * 2;
      this.startUs = grownCopy(this.startUs, new Float64Array(grown), this.head, this.tail);
      this.durationNs = grownCopy(this.durationNs, new Float64Array(grown), this.head, this.tail);
      this.bucket = grownCopy(this.bucket, new Uint8Array(grown), this.head, this.tail);
      this.flags = grownCopy(this.flags, new Uint8Array(grown), this.head, this.tail);
      const entries: (E | undefined)[] = new Array(grown);
      for (let i = 0; i < n; i++) entries[i] = this.entries[this.head + i];
      this.entries = entries;
    }
    this.head = 0;
    this.tail = n;
  }
}

function grownCopy<T extends Float64Array | Uint8Array>(from: T, to: T, head: number, tail: number): T {
  to.set(from.subarray(head, tail) as never);
  return to;
}
