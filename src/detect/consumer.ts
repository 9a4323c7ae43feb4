// The detection stage behind the event queue: engine per batch, one store transaction per batch of alert changes.
import type { DetectionConfig } from '../config/sections/detection.js';
import type { QueryEvent } from '../model/query-event.js';
import type { AlertStore } from '../store/store.js';
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
  /** Called with every alert stored in a batch (metrics: alerts by rule; quarantine hooks). */
  readonly onAlerts?: (alerts: readonly AlertState[]) => void;
}

/** The engine behind the event queue; unlike an EventConsumer it says when a batch's alerts are committed. */
export interface DetectionConsumer {
  readonly engine: DetectionEngine;
  /** Runs the engine on a batch and stores its alert changes; resolves once they are committed. */
  consume(batch: readonly QueryEvent[]): Promise<void>;
  /** Batches whose alerts could not be written (SQLite busy/full); counted, never thrown to the queue. */
  readonly failedBatches: () => number;
  close(): void;
}

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
        if (changes.length === 0) return;
        await alerts.saveBatch(changes, now(), windowMs);
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
