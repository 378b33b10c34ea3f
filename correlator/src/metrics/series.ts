// The series of one metric, bounded in count and in bytes of attribute text (the names come from markers, which any
// local process writes). Past either bound a recording goes to the overflow series, whose only attribute is
// `otel.metric.overflow=true` (the OpenTelemetry SDK specification's cardinality limit), and is counted.

/** Attribute values as metrics carry them. */
export type MetricAttributes = [key: string, value: string | number | boolean][];

export const OVERFLOW_ATTRIBUTES: MetricAttributes = [['otel.metric.overflow', true]];

/** The OpenTelemetry SDK's default cardinality limit. */
export const DEFAULT_MAX_SERIES = 2000;
/** Attribute text of all of one metric's series: 2000 series of ~1 KiB names each. */
export const DEFAULT_MAX_SERIES_BYTES = 4 * 1024 * 1024;

export interface Series<P> {
  service: string | undefined;
  attributes: MetricAttributes;
  /** monotonic ns of the first recording: the start of the series' cumulative period */
  start: number;
  point: P;
}

export class SeriesTable<P> {
  private readonly series = new Map<string, Series<P>>();
  private overflowSeries?: Series<P>;
  private bytes = 0;
  /** recordings that went to the overflow series */
  overflowed = 0;

  constructor(
    private readonly create: () => P,
    private readonly maxSeries: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * The series for `key` (a string naming service and attributes), created with `attributes()` when new and the
   * table has room; else the overflow series.
   */
  get(key: string, service: string, time: number, attributes: () => MetricAttributes): Series<P> {
    const found = this.series.get(key);
    if (found !== undefined) return found;
    const cost = 64 + 2 * key.length;
    if (this.series.size >= this.maxSeries || this.bytes + cost > this.maxBytes) {
      this.overflowed++;
      this.overflowSeries ??= { service: undefined, attributes: OVERFLOW_ATTRIBUTES, start: time, point: this.create() };
      return this.overflowSeries;
    }
    const s: Series<P> = { service, attributes: attributes(), start: time, point: this.create() };
    this.series.set(key, s);
    this.bytes += cost;
    return s;
  }

  /** Every series, the overflow series last. */
  all(): Series<P>[] {
    const list = [...this.series.values()];
    if (this.overflowSeries) list.push(this.overflowSeries);
    return list;
  }
}
