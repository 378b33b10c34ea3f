// (trace id, span id) → value, flat: one Map keyed by span id, whose value names its trace. Span ids are unique in
// practice, so almost every entry is the value itself; a per-trace Map (the obvious two-level layout) cost ~480
// bytes per trace, a third of what the store spent per span. The ids are strings the correlator already holds, so
// their hashes are cached; a concatenated `trace/span` key per lookup would be built and hashed on every add and
// eviction. Hostile processes may reuse a span id across traces: those share one inner Map by trace id, so a
// lookup stays O(1) however many there are.

/** Values of one span id in several traces. */
class SharedSpanId<V> {
  readonly byTrace = new Map<string, V>();
}

export class IdMap<V> {
  private readonly bySpan = new Map<string, V | SharedSpanId<V>>();
  private count = 0;

  /** `traceOf` names the trace a stored value belongs to. */
  constructor(private readonly traceOf: (value: V) => string) {}

  get size(): number {
    return this.count;
  }

  get(traceId: string, spanId: string): V | undefined {
    const slot = this.bySpan.get(spanId);
    if (slot === undefined) return undefined;
    if (slot instanceof SharedSpanId) return slot.byTrace.get(traceId);
    return this.traceOf(slot) === traceId ? slot : undefined;
  }

  set(traceId: string, spanId: string, value: V): void {
    const slot = this.bySpan.get(spanId);
    if (slot === undefined) {
      this.bySpan.set(spanId, value);
      this.count++;
    } else if (slot instanceof SharedSpanId) {
      if (!slot.byTrace.has(traceId)) this.count++;
      slot.byTrace.set(traceId, value);
    } else if (this.traceOf(slot) === traceId) {
      this.bySpan.set(spanId, value);
    } else {
      const shared = new SharedSpanId<V>();
      shared.byTrace.set(this.traceOf(slot), slot);
      shared.byTrace.set(traceId, value);
      this.bySpan.set(spanId, shared);
      this.count++;
    }
  }

  delete(traceId: string, spanId: string): void {
    const slot = this.bySpan.get(spanId);
    if (slot === undefined) return;
    if (slot instanceof SharedSpanId) {
      if (!slot.byTrace.delete(traceId)) return;
      this.count--;
      if (slot.byTrace.size === 0) this.bySpan.delete(spanId);
    } else if (this.traceOf(slot) === traceId) {
      this.bySpan.delete(spanId);
      this.count--;
    }
  }

  *values(): Generator<V> {
    for (const slot of this.bySpan.values()) {
      if (slot instanceof SharedSpanId) yield* slot.byTrace.values();
      else yield slot;
    }
  }
}
