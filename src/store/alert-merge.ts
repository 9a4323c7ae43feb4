// Fleet-wide alert upsert, the same for every engine: what one writer adds to a stored alert of the same
// (agent, base domain, rule) that other writers (replicas, or this one before a restart) also add to.
import type { AlertRecord, StoredAlertRecord } from '../model/alert.js';
import { severityRank } from '../model/alert.js';
import { Lru } from '../lib/lru.js';

/** What this writer last added to a row: the next write adds only what grew since. */
interface Contribution {
  readonly count: number;
  readonly bytesLeaked: number;
  readonly bytesAttempted: number;
}

/** Rows this writer remembers its contribution to; older ones count as new (more than enough for open alerts). */
const REMEMBERED_ROWS = 100_000;

/** Samples a merged alert keeps at least (detection.alerts.maxSamples' default); more when a writer keeps more. */
const MERGED_SAMPLES = 5;

export class AlertMerger {
  private readonly added = new Lru<number, Contribution>(REMEMBERED_ROWS);

  /** Alerts read back from the store (restart): their stored totals already hold this writer's share. */
  adopt(alerts: readonly StoredAlertRecord[]): void {
    for (const a of alerts) this.remember(a.id, a);
  }

  remember(id: number, alert: Readonly<AlertRecord>): void {
    this.added.set(id, {
      count: alert.count,
      bytesLeaked: Math.round(alert.bytesLeaked),
      bytesAttempted: Math.round(alert.bytesAttempted),
    });
  }

  /**
   * The row to write when `alert` (this writer's running totals) meets `stored`: counts and bytes add what grew
   * here since the last write, times and severity take the extremes, status stays the analyst's unless an
   * escalation past an ack reopens it.
   */
  merge(stored: StoredAlertRecord, alert: Readonly<AlertRecord>): AlertRecord {
    const before = this.added.get(stored.id) ?? { count: 0, bytesLeaked: 0, bytesAttempted: 0 };
    const escalated = severityRank(alert.severity) > severityRank(stored.severity);
    const stronger = severityRank(alert.severity) >= severityRank(stored.severity);
    const reopen = stored.status === 'acked' && escalated;
    const limit = Math.max(stored.samples.length, alert.samples.length, MERGED_SAMPLES);
    const samples = [...stored.samples];
    for (const s of alert.samples) if (samples.length < limit && !samples.includes(s)) samples.push(s);
    const bytesLeaked = stored.bytesLeaked + Math.round(alert.bytesLeaked) - before.bytesLeaked;
    return {
      rule: stored.rule,
      agentId: stored.agentId,
      baseDomain: stored.baseDomain,
      severity: stronger ? alert.severity : stored.severity,
      group: alert.group,
      clientIp: alert.clientIp,
      podIdentity: alert.podIdentity ?? stored.podIdentity,
      firstSeenMs: Math.min(stored.firstSeenMs, alert.firstSeenMs),
      lastSeenMs: Math.max(stored.lastSeenMs, alert.lastSeenMs),
      count: stored.count + alert.count - before.count,
      score: Math.max(stored.score, alert.score),
      exposure:
        stored.exposure === 'forwarded' || alert.exposure === 'forwarded' || bytesLeaked > 0
          ? 'forwarded'
          : 'blocked',
      bytesLeaked,
      bytesAttempted: stored.bytesAttempted + Math.round(alert.bytesAttempted) - before.bytesAttempted,
      samples,
      features: stronger ? { ...alert.features } : stored.features,
      status: reopen ? 'open' : stored.status,
      statusReason: reopen ? `reopened: escalated to ${alert.severity} after ack` : stored.statusReason,
      mutedUntilMs: stored.mutedUntilMs,
    };
  }
}

/** The dedupe key of an alert; engines lock on it so two writers never both insert the same alert. */
export function alertKey(alert: Readonly<AlertRecord>): string {
  return JSON.stringify([alert.agentId, alert.baseDomain, alert.rule]);
}
