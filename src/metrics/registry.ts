// The server's Prometheus registry: every dnsward_<area>_<name> series, where its value comes from, and the
// hooks the composition root calls (policy loaded, reload result, alerts raised).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { QueryMetrics, type EntryGroup } from './query-metrics.js';

/** Counters the server already keeps; read at scrape time, so the answer path does no metrics work. */
export interface MetricsSources {
  readonly cache: { readonly hits: number; readonly misses: number; readonly size: number };
  readonly queue: { readonly backlog: number; readonly dropped: number; readonly offered: number };
  /** Messages without a readable header (nothing to answer). */
  readonly unreadableDropped: () => number;
  /** Failed exchanges per upstream "addr:port" (labels bounded by the config). */
  readonly upstreamFailures: ReadonlyMap<string, number>;
  /** Upstream answers rejected for a wrong ID, question or source (spoofing attempts). */
  readonly upstreamMismatched: () => number;
  readonly queryLog?: { readonly lagMs: number; readonly written: number } | undefined;
  readonly allowlistHits?: { readonly failures: number } | undefined;
  readonly dnstap?: { readonly written: number; readonly dropped: number } | undefined;
  /** Quarantines in force (agents and base domains). */
  readonly quarantines?: { readonly size: number } | undefined;
  /** The batched UDP engine's counters, summed over its listeners (absent on the dgram engine). */
  readonly udpBatched?: () => UdpBatchedCounters | undefined;
  /** The pod watch, when identity.kubernetes is enabled. */
  readonly kubernetes?:
    { readonly pods: () => number; readonly watchRestarts: number; readonly unknown: number } | undefined;
}

/** What the batched UDP addon counts (src/dns/udp-native-listener.ts). */
export interface UdpBatchedCounters {
  readonly received: number;
  readonly batches: number;
  readonly sent: number;
  readonly queuedNow: number;
  readonly queuedTotal: number;
  /** Answers lost: the send queue was full. Never silent: counted here and logged by the listener. */
  readonly queueDropped: number;
  readonly sendErrors: number;
  readonly truncated: number;
}

/** The batched UDP engine's series: name suffix, type, the counter it reads, help. */
const UDP_BATCHED_SERIES: readonly (readonly [
  string,
  'counter' | 'gauge',
  keyof UdpBatchedCounters,
  string,
])[] = [
  ['received_total', 'counter', 'received', 'Datagrams read by the batched UDP engine (recvmmsg)'],
  [
    'batches_total',
    'counter',
    'batches',
    'recvmmsg batches handed to the pipeline (received / batches = datagrams per system call)',
  ],
  ['sent_total', 'counter', 'sent', 'Answers the batched UDP engine handed to the kernel (sendmmsg)'],
  [
    'send_queue',
    'gauge',
    'queuedNow',
    'Answers held because the kernel refused them for now (EAGAIN), sent when the socket is writable',
  ],
  [
    'send_deferred_total',
    'counter',
    'queuedTotal',
    'Answers that had to wait for the socket to become writable (EAGAIN / ENOBUFS)',
  ],
  [
    'answers_dropped_total',
    'counter',
    'queueDropped',
    'Answers lost because the send queue was full while the kernel kept refusing them',
  ],
  [
    'send_errors_total',
    'counter',
    'sendErrors',
    'Answers the kernel rejected with an error other than EAGAIN (unreachable client, bad address)',
  ],
  [
    'oversize_dropped_total',
    'counter',
    'truncated',
    'Datagrams larger than a receive slot (4096 bytes), dropped unanswered',
  ],
];

/** The part of a compiled Policy the metrics read. */
export interface PolicySummary {
  readonly version: string;
  readonly compiledAt: number;
  readonly groups: ReadonlyMap<string, EntryGroup>;
}

/** The fields of an alert the counter needs (the detection engine's AlertState has them). */
export interface AlertChange {
  readonly rule: string;
  readonly severity: string;
  readonly agentId: string;
  readonly baseDomain: string;
  readonly firstSeenMs: number;
}

const MAX_ALERT_RULES = 200;
const MAX_REMEMBERED_ALERTS = 100_000;

export class ServerMetrics {
  readonly registry = new Registry();
  /** The EventConsumer to put behind the event queue. */
  readonly queries: QueryMetrics;
  private sources: MetricsSources | undefined;
  private readonly reloads: Counter<'result'>;
  private readonly lastReloadOk: Gauge;
  private readonly policyInfo: Gauge<'version'>;
  private readonly policyLoadedAt: Gauge;
  private readonly policyEntries: Gauge<'group'>;
  private readonly alerts: Counter<'rule' | 'severity'>;
  private readonly alertRules = new Set<string>();
  private seenAlerts = new Set<string>();

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.queries = new QueryMetrics(this.registry);
    const read = (pick: (s: MetricsSources) => number) => (): number =>
      this.sources ? pick(this.sources) : 0;
    sourceCounter(
      this.registry,
      'dnsward_cache_hits_total',
      'Answers served from the cache',
      read((s) => s.cache.hits),
    );
    sourceCounter(
      this.registry,
      'dnsward_cache_misses_total',
      'Allowed queries not in the cache (sent upstream)',
      read((s) => s.cache.misses),
    );
    sourceGauge(
      this.registry,
      'dnsward_cache_entries',
      'Answers held in the cache',
      read((s) => s.cache.size),
    );
    sourceGauge(
      this.registry,
      'dnsward_events_backlog',
      'Query events waiting for the consumers (query log, detection, metrics)',
      read((s) => s.queue.backlog),
    );
    sourceCounter(
      this.registry,
      'dnsward_events_dropped_total',
      'Query events dropped because the queue was full (also recorded in the query_log_drops table)',
      read((s) => s.queue.dropped),
    );
    sourceCounter(
      this.registry,
      'dnsward_events_offered_total',
      'Query events handed to the queue (one per answered query)',
      read((s) => s.queue.offered),
    );
    sourceGauge(
      this.registry,
      'dnsward_querylog_write_lag_seconds',
      'Time between the newest event of the last batch and its commit to SQLite',
      read((s) => (s.queryLog?.lagMs ?? 0) / 1000),
    );
    sourceCounter(
      this.registry,
      'dnsward_querylog_rows_written_total',
      'Query-log rows committed to SQLite',
      read((s) => s.queryLog?.written ?? 0),
    );
    sourceCounter(
      this.registry,
      'dnsward_dns_unreadable_dropped_total',
      'Messages dropped without an answer (no readable DNS header, or a response sent to us)',
      read((s) => s.unreadableDropped()),
    );
    sourceCounter(
      this.registry,
      'dnsward_upstream_mismatched_answers_total',
      'Upstream answers rejected for a wrong ID, question or source address (spoofing defence)',
      read((s) => s.upstreamMismatched()),
    );
    sourceCounter(
      this.registry,
      'dnsward_allowlist_hit_store_failures_total',
      'Batches of allowlist hit counts that could not be written to SQLite',
      read((s) => s.allowlistHits?.failures ?? 0),
    );
    sourceCounter(
      this.registry,
      'dnsward_dnstap_written_total',
      'dnstap messages written to the Frame Streams output',
      read((s) => s.dnstap?.written ?? 0),
    );
    sourceCounter(
      this.registry,
      'dnsward_dnstap_dropped_total',
      'dnstap messages lost: buffer full while the reader was slow or away, a failed write, or left at shutdown',
      read((s) => s.dnstap?.dropped ?? 0),
    );
    sourceGauge(
      this.registry,
      'dnsward_quarantines_active',
      'Quarantines in force (agents or base domains blocked after a critical alert)',
      read((s) => s.quarantines?.size ?? 0),
    );
    for (const [name, kind, key, help] of UDP_BATCHED_SERIES) {
      const value = read((s) => s.udpBatched?.()?.[key] ?? 0);
      (kind === 'gauge' ? sourceGauge : sourceCounter)(
        this.registry,
        `dnsward_udp_batched_${name}`,
        help,
        value,
      );
    }
    sourceGauge(
      this.registry,
      'dnsward_kubernetes_pods',
      'Running pods the pod watch knows (pods holding at least one address)',
      read((s) => s.kubernetes?.pods() ?? 0),
    );
    sourceCounter(
      this.registry,
      'dnsward_kubernetes_watch_restarts_total',
      'Pod watch reconnections and restarts after errors (relists included)',
      read((s) => s.kubernetes?.watchRestarts ?? 0),
    );
    const sources = (): MetricsSources | undefined => this.sources;
    new Counter({
      name: 'dnsward_identity_unknown_total',
      help: 'Queries from an address no known pod holds (CIDR rules and the default group applied)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        const kubernetes = sources()?.kubernetes;
        if (kubernetes) this.inc({ reason: 'unknown-pod' }, kubernetes.unknown);
      },
    });
    new Counter({
      name: 'dnsward_upstream_errors_total',
      help: 'Failed exchanges (timeout, network error, malformed answer) per upstream',
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset();
        for (const [upstream, failures] of sources()?.upstreamFailures ?? [])
          this.inc({ upstream }, failures);
      },
    });
    this.reloads = new Counter({
      name: 'dnsward_policy_reloads_total',
      help: 'Policy reloads (SIGHUP, `dnsward reload` or a file change) by result',
      labelNames: ['result'],
      registers,
    });
    this.reloads.inc({ result: 'success' }, 0);
    this.reloads.inc({ result: 'failure' }, 0);
    this.lastReloadOk = new Gauge({
      name: 'dnsward_policy_last_reload_successful',
      help: '1 if the last reload succeeded (or none happened), 0 if it failed and an older policy is in force',
      registers,
    });
    this.lastReloadOk.set(1);
    this.policyInfo = new Gauge({
      name: 'dnsward_policy_info',
      help: 'The policy in force: always 1, labelled with its version (content hash of config and allowlists)',
      labelNames: ['version'],
      registers,
    });
    this.policyLoadedAt = new Gauge({
      name: 'dnsward_policy_loaded_timestamp_seconds',
      help: 'When the policy in force was compiled (Unix time)',
      registers,
    });
    this.policyEntries = new Gauge({
      name: 'dnsward_policy_allowlist_entries',
      help: 'Allowlist entries in force per group',
      labelNames: ['group'],
      registers,
    });
    this.alerts = new Counter({
      name: 'dnsward_alerts_total',
      help: 'Alerts raised by the detection engine, by rule and severity at creation',
      labelNames: ['rule', 'severity'],
      registers,
    });
  }

  /** The live counters, once the server has built them (series read 0 before). */
  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** A policy was put in force (at start or by a reload). */
  policyLoaded(policy: PolicySummary): void {
    this.policyInfo.reset();
    this.policyInfo.set({ version: policy.version }, 1);
    this.policyLoadedAt.set(policy.compiledAt / 1000);
    this.policyEntries.reset();
    for (const group of policy.groups.values())
      this.policyEntries.set({ group: group.name }, group.entries.length);
    this.queries.declareEntries(policy.groups.values());
  }

  reloaded(ok: boolean): void {
    this.reloads.inc({ result: ok ? 'success' : 'failure' });
    this.lastReloadOk.set(ok ? 1 : 0);
  }

  /** Hook for the detection stage: every alert it stored in a batch; new ones are counted once. */
  alertsChanged(alerts: readonly AlertChange[]): void {
    for (const alert of alerts) {
      const key = `${alert.rule}\u0000${alert.agentId}\u0000${alert.baseDomain}\u0000${alert.firstSeenMs}`;
      if (this.seenAlerts.has(key)) continue;
      if (this.seenAlerts.size >= MAX_REMEMBERED_ALERTS) this.seenAlerts = new Set();
      this.seenAlerts.add(key);
      if (this.alertRules.size < MAX_ALERT_RULES) this.alertRules.add(alert.rule);
      const rule = this.alertRules.has(alert.rule) ? alert.rule : '_other';
      this.alerts.inc({ rule, severity: alert.severity });
    }
  }

  /** Prometheus text exposition format. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function sourceCounter(registry: Registry, name: string, help: string, value: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(value());
    },
  });
}

function sourceGauge(registry: Registry, name: string, help: string, value: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(value());
    },
  });
}
