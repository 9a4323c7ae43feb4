// Quarantine keeper: turns alerts into quarantines (per group: onSeverity, scope, duration), persists them,
// reports each as an alert of its own, and keeps the answer path's QuarantineBook in step with the store: every
// replica polls the active set (server.ts, each second), so a quarantine raised or released anywhere holds
// everywhere within 2 s; while the store is away the last set read stays in force.
import type { AlertState } from '../model/alert.js';
import { newAlert, severityRank } from '../model/alert.js';
import type { AlertStore, QuarantineStore } from '../store/store.js';
import type { Policy } from './compile.js';
import type { QuarantineBook } from './quarantine-book.js';

export interface QuarantineLog {
  warn(obj: object, msg: string): void;
}

export class QuarantineKeeper {
  constructor(
    private readonly repo: QuarantineStore,
    private readonly alerts: AlertStore,
    readonly book: QuarantineBook,
    private readonly policy: () => Policy,
    private readonly log: QuarantineLog,
  ) {}

  /** Reloads the active set (raised by other replicas, released by the CLI, expired); keeps it on failure. */
  async sync(now = Date.now()): Promise<void> {
    try {
      this.book.replace(await this.repo.active(now));
    } catch (error) {
      this.log.warn({ err: error }, 'quarantines not refreshed; the last set read stays in force');
    }
  }

  /** Called off the answer path with every alert a detection batch stored. Audit-mode groups only alert. */
  async onAlerts(changes: readonly AlertState[], now = Date.now()): Promise<void> {
    try {
      await this.raise(changes, now);
    } catch (error) {
      // the store is away: no quarantine is written now; the alert is kept and raises it on its next update
      this.log.warn({ err: error }, 'quarantine not stored');
    }
  }

  private async raise(changes: readonly AlertState[], now: number): Promise<void> {
    for (const alert of changes) {
      const group = this.policy().groups.get(alert.group);
      const rule = group?.guard.quarantine;
      if (!group || !rule || group.mode === 'audit' || alert.rule === 'quarantine') continue;
      if (severityRank(alert.severity) < severityRank(rule.onSeverity)) continue;
      const baseDomain = rule.scope === 'domain' ? alert.baseDomain : null;
      if (this.book.blocks(alert.agentId, alert.baseDomain, () => alert.baseDomain, now)) continue;
      const until = now + rule.duration;
      const reason = `${alert.severity} ${alert.rule} on ${alert.baseDomain}`;
      const id = await this.repo.add({
        agentId: alert.agentId,
        group: alert.group,
        scope: rule.scope,
        baseDomain,
        createdAt: now,
        until,
        reason,
        alertId: alert.dbId,
      });
      await this.alerts.add(
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
      await this.sync(now);
    }
  }
}
