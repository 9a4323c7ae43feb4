// Per-query metrics, counted behind the event queue: one pass per batch; series are found by Map lookups on
// strings the events already carry (decision, rcode, qtype, group, rule id, upstream), never on qnames or
// client addresses, and no string is built per query.
import type { Registry } from 'prom-client';
import type { EventConsumer } from '../model/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import { BatchCounter, BatchHistogram, type CounterSeries, type HistogramSeries } from './batch-metrics.js';

/** Seconds; answers from policy take tens of µs, cache hits ~100 µs, upstream answers ms to seconds. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** qtype label values; any other type ("TYPE65280") counts as OTHER, so clients cannot mint series. */
const QTYPE_LABELS: ReadonlySet<string> = new Set([
  'A',
  'AAAA',
  'ANY',
  'AXFR',
  'CAA',
  'CNAME',
  'DNSKEY',
  'DS',
  'HINFO',
  'HTTPS',
  'IXFR',
  'KEY',
  'MX',
  'NAPTR',
  'NS',
  'NULL',
  'PTR',
  'RRSIG',
  'SOA',
  'SPF',
  'SRV',
  'SSHFP',
  'SVCB',
  'TLSA',
  'TXT',
  'URI',
]);

/** Rule ids of allow decisions are "file:line domain"; the metric names the domain pattern. */
export function entryDomain(ruleId: string): string {
  return ruleId.slice(ruleId.lastIndexOf(' ') + 1);
}

/** What the metrics need to know of a compiled group: its name and allowlist entries. */
export interface EntryGroup {
  readonly name: string;
  readonly entries: readonly { readonly domain: string }[];
}

type Tree<T> = Map<string, T>;

export class QueryMetrics implements EventConsumer {
  readonly queries: BatchCounter<'decision' | 'rcode' | 'qtype' | 'group'>;
  readonly latency: BatchHistogram<'answered_by'>;
  readonly upstreamLatency: BatchHistogram<'upstream'>;
  readonly entryHits: BatchCounter<'group' | 'entry'>;
  private readonly queryTree: Tree<Tree<Tree<Tree<CounterSeries>>>> = new Map();
  private readonly latencyBy: Tree<HistogramSeries> = new Map();
  private readonly upstreamBy: Tree<HistogramSeries> = new Map();
  /** group -> rule id -> series; rule ids change when lines move, so this is cleared when it grows. */
  private readonly hitsBy: Tree<Tree<CounterSeries>> = new Map();
  private hitKeys = 0;

  constructor(registry: Registry) {
    const registers = [registry];
    this.queries = new BatchCounter({
      name: 'dnsward_queries_total',
      help: 'Queries answered, by decision, response code, qtype (OTHER for rare types) and agent group',
      labelNames: ['decision', 'rcode', 'qtype', 'group'],
      registers,
    });
    this.latency = new BatchHistogram({
      name: 'dnsward_answer_latency_seconds',
      help: 'Time from receiving a query to sending its answer, by what produced the answer',
      labelNames: ['answered_by'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamLatency = new BatchHistogram({
      name: 'dnsward_upstream_latency_seconds',
      help: 'Answer time of queries answered by an upstream (including failover to it), per upstream',
      labelNames: ['upstream'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.entryHits = new BatchCounter({
      name: 'dnsward_allowlist_entry_hits_total',
      help: 'Queries allowed by each allowlist entry (label entry = the domain pattern from the allowlist)',
      labelNames: ['group', 'entry'],
      registers,
    });
  }

  consume(batch: readonly QueryEvent[]): void {
    for (const event of batch) {
      this.querySeries(event).value++;
      const seconds = event.latencyUs / 1e6;
      this.latency.observe(this.seriesIn(this.latencyBy, this.latency, event.answeredBy), seconds);
      if (event.answeredBy === 'upstream' && event.upstream !== null) {
        this.upstreamLatency.observe(
          this.seriesIn(this.upstreamBy, this.upstreamLatency, event.upstream),
          seconds,
        );
      }
      // only allowlist entries produce "allow"; their rule id names the entry
      if (event.decision === 'allow') this.hitSeries(event.group, event.ruleId).value++;
    }
  }

  /** Series at 0 for every entry of a newly loaded policy, so "never hit" shows in Prometheus too. */
  declareEntries(groups: Iterable<EntryGroup>): void {
    for (const group of groups) {
      for (const entry of group.entries) this.entryHits.labels(group.name, entry.domain);
    }
  }

  private querySeries(event: QueryEvent): CounterSeries {
    // no question (FORMERR, NOTIMP) -> NONE; types outside the common set -> OTHER
    const qtype = QTYPE_LABELS.has(event.qtype) ? event.qtype : event.qtype === '' ? 'NONE' : 'OTHER';
    const byRcode = child(this.queryTree, event.decision);
    const byQtype = child(byRcode, event.rcode);
    const byGroup = child(byQtype, qtype);
    let series = byGroup.get(event.group);
    if (series === undefined) {
      series = this.queries.labels(event.decision, event.rcode, qtype, event.group);
      byGroup.set(event.group, series);
    }
    return series;
  }

  private seriesIn(
    cache: Tree<HistogramSeries>,
    metric: BatchHistogram<string>,
    label: string,
  ): HistogramSeries {
    let series = cache.get(label);
    if (series === undefined) {
      series = metric.labels(label);
      cache.set(label, series);
    }
    return series;
  }

  private hitSeries(group: string, ruleId: string): CounterSeries {
    const byRule = child(this.hitsBy, group);
    let series = byRule.get(ruleId);
    if (series === undefined) {
      if (this.hitKeys >= 50_000) {
        this.hitsBy.clear();
        this.hitKeys = 0;
      }
      series = this.entryHits.labels(group, entryDomain(ruleId));
      child(this.hitsBy, group).set(ruleId, series);
      this.hitKeys++;
    }
    return series;
  }
}

function child<V>(map: Tree<Tree<V>>, key: string): Tree<V> {
  let value = map.get(key);
  if (value === undefined) {
    value = new Map();
    map.set(key, value);
  }
  return value;
}
