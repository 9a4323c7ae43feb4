// Quarantine keeper: turns alerts into quarantines (per group: onSeverity, scope, duration), puts them in force at
// once, then persists them and reports each as an alert of its own, and keeps the answer path's QuarantineBook in
// step with the database. A store that cannot write (full disk) delays the rows, never the quarantine.
import type { AlertState } from '../model/alert.js';
import { severityRank } from '../model/alert.js';
import type { NewQuarantine, Quarantine } from '../model/quarantine.js';
import { IntervalGate } from '../lib/interval-gate.js';
import type { AlertRepository } from '../store/alert-repository.js';
import type { QuarantineRepository } from '../store/quarantine-repository.js';
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

  constructor(
    private readonly repo: QuarantineRepository,
    private readonly alerts: AlertRepository,
    readonly book: QuarantineBook,
    private readonly policy: () => Policy,
    private readonly log: QuarantineLog,
  ) {}

  /** Stores what is still unsaved, then reloads the active set (releases made by the CLI, expiries). */
  sync(now = Date.now()): void {
    this.persist(now);
    try {
      this.stored = this.repo.active(now);
    } catch (error) {
      this.warn(error, 'quarantines: could not read the active set; keeping the last one');
    }
    const unsaved = this.unsaved.map((u, i) => ({ ...u.quarantine, id: -(i + 1), releasedAt: null }));
    this.book.replace([...this.stored, ...unsaved.filter((q) => q.until > now)]);
  }

  /** Called off the answer path with every alert a detection batch produced. Audit-mode groups only alert. */
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
      this.sync(now);
    }
  }

  /** Writes each unsaved quarantine and its own alert; stops at the first failure (the store is down). */
  private persist(now: number): void {
    while (this.unsaved.length > 0) {
      const [next] = this.unsaved;
      if (next === undefined) return;
      let id: number;
      try {
        id = this.repo.add({ ...next.quarantine, alertId: next.quarantine.alertId ?? next.alert.dbId });
      } catch (error) {
        this.warn(error, 'quarantine in force but not stored; retrying');
        return;
      }
      this.unsaved.shift();
      try {
        this.report(id, next, now);
      } catch (error) {
        this.warn(error, 'quarantine stored, its alert not');
      }
    }
  }

  private report(id: number, { quarantine: q, alert }: Unsaved, now: number): void {
    this.alerts.save(
      null,
      {
        rule: 'quarantine',
        severity: alert.severity,
        agentId: alert.agentId,
        group: alert.group,
        clientIp: alert.clientIp,
        baseDomain: alert.baseDomain,
        firstSeenMs: q.createdAt,
        lastSeenMs: q.createdAt,
        count: 1,
        score: alert.score,
        exposure: alert.exposure,
        bytesLeaked: 0,
        bytesAttempted: 0,
        samples: [],
        features: {
          quarantineId: id,
          scope: q.scope,
          until: new Date(q.until).toISOString(),
          trigger: alert.rule,
        },
        status: 'open',
        statusReason: null,
        mutedUntilMs: null,
      },
      now,
    );
  }

  private warn(error: unknown, msg: string): void {
    const held = this.gate.pass(msg);
    if (held !== undefined)
      this.log.warn({ cause: describeStoreError(error), unsaved: this.unsaved.length, held }, msg);
  }
}
