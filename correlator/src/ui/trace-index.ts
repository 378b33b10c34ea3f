// trace id → the retained spans of that trace, so opening a span's whole trace does not scan every retained span.
// Most traces hold one or a few spans: a lone span is the Map's value itself, more share an arrival-ordered array.
// The store evicts oldest first, so a trace's spans leave in the order they came: removal advances a head offset
// (the slot is cleared at once so the span can be collected) and the array is compacted when half of it is spent —
// O(1) per eviction even for a hostile trace of 100,000 spans, where shift()/splice() would move them all.

/** The spans of a trace with more than one, oldest first from `head`. */
class TraceSpans<V> {
  head = 0;
  constructor(public values: (V | undefined)[]) {}
}

export class TraceIndex<V extends object> {
  private readonly byTrace = new Map<string, V | TraceSpans<V>>();

  /** Traces with at least one value. */
  get size(): number {
    return this.byTrace.size;
  }

  /** Adds a value as the newest of its trace. */
  add(traceId: string, value: V): void {
    const slot = this.byTrace.get(traceId);
    if (slot === undefined) this.byTrace.set(traceId, value);
    else if (slot instanceof TraceSpans) slot.values.push(value);
    else this.byTrace.set(traceId, new TraceSpans<V>([slot, value]));
  }

  /** Removes a value of the trace: normally its oldest (then O(1)); any other is found by a scan. */
  delete(traceId: string, value: V): void {
    const slot = this.byTrace.get(traceId);
    if (slot === undefined) return;
    if (!(slot instanceof TraceSpans)) {
      if (slot === value) this.byTrace.delete(traceId);
      return;
    }
    const { values } = slot;
    if (values[slot.head] === value) values[slot.head++] = undefined;
    else {
      const at = values.indexOf(value, slot.head);
      if (at < 0) return;
      values.splice(at, 1);
    }
    const left = values.length - slot.head;
    if (left === 1) this.byTrace.set(traceId, values[slot.head]!);
    else if (slot.head * 2 >= values.length) {
      slot.values = values.slice(slot.head);
      slot.head = 0;
    }
  }

  /** The values of one trace, oldest first. */
  *of(traceId: string): Generator<V> {
    const slot = this.byTrace.get(traceId);
    if (slot === undefined) return;
    if (!(slot instanceof TraceSpans)) {
      yield slot;
      return;
    }
    for (let i = slot.head; i < slot.values.length; i++) yield slot.values[i]!;
  }
}
