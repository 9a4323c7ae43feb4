// The composition root of `dnsward serve`: policy, store, event queue and consumers, pipeline, listeners, reload.
import type { HostPort } from './config/host-port.js';
import { loadConfig, type ConfigOverrides, type LoadedConfig } from './config/load.js';
import { AnswerCache } from './dns/cache.js';
import { QueryPipeline } from './dns/handle-query.js';
import { PolicyHolder } from './dns/policy-holder.js';
import { ResponseBuilder } from './dns/responses.js';
import { TcpListener, type TcpLimits } from './dns/tcp-listener.js';
import { UdpListener } from './dns/udp-listener.js';
import { UpstreamRouter } from './dns/upstream-router.js';
import { DnswardError } from './errors.js';
import type { EventConsumer } from './events/event-consumer.js';
import { EventQueue } from './events/event-queue.js';
import type { Logger } from './log/logger.js';
import { compilePolicy, type Policy } from './policy/compile.js';
import { openDatabase, type Db } from './store/database.js';
import { NdjsonSink } from './store/ndjson-sink.js';
import { QueryLogWriter } from './store/query-log-writer.js';

/** TTL of synthesized NXDOMAIN answers (SOA MINIMUM): clients cache a denial this long. */
const DENY_NEGATIVE_TTL = 60;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface ReloadResult {
  readonly ok: boolean;
  readonly version: string;
  readonly errors: readonly string[];
}

export interface RunningServer {
  readonly loaded: LoadedConfig;
  readonly udpPorts: readonly number[];
  readonly tcpPorts: readonly number[];
  readonly pipeline: QueryPipeline;
  readonly queue: EventQueue;
  readonly policy: PolicyHolder;
  readonly cache: AnswerCache;
  readonly router: UpstreamRouter;
  readonly db: Db;
  /** Re-reads the config file and allowlists; on any error the running policy stays. */
  reload(): ReloadResult;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly configFile?: string | undefined;
  readonly overrides?: ConfigOverrides;
  readonly log: Logger;
  /** Extra consumers behind the queue (detection engine). */
  readonly consumers?: (db: Db, loaded: LoadedConfig) => EventConsumer[];
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { log } = options;
  const loaded = loadConfig(options.configFile, options.overrides);
  const { config } = loaded;
  const holder = new PolicyHolder(compilePolicy(loaded));
  reportWarnings(holder.current, log);
  if (loaded.defaultUpstreams.length === 0)
    log.warn('no upstreams configured and none in /etc/resolv.conf: allowed names get SERVFAIL');

  const db = openDatabase(config.store.path);
  const writer = config.store.queryLog
    ? new QueryLogWriter(db, config.store.retentionDays * 86_400_000)
    : undefined;
  const consumers: EventConsumer[] = [];
  if (writer) consumers.push(writer);
  if (config.store.ndjson !== null) consumers.push(new NdjsonSink(config.store.ndjson));
  consumers.push(...(options.consumers?.(db, loaded) ?? []));
  const queue = new EventQueue(consumers, {
    capacity: config.store.queueSize,
    batchSize: config.store.batchSize,
    flushIntervalMs: config.store.flushIntervalMs,
    onDrops: (dropped) => {
      writer?.recordDrops(dropped);
      log.warn({ dropped }, 'event queue full: query events dropped');
    },
  });

  const cache = new AnswerCache(config.cache);
  const router = new UpstreamRouter(loaded.defaultUpstreams, config.upstreams.forward, {
    udpMs: config.upstreams.timeoutMs,
    tcpMs: config.upstreams.tcpTimeoutMs,
  });
  const pipeline = new QueryPipeline({
    policy: holder,
    cache,
    router,
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
  const prune = setInterval(() => writer?.prune(), PRUNE_INTERVAL_MS).unref();
  log.info(
    {
      udp: udp.map((l) => l.port),
      tcp: tcp.map((l) => l.port),
      policy: holder.current.version,
      upstreams: loaded.defaultUpstreams,
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
    db,
    reload() {
      try {
        const next = compilePolicy(loadConfig(options.configFile, options.overrides));
        holder.swap(next);
        reportWarnings(next, log);
        log.info({ policy: next.version }, 'policy reloaded');
        return { ok: true, version: next.version, errors: [] };
      } catch (error) {
        const errors = error instanceof DnswardError ? [error.message, ...error.details] : [String(error)];
        log.error({ errors, policy: holder.current.version }, 'reload failed; keeping the last good policy');
        return { ok: false, version: holder.current.version, errors };
      }
    },
    async close() {
      clearInterval(prune);
      await Promise.all([...udp, ...tcp].map((l) => l.close()));
      queue.close();
      db.close();
    },
  };
}

function reportWarnings(policy: Policy, log: Logger): void {
  for (const warning of policy.warnings) log.warn(warning);
}

interface BindOptions {
  readonly recvBufferSize: number;
  readonly tcp: TcpLimits;
}

/** Binds every address; a TCP port 0 next to a UDP port 0 on the same host gets the UDP's port (tests use port 0). */
async function bindListeners(
  udpAddresses: readonly HostPort[],
  tcpAddresses: readonly HostPort[],
  pipeline: QueryPipeline,
  options: BindOptions,
): Promise<{ udp: UdpListener[]; tcp: TcpListener[] }> {
  for (let attempt = 0; ; attempt++) {
    const udp: UdpListener[] = [];
    const tcp: TcpListener[] = [];
    try {
      for (const address of udpAddresses)
        udp.push(await UdpListener.start(address, pipeline, options.recvBufferSize));
      for (const address of tcpAddresses) {
        const twin =
          address.port === 0 ? udpAddresses.findIndex((u) => u.host === address.host && u.port === 0) : -1;
        const port = twin >= 0 ? (udp[twin]?.port ?? 0) : address.port;
        tcp.push(await TcpListener.start({ host: address.host, port }, pipeline, options.tcp));
      }
      return { udp, tcp };
    } catch (error) {
      await Promise.all([...udp, ...tcp].map((l) => l.close()));
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!inUse || attempt >= 10 || !udpAddresses.some((a) => a.port === 0)) {
        throw new DnswardError('DNSWARD_ERR_LISTEN', `cannot listen: ${(error as Error).message}`, [], {
          cause: error,
        });
      }
    }
  }
}
