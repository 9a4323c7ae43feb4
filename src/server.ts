// The composition root of `dnsward serve`: policy, store, event queue and consumers, pipeline, listeners, reload.
import { loadConfig, type ConfigOverrides, type LoadedConfig } from './config/load.js';
import { bindListeners } from './dns/bind-listeners.js';
import { AnswerCache } from './dns/cache.js';
import { QueryPipeline } from './dns/handle-query.js';
import { PolicyHolder } from './dns/policy-holder.js';
import { RebindingGuard } from './dns/rebinding-guard.js';
import { ResponseBuilder } from './dns/responses.js';
import { UpstreamRouter } from './dns/upstream-router.js';
import { upstreamStats } from './dns/upstream.js';
import { DnswardError } from './errors.js';
import type { EventConsumer } from './model/event-consumer.js';
import { EventQueue } from './events/event-queue.js';
import { StageThread, wantsStageThread } from './events/stage-thread.js';
import { Stages, type StageSink } from './events/stages.js';
import type { AlertState } from './model/alert.js';
import type { Logger } from './log/logger.js';
import { createHealthHandler, startMetricsServer, type MetricsServer } from './metrics/http-server.js';
import { databaseWritableProbe, polledProbe, Readiness } from './metrics/readiness.js';
import { ServerMetrics } from './metrics/registry.js';
import { compilePolicy, type Policy } from './policy/compile.js';
import { Guard } from './policy/guard.js';
import { QuarantineBook } from './policy/quarantine-book.js';
import { QuarantineKeeper } from './policy/quarantine-keeper.js';
import { emptyFiles, policyFiles, ReloadWatcher, sectionsNeedingRestart } from './policy/reload-watcher.js';
import { isPostgresUrl, openConfiguredStore, storeUrl } from './store/open-store.js';
import type { Store } from './store/store.js';

/** TTL of synthesized NXDOMAIN answers (SOA MINIMUM): clients cache a denial this long. */
const DENY_NEGATIVE_TTL = 60;
const PRUNE_INTERVAL_MS = 3_600_000;
/** Quarantines raised by other replicas or released by the CLI hold here within this (plus one query). */
const QUARANTINE_SYNC_MS = 1000;

export interface ReloadResult {
  readonly ok: boolean;
  readonly version: string;
  readonly errors: readonly string[];
  /** False when the reloaded files compile to the policy already in force. */
  readonly changed: boolean;
  /** Changed config sections a reload does not apply (listen, upstreams, store, …): restart for those. */
  readonly restartRequired: readonly string[];
}

/** What asked for a reload (logged). */
export type ReloadTrigger = 'signal' | 'file-change' | 'api';

export interface RunningServer {
  readonly loaded: LoadedConfig;
  readonly udpPorts: readonly number[];
  readonly tcpPorts: readonly number[];
  readonly pipeline: QueryPipeline;
  readonly queue: EventQueue;
  readonly policy: PolicyHolder;
  readonly cache: AnswerCache;
  readonly router: UpstreamRouter;
  readonly store: Store;
  /** Null when `metrics.listen` is null. */
  readonly metrics: ServerMetrics | undefined;
  readonly metricsPort: number | null;
  readonly readiness: Readiness;
  /** Re-reads the config file and allowlists; on any error the running policy stays. */
  reload(trigger?: ReloadTrigger): ReloadResult;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly configFile?: string | undefined;
  readonly overrides?: ConfigOverrides;
  readonly log: Logger;
  /** Reload when the config or an allowlist file changes (default true; SIGHUP works either way). */
  readonly watch?: boolean;
}

interface Operate {
  readonly readiness: Readiness;
  readonly dbProbe: { readonly check: () => boolean; readonly close: () => void };
  /** Set once the store is open; the PostgreSQL probe polls it. */
  readonly storeRef: { current: Store | undefined };
  readonly metrics: ServerMetrics | undefined;
  readonly metricsHttp: MetricsServer | undefined;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const loaded = loadConfig(options.configFile, options.overrides);
  // metrics and probes first: /readyz answers 503 until policy, database and listeners are up
  const storeConfig = loaded.config.store;
  const storeRef: { current: Store | undefined } = { current: undefined };
  // the composition root picks the probe: a file for SQLite, a round trip through the store for PostgreSQL
  const dbProbe = isPostgresUrl(storeUrl(storeConfig))
    ? polledProbe(async () => {
        if (storeRef.current === undefined) return false;
        await storeRef.current.check();
        return true;
      })
    : databaseWritableProbe(storeConfig.path);
  const readiness = new Readiness(storeConfig.requiredForReady ? dbProbe.check : () => true);
  const listen = loaded.config.metrics.listen;
  const metrics = listen === null ? undefined : new ServerMetrics();
  const metricsHttp =
    listen === null || metrics === undefined
      ? undefined
      : await startMetricsServer(
          listen,
          createHealthHandler({ metrics: () => metrics.exposition(), readiness: () => readiness.report() }),
        );
  try {
    return await startResolver(options, loaded, { readiness, dbProbe, storeRef, metrics, metricsHttp });
  } catch (error) {
    await metricsHttp?.close();
    dbProbe.close();
    throw error;
  }
}

async function startResolver(
  options: StartOptions,
  loaded: LoadedConfig,
  operate: Operate,
): Promise<RunningServer> {
  const { log } = options;
  const { readiness, dbProbe, storeRef, metrics, metricsHttp } = operate;
  const { config } = loaded;
  const holder = new PolicyHolder(compilePolicy(loaded));
  readiness.policyLoaded = true;
  metrics?.policyLoaded(holder.current);
  reportWarnings(holder.current, log);
  if (loaded.defaultUpstreams.length === 0)
    log.warn('no upstreams configured and none in /etc/resolv.conf: allowed names get SERVFAIL');

  const store = await openConfiguredStore(config.store);
  storeRef.current = store;
  const book = new QuarantineBook();
  const quarantines = new QuarantineKeeper(store.quarantines, store.alerts, book, () => holder.current, log);
  await quarantines.sync();
  // query log, NDJSON, detection and allowlist hits: on a thread of their own when there is a core for it.
  // Every alert a detection batch stored is counted and checked for quarantine here, on the answer thread.
  let raising: Promise<void> = Promise.resolve();
  const onAlerts = (alerts: readonly AlertState[]): void => {
    metrics?.alertsChanged(alerts);
    // one batch after the other: a quarantine just raised is in the book before the next batch is checked
    raising = raising.then(() => quarantines.onAlerts(alerts));
  };
  const settings = { store: config.store, detection: config.detection };
  const hooks = { onAlerts, onLost: (lost: number) => queue.countDrops(lost) };
  const stages: StageSink = wantsStageThread(config.store.thread)
    ? await StageThread.start(settings, log, hooks)
    : await Stages.create(store, settings, log, hooks);
  const consumers: EventConsumer[] = [stages];
  if (metrics) consumers.push(metrics.queries);
  const queue = new EventQueue(consumers, {
    capacity: config.store.queueSize,
    batchSize: config.store.batchSize,
    flushIntervalMs: config.store.flushIntervalMs,
    downstream: () => stages.backlog,
    onDrops: (dropped) => {
      stages.recordDrops(dropped);
      log.warn({ dropped }, 'event queue full: query events dropped');
    },
  });

  const cache = new AnswerCache(config.cache);
  const router = new UpstreamRouter(loaded.defaultUpstreams, config.upstreams.forward, {
    udpMs: config.upstreams.timeoutMs,
    tcpMs: config.upstreams.tcpTimeoutMs,
  });
  // names under conditional-forwarding zones (cluster.local, corp zones) legitimately resolve to private addresses
  const internalNames = config.upstreams.forward.flatMap((rule) => [rule.zone, `*.${rule.zone}`]);
  const pipeline = new QueryPipeline({
    policy: holder,
    guard: new Guard(config.guard.stateEntries, book),
    cache,
    router,
    rebinding: new RebindingGuard(config.guard.rebinding.enabled, [
      ...internalNames,
      ...config.guard.rebinding.allowNames,
    ]),
    responses: new ResponseBuilder(DENY_NEGATIVE_TTL),
    events: queue,
    maxUdpPayload: config.listen.maxUdpPayload,
  });

  const { udp, tcp } = await bindListeners(config.listen.udp, config.listen.tcp, pipeline, {
    recvBufferSize: config.listen.udpRecvBufferBytes,
    tcp: {
      idleTimeoutMs: config.listen.tcpIdleTimeoutMs,
      maxConnections: config.listen.tcpMaxConnections,
      maxInflight: config.listen.tcpMaxInflight,
    },
  });
  const prune = setInterval(() => stages.prune(), PRUNE_INTERVAL_MS).unref();
  // quarantines released by the CLI (or expired) take effect within this interval
  const quarantineSync = setInterval(() => void quarantines.sync(), QUARANTINE_SYNC_MS).unref();
  metrics?.attach({
    cache,
    queue,
    unreadableDropped: () => pipeline.counters.dropped,
    upstreamFailures: router.failures,
    upstreamMismatched: () => upstreamStats.mismatched + router.unmatched,
    queryLog: stages.queryLog,
    allowlistHits: stages.allowlistHits,
  });
  readiness.listenersBound = true;

  // the config in force for groups/identity; other sections stay as started (a change needs a restart)
  let current = loaded;
  const watcher =
    options.watch === false
      ? undefined
      : new ReloadWatcher({ onChange: (changed) => reload('file-change', changed), log });
  watcher?.watch(policyFiles(loaded));

  function reload(trigger: ReloadTrigger = 'signal', changedFiles: readonly string[] = []): ReloadResult {
    const previous = holder.current.version;
    let next: LoadedConfig | undefined;
    try {
      // a file caught between an editor's truncate and write would read as "no entries": refuse it
      refuseEmpty(current.file === null ? [] : [current.file]);
      const loadedNext = loadConfig(options.configFile, options.overrides);
      next = loadedNext;
      refuseEmpty(policyFiles(loadedNext));
      const policy = compilePolicy(loadedNext);
      const changed = policy.version !== previous;
      if (changed) holder.swap(policy);
      current = loadedNext;
      watcher?.watch(policyFiles(loadedNext));
      metrics?.reloaded(true);
      if (changed) {
        metrics?.policyLoaded(policy);
        reportWarnings(policy, log);
      }
      const restartRequired = sectionsNeedingRestart(loaded.config, loadedNext.config);
      if (restartRequired.length > 0) {
        log.warn(
          { sections: restartRequired },
          'config sections changed that a reload does not apply (listen addresses, upstreams, store, metrics, …): restart dnsward for them',
        );
      }
      log.info(
        { policy: policy.version, previous, trigger, files: changedFiles },
        changed ? 'policy reloaded' : 'policy reloaded: unchanged',
      );
      return { ok: true, version: policy.version, errors: [], changed, restartRequired };
    } catch (error) {
      const errors = error instanceof DnswardError ? [error.message, ...error.details] : [String(error)];
      metrics?.reloaded(false);
      // keep watching the files the broken config names too, so fixing any of them reloads
      if (next) watcher?.watch([...policyFiles(current), ...policyFiles(next)]);
      log.error(
        { errors, policy: previous, trigger, files: changedFiles },
        'reload failed; keeping the last good policy',
      );
      return { ok: false, version: previous, errors, changed: false, restartRequired: [] };
    }
  }

  log.info(
    {
      udp: udp.map((l) => l.port),
      tcp: tcp.map((l) => l.port),
      policy: holder.current.version,
      upstreams: loaded.defaultUpstreams,
      metrics: metricsHttp?.port ?? null,
      watching: watcher?.directories ?? [],
    },
    'dnsward listening',
  );

  return {
    loaded,
    udpPorts: udp.map((l) => l.port),
    tcpPorts: tcp.map((l) => l.port),
    pipeline,
    queue,
    policy: holder,
    cache,
    router,
    store,
    metrics,
    metricsPort: metricsHttp?.port ?? null,
    readiness,
    reload,
    async close() {
      clearInterval(prune);
      clearInterval(quarantineSync);
      router.close();
      readiness.listenersBound = false;
      watcher?.close();
      await Promise.all([...udp, ...tcp].map((l) => l.close()));
      await queue.close();
      await raising;
      await store.close();
      dbProbe.close();
      await metricsHttp?.close();
    },
  };
}

function reportWarnings(policy: Policy, log: Logger): void {
  for (const warning of policy.warnings) log.warn(warning);
}

function refuseEmpty(files: readonly string[]): void {
  const empty = emptyFiles(files);
  if (empty.length === 0) return;
  throw new DnswardError(
    'DNSWARD_ERR_ALLOWLIST',
    `${empty.length} empty file(s)`,
    empty.map((file) => `${file}:1 (file): empty (still being written?)`),
  );
}
