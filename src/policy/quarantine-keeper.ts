// Quarantine keeper: turns alerts into quarantines (per group: onSeverity, scope, duration), persists them,
// reports each as an alert of its own, and keeps the answer path's QuarantineBook in step with the database.
import type { AlertState } from '../model/alert.js';
import { newAlert, severityRank } from '../model/alert.js';
import type { AlertRepository } from '../store/alert-repository.js';
import type { QuarantineRepository } from '../store/quarantine-repository.js';
import type { Policy } from './compile.js';
import type { QuarantineBook } from './quarantine-book.js';

export interface QuarantineLog {
  warn(obj: object, msg: string): void;
}

export class QuarantineKeeper {
  constructor(
    private readonly repo: QuarantineRepository,
    private readonly alerts: AlertRepository,
    readonly book: QuarantineBook,
    private readonly policy: () => Policy,
    private readonly log: QuarantineLog,
  ) {}

  /** Reloads the active set (releases made by the CLI, expiries). */
  sync(now = Date.now()): void {
    this.book.replace(this.repo.active(now));
  }

  /** Called off the answer path with every alert a detection batch stored. Audit-mode groups only alert. */
  onAlerts(changes: readonly AlertState[], now = Date.now()): void {
    for (const alert of changes) {
      const group = this.policy().groups.get(alert.group);
      const rule = group?.guard.quarantine;
      if (!group || !rule || group.mode === 'audit' || alert.rule === 'quarantine') continue;
      if (severityRank(alert.severity) < severityRank(rule.onSeverity)) continue;
      const baseDomain = rule.scope === 'domain' ? alert.baseDomain : null;
      if (this.book.blocks(alert.agentId, alert.baseDomain, () => alert.baseDomain, now)) continue;
      const until = now + rule.duration;
      const reason = `${alert.severity} ${alert.rule} on ${alert.baseDomain}`;
      const id = this.repo.add({
        agentId: alert.agentId,
        group: alert.group,
        scope: rule.scope,
        baseDomain,
        createdAt: now,
        until,
        reason,
        alertId: alert.dbId,
      });
      this.alerts.save(
        null,
        newAlert(
          {
            rule: 'quarantine',
            severity: alert.severity,
            agentId: alert.agentId,
            group: alert.group,
            clientIp: alert.clientIp,
            baseDomain: alert.baseDomain,
            score: alert.score,
            exposure: alert.exposure,
            features: {
              quarantineId: id,
              scope: rule.scope,
              until: new Date(until).toISOString(),
              trigger: alert.rule,
            },
          },
          now,
        ),
        now,
      );
      this.log.warn(
        { quarantine: id, agent: alert.agentId, scope: rule.scope, baseDomain, until },
        `quarantined: ${reason}`,
      );
      // in force at once, and so one quarantine per agent/domain even when several rules fire together
      this.sync(now);
    }
  }
}
