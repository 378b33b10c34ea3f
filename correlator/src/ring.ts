// A bounded ring of syscall records: what a process did outside any span (kept for drill-down, oldest dropped).
import type { SyscallRecord } from './model.js';

export class SyscallRing {
  private readonly buf: (SyscallRecord | undefined)[];
  private head = 0; // next slot to write
  private n = 0;
  /** records pushed out by newer ones */
  overwritten = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  last(): SyscallRecord | null {
    return this.n === 0 ? null : (this.buf[(this.head - 1 + this.capacity) % this.capacity] as SyscallRecord);
  }

  push(r: SyscallRecord): void {
    if (this.capacity === 0) return;
    this.buf[this.head] = r;
    this.head = (this.head + 1) % this.capacity;
    if (this.n < this.capacity) this.n++;
    else this.overwritten++;
  }

  /** Oldest first. */
  toArray(): SyscallRecord[] {
    const out: SyscallRecord[] = [];
    for (let i = 0; i < this.n; i++)
      out.push(this.buf[(this.head - this.n + i + this.capacity) % this.capacity] as SyscallRecord);
    return out;
  }
}
