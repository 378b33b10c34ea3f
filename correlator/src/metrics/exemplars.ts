// Exemplars of one histogram data point: the span behind a value, so a slow bucket leads to its trace. At most
// MAX_EXEMPLARS per point, one per bucket (the latest span that fell in it, as the specification's aligned-bucket
// reservoir keeps); when more buckets than that were hit, the slowest buckets keep theirs: the tail is what people
// follow an exemplar for. Deterministic (no random sampling), so a replay gives the same exemplars.

export const MAX_EXEMPLARS = 20;

export interface Exemplar {
  value: number;
  /** monotonic ns of the span's (or system call's) end */
  time: number;
  traceId: string;
  /** the span's id, or the parent's id with `childIndex` for a system call's child span */
  spanId: string;
  childIndex: number;
}

export class ExemplarSet {
  private readonly byBucket = new Map<number, Exemplar>();
  private lowest = Infinity;

  offer(bucket: number, value: number, time: number, traceId: string, spanId: string, childIndex = -1): void {
    const held = this.byBucket.get(bucket);
    if (held !== undefined) {
      held.value = value;
      held.time = time;
      held.traceId = traceId;
      held.spanId = spanId;
      held.childIndex = childIndex;
      return;
    }
    if (this.byBucket.size >= MAX_EXEMPLARS) {
      if (bucket < this.lowest) return;
      this.byBucket.delete(this.lowest);
      this.lowest = Infinity;
      for (const b of this.byBucket.keys()) if (b < this.lowest) this.lowest = b;
    }
    this.byBucket.set(bucket, { value, time, traceId, spanId, childIndex });
    if (bucket < this.lowest) this.lowest = bucket;
  }

  /** The exemplars, lowest bucket first. */
  list(): Exemplar[] {
    return [...this.byBucket.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => ({ ...e }));
  }
}
