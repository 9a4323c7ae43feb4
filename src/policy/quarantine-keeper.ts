// Quarantine keeper: turns alerts into quarantines (per group: onSeverity, scope, duration), puts them in force at
// once, then persists them and reports each as an alert of its own, and keeps the answer path's QuarantineBook in
// step with the store: every replica polls the active set (server.ts, each second), so a quarantine raised or
// released anywhere holds everywhere within 2 s. A store that cannot write (full disk, database away) delays the
// rows, never the quarantine; while the store cannot be read the last set read stays in force.
import type { AlertState } from '../model/alert.js';
import { newAlert, severityRank } from '../model/alert.js';
import type { NewQuarantine, Quarantine } from '../model/quarantine.js';
import { IntervalGate } from '../lib/interval-gate.js';
import type { AlertStore, QuarantineStore } from '../store/store.js';
import { describeStoreError } from '../store/store-health.js';
import type { Policy } from './compile.js';
import type { QuarantineBook } from './quarantine-book.js';

export interface QuarantineLog {
  warn(obj: object, msg: string): void;
}

interface Unsaved {
  readonly quarantine: NewQuarantine;
  readonly alert: AlertState;
}

export class QuarantineKeeper {
  /** In force but not yet stored (the write failed): retried on every sync. */
  private unsaved: Unsaved[] = [];
  /** The stored set as last read, kept when a read fails. */
  private stored: readonly Quarantine[] = [];
  private readonly gate = new IntervalGate(10_000);
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: QuarantineStore,
    private readonly alerts: AlertStore,
    readonly book: QuarantineBook,
    private readonly policy: () => Policy,
    private readonly log: QuarantineLog,
  ) {}

  /** Stores what is still unsaved, then reloads the active set (raised elsewhere, released by the CLI, expired). */
  sync(now = Date.now()): Promise<void> {
    // one sync at a time: a timer's sync and an alert's must not both write the same unsaved quarantine
    const run = this.running.then(() => this.syncNow(now));
    this.running = run;
    return run;
  }

  private async syncNow(now: number): Promise<void> {
    await this.persist(now);
    try {
      this.stored = await this.repo.active(now);
    } catch (error) {
      this.warn(error, 'quarantines: could not read the active set; keeping the last one');
    }
    this.refreshBook(now);
  }

  /** The book = the stored set as last read + the quarantines in force but not yet stored. */
  private refreshBook(now: number): void {
    const unsaved = this.unsaved.map((u, i) => ({ ...u.quarantine, id: -(i + 1), releasedAt: null }));
    this.book.replace([...this.stored, ...unsaved.filter((q) => q.until > now)]);
  }

  /** Called off the answer path with every alert a detection batch produced. Audit-mode groups only alert. */
  async onAlerts(changes: readonly AlertState[], now = Date.now()): Promise<void> {
    let raised = false;
    for (const alert of changes) {
      const group = this.policy().groups.get(alert.group);
      const rule = group?.guard.quarantine;
      if (!group || !rule || group.mode === 'audit' || alert.rule === 'quarantine') continue;
      if (severityRank(alert.severity) < severityRank(rule.onSeverity)) continue;
      const baseDomain = rule.scope === 'domain' ? alert.baseDomain : null;
      if (this.book.blocks(alert.agentId, alert.baseDomain, () => alert.baseDomain, now)) continue;
      const until = now + rule.duration;
      const reason = `${alert.severity} ${alert.rule} on ${alert.baseDomain}`;
      const quarantine: NewQuarantine = {
        agentId: alert.agentId,
        group: alert.group,
        scope: rule.scope,
        baseDomain,
        createdAt: now,
        until,
        reason,
        alertId: alert.dbId,
      };
      this.unsaved.push({ quarantine, alert });
      this.log.warn({ agent: alert.agentId, scope: rule.scope, baseDomain, until }, `quarantined: ${reason}`);
      // in force at once, and so one quarantine per agent/domain even when several rules fire together
      this.refreshBook(now);
      raised = true;
    }
    if (raised) await this.sync(now);
  }

  /** Writes each unsaved quarantine and its own alert; stops at the first failure (the store is down). */
  private async persist(now: number): Promise<void> {
    while (this.unsaved.length > 0) {
      const [next] = this.unsaved;
      if (next === undefined) return;
      let id: number;
      const quarantine = { ...next.quarantine, alertId: next.quarantine.alertId ?? next.alert.dbId };
      try {
        id = await this.repo.add(quarantine);
      } catch (error) {
        this.warn(error, 'quarantine in force but not stored; retrying');
        return;
      }
      this.unsaved.shift();
      // in the stored set at once, even if the next read of the active set fails
      this.stored = [...this.stored, { ...quarantine, id, releasedAt: null }];
      try {
        await this.report(id, next, now);
      } catch (error) {
        this.warn(error, 'quarantine stored, its alert not');
      }
    }
  }

  private async report(id: number, { quarantine: q, alert }: Unsaved, now: number): Promise<void> {
    await this.alerts.add(
      newAlert(
        {
          rule: 'quarantine',
          severity: alert.severity,
          agentId: alert.agentId,
          group: alert.group,
          clientIp: alert.clientIp,
          podIdentity: alert.podIdentity,
          baseDomain: alert.baseDomain,
          score: alert.score,
          exposure: alert.exposure,
          features: {
            quarantineId: id,
            scope: q.scope,
            until: new Date(q.until).toISOString(),
            trigger: alert.rule,
          },
        },
        q.createdAt,
      ),
      now,
    );
  }

  private warn(error: unknown, msg: string): void {
    const held = this.gate.pass(msg);
    if (held !== undefined)
      this.log.warn({ cause: describeStoreError(error), unsaved: this.unsaved.length, held }, msg);
  }
}
