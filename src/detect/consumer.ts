// The detection stage behind the event queue: engine per batch, one store transaction per batch of alert changes,
// then the alerts are handed on (NDJSON, quarantine) whether or not that write succeeded; unsaved ones are retried.
import type { DetectionConfig } from '../config/sections/detection.js';
import type { QueryEvent } from '../model/query-event.js';
import type { AlertStore } from '../store/store.js';
import { describeStoreError, type StoreHealth } from '../store/store-health.js';
import { IntervalGate } from '../lib/interval-gate.js';
import { trackAlert, type AlertState } from '../model/alert.js';
import { DetectionEngine } from './engine.js';

/** The slice of a pino logger this stage uses. */
export interface DetectionLog {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface DetectionConsumerOptions {
  readonly alerts: AlertStore;
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

/** The engine behind the event queue; unlike an EventConsumer it says when a batch's alerts are committed. */
export interface DetectionConsumer {
  readonly engine: DetectionEngine;
  /** Runs the engine on a batch and stores its alert changes; resolves once they are committed. */
  consume(batch: readonly QueryEvent[]): Promise<void>;
  /** Batches whose alerts could not be written (SQLite busy/full); counted, never thrown to the queue. */
  readonly failedBatches: () => number;
  /** A last try at alerts whose write failed. */
  close(): Promise<void>;
}

/** Alerts held for a store that cannot write, at most (they also went out through onAlerts). */
const MAX_UNSAVED = 10_000;

/**
 * The engine as an EventConsumer. On start it reloads alerts still inside the suppression window and the
 * active mutes; per batch it runs the engine and writes every created/updated alert in one transaction.
 */
export async function createDetectionConsumer(options: DetectionConsumerOptions): Promise<DetectionConsumer> {
  const { alerts, config, log } = options;
  const now = options.now ?? Date.now;
  const engine = new DetectionEngine(config);
  const windowMs = config.alerts.suppressionWindowSeconds * 1000;
  const refreshMs = config.alerts.mutesRefreshSeconds * 1000;
  let lastMuteLoad = Number.NEGATIVE_INFINITY;
  let failed = 0;
  // alerts handed on but not yet stored (their write failed), by the engine's local id: retried with the next batch
  const unsaved = new Map<number, AlertState>();
  const gate = new IntervalGate(options.logIntervalMs ?? 10_000, now);

  const save = async (changes: readonly AlertState[]): Promise<void> => {
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
      await alerts.saveBatch(pending, now(), windowMs);
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

  const loadMutes = async (): Promise<void> => {
    const t = now();
    if (t - lastMuteLoad < refreshMs) return;
    lastMuteLoad = t;
    engine.setMutes(await alerts.activeMutes(t));
  };

  try {
    engine.seed((await alerts.recent(now() - windowMs)).map((a, i) => trackAlert(a, -(i + 1))));
    await loadMutes();
  } catch (error) {
    log?.warn({ err: error }, 'detection: could not reload alerts and mutes; starting fresh');
  }

  return {
    engine,
    failedBatches: () => failed,
    async consume(batch: readonly QueryEvent[]): Promise<void> {
      if (!config.enabled || batch.length === 0) return;
      try {
        await loadMutes().catch((error: unknown) =>
          log?.warn({ err: error }, 'detection: mutes not refreshed'),
        );
        engine.processBatch(batch);
        const changes = engine.takeChanges();
        engine.forgetHistory();
        // stored first when the store can (alerts then carry their row id), handed on whether or not it could
        await save(changes);
        if (changes.length > 0) options.onAlerts?.(changes);
      } catch (error) {
        // consumers must not throw into the queue: count it, log it, keep detecting
        failed++;
        log?.warn({ err: error, failed }, 'detection: batch failed');
      }
    },
    async close(): Promise<void> {
      // every batch is committed as it is consumed; only alerts whose write failed are still held: a last try
      await save([]);
    },
  };
}
