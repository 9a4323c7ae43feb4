// The detection stage behind the event queue: engine per batch, one SQLite transaction per batch of alert changes,
// then the alerts are handed on (NDJSON, quarantine) whether or not that write succeeded; unsaved ones are retried.
import type { DetectionConfig } from '../config/sections/detection.js';
import type { EventConsumer } from '../model/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import { AlertRepository, type AlertWrite, type StoredAlert } from '../store/alert-repository.js';
import type { Db } from '../store/database.js';
import { describeStoreError, type StoreHealth } from '../store/store-health.js';
import { IntervalGate } from '../lib/interval-gate.js';
import type { AlertState } from '../model/alert.js';
import { DetectionEngine } from './engine.js';

/** The slice of a pino logger this stage uses. */
export interface DetectionLog {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface DetectionConsumerOptions {
  readonly db: Db;
  readonly config: DetectionConfig;
  readonly log?: DetectionLog;
  /** Wall clock for mute refresh and updated_at only; detection itself runs on event time. */
  readonly now?: () => number;
  /**
   * Called with every alert a batch created or updated, stored or not, so NDJSON alerts, metrics and quarantine
   * never depend on a database write succeeding (a full disk must not switch detection off).
   */
  readonly onAlerts?: (alerts: readonly AlertState[]) => void;
  /** Told whether each alert write succeeded (/readyz). */
  readonly health?: StoreHealth;
  /** Failed writes are logged at most once per this interval (default 10 s), with the cause. */
  readonly logIntervalMs?: number;
}

export interface DetectionConsumer extends EventConsumer {
  readonly engine: DetectionEngine;
  /** Batches whose alerts could not be written (SQLite busy/full) or failed; counted, never thrown to the queue. */
  readonly failedBatches: () => number;
}

/** Alerts held for a store that cannot write, at most (they also went out through onAlerts). */
const MAX_UNSAVED = 10_000;

export function toAlertWrite(a: AlertState): AlertWrite {
  return {
    rule: a.rule,
    severity: a.severity,
    agentId: a.agentId,
    group: a.group,
    clientIp: a.clientIp,
    podIdentity: a.podIdentity,
    baseDomain: a.baseDomain,
    firstSeenMs: a.firstSeenMs,
    lastSeenMs: a.lastSeenMs,
    count: a.count,
    score: a.score,
    exposure: a.exposure,
    bytesLeaked: a.bytesLeaked,
    bytesAttempted: a.bytesAttempted,
    samples: a.samples,
    features: a.features,
    status: a.status,
    statusReason: a.statusReason,
    mutedUntilMs: a.mutedUntilMs,
  };
}

/** A stored alert back into the engine's working form (restart: dedupe continues on the same rows). */
export function fromStored(a: StoredAlert, localId: number): AlertState {
  return {
    localId,
    dbId: a.id,
    rule: a.rule,
    severity: a.severity,
    agentId: a.agentId,
    group: a.group,
    clientIp: a.clientIp,
    podIdentity: storedPod(a),
    baseDomain: a.baseDomain,
    firstSeenMs: Date.parse(a.firstSeen),
    lastSeenMs: Date.parse(a.lastSeen),
    count: a.count,
    score: a.score,
    exposure: a.exposure,
    bytesLeaked: a.bytesLeaked,
    bytesAttempted: a.bytesAttempted,
    samples: [...a.samples],
    features: { ...a.features },
    status: a.status,
    statusReason: a.statusReason,
    mutedUntilMs: a.mutedUntil === null ? null : Date.parse(a.mutedUntil),
  };
}

/**
 * The engine as an EventConsumer. On start it reloads alerts still inside the suppression window and the
 * active mutes; per batch it runs the engine and writes every created/updated alert in one transaction.
 */
export function createDetectionConsumer(options: DetectionConsumerOptions): DetectionConsumer {
  const { db, config, log } = options;
  const now = options.now ?? Date.now;
  const repo = new AlertRepository(db);
  const engine = new DetectionEngine(config);
  const windowMs = config.alerts.suppressionWindowSeconds * 1000;
  const refreshMs = config.alerts.mutesRefreshSeconds * 1000;
  let lastMuteLoad = Number.NEGATIVE_INFINITY;
  let failed = 0;
  // alerts handed on but not yet stored (their write failed), by the engine's local id: retried with the next batch
  const unsaved = new Map<number, AlertState>();
  const gate = new IntervalGate(options.logIntervalMs ?? 10_000, now);

  const save = (changes: readonly AlertState[]): void => {
    for (const a of changes) {
      unsaved.delete(a.localId); // re-inserted last: the oldest unsaved alert is the first to give up
      unsaved.set(a.localId, a);
    }
    for (const id of unsaved.keys()) {
      if (unsaved.size <= MAX_UNSAVED) break;
      unsaved.delete(id);
    }
    if (unsaved.size === 0) return;
    const pending = [...unsaved.values()];
    try {
      const ids = repo.saveBatch(
        pending.map((a) => ({ id: a.dbId, alert: toAlertWrite(a) })),
        now(),
      );
      pending.forEach((a, i) => (a.dbId = ids[i] ?? a.dbId));
      unsaved.clear();
      options.health?.succeeded();
    } catch (error) {
      failed++;
      const cause = options.health?.failed(error) ?? describeStoreError(error);
      const held = gate.pass('save');
      if (held !== undefined)
        log?.warn({ cause, unsaved: unsaved.size, failed, held }, 'detection: alerts not stored; retrying');
    }
  };

  const loadMutes = (): void => {
    const t = now();
    if (t - lastMuteLoad < refreshMs) return;
    lastMuteLoad = t;
    engine.setMutes(repo.activeMutes(t));
  };

  try {
    engine.seed(repo.recent(now() - windowMs).map((a, i) => fromStored(a, -(i + 1))));
    loadMutes();
  } catch (error) {
    log?.warn({ err: error }, 'detection: could not reload alerts and mutes; starting fresh');
  }

  return {
    engine,
    failedBatches: () => failed,
    consume(batch: readonly QueryEvent[]): void {
      if (!config.enabled || batch.length === 0) return;
      try {
        loadMutes();
        engine.processBatch(batch);
        const changes = engine.takeChanges();
        engine.forgetHistory();
        // stored first when the store can (alerts then carry their row id), handed on whether or not it could
        save(changes);
        if (changes.length > 0) options.onAlerts?.(changes);
      } catch (error) {
        // consumers must not throw into the queue: count it, log it, keep detecting
        failed++;
        log?.warn({ err: error, failed }, 'detection: batch failed');
      }
    },
    close(): void {
      // every batch is committed as it is consumed; only alerts whose write failed are still held: a last try
      save([]);
    },
  };
}

function storedPod(a: StoredAlert): AlertState['podIdentity'] {
  if (a.namespace === null || a.pod === null) return undefined;
  return {
    namespace: a.namespace,
    pod: a.pod,
    podUid: a.podUid ?? '',
    serviceAccount: a.serviceAccount ?? '',
  };
}
