// How eagerly the CLI's JavaScript heap collects garbage. V8 lets the heap grow to several times what is live before
// a full collection (up to 4x, within a limit of a quarter of the machine's memory); the correlator streams markers
// and records through short-lived objects, so peak RSS followed that growth rather than what the tables hold. A
// smaller growth step keeps RSS near the live data (the byte bounds of the open-span table, the pending traces, the
// UI store and the export queue) at the cost of more frequent collections. A flag, not a heap limit: data over
// any limit would crash the process instead of being evicted and counted.

import { setFlagsFromString } from 'node:v8';

/** Heap growth per full collection, in percent of what is live. */
export const HEAP_GROWING_PERCENT = 20;

export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
