// Egress wiring for `dnsward serve`: the answer-set stage (egress.nftables) and the connection log (egress.conntrack).
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Config } from '../config/schema.js';
import { ConnectionDetection } from '../detect/connection-engine.js';
import type { Logger } from '../log/logger.js';
import { EgressMetrics } from '../metrics/egress-metrics.js';
import type { Registry } from 'prom-client';
import type { Agent } from '../model/agent.js';
import type { AlertState } from '../model/alert.js';
import { ConnectionRepository } from '../store/connection-repository.js';
import type { Db } from '../store/database.js';
import { NdjsonSink } from '../store/ndjson-sink.js';
import { AnswerSets } from './answer-sets.js';
import { ConnectionLog } from './connection-log.js';
import { ConntrackSweep } from './conntrack-sweep.js';
import { DropSetPoller } from './drop-set.js';
import { LineFollower } from './line-follower.js';
import { NftBatch } from './nft-batch.js';
import { OpenedBy } from './opened-by.js';

const PRUNE_INTERVAL_MS = 3_600_000;

export interface EgressDeps {
  readonly config: Config;
  /** The SQLite connection of the connection log (opened on first call; egress.conntrack only). */
  readonly db: () => Db;
  readonly identify: (address: string) => Agent;
  readonly onAlerts: (alerts: readonly AlertState[]) => void;
  readonly registry: Registry | undefined;
  readonly log: Logger;
}

export interface Egress {
  /** The stage to put behind the event queue (undefined when egress.nftables is off). */
  readonly answerSets: AnswerSets | undefined;
  readonly connections: ConnectionLog | undefined;
  close(): Promise<void>;
}

export function startEgress(deps: EgressDeps): Egress {
  const { config, log: root } = deps;
  const { nftables, conntrack } = config.egress;
  const log = root.child({ component: 'egress' });
  const opened = new OpenedBy();
  const table = { family: nftables.family, table: nftables.table };
  let failures = 0;
  const batch = nftables.enabled
    ? new NftBatch({
        ...table,
        batchMs: nftables.batchMs,
        maxPending: nftables.maxPending,
        onError: (error, elements) => {
          // a missing table or nft fails every batch: say it on the first failure, then every 100th
          if (failures++ % 100 === 0)
            log.error({ err: error, elements, failures }, 'egress: answer-set update failed');
        },
      })
    : undefined;
  const answerSets = batch && new AnswerSets(nftables, batch, opened);
  const metrics = deps.registry && new EgressMetrics(deps.registry, batch);
  if (!conntrack.enabled)
    return { answerSets, connections: undefined, close: async () => answerSets?.close() };

  warnIfNoAccounting(log);
  const db = deps.db();
  const repo = new ConnectionRepository(db);
  const ndjson =
    config.store.ndjson === null
      ? undefined
      : new NdjsonSink(config.store.ndjson, (error) =>
          log.error({ err: error }, 'NDJSON stream: write failed'),
        );
  const detection = config.detection.enabled
    ? new ConnectionDetection({
        db,
        suppressionWindowMs: config.detection.alerts.suppressionWindowSeconds * 1000,
        maxSamples: config.detection.alerts.maxSamples,
        maxOpen: config.detection.alerts.maxOpen,
        volume: conntrack.volume,
      })
    : undefined;
  const connections = new ConnectionLog({
    identify: deps.identify,
    opened,
    sources: conntrack.sources.length > 0 ? conntrack.sources : groupCidrs(config),
    dnsward: [...config.listen.udp, ...config.listen.tcp],
    localAddresses: Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)),
    repo,
    ndjson,
    metrics,
    detection,
    onAlerts: (alerts) => {
      ndjson?.writeAlerts(alerts);
      deps.onAlerts(alerts);
    },
    log,
  });
  metrics?.attachLog(connections);
  const follower = new LineFollower(
    'conntrack',
    ['-E', '-e', 'NEW,DESTROY', '-o', 'timestamp,id'],
    connections.onConntrackLine,
    log,
  );
  follower.start();
  const sweep = new ConntrackSweep(conntrack.sweepMs, log);
  sweep.start();
  const drops = new DropSetPoller({
    ...table,
    pollMs: conntrack.dropPollMs,
    onDropped: connections.onDropped,
    log,
  });
  drops.start();
  const retentionMs = config.store.retentionDays * 86_400_000;
  const prune = setInterval(() => {
    try {
      repo.prune(Date.now() - retentionMs);
    } catch (error) {
      log.error({ err: error }, 'egress: connection-log prune failed');
    }
  }, PRUNE_INTERVAL_MS).unref();
  return {
    answerSets,
    connections,
    async close() {
      clearInterval(prune);
      follower.close();
      sweep.close();
      drops.close();
      connections.close();
      ndjson?.close();
      await answerSets?.close();
    },
  };
}

/** Every group's client CIDRs: whose connections are agents'. */
export function groupCidrs(config: Config): string[] {
  return config.groups.flatMap((group) =>
    group.clients.map((rule) => (typeof rule === 'string' ? rule : rule.cidr)),
  );
}

function warnIfNoAccounting(log: Logger): void {
  try {
    if (readFileSync('/proc/sys/net/netfilter/nf_conntrack_acct', 'utf8').trim() === '0')
      log.warn(
        'egress: net.netfilter.nf_conntrack_acct is 0: connections are logged without bytes (sysctl -w net.netfilter.nf_conntrack_acct=1)',
      );
  } catch {
    log.warn(
      'egress: nf_conntrack is not loaded yet (it loads with the first conntrack rule); check nf_conntrack_acct=1',
    );
  }
}
