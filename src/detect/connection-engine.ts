// Connection detection: connection rules -> the alert book (dedupe, mutes) -> the alert repository, per batch.
import { trackAlert, type AlertState } from '../model/alert.js';
import type { ConnectionEvent } from '../model/connection-event.js';
import { AlertRepository } from '../store/alert-repository.js';
import type { Db } from '../store/database.js';
import type { ConnectionDetector } from './connection-detector.js';
import { AlertBook } from './dedupe.js';
import { directIpEgress } from './detectors/direct-ip-egress.js';
import { egressVolume, type EgressVolumeSettings } from './detectors/egress-volume.js';

export interface ConnectionDetectionOptions {
  readonly db: Db;
  readonly suppressionWindowMs: number;
  readonly maxSamples: number;
  readonly maxOpen: number;
  readonly volume: EgressVolumeSettings;
  readonly now?: () => number;
}

export class ConnectionDetection {
  private readonly repo: AlertRepository;
  private readonly book: AlertBook;
  private readonly detectors: readonly ConnectionDetector[];
  private readonly now: () => number;

  constructor(options: ConnectionDetectionOptions) {
    this.repo = new AlertRepository(options.db);
    this.now = options.now ?? Date.now;
    this.book = new AlertBook(options);
    this.detectors = [directIpEgress, egressVolume(options.volume)];
    const ids = new Set(this.detectors.map((d) => d.id));
    // dedupe continues across a restart on this engine's own rules
    const recent = this.repo.recent(this.now() - options.suppressionWindowMs).filter((a) => ids.has(a.rule));
    this.book.seed(recent.map((a, i) => trackAlert(a, -(i + 1))));
  }

  /** Runs the rules over a batch and stores what changed in one transaction; returns the alerts stored. */
  process(events: readonly ConnectionEvent[]): readonly AlertState[] {
    this.book.setMutes(this.repo.activeMutes(this.now()));
    for (const event of events) {
      for (const detector of this.detectors) {
        const hit = detector.observe(event);
        if (hit === null) continue;
        this.book.record({
          rule: detector.id,
          severity: hit.severity,
          score: hit.score,
          features: hit.features,
          agentId: event.agentId,
          group: event.group,
          clientIp: event.srcIp,
          baseDomain: hit.baseDomain ?? event.dst,
          ts: event.ts,
          qname: `${event.proto}/${event.dst}:${event.dstPort}`,
          forwarded: event.decision === 'allowed',
          bytes: {
            kind: 'query',
            leaked: event.decision === 'allowed' ? event.bytesOut : 0,
            attempted: event.bytesOut,
          },
        });
      }
    }
    const changes = this.book.takeChanges();
    this.book.forgetHistory();
    if (changes.length === 0) return changes;
    const ids = this.repo.saveBatch(changes, this.now());
    changes.forEach((a, i) => (a.dbId = ids[i] ?? a.dbId));
    return changes;
  }
}
