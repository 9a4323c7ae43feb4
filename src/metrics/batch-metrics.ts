// Counters and histograms filled behind the event queue, exposed through a prom-client Registry.
//
// prom-client's own observe()/inc() hash the label object on every call (~0.7 µs). Per-query series are
// instead resolved once per label set to a plain series object; counting is then an add on a field.
// These classes implement the part of prom-client's metric interface its Registry reads (name, help,
// type, get(), reset()), so the exposition format stays prom-client's.
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

/** Label value used for every label once a metric holds `maxSeries` series: cardinality stays bounded. */
export const OVERFLOW_LABEL = '_other';

export interface BatchMetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers?: readonly Registry[];
  /** Hard cap on label sets; further ones are counted in one series whose labels are all "_other". */
  readonly maxSeries?: number;
}

export interface CounterSeries {
  value: number;
}

export interface HistogramSeries {
  /** Non-cumulative count per bucket; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

abstract class BatchMetric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, { labels: Record<L, string>; series: S }>();
  private readonly maxSeries: number;

  constructor(options: BatchMetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.maxSeries = options.maxSeries ?? 10_000;
    for (const registry of options.registers ?? []) registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these label values (in labelNames order); call once per label set, then keep it. */
  labels(...values: string[]): S {
    let key = values.join('\u0000');
    let found = this.series.get(key);
    if (found === undefined) {
      if (this.series.size >= this.maxSeries) {
        values = this.labelNames.map(() => OVERFLOW_LABEL);
        key = values.join('\u0000');
        found = this.series.get(key);
        if (found !== undefined) return found.series;
      }
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      found = { labels, series: this.create() };
      this.series.set(key, found);
    }
    return found.series;
  }

  get size(): number {
    return this.series.size;
  }

  reset(): void {
    this.series.clear();
  }

  protected abstract create(): S;
}

export class BatchCounter<L extends string> extends BatchMetric<L, CounterSeries> {
  readonly type = 'counter' as const;

  protected create(): CounterSeries {
    return { value: 0 };
  }

  /** prom-client's Registry calls this for the exposition. */
  async get(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    await Promise.resolve();
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      collect: undefined,
      values: [...this.series.values()].map(({ labels, series }) => ({ labels, value: series.value })),
    } as unknown as MetricObjectWithValues<MetricValueWithName<L>>;
  }
}

export class BatchHistogram<L extends string> extends BatchMetric<L, HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];

  constructor(options: BatchMetricOptions<L> & { readonly buckets: readonly number[] }) {
    super(options);
    this.buckets = [...options.buckets].sort((a, b) => a - b);
  }

  protected create(): HistogramSeries {
    return { counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
  }

  /** Linear scan: ~15 buckets, most observations land in the first few. */
  observe(series: HistogramSeries, value: number): void {
    const { buckets } = this;
    let i = 0;
    while (i < buckets.length && value > (buckets[i] as number)) i++;
    series.counts[i] = (series.counts[i] ?? 0) + 1;
    series.sum += value;
    series.count++;
  }

  async get(): Promise<MetricObjectWithValues<MetricValueWithName<L | 'le'>>> {
    await Promise.resolve();
    const values: MetricValueWithName<string>[] = [];
    for (const { labels, series } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i] ?? 0;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: bound },
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { ...labels, le: '+Inf' },
        value: series.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: series.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      collect: undefined,
      values,
    } as unknown as MetricObjectWithValues<MetricValueWithName<L | 'le'>>;
  }
}
