// The composition root of `dnsward serve`: policy, store, event queue and consumers, pipeline, listeners, reload.
import { loadConfig, type ConfigOverrides, type LoadedConfig } from './config/load.js';
import { bindListeners, sumNativeStats } from './dns/bind-listeners.js';
import { chooseUdpEngine } from './dns/udp-engine.js';
import { AnswerCache } from './dns/cache.js';
import { QueryPipeline } from './dns/handle-query.js';
import { RebindingGuard, rebindingExemptions } from './dns/rebinding-guard.js';
import { ResponseBuilder } from './dns/responses.js';
import { UpstreamRouter } from './dns/upstream-router.js';
import { upstreamStats } from './dns/upstream.js';
import { DnstapSink } from './dnstap/dnstap-sink.js';
import { IntervalGate } from './lib/interval-gate.js';
import type { EventConsumer } from './model/event-consumer.js';
import { EventQueue } from './events/event-queue.js';
import { startEgress } from './egress/start-egress.js';
import { StageThread, wantsStageThread } from './events/stage-thread.js';
import { Stages, type StageSink } from './events/stages.js';
import type { AlertState } from './model/alert.js';
import type { Logger } from './log/logger.js';
import { createHealthHandler, startMetricsServer, type MetricsServer } from './metrics/http-server.js';
import { databaseWritableProbe, polledProbe, Readiness } from './metrics/readiness.js';
import { ServerMetrics } from './metrics/registry.js';
import { exposureWarnings } from './policy/exposure-warnings.js';
import { Guard } from './policy/guard.js';
import { QuarantineBook } from './policy/quarantine-book.js';
import { QuarantineKeeper } from './policy/quarantine-keeper.js';
import { PolicyHistory } from './policy/policy-history.js';
import { PolicyReloader, type ReloadResult, type ReloadTrigger } from './policy/reload.js';
import { ReloadWatcher } from './policy/reload-watcher.js';
import { openDatabase, type Db } from './store/database.js';
import { PodWatch } from './identity/pod-watch.js';
import { isPostgresUrl, openConfiguredStore, storeUrl } from './store/open-store.js';
import type { Store } from './store/store.js';

/** TTL of synthesized NXDOMAIN answers (SOA MINIMUM): clients cache a denial this long. */
const DENY_NEGATIVE_TTL = 60;
const PRUNE_INTERVAL_MS = 3_600_000;
/** Quarantines raised by other replicas or released by the CLI hold here within this (plus one query). */
const QUARANTINE_SYNC_MS = 1000;
/** SQLite busy_timeout of the answer thread's connection. */
const ANSWER_THREAD_BUSY_MS = 10;

export type { ReloadResult, ReloadTrigger } from './policy/reload.js';

export interface RunningServer {
  readonly loaded: LoadedConfig;
  readonly udpPorts: readonly number[];
  readonly tcpPorts: readonly number[];
  readonly pipeline: QueryPipeline;
  readonly queue: EventQueue;
  readonly policy: PolicyReloader;
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
  const readiness = new Readiness(dbProbe.check, storeConfig.requiredForReady);
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
  const pods = config.identity.kubernetes.enabled
    ? new PodWatch(config.identity.kubernetes, log.child({ component: 'pods' }))
    : undefined;
  // not ready until the first pod list: before it, every pod would be unknown
  if (pods) readiness.kubernetesSynced = () => pods.synced;
  pods?.start();
  // the watcher is created once listeners are bound; a reload before that cannot happen
  let watcher: ReloadWatcher | undefined;
  // the first policy is in force before the store opens: the history holds it until attached
  const history = new PolicyHistory(log);
  const reloader = new PolicyReloader(loaded, {
    load: () => loadConfig(options.configFile, options.overrides),
    log,
    onPolicy: (policy, trigger) => {
      metrics?.policyLoaded(policy);
      history.loaded(policy, trigger);
      for (const warning of policy.warnings) log.warn(warning);
    },
    onReloaded: (ok) => metrics?.reloaded(ok),
    watch: (files) => watcher?.watch(files),
    pods,
  });
  readiness.policyLoaded = true;
  for (const warning of exposureWarnings(config, reloader.current)) log.warn(warning);
  if (loaded.defaultUpstreams.length === 0)
    log.warn('no upstreams configured and none in /etc/resolv.conf: allowed names get SERVFAIL');

  // this store is used on the answer thread (inline stages, quarantines): on SQLite, another process's lock
  // (sqlite3, a backup, VACUUM) must cost it a few milliseconds and a retry, never seconds of unanswered queries
  const store = await openConfiguredStore(config.store, { busyTimeoutMs: ANSWER_THREAD_BUSY_MS });
  storeRef.current = store;
  history.attach(store.policyVersions);
  const book = new QuarantineBook();
  const quarantines = new QuarantineKeeper(
    store.quarantines,
    store.alerts,
    book,
    () => reloader.current,
    log,
  );
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
  const dropGate = new IntervalGate(10_000);
  const hooks = { onAlerts, onLost: (lost: number) => queue.countDrops(lost) };
  const stages: StageSink = wantsStageThread(config.store.thread)
    ? await StageThread.start(settings, log, hooks)
    : await Stages.create(store, settings, log, hooks);
  readiness.storeWrites = () => stages.store;
  const consumers: EventConsumer[] = [stages];
  if (metrics) consumers.push(metrics.queries);
  // egress: allowed answers open the nftables sets (a stage behind the queue); conntrack feeds the connection log
  // the connection log is SQLite-only (not behind the Store): its own connection to store.path, opened only when
  // egress.conntrack is on
  let egressDb: Db | undefined;
  const egress = startEgress({
    config,
    db: () => (egressDb ??= openDatabase(config.store.path, { busyTimeoutMs: ANSWER_THREAD_BUSY_MS })),
    identify: (address) => reloader.current.identify(address),
    onAlerts,
    registry: metrics?.registry,
    log,
  });
  if (egress.answerSets) consumers.push(egress.answerSets);
  const queue = new EventQueue(consumers, {
    capacity: config.store.queueSize,
    batchSize: config.store.batchSize,
    flushIntervalMs: config.store.flushIntervalMs,
    downstream: () => stages.backlog,
    onDrops: (dropped) => {
      stages.recordDrops(dropped);
      if (dropGate.pass('drops') !== undefined)
        log.warn(
          { dropped, total: queue.dropped },
          'query events dropped (queue full or query log not written)',
        );
    },
  });

  const cache = new AnswerCache(config.cache);
  // dnstap: every client and upstream exchange, off the answer path, bounded and counted
  const dnstap = config.store.dnstap
    ? new DnstapSink(config.store.dnstap, log.child({ component: 'dnstap' }))
    : undefined;
  dnstap?.start();
  const router = new UpstreamRouter(
    loaded.defaultUpstreams,
    config.upstreams.forward,
    { udpMs: config.upstreams.timeoutMs, tcpMs: config.upstreams.tcpTimeoutMs },
    dnstap && ((exchange) => dnstap.forwarder(exchange)),
  );
  const pipeline = new QueryPipeline({
    policy: reloader,
    guard: new Guard(config.guard.stateEntries, book),
    cache,
    router,
    // in-cluster and internal zones legitimately resolve to private addresses
    rebinding: new RebindingGuard(config.guard.rebinding.enabled, rebindingExemptions(config)),
    responses: new ResponseBuilder(DENY_NEGATIVE_TTL),
    events: queue,
    maxUdpPayload: config.listen.maxUdpPayload,
    tap: dnstap,
  });

  const udpEngine = chooseUdpEngine(config.listen.udpEngine, log);
  let bound: Awaited<ReturnType<typeof bindListeners>>;
  try {
    bound = await bindListeners(config.listen.udp, config.listen.tcp, pipeline, {
      udpEngine,
      udpDropWarning: (fields, message) => log.warn(fields, message),
      udpBuffers: {
        recvBytes: config.listen.udpRecvBufferBytes,
        sendBytes: config.listen.udpSendBufferBytes,
      },
      tcp: {
        idleTimeoutMs: config.listen.tcpIdleTimeoutMs,
        maxConnections: config.listen.tcpMaxConnections,
        maxConnectionsPerClient: config.listen.tcpMaxConnectionsPerClient,
        maxInflight: config.listen.tcpMaxInflight,
      },
    });
  } catch (error) {
    // a failed bind must end the process: the stage thread and the database would keep it alive, listening nowhere
    router.close();
    await queue.close();
    await raising;
    egressDb?.close();
    await store.close();
    throw error;
  }
  const { udp, tcp } = bound;
  const prune = setInterval(() => stages.prune(), PRUNE_INTERVAL_MS).unref();
  // quarantines released by the CLI (or expired) take effect within this interval; policy loads the store
  // refused are tried again
  const quarantineSync = setInterval(() => {
    void quarantines.sync();
    void history.flush();
  }, QUARANTINE_SYNC_MS).unref();
  metrics?.attach({
    cache,
    queue,
    unreadableDropped: () => pipeline.counters.dropped,
    upstreamFailures: router.failures,
    upstreamMismatched: () => upstreamStats.mismatched + router.unmatched,
    queryLog: stages.queryLog,
    allowlistHits: stages.allowlistHits,
    dnstap,
    quarantines: book,
    udpBatched: () => sumNativeStats(udp),
    kubernetes: pods && {
      pods: () => pods.map.size,
      get watchRestarts() {
        return pods.restarts;
      },
      get unknown() {
        return pods.unknown;
      },
    },
  });
  readiness.listenersBound = true;

  if (options.watch !== false) {
    watcher = new ReloadWatcher({ onChange: (changed) => reloader.reload('file-change', changed), log });
    watcher.watch(reloader.files);
  }

  log.info(
    {
      udp: udp.map((l) => l.port),
      tcp: tcp.map((l) => l.port),
      udpEngine: udpEngine.kind,
      policy: reloader.current.version,
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
    policy: reloader,
    cache,
    router,
    store,
    metrics,
    metricsPort: metricsHttp?.port ?? null,
    readiness,
    reload: (trigger) => reloader.reload(trigger),
    async close() {
      clearInterval(prune);
      clearInterval(quarantineSync);
      router.close();
      await pods?.stop();
      readiness.listenersBound = false;
      watcher?.close();
      await Promise.all([...udp, ...tcp].map((l) => l.close()));
      await queue.close();
      await raising;
      await egress.close();
      await dnstap?.close();
      egressDb?.close();
      await history.flush();
      await store.close();
      dbProbe.close();
      await metricsHttp?.close();
    },
  };
}
