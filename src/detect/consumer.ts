// The detection stage behind the event queue: engine per batch, one SQLite transaction per batch of alert changes.
import type { DetectionConfig } from '../config/sections/detection.js';
import type { EventConsumer } from '../model/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import { AlertRepository } from '../store/alert-repository.js';
import type { Db } from '../store/database.js';
import { trackAlert, type AlertState } from '../model/alert.js';
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
  /** Called with every alert stored in a batch (metrics: alerts by rule; quarantine hooks). */
  readonly onAlerts?: (alerts: readonly AlertState[]) => void;
}

export interface DetectionConsumer extends EventConsumer {
  readonly engine: DetectionEngine;
  /** Batches whose alerts could not be written (SQLite busy/full); counted, never thrown to the queue. */
  readonly failedBatches: () => number;
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

  const loadMutes = (): void => {
    const t = now();
    if (t - lastMuteLoad < refreshMs) return;
    lastMuteLoad = t;
    engine.setMutes(repo.activeMutes(t));
  };

  try {
    engine.seed(repo.recent(now() - windowMs).map((a, i) => trackAlert(a, -(i + 1))));
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
        if (changes.length === 0) return;
        const ids = repo.saveBatch(changes, now(), windowMs);
        changes.forEach((a, i) => (a.dbId = ids[i] ?? a.dbId));
        options.onAlerts?.(changes);
      } catch (error) {
        // consumers must not throw into the queue: count it, log it, keep detecting
        failed++;
        log?.warn({ err: error, failed }, 'detection: batch failed');
      }
    },
    close(): void {
      // every batch is committed as it is consumed; nothing is buffered here
    },
  };
}
