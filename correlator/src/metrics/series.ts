// The series of one metric, bounded in count and in bytes of attribute text (the names come from markers, which any
// local process writes). Past either bound a recording goes to the overflow series, whose only attribute is
// `otel.metric.overflow=true` (the OpenTelemetry SDK specification's cardinality limit), and is counted.

/** Attribute values as metrics carry them. */
export type MetricAttributes = [key: string, value: string | number | boolean][];

export const OVERFLOW_ATTRIBUTES: MetricAttributes = [['otel.metric.overflow', true]];

/** The OpenTelemetry SDK's default cardinality limit. */
export const DEFAULT_MAX_SERIES = 2000;
/** Estimated bytes of every metric's series together: 4 × 2000 histogram series with ~1 KiB of names each. */
export const DEFAULT_MAX_SERIES_BYTES = 32 * 1024 * 1024;

/** The estimated bytes all of a session's series tables hold, against one bound. */
export interface SeriesBudget {
  readonly max: number;
  used: number;
}

export interface Series<P> {
  service: string | undefined;
  attributes: MetricAttributes;
  /** monotonic ns of the first recording: the start of the series' cumulative period */
  start: number;
  point: P;
}

/**
 * Series found by three keys (service, span name, and what tells series of that span name apart), through nested
 * maps: the hot path hashes each string once (V8 keeps a string's hash), where a joined key would build and hash a
 * new string for every recording.
 */
export class SeriesTable<P> {
  private readonly series = new Map<string, Map<string, Map<string | number, Series<P>>>>();
  private count = 0;
  private overflowSeries?: Series<P>;
  /** recordings that went to the overflow series */
  overflowed = 0;

  /** `pointBytes`: what one series' point holds beyond its attribute text (a histogram's buckets and exemplars) */
  constructor(
    private readonly create: () => P,
    private readonly maxSeries: number,
    private readonly budget: SeriesBudget,
    private readonly pointBytes: number,
  ) {}

  /** The series of (`service`, `name`), by variant, once one exists (a lookup to repeat per variant). */
  variants(service: string, name: string): ReadonlyMap<string | number, Series<P>> | undefined {
    return this.series.get(service)?.get(name);
  }

  /** A series not in the table yet, or the overflow series when the table is full. */
  add(service: string, name: string, variant: string | number, time: number, attributes: MetricAttributes): Series<P> {
    const found = this.variants(service, name)?.get(variant);
    if (found !== undefined) return found;
    // the point, every attribute string of the series at two bytes a character, and the maps' entries
    const cost = this.pointBytes + 200 + 2 * (service.length + name.length + String(variant).length);
    if (this.count >= this.maxSeries || this.budget.used + cost > this.budget.max) {
      this.overflowed++;
      this.overflowSeries ??= {
        service: undefined,
        attributes: OVERFLOW_ATTRIBUTES,
        start: time,
        point: this.create(),
      };
      return this.overflowSeries;
    }
    let byName = this.series.get(service);
    if (byName === undefined) this.series.set(service, (byName = new Map()));
    let byVariant = byName.get(name);
    if (byVariant === undefined) byName.set(name, (byVariant = new Map()));
    const s: Series<P> = { service, attributes, start: time, point: this.create() };
    byVariant.set(variant, s);
    this.count++;
    this.budget.used += cost;
    return s;
  }

  /** Every series in the order they were created per service and name, the overflow series last. */
  all(): Series<P>[] {
    const list: Series<P>[] = [];
    for (const byName of this.series.values())
      for (const byVariant of byName.values()) for (const s of byVariant.values()) list.push(s);
    if (this.overflowSeries) list.push(this.overflowSeries);
    return list;
  }
}
